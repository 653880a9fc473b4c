"""The reproduction report: verdict rules, each claim's measure on files with known values, the
claims the config covers, the written report and the HTML report's category order."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ibrepro import provenance, report
from ibrepro.config import load_file
from ibrepro.data import build as build_dataset
from ibrepro.figures import ITEMS
from ibrepro.figures.registry import ItemInputs
from ibrepro.paths import dataset_file, mi_file, run_file
from ibrepro.report.goldfeld import SMALL_BINS
from ibrepro.report.lorenzen import more_bins_more_information
from ibrepro.report.registry import AtLeast, Within

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
    assert results["rip/fig1:score"].verdict == "reproduced"  # |0.97 - 0.9707| <= 0.01
    assert results["rip/fig17:score-tanh"].verdict == "not reproduced"  # 0.97 vs 0.946
    assert results["rip/fig17:score-relu"].ours == pytest.approx(0.91)
    assert results["rip/fig17:score-relu"].verdict == "not reproduced"


def test_compression_is_the_late_drop_of_the_last_hidden_layer(tmp_path):
    i_xt = np.zeros((2, 5, 6))
    i_xt[:, :, 4] = [[1, 3, 4, 3.5, 3.0], [1, 2, 2, 2, 2]]  # rep means: 1 2.5 3 2.75 2.5
    i_xt[:, :, 5] = [0, 9, 0, 0, 0]  # the output layer's drop must not count
    _write(_mi(i_xt), mi_file(tmp_path, "szt-tanh", "bin-size-0.07"))
    (result,) = report.evaluate(["rip/fig1:tanh-last-hidden-compresses"], tmp_path)
    assert result.ours == pytest.approx(0.5) and result.verdict == "reproduced"
    i_xt[:, :, 4] = np.arange(5)  # still rising: no compression
    _write(_mi(i_xt), mi_file(tmp_path, "szt-tanh", "bin-size-0.07"))
    (result,) = report.evaluate(["rip/fig1:tanh-last-hidden-compresses"], tmp_path)
    assert result.ours == 0 and result.verdict == "not reproduced"


@pytest.mark.parametrize("units, value, verdict", [
    ("bits", 12.0, "reproduced"), ("nats", math.log(4096), "reproduced"),
    ("bits", 11.5, "not reproduced"), ("bits", float("nan"), "not measured")])
def test_goldfeld_limit_is_the_first_layer_in_nats(tmp_path, units, value, verdict):
    i_xt = np.full((2, 3, 6), 5.0)
    i_xt[:, -1, 0] = value
    _write(_mi(i_xt, units), mi_file(tmp_path, "szt-tanh", SMALL_BINS))
    (result,) = report.evaluate(["goldfeld/fig1:small-bin-limit"], tmp_path)
    factor = math.log(2) if units == "bits" else 1.0
    assert result.ours == pytest.approx(value * factor, nan_ok=True)
    assert result.claim.paper == pytest.approx(8.318, abs=5e-4)
    assert result.verdict == verdict


def test_table1_szt_claims_match_an_independent_count(tmp_path, dataset_spec):
    data = build_dataset("szt", {"name": "szt", **dataset_spec("szt")})
    _write(data, dataset_file(tmp_path, "szt"))
    train = data["split"].values == "train"
    counts = np.bincount(data["y"].values[train])
    p = counts / counts.sum()
    h_y = float(-(p * np.log2(p)).sum())  # all 4096 inputs distinct: I(X;Y) = H(Y)
    results = {r.claim.id: r for r in report.evaluate(
        ["rip/table1:szt-train-hx", "rip/table1:szt-train-ixy"], tmp_path)}
    assert results["rip/table1:szt-train-hx"].ours == pytest.approx(np.log2(train.sum()))
    assert results["rip/table1:szt-train-ixy"].ours == pytest.approx(h_y)
    assert results["rip/table1:szt-train-hx"].verdict == "reproduced"


def test_missing_inputs_are_named_before_anything_is_measured(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"mi/szt-tanh/{SMALL_BINS}.nc"):
        report.evaluate(["rip/fig1:score", "goldfeld/fig1:small-bin-limit"], tmp_path)


def test_the_shipped_config_covers_every_claim_and_dropping_an_input_drops_its_claims():
    spec = load_file(REPO / "config.yaml", scale="quick")
    assert report.configured(spec.experiments, spec.estimators, spec.datasets) == list(
        report.CLAIMS)
    estimators = {k: v for k, v in spec.estimators.items() if k != SMALL_BINS}
    kept = report.configured(spec.experiments, estimators, spec.datasets)
    assert set(report.CLAIMS) - set(kept) == {"goldfeld/fig1:small-bin-limit"}


def test_claims_name_catalogue_items_and_rip_table1_has_all_four_numbers():
    for claim in report.CLAIMS.values():
        paper, _ = claim.item.split("/")
        assert paper in report.PAPERS and claim.item.count("/") == 1
    table1 = [c.paper for c in report.CLAIMS.values() if c.item == "rip/table1"]
    assert table1 == pytest.approx([11.677719641641012, 0.9976734295143714,
                                    10.550746785383243, 1.5849625007211579])


def test_report_lists_paper_ours_and_verdict_with_provenance(tmp_path):
    _write(_metrics([0.97, 0.97]), run_file(tmp_path, "szt-tanh", "metrics"))
    _write(_metrics([0.937, 0.937]), run_file(tmp_path, "szt-relu", "metrics"))
    i_xt = np.full((2, 3, 6), 12.0)
    _write(_mi(i_xt), mi_file(tmp_path, "szt-tanh", SMALL_BINS))
    ids = ["goldfeld/fig1:small-bin-limit", "rip/fig1:score", "rip/fig17:score-relu",
           "rip/fig17:score-tanh"]
    md, = (p for p in report.write(ids, tmp_path) if p.suffix == ".md")
    assert md == report.report_file(tmp_path)
    text = md.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ")][2:]
    assert all(row.count("|") == 7 for row in rows)  # six cells: no stray pipes
    assert [row.split(" | ")[0] for row in rows] == ["| rip/fig1", "| rip/fig17", "| rip/fig17",
                                                     "| goldfeld/fig1"]  # FIGURES.md order
    assert "| rip/fig1 | final test accuracy, tanh SZT net (szt-tanh) | 0.9707 | 0.97 |" in text
    assert text.count("| reproduced |") == 3 and text.count("| not reproduced |") == 1
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
