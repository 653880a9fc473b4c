"""The survey's claims (CLAIMS.md #24-32): each measure on small hand-made files or inputs with
values worked out by hand (or by scipy), its verdict, and the statements they cover."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats as scipy_stats

from ibrepro import report
from ibrepro.ib.neuron import BIN_SIZE
from ibrepro.papers import CLAIMS
from ibrepro.papers.survey import claims
from ibrepro.papers.survey.claims import largest_fall, rank_correlation, rise_and_fall
from ibrepro.papers.survey.linear_teacher import Student
from ibrepro.train.experiment import gradient_statistics
from ibrepro.train.writer import ActivationWriter

EPOCHS = np.array([0, 100, 400, 1000, 8000])
# the last hidden layer (index 4) of three repetitions peaks at epochs 400, 100 and 1000; the
# repetition mean [0, 2, 3, 3, 2] peaks at 400 (3 bits) and ends 1/3 lower
LAST_HIDDEN = [[0, 1, 4, 3, 2], [0, 4, 3, 2, 2], [0, 1, 2, 4, 2]]


def _mi(i_xt, epochs=EPOCHS) -> xr.Dataset:
    i_xt = np.asarray(i_xt, dtype=float)
    reps, _, layers = i_xt.shape
    names = [f"tanh {k}" for k in range(1, layers)] + ["softmax"]
    dims = ("rep", "epoch", "layer")
    return xr.Dataset({"I_XT": (dims, i_xt), "I_TY": (dims, i_xt / 10)},
                      coords={"rep": np.arange(reps), "epoch": epochs,
                              "layer": np.arange(1, layers + 1), "layer_name": ("layer", names)},
                      attrs={"units": "bits"})


def _tanh_mi() -> xr.Dataset:
    i_xt = np.zeros((3, len(EPOCHS), 6))
    i_xt[:, :, 4] = LAST_HIDDEN
    return _mi(i_xt)


def _metrics(test_accuracy) -> xr.Dataset:
    """Test accuracy ``(rep, epoch)`` as given (a list of finals: 3 epochs ending there)."""
    test = np.asarray(test_accuracy, dtype=float)
    if test.ndim == 1:
        test = np.repeat(test[:, None], 3, axis=1)
    accuracy = np.stack([np.ones_like(test), test], axis=-1)
    dims = ("rep", "epoch", "split")
    return xr.Dataset({"accuracy": (dims, accuracy), "loss": (dims, 1 - accuracy)},
                      coords={"rep": np.arange(len(test)), "epoch": np.arange(test.shape[1]),
                              "split": ["train", "test"]})


def _evaluate(tmp_path, claim_id: str, files: dict) -> report.Result:
    """Write the claim's declared inputs from ``files`` (name -> Dataset) and measure it."""
    for name, path in CLAIMS[claim_id].input_paths(tmp_path).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        files[name].to_netcdf(path, engine="netcdf4")
    (result,) = report.evaluate([claim_id], tmp_path)
    return result


def test_the_claims_cover_statements_24_to_32():
    survey = [c for c in CLAIMS.values() if c.paper_key == "survey"]
    assert {n for c in survey for n in c.statements} == set(range(24, 33))
    assert all(c.source and c.statements for c in survey)
    assert [c.id for c in survey if c.not_measurable] == [
        "survey/linear-teacher:compresses-without-generalising"]
    assert "survey/snr:regime-change" not in CLAIMS  # test_report.py's stand-in claim


def test_rank_correlation_leaves_out_nan_pairs_and_ranks_inf_last():
    x = [1, 2, 3, 4, 5, 6]
    y = [np.inf, 60, np.nan, 55, 30, 20]
    expected = scipy_stats.spearmanr([1, 2, 4, 5, 6], [1e9, 60, 55, 30, 20]).statistic
    assert rank_correlation(x, y) == pytest.approx(expected)
    assert math.isnan(rank_correlation([1, 2, 3], [1, np.nan, 2]))  # two pairs left
    assert math.isnan(rank_correlation([1, 2, 3], [5, 5, 5]))


# ---- #24, #25 -------------------------------------------------------------------------------

def test_last_hidden_layer_peaks_per_repetition_and_falls(tmp_path):
    files = {"mi/szt-tanh/bin-size-0.07": _tanh_mi()}
    peak = _evaluate(tmp_path, "survey/ip-inits:last-hidden-peak-epoch", files)
    assert sorted(peak.measured.samples) == [100, 400, 1000]
    # linear percentiles of 100, 400, 1000: 100 + 0.05 x 300 and 400 + 0.95 x 600
    assert peak.measured.spread() == pytest.approx((115, 970))
    assert peak.verdict == "reproduced"
    falls = _evaluate(tmp_path, "survey/ip-inits:last-hidden-falls", files)
    assert falls.ours == pytest.approx(1 / 3) and falls.verdict == "reproduced"
    rising = np.zeros((3, len(EPOCHS), 6))
    rising[:, :, 4] = np.arange(len(EPOCHS))  # every repetition peaks at epoch 8000
    files = {"mi/szt-tanh/bin-size-0.07": _mi(rising)}
    assert _evaluate(tmp_path, "survey/ip-inits:last-hidden-peak-epoch",
                     files).verdict == "not reproduced"
    falls = _evaluate(tmp_path, "survey/ip-inits:last-hidden-falls", files)
    assert falls.ours == 0 and falls.verdict == "not reproduced"


@pytest.mark.parametrize(("snr", "expected", "verdict"), [
    ([5, 0.5, 0.5, 0.5], 0.0, "reproduced"),  # below 1 from epoch 400, the I(X;T) peak
    ([5, 2, 0.5, 0.5], math.log2(1001 / 401), "not reproduced"),  # from 1000
    ([0.5, 0.5, 0.5, 0.5], math.log2(101 / 401), "not reproduced"),  # from 100
    ([5, 0.5, 0.5, 2], math.inf, "not reproduced")])  # ends above 1: no regime change
def test_drift_end_against_the_compression_start(tmp_path, snr, expected, verdict):
    stats = np.ones((3, len(EPOCHS), 3, 6))  # (rep, snapshot, statistic, layer): SNR 1
    stats[:, 1:, 0, 4] = snr  # ||mean|| of the last hidden layer; ||std|| = ||W|| = 1
    metrics = _metrics(np.full((3, 3), 0.9)).merge(gradient_statistics(stats, EPOCHS))
    result = _evaluate(tmp_path, "survey/snr:drift-ends-at-compression",
                       {"mi/szt-tanh/bin-size-0.07": _tanh_mi(), "metrics/szt-tanh": metrics})
    assert result.ours == pytest.approx(expected) and result.verdict == verdict


# ---- #26: the depth sweep --------------------------------------------------------------------

SWEEP_EPOCHS = np.array([0, 10, 20, 40, 80, 160])
# per depth, each layer's snapshot index where its I(X;T) steps down to half of its peak (at
# index 1, epoch 10), None: keeps rising; compression length = SWEEP_EPOCHS[q] - 10
STEPS = {1: [5, None], 2: [5, 4, None], 3: [5, 4, 3, None], 4: [4, 5, 3, 2, None],
         5: [None] * 6, 6: [3, 3, 2, 2, 2, None, None]}
LENGTHS = {1: [150], 2: [150, 70], 3: [150, 70, 30], 4: [70, 150, 30, 10], 5: [],
           6: [30, 30, 10, 10, 10]}
TO_GOOD = {1: None, 2: 60, 3: 50, 4: 55, 5: 30, 6: 20}  # epoch test accuracy reaches 1


def _sweep_files() -> dict:
    files = {}
    for depth, steps in STEPS.items():
        i_xt = np.empty((len(SWEEP_EPOCHS), len(steps)))
        for layer, step in enumerate(steps):
            i_xt[:, layer] = np.arange(1.0, 7.0) if step is None else [5, 10, 10, 10, 10, 10]
            if step is not None:
                i_xt[step:, layer] = 5.0
        files[f"mi/szt-depth-{depth}/bin-size-0.07"] = _mi(np.stack([i_xt, i_xt]), SWEEP_EPOCHS)
        accuracy = np.full((2, 101), 0.9)  # depth 1: never within 0.95 of the best (1.0)
        if TO_GOOD[depth] is not None:
            accuracy[:, :TO_GOOD[depth]], accuracy[:, TO_GOOD[depth]:] = 0.5, 1.0
        files[f"metrics/szt-depth-{depth}"] = _metrics(accuracy)
    return files


def test_depth_sweep_trends(tmp_path):
    files = _sweep_files()
    epochs = _evaluate(tmp_path, "survey/hidden-layers:fewer-epochs-to-generalise", files)
    expected = scipy_stats.spearmanr(range(1, 7), [1e9, 60, 50, 55, 30, 20]).statistic
    assert epochs.ours == pytest.approx(expected) and epochs.verdict == "reproduced"
    shorter = _evaluate(tmp_path, "survey/hidden-layers:shorter-compression", files)
    means = [np.mean(LENGTHS[d]) for d in (1, 2, 3, 4, 6)]  # depth 5 does not compress
    assert shorter.ours == pytest.approx(scipy_stats.spearmanr([1, 2, 3, 4, 6], means).statistic)
    assert shorter.ours == pytest.approx(-1.0) and shorter.verdict == "reproduced"
    faster = _evaluate(tmp_path, "survey/hidden-layers:faster-near-output", files)
    per_net = [scipy_stats.spearmanr(range(len(LENGTHS[d])), LENGTHS[d]).statistic
               for d in (3, 4, 6)]  # 3 compressing layers or more
    assert per_net[:2] == pytest.approx([-1.0, -0.8])
    assert faster.ours == pytest.approx(np.mean(per_net)) and faster.verdict == "reproduced"
    assert np.isnan(faster.measured.samples).sum() == 3  # depths 1, 2 and 5


# ---- #27: the single neuron ------------------------------------------------------------------

def test_rise_and_fall_and_largest_fall():
    assert rise_and_fall(np.array([1.0, 3.0, 4.0, 2.0])) == pytest.approx(0.5)  # min(3, 2) / 4
    assert rise_and_fall(np.array([4.0, 3.0, 2.0])) == 0  # no rise
    assert rise_and_fall(np.array([1.0, 2.0, 3.0])) == 0  # no fall
    assert largest_fall(np.array([1.0, 3.0, 2.0, 5.0, 4.5])) == pytest.approx(1.0)
    assert largest_fall(np.array([1.0, 1.0, 2.0])) == 0


def test_single_neuron_claims_from_the_closed_form(tmp_path):
    results = {r.claim.id: r for r in report.evaluate(
        ["survey/single-neuron:tanh-rises-then-falls", "survey/single-neuron:tanh-one-bit",
         "survey/single-neuron:relu-monotone"], tmp_path)}
    assert all(r.verdict == "reproduced" for r in results.values())
    # tanh(1e4 x) binned, on 2 million midpoints of [-1, 1]: the plug-in entropy
    x = (np.arange(2_000_000) + 0.5) / 1_000_000 - 1
    bins = np.minimum(np.floor(np.tanh(1e4 * x) / BIN_SIZE), 14)  # tanh rounds to 1: bin 14
    _, counts = np.unique(bins, return_counts=True)
    p = counts / counts.sum()
    limit = results["survey/single-neuron:tanh-one-bit"].ours
    assert limit == pytest.approx(-(p * np.log2(p)).sum(), abs=1e-4)
    assert 1 < limit < 1.01
    assert results["survey/single-neuron:relu-monotone"].ours == 0


# ---- #28-#30: relu, tanh against relu, SGD against full-batch GD -----------------------------

def _layers(compresses) -> np.ndarray:
    """(rep, epoch, layer) of 2 reps: a compressing layer 0, 10, 5; the others 0, 5, 10."""
    i_xt = np.array([[0, 10, 5] if c else [0, 5, 10] for c in compresses], dtype=float).T
    return np.stack([i_xt, i_xt])


@pytest.mark.parametrize(("last", "verdict"), [(9.6, "reproduced"), (9.0, "not reproduced")])
def test_relu_hidden_layers_do_not_compress(tmp_path, last, verdict):
    i_xt = np.broadcast_to(np.array([0.0, 10.0, 10.0])[:, None], (2, 3, 6)).copy()
    i_xt[:, -1, 2] = last  # layer 3 ends 4% (or 10%) below its peak
    i_xt[:, -1, 5] = 1.0  # the softmax's 90% drop does not count
    result = _evaluate(tmp_path, "survey/sgd-vs-bgd:relu-does-not-compress",
                       {"mi/szt-relu/bin-size-0.07": _mi(i_xt, EPOCHS[:3])})
    assert result.ours == pytest.approx(1 - last / 10) and result.verdict == verdict


def test_tanh_and_relu_accuracies(tmp_path):
    files = {"metrics/szt-tanh": _metrics([0.96, 0.98]), "metrics/szt-relu": _metrics([0.955,
                                                                                       0.965])}
    result = _evaluate(tmp_path, "survey/sgd-vs-bgd:tanh-relu-generalise-alike", files)
    assert result.ours == pytest.approx(0.01) and result.verdict == "reproduced"
    files["metrics/szt-relu"] = _metrics([0.93, 0.95])
    result = _evaluate(tmp_path, "survey/sgd-vs-bgd:tanh-relu-generalise-alike", files)
    assert result.ours == pytest.approx(0.03) and result.verdict == "not reproduced"


def test_full_batch_agreement_counts_layers(tmp_path):
    verdicts = {"szt-tanh": [1, 1, 1, 1, 1, 0], "szt-tanh-bgd": [1, 1, 1, 1, 0, 0],
                "szt-relu": [0] * 6, "szt-relu-bgd": [0] * 6}
    files = {f"mi/{e}/bin-size-0.07": _mi(_layers(v), EPOCHS[:3]) for e, v in verdicts.items()}
    result = _evaluate(tmp_path, "survey/sgd-vs-bgd:full-batch-like-sgd", files)
    assert result.ours == pytest.approx(11 / 12) and result.verdict == "reproduced"
    files["mi/szt-relu-bgd/bin-size-0.07"] = _mi(_layers([1, 1, 0, 0, 0, 0]), EPOCHS[:3])
    result = _evaluate(tmp_path, "survey/sgd-vs-bgd:full-batch-like-sgd", files)
    assert result.ours == pytest.approx(9 / 12) and result.verdict == "not reproduced"


# ---- #31: the linear students ----------------------------------------------------------------

def _student(test_error, i_xt) -> Student:
    test_error, i_xt = np.asarray(test_error, float), np.asarray(i_xt, float)
    return Student(np.arange(3), test_error, test_error, i_xt, i_xt / 2)


# A generalises (0.4 <= 0.5 x 1) and overfits (0.4 >= 1.1 x 0.3), I(X;T) drops 10%; B only
# generalises, no drop; C does neither (0.95 < 1.1 x 0.9), I(X;T) drops 80%
STUDENTS = {"A": _student([1.0, 0.3, 0.4], [1, 3, 2.7]), "B": _student([1.0, 0.2, 0.2], [1, 2, 3]),
            "C": _student([1.0, 0.9, 0.95], [1, 5, 1])}


@pytest.mark.parametrize(("students", "generalising", "overfitting"), [
    ("ABC", 0.1, 0.1), ("BC", 0.0, math.nan)])
def test_student_selection(monkeypatch, students, generalising, overfitting):
    monkeypatch.setattr(claims, "STUDENTS", tuple(students))
    monkeypatch.setattr(claims, "train_student", STUDENTS.__getitem__)
    assert claims.students_compression(claims.generalises)(None) == pytest.approx(generalising)
    assert claims.students_compression(claims.overfits)(None) == pytest.approx(overfitting,
                                                                                nan_ok=True)


def test_the_linear_students_never_compress(tmp_path):
    results = report.evaluate(["survey/linear-teacher:generalises-without-compression",
                               "survey/linear-teacher:overfits-without-compression"], tmp_path)
    assert [r.verdict for r in results] == ["reproduced", "reproduced"]
    assert all(r.ours < 1e-9 for r in results)


# ---- #32: the boolean net's partition ------------------------------------------------------

def test_cells_and_their_purity(tmp_path):
    """Layer widths 1, 2, 1 (the 2-unit layer is second to last), 8 samples, eps 0.5. Last
    epoch, rep 0: samples 0-3 in cell (0, 0) (labels 0, 0, 0, 1), 4-7 in (1, 1) (all 1): 2
    cells, 7 of 8 in their majority; rep 1: 0-1 in (-2, -2) (0, 0), 2-5 in (0, 0) (0, 1, 1,
    1), 6-7 in (1, 1) (1, 1): 3 cells, 7 of 8."""
    values = np.zeros((2, 2, 8, 4), "f4")  # (rep, epoch, sample, unit)
    values[0, 1, 4:, 1:3] = 0.75
    values[1, 1, :2, 1:3], values[1, 1, 2:6, 1:3], values[1, 1, 6:, 1:3] = -0.75, 0.1, 0.75
    claim = CLAIMS["survey/boolean-partition:cells"]
    path = claim.input_paths(tmp_path)["activations/boolean-tanh"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with ActivationWriter.create(path, repetitions=2, epochs=[0, 1], layer_widths=[1, 2, 1],
                                 layer_names=["tanh 1", "tanh 2", "softmax"],
                                 labels=np.array([0, 0, 0, 1, 1, 1, 1, 1]),
                                 split=np.array(["train"] * 6 + ["test"] * 2),
                                 attrs={}) as writer:
        for epoch in range(2):
            writer.write(epoch, values[:, epoch])
    cells, purity = report.evaluate(["survey/boolean-partition:cells",
                                     "survey/boolean-partition:far-from-homogeneous"], tmp_path)
    assert list(cells.measured.samples) == [2, 3] and cells.verdict == "not reproduced"
    assert list(purity.measured.samples) == [7 / 8, 7 / 8]
    assert purity.verdict == "not reproduced"  # 0.875 > 0.8: not far from homogeneous
