"""The reproduction report: verdict rules, each claim's measure on files with known values, the
claims the config covers, claims not measurable here or not built, the written report (summary
per paper, per-paper files) and the HTML report's category order."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ibrepro import provenance, report
from ibrepro.config import load_file
from ibrepro.data import build as build_dataset
from ibrepro.figures.registry import ItemInputs
from ibrepro.papers import CLAIMS, ITEMS
from ibrepro.papers.goldfeld.claims import SMALL_BINS
from ibrepro.papers.lorenzen.claims import more_bins_more_information
from ibrepro.papers.rip.claims import random_split_information
from ibrepro.paths import dataset_file, mi_file, run_file
from ibrepro.report.registry import AtLeast, AtMost, Claim, InRange, Measured, Within

REPO = Path(__file__).resolve().parents[1]
LAYERS = ["tanh 1", "tanh 2", "tanh 3", "tanh 4", "tanh 5", "softmax"]


def _write(ds: xr.Dataset, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(path, engine="netcdf4")


def _mi(i_xt: np.ndarray, units: str = "bits") -> xr.Dataset:
    """An MI file with I_XT (rep, epoch, layer) as given."""
    reps, epochs, layers = i_xt.shape
    dims = ("rep", "epoch", "layer")
    return xr.Dataset({"I_XT": (dims, i_xt), "I_TY": (dims, np.zeros_like(i_xt))},
                      coords={"rep": np.arange(reps), "epoch": np.arange(epochs),
                              "layer": np.arange(1, layers + 1), "layer_name": ("layer", LAYERS)},
                      attrs={"units": units})


def _metrics(final_test: list[float]) -> xr.Dataset:
    """Metrics of len(final_test) repetitions over 3 epochs; the last test accuracies given."""
    acc = np.full((len(final_test), 3, 2), 0.5)
    acc[:, -1, 1] = final_test
    dims = ("rep", "epoch", "split")
    return xr.Dataset({"accuracy": (dims, acc), "loss": (dims, np.ones_like(acc))},
                      coords={"rep": np.arange(len(final_test)), "epoch": np.arange(3),
                              "split": ["train", "test"]})


def test_verdict_rules_are_closed_intervals():
    assert Within(0.01)(0.96, 0.9699) and not Within(0.01)(0.95, 0.9707)
    assert AtLeast(0.1)(0.1, "compresses") and not AtLeast(0.1)(0.0999, "compresses")
    assert str(Within(0.01)) == "ours within ±0.01 of the paper's"
    assert str(AtLeast(0.1)) == "ours ≥ 0.1"


def test_scores_are_repetition_means_of_the_final_test_accuracy(tmp_path):
    _write(_metrics([0.96, 0.98]), run_file(tmp_path, "szt-tanh", "metrics"))
    _write(_metrics([0.90, 0.92]), run_file(tmp_path, "szt-relu", "metrics"))
    results = {r.claim.id: r for r in report.evaluate(
        ["rip/fig1:score", "rip/fig17:score-tanh", "rip/fig17:score-relu"], tmp_path)}
    assert results["rip/fig1:score"].ours == pytest.approx(0.97)
    assert results["rip/fig1:score"].verdict == "reproduced"  # 0.9707 in 0.9605-0.9795
    assert results["rip/fig17:score-tanh"].verdict == "not reproduced"  # 0.97 vs 0.946
    assert results["rip/fig17:score-relu"].ours == pytest.approx(0.91)
    assert results["rip/fig17:score-relu"].verdict == "not reproduced"


def test_compression_is_the_late_drop_of_the_last_hidden_layer(tmp_path):
    i_xt = np.zeros((2, 5, 6))
    i_xt[:, :, 4] = [[1, 3, 4, 3.5, 3.0], [1, 2, 2, 2, 2]]  # rep means: 1 2.5 3 2.75 2.5
    i_xt[:, :, 5] = [0, 9, 0, 0, 0]  # the output layer's drop must not count
    _write(_mi(i_xt), mi_file(tmp_path, "szt-tanh", "bin-size-0.07"))
    (result,) = report.evaluate(["rip/fig1:tanh-last-hidden-compresses"], tmp_path)
    assert result.ours == pytest.approx(0.5 / 3) and result.verdict == "reproduced"
    i_xt[:, :, 4] = np.arange(5)  # still rising: no compression
    _write(_mi(i_xt), mi_file(tmp_path, "szt-tanh", "bin-size-0.07"))
    (result,) = report.evaluate(["rip/fig1:tanh-last-hidden-compresses"], tmp_path)
    assert result.ours == 0 and result.verdict == "not reproduced"


@pytest.mark.parametrize("units, value, verdict", [
    ("bits", 12.0, "reproduced"), ("nats", math.log(4096), "reproduced"),
    ("bits", 11.5, "not reproduced"), ("bits", float("nan"), "not measured")])
def test_goldfeld_limit_is_the_lowest_hidden_layer_in_nats(tmp_path, units, value, verdict):
    i_xt = np.full((2, 3, 6), 5.0)
    i_xt[:, -1, :5] = 12.0 if units == "bits" else 9.0  # at or above ln 4096 nats
    i_xt[:, -1, 3] = value  # the lowest hidden layer
    i_xt[:, -1, 5] = 1.0  # the output layer does not count
    _write(_mi(i_xt, units), mi_file(tmp_path, "szt-tanh", SMALL_BINS))
    (result,) = report.evaluate(["goldfeld/fig1:small-bin-limit"], tmp_path)
    factor = math.log(2) if units == "bits" else 1.0
    assert result.ours == pytest.approx(value * factor, nan_ok=True)
    assert result.claim.paper == pytest.approx(8.318, abs=5e-4)
    assert result.verdict == verdict


def _binary_entropy(k, n):
    p = np.asarray(k) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(p * np.log2(p) + (1 - p) * np.log2(1 - p))


def test_table1_szt_claims_match_an_independent_count(tmp_path, dataset_spec):
    """H(X) of our split; rip's I(X;Y) against random splits of the same size: the class count
    of a random 3276-input split is hypergeometric (scipy's pmf), I(X;Y) = H(Y) of it, and
    rip's 0.9976734 (1731 positives) lies below its 2.5 percentile."""
    from scipy.stats import hypergeom

    data = build_dataset("szt", {"name": "szt", **dataset_spec("szt")})
    _write(data, dataset_file(tmp_path, "szt"))
    train = data["split"].values == "train"
    counts = np.bincount(data["y"].values[train])
    p = counts / counts.sum()
    h_y = float(-(p * np.log2(p)).sum())  # all 4096 inputs distinct: I(X;Y) = H(Y)
    results = {r.claim.id: r for r in report.evaluate(
        ["rip/table1:szt-train-hx", "rip/table1:szt-train-ixy"], tmp_path)}
    assert results["rip/table1:szt-train-hx"].ours == pytest.approx(np.log2(train.sum()))
    assert results["rip/table1:szt-train-hx"].verdict == "reproduced"
    n, positives = int(train.sum()), int(data["y"].values.sum())
    k = np.arange(n + 1)
    pmf = hypergeom(len(train), positives, n).pmf(k)
    ixy = results["rip/table1:szt-train-ixy"]
    expected = np.nansum(pmf * _binary_entropy(k, n))
    assert ixy.ours == pytest.approx(expected, abs=2e-5)  # 10000 draws
    low, high = ixy.measured.spread()
    assert low < h_y <= high  # our stratified split is a typical one
    assert ixy.claim.paper < low and ixy.verdict == "not reproduced"
    assert hypergeom(len(train), positives, n).sf(1730) < 0.005  # 1731 positives: rare
    assert "1731" in ixy.why and ixy.measured.of == "random splits"


def test_random_split_information_needs_distinct_inputs():
    data = xr.Dataset({"x": (("sample", "feature"), np.zeros((4, 1))),
                       "y": ("sample", [0, 1, 0, 1]),
                       "split": ("sample", ["train", "train", "train", "test"])})
    with pytest.raises(ValueError, match="distinct inputs"):
        random_split_information(data)
    data["x"] = (("sample", "feature"), np.arange(4.0)[:, None])
    ours = random_split_information(data, draws=50)  # 3 of 4: one or two positives
    assert set(np.round(ours.samples, 6)) == {round(float(_binary_entropy(1, 3)), 6)}


def test_missing_inputs_are_named_before_anything_is_measured(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"mi/szt-tanh/{SMALL_BINS}.nc"):
        report.evaluate(["rip/fig1:score", "goldfeld/fig1:small-bin-limit"], tmp_path)


def test_the_shipped_config_covers_every_claim_and_dropping_an_input_drops_its_claims():
    spec = load_file(REPO / "config.yaml", scale="quick")
    assert report.configured(spec.experiments, spec.estimators, spec.datasets,
                             spec.measures) == list(CLAIMS)
    estimators = {k: v for k, v in spec.estimators.items() if k != SMALL_BINS}
    kept = report.configured(spec.experiments, estimators, spec.datasets, spec.measures)
    assert set(CLAIMS) - set(kept) == {"goldfeld/fig1:small-bin-limit"}


def test_claims_name_catalogue_items_and_rip_table1_has_all_four_numbers():
    for claim in CLAIMS.values():
        paper, _ = claim.item.split("/")
        assert paper in report.PAPERS and claim.item.count("/") == 1
        assert claim.source, claim.id  # where the paper states it
    table1 = [c.paper for c in CLAIMS.values() if c.item == "rip/table1"]
    assert table1 == pytest.approx([11.677719641641012, 0.9976734295143714,
                                    10.550746785383243, 1.5849625007211579])


def test_report_lists_paper_ours_and_verdict_with_provenance(tmp_path):
    _write(_metrics([0.96, 0.98]), run_file(tmp_path, "szt-tanh", "metrics"))
    _write(_metrics([0.937, 0.937]), run_file(tmp_path, "szt-relu", "metrics"))
    i_xt = np.full((2, 3, 6), 12.0)
    _write(_mi(i_xt), mi_file(tmp_path, "szt-tanh", SMALL_BINS))
    ids = ["goldfeld/fig1:small-bin-limit", "rip/fig1:score", "rip/fig17:score-relu",
           "rip/fig17:score-tanh"]
    md, csv, txt = report.write(ids, tmp_path)
    assert [md, csv, txt] == report.report_files(tmp_path)
    text = md.read_text()
    rows = [line for line in text.splitlines()  # the claims' rows: their first cell an item
            if line.startswith("| ") and "/" in line.split(" | ")[0]]
    assert all(row.count("|") == 9 for row in rows)  # eight cells: no stray pipes
    assert [row.split(" | ")[0] for row in rows] == ["| rip/fig1", "| rip/fig17", "| rip/fig17",
                                                     "| goldfeld/fig1"]  # FIGURES.md order
    assert "| final test accuracy, tanh SZT net (szt-tanh) | 0.97073174 | 0.97 |" in text
    verdicts = [row.rsplit(" | ", 1)[1] for row in rows]
    assert verdicts.count("reproduced |") == 3 and verdicts.count("not reproduced |") == 1
    assert "4 claims" in md.with_suffix(".txt").read_text()
    attrs = provenance.read(md)
    assert attrs["spec"] == {"claims": ids}
    assert set(attrs["inputs"]) == {"metrics/szt-tanh", "metrics/szt-relu",
                                    f"mi/szt-tanh/{SMALL_BINS}"}


def test_html_report_categories_sort_in_the_catalogue_order():
    ids = ["goldfeld/fig1", "compare/estimators", "rip/fig1", "lorenzen/figA5",
           "chelombiev/fig1", "survey/fig1"]
    papers = [report.category(i).split(". ")[1] for i in sorted(ids, key=report.category)]
    assert papers == ["rip", "survey", "lorenzen", "chelombiev", "goldfeld", "compare"]
    assert {i.split("/")[0] for i in ITEMS} <= set(report.PAPERS)  # every item gets a number


def test_more_bins_more_information_counts_points_that_grow_with_the_bin_count(tmp_path):
    # layer 1 grows 1 -> 2 -> 3 bits at every epoch, the other layers stay at 5 bits except one
    # drop at 256 bins: 23 of 24 (epoch, layer) points hold the claim
    paths = {}
    for bins, first in ((30, 1.0), (100, 2.0), (256, 3.0)):
        i_xt = np.full((1, 4, 6), 5.0)
        i_xt[..., 0] = first
        if bins == 256:
            i_xt[0, 2, 1] = 4.0
        name = f"bin-count-{bins}-global"
        _write(_mi(i_xt), mi_file(tmp_path, "szt-relu", name))
        paths[f"mi/szt-relu/{name}"] = mi_file(tmp_path, "szt-relu", name)
    with ItemInputs("test", paths) as inputs:
        assert more_bins_more_information("szt-relu")(inputs) == pytest.approx(23 / 24)


def test_distribution_rule_holds_the_paper_inside_our_range():
    """InRange: the paper's value inside our 2.5-97.5 percentiles (numpy's linear ones), ends
    included; a number without our values cannot be held against a spread."""
    ours = Measured.over(np.linspace(0.90, 1.00, 41))  # percentiles 0.9025 and 0.9975
    assert ours.value == pytest.approx(0.95) and ours.spread() == pytest.approx((0.9025, 0.9975))
    assert InRange()(ours, 0.9025) and InRange()(ours, 0.99) and not InRange()(ours, 0.9)
    assert str(InRange()) == "paper's value inside the 2.5–97.5 percentiles of ours"
    with pytest.raises(TypeError, match="needs our values"):
        InRange()(0.95, 0.95)
    with_nan = Measured.over([0.9, np.nan, 1.0])  # a repetition without a value is left out
    assert with_nan.value == pytest.approx(0.95) and with_nan.spread()[1] < 1.0
    assert math.isnan(Measured.over([np.nan]).value) and Measured.over([np.nan]).spread() is None
    assert AtMost(1)(Measured(1.0), "x") and not AtMost(1)(1.01, "x")
    assert str(AtMost(0.5)) == "ours ≤ 0.5"


def _not_measurable(monkeypatch) -> Claim:
    claim = Claim("survey/snr:regime-change", "epoch of the SNR's regime change", 400.0,
                  not_measurable="needs the paper's unpublished gradient logs", source="test")
    monkeypatch.setitem(CLAIMS, claim.id, claim)
    return claim


def test_claims_say_how_ours_is_measured_or_why_not():
    with pytest.raises(ValueError, match="ours=, verdict="):
        Claim("rip/fig1:x", "q", 1.0)
    with pytest.raises(ValueError, match="not measurable here has no ours"):
        Claim("rip/fig1:x", "q", 1.0, lambda inputs: 1.0, Within(1), not_measurable="why")
    with pytest.raises(ValueError, match="not measurable here has no ours"):
        Claim("rip/fig1:x", "q", 1.0, not_measurable="why", metrics=("szt-tanh",))
    with pytest.raises(ValueError, match="<paper>/<item>:<what>"):
        Claim("rip-fig1", "q", 1.0, not_measurable="why")


def test_not_measurable_and_unbuilt_claims_are_counted_never_dropped(tmp_path, monkeypatch,
                                                                     rst_problems):
    """A claim not measurable here and a claim whose inputs the config does not build stand in
    the report, its summary per paper and its paper's file, each with the reason."""
    claim = _not_measurable(monkeypatch)
    _write(_metrics([0.96, 0.98]), run_file(tmp_path, "szt-tanh", "metrics"))
    results = {r.claim.id: r for r in report.evaluate(
        [claim.id, "rip/fig1:score"], tmp_path, unbuilt=["rip/fig17:score-relu"])}
    assert results[claim.id].verdict == "not measurable"
    assert math.isnan(results[claim.id].ours)
    assert results[claim.id].why == "needs the paper's unpublished gradient logs"
    unbuilt = results["rip/fig17:score-relu"]
    assert unbuilt.verdict == "not measured" and "not built by this run's config" in unbuilt.why
    paths = report.write([claim.id, "rip/fig1:score"], tmp_path,
                         unbuilt=["rip/fig17:score-relu"])
    text = report.report_file(tmp_path).read_text()
    assert "| survey | 1 | 0 | 0 | 0 | 0 | 1 |" in text  # registered, measurable here, ...
    assert "| rip | 2 | 2 | 1 | 0 | 1 | 0 |" in text and "| all | 3 | 2 | 1 | 0 | 1 | 1 |" in text
    assert f"- `{claim.id}` (test), not measurable: needs the paper's unpublished" in text
    assert set(paths) == set(report.report_files(tmp_path))
    paths = report.write([claim.id], tmp_path, paper="survey")
    assert paths == report.paper_files(tmp_path, "survey")
    survey = report.paper_file(tmp_path, "survey").read_text()
    assert "| survey | 1 | 0 | 0 | 0 | 0 | 1 |" in survey
    assert "| survey/snr |  | epoch of the SNR's regime change | 400.0 |" in survey
    assert "| rip/fig1" not in survey
    assert paths[1].read_text().splitlines()[1].startswith(f"{claim.id},")
    csv = report.report_file(tmp_path).with_suffix(".csv").read_text().splitlines()
    assert csv[0].startswith("claim,statements,item,source,quantity,paper,ours,ours_low,ours_high")
    assert len(csv) == 4 and any("2 repetitions" in row for row in csv)
    summary = report.report_file(tmp_path).with_suffix(".txt")
    assert "3 claims of the papers, 2 measurable here" in summary.read_text()
    assert rst_problems(summary) == []  # the HTML report's caption


def test_fingerprint_follows_each_claims_statement_and_code(monkeypatch):
    """The report reruns when a claim is added (its statement alone: no code) or its module's
    code changes (the modules of its ``ours``, what they import from the papers, ``uses``)."""
    from ibrepro.figures.registry import code_modules

    before = report.fingerprint()
    _not_measurable(monkeypatch)
    assert report.fingerprint() != before
    claim = CLAIMS["rip/table1:szt-train-hx"]
    assert {"ibrepro.papers.rip.claims", "ibrepro.papers.rip.data",
            "ibrepro.estimators.entropy"} <= set(code_modules(claim.ours.__module__, claim.uses))


def test_statement_numbers_read_as_in_claims_md():
    assert report.statement_numbers((3, 1, 2, 4)) == "1–4"
    assert report.statement_numbers((52, 54)) == "52, 54"
    assert report.statement_numbers((5,)) == "5"
    assert report.statement_numbers(()) == ""


STATEMENTS = 84  # CLAIMS.md numbers the papers' checkable statements 1-84


def test_every_statement_of_claims_md_is_a_registered_claim():
    covered = {n for claim in report.CLAIMS.values() for n in claim.statements}
    assert covered == set(range(1, STATEMENTS + 1))
    assert all(claim.statements for claim in report.CLAIMS.values())


def test_a_papers_report_takes_its_own_claims_only(tmp_path):
    _write(_metrics([0.96, 0.98]), run_file(tmp_path, "szt-tanh", "metrics"))
    with pytest.raises(ValueError, match="claims of other papers given: .'rip/fig1:score'"):
        report.write(["rip/fig1:score"], tmp_path, paper="survey")
    with pytest.raises(ValueError, match="paper must be one of rip, survey"):
        report.write(["rip/fig1:score"], tmp_path, paper="ripp")
    assert report.write(["rip/fig1:score"], tmp_path, paper="rip") == report.paper_files(
        tmp_path, "rip")
