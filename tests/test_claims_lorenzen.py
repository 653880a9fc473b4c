"""Lorenzen et al.'s claims (CLAIMS.md #33-54): the plane quantities (``lorenzen.quantities``)
and each claim's measure on hand-made MI, metrics and data files whose answer is worked out
by hand in the test, then every lorenzen claim on files shaped as the quick scale's."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ibrepro import report
from ibrepro.config import load_file
from ibrepro.figures.plane import Plane
from ibrepro.figures.registry import ItemInputs
from ibrepro.papers import CLAIMS
from ibrepro.papers.lorenzen.claims import RISE_EPOCH, SZT_RUNS, WINDOW
from ibrepro.papers.lorenzen.quantities import (
    at_bound,
    change_after,
    distinguishable_layers,
    fraction_not_below,
    largest_fall,
    layer_falls,
    low_variance_where_high,
    phases,
    plane_distance,
    relative_change,
    upper_bounds,
)
from ibrepro.papers.lorenzen.runs import APP_A, MNIST_DATASET, SZT_DATASET, qnn
from ibrepro.paths import dataset_file, mi_file, run_file
from ibrepro.spec import Experiment
from ibrepro.train.experiment import layer_names
from ibrepro.train.schedule import recorded_epochs

REPO = Path(__file__).resolve().parents[1]
EXACT, FLOAT = "exact-quantized", "bin-count-32bit"
TANH8, RELU8 = qnn("tanh", 8), qnn("relu", 8)
TANH_FLOAT, RELU_FLOAT = (experiment for experiment, _ in APP_A.values())


def _plane(i_xt, i_ty=None, epochs=None) -> Plane:
    i_xt = np.asarray(i_xt, dtype=float)
    i_ty = np.zeros_like(i_xt) if i_ty is None else np.asarray(i_ty, dtype=float)
    epochs = np.arange(len(i_xt)) if epochs is None else np.asarray(epochs)
    return Plane(i_xt, i_ty, epochs, [f"T{k}" for k in range(i_xt.shape[1])], "bits", 1)


# ---- the quantities ----

def test_relative_change_is_relative_to_the_larger_value():
    assert float(relative_change(2.0, 3.0)) == pytest.approx(1 / 3)
    assert float(relative_change(3.0, 2.0)) == pytest.approx(-1 / 3)
    assert float(relative_change(0.0, 0.0)) == 0.0
    assert math.isnan(float(relative_change(np.nan, 1.0)))


def test_phases_is_the_smaller_of_rise_and_drop():
    # columns: up 2 -> 4, down to 3 (rise 1/2, drop 1/4); only rising; peak at the start
    i_xt = np.array([[2.0, 1.0, 4.0], [4.0, 2.0, 3.0], [3.0, 4.0, 2.0]])
    np.testing.assert_allclose(phases(i_xt), [0.25, 0.0, 0.0])


def test_change_after_an_epoch_takes_the_snapshot_at_or_before_it():
    epochs = np.array([0, 1000, 1800, 2000, 3000])
    curve = np.array([1.0, 2.0, 3.0, 3.0, 4.0])
    assert change_after(curve, epochs, 1800) == pytest.approx(0.25)  # 3 -> 4, of 4
    assert change_after(curve, epochs, 1900) == pytest.approx(0.25)
    assert change_after(curve, epochs, 1500) == pytest.approx(0.5)  # 2 -> 4
    assert math.isnan(change_after(curve, epochs, 3000))  # nothing after it
    assert math.isnan(change_after(curve, epochs[:2], 1800))


def test_largest_fall_stays_inside_the_window():
    epochs = np.array([0, 500, 1000, 1200, 1500, 2000, 2500])
    curve = np.array([[0, 1], [1, 1], [10, 1], [8, 1], [9, 1], [6, 1], [1, 1]], dtype=float)
    # inside 1000-2000: 10, 8, 9, 6: the largest fall 10 -> 6 (not 10 -> 1, after it)
    np.testing.assert_allclose(largest_fall(curve, epochs, 1000, 2000), [0.4, 0.0])
    assert np.isnan(largest_fall(curve, epochs, 2100, 2400)).all()  # no snapshot inside


def test_layer_falls_from_each_layer_to_the_next():
    np.testing.assert_allclose(layer_falls(np.array([[12.0, 12.0, 9.0, 10.0]])),
                               [[0.0, 0.25, -0.1]])


def test_upper_bounds_and_the_layers_at_them():
    np.testing.assert_allclose(upper_bounds(12.0, [10, 7, 3, 2], 8), [12, 12, 12, 8])
    np.testing.assert_allclose(upper_bounds(12.0, [10, 1, 3], 4), [12, 4, 8])
    i_xt = np.array([[12.0, 12.0, 8.0], [11.9, 11.8, 8.0]])  # 99% of 12: 11.88
    np.testing.assert_array_equal(at_bound(i_xt, [12.0, 12.0, 8.0]), [True, False, True])


def test_fraction_not_below_counts_both_estimates():
    high = _plane([[1.0, 2.0], [3.0, 4.0]])
    low = _plane([[1.0, 3.0], [2.0, 4.0]])  # I(X;T): 3 of 4 at least; I(T;Y) equal: 4 of 4
    assert fraction_not_below([(high, low)]) == pytest.approx(7 / 8)
    high[0][0, 0] = 0.5  # now below at 2 of 4 I(X;T) points
    assert fraction_not_below([(high, low), (low, high)]) == pytest.approx(13 / 16)
    with pytest.raises(ValueError, match="same epochs"):
        fraction_not_below([(high, _plane([[1.0, 2.0]]))])


def test_plane_distance_per_layer_in_units_of_the_sides():
    a = _plane([[0.0, 5.0], [0.0, 5.0]])
    b = _plane([[3.0, 5.0], [0.0, 5.0]], [[0.4, 0.0], [0.0, 0.0]])
    # layer 0: (0.3, 0.4) apart at epoch 0 -> 0.5, then 0: mean 0.25
    np.testing.assert_allclose(plane_distance(a, b, (10.0, 1.0)), [0.25, 0.0])


def test_distinguishable_layers_counts_steps_of_at_least_the_threshold():
    plane = _plane([[10.0, 10.0, 5.0, 5.2]] * 2)  # steps 0, 0.5, 0.02 of a side of 10
    assert distinguishable_layers(plane, (10.0, 1.0), 0.05) == 2
    assert distinguishable_layers(plane, (10.0, 1.0), 0.01) == 3


def test_low_variance_where_high_against_the_median_variance():
    # points (mean, variance): (10, 0), (9.5, 0.25), (5, 1), (2, 4); median variance 0.625
    values = np.array([[10.0, 9.0, 4.0, 0.0], [10.0, 10.0, 6.0, 4.0]])[:, None, :]
    assert low_variance_where_high(values, 0.9) == 1.0  # the two at least 9: 0 and 0.25
    values[:, 0, 1] = [8.0, 11.0]  # variance 2.25: the median becomes 1.625
    assert low_variance_where_high(values, 0.9) == 0.5


# ---- the claims' measures on hand-made files ----

def _write(ds: xr.Dataset, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(path, engine="netcdf4")


def _mi(root, experiment, estimator, i_xt, i_ty=None, epochs=None) -> None:
    """An MI file: ``i_xt`` ``(epoch, layer)`` (every repetition alike) or ``(rep, ...)``."""
    i_xt = np.asarray(i_xt, dtype=float)
    i_xt = i_xt[None] if i_xt.ndim == 2 else i_xt
    i_ty = np.zeros_like(i_xt) if i_ty is None else np.broadcast_to(i_ty, i_xt.shape)
    reps, n_epochs, layers = i_xt.shape
    epochs = np.arange(n_epochs) if epochs is None else np.asarray(epochs)
    dims = ("rep", "epoch", "layer")
    _write(xr.Dataset({"I_XT": (dims, i_xt), "I_TY": (dims, np.array(i_ty, dtype=float))},
                      coords={"rep": np.arange(reps), "epoch": epochs,
                              "layer": np.arange(1, layers + 1),
                              "layer_name": ("layer", [f"T{k}" for k in range(1, layers + 1)])},
                      attrs={"units": "bits"}),
           mi_file(root, experiment, estimator))


def _metrics(root, experiment, test, *, train=None, restarts=None, spec=None) -> None:
    """A metrics file: test accuracy ``(rep, epoch)`` as given, train accuracy (default 1)."""
    test = np.asarray(test, dtype=float)
    acc = np.stack([np.ones_like(test) if train is None else train, test], axis=-1)
    dims = ("rep", "epoch", "split")
    attrs = {"spec": json.dumps(spec or {})}
    if restarts is not None:
        attrs["restarts"] = json.dumps(restarts)
    _write(xr.Dataset({"accuracy": (dims, acc), "loss": (dims, 1 - acc)},
                      coords={"rep": np.arange(len(test)), "epoch": np.arange(test.shape[1]),
                              "split": ["train", "test"]}, attrs=attrs),
           run_file(root, experiment, "metrics"))


def _data(root, name: str, samples: int = 8) -> None:
    """``samples`` distinct inputs, two balanced classes: H(X) = log2 samples, H(Y) = 1 bit."""
    x = np.arange(samples, dtype=np.float32)[:, None]
    _write(xr.Dataset({"x": (("sample", "feature"), x), "y": ("sample", np.arange(samples) % 2),
                       "split": ("sample", np.array(["train"] * samples))}),
           dataset_file(root, name))


def _measure(claim_id: str, root) -> float:
    claim = CLAIMS[claim_id]
    with ItemInputs(claim.id, claim.input_paths(root)) as inputs:
        return float(claim.ours(inputs))


def _layers(*curves) -> np.ndarray:
    """``(epoch, layer)`` from one curve over the epochs per layer."""
    return np.array(curves, dtype=float).T


def test_tanh_phases_and_trivial_layers(tmp_path):
    _data(tmp_path, SZT_DATASET)  # H(X) = 3 bits: every layer's bound (softmax: min(3, 8))
    trivial = [3.0, 3.0, 3.0]
    _mi(tmp_path, TANH8, EXACT, _layers(trivial, trivial, trivial, trivial,
                                        [1.0, 2.0, 1.8],     # rise 1/2, drop 1/10
                                        [0.5, 2.0, 1.0]))    # rise 3/4, drop 1/2
    assert _measure("lorenzen/fig2:softmax-fits-then-compresses", tmp_path) == pytest.approx(0.5)
    assert _measure("lorenzen/fig2:last-hidden-fits-then-compresses",
                    tmp_path) == pytest.approx(0.1)
    assert _measure("lorenzen/fig2:trivial-but-last-two", tmp_path) == 1.0
    _mi(tmp_path, TANH8, EXACT, _layers(trivial, trivial, trivial, [3.0, 2.9, 3.0],
                                        trivial, [0.5, 2.0, 1.0]))  # T4 not, T5 trivial
    assert _measure("lorenzen/fig2:trivial-but-last-two", tmp_path) == pytest.approx(4 / 6)


def test_relu_compression_late_rise_and_bounds(tmp_path):
    _data(tmp_path, SZT_DATASET)
    epochs = [0, RISE_EPOCH, 8000]
    _mi(tmp_path, RELU8, EXACT, _layers([1.0, 2.0, 2.7],    # 0.9 of its bound, 3 bits
                                        [1.0, 2.0, 1.9],    # drop 0.05
                                        [1.0, 1.0, 1.0],
                                        [1.0, 1.5, 1.2],    # drop 0.2: the largest hidden one
                                        [1.0, 1.2, 1.5],    # 1.2 -> 1.5 after epoch 1800
                                        [0.5, 2.0, 1.0]),   # drop 0.5, but the output
        epochs=epochs)
    assert _measure("lorenzen/fig3:hidden-no-compression", tmp_path) == pytest.approx(0.2)
    assert _measure("lorenzen/fig3:late-rise", tmp_path) == pytest.approx(0.3 / 1.5)
    assert _measure("lorenzen/fig3:below-bound", tmp_path) == pytest.approx(0.9)
    _mi(tmp_path, RELU8, EXACT, np.ones((3, 6)), epochs=[0, 50, 100])  # a quick-scale run
    assert math.isnan(_measure("lorenzen/fig3:late-rise", tmp_path))


def test_exact_against_binned_planes(tmp_path):
    _data(tmp_path, SZT_DATASET)  # sides H(X) = 3, H(Y) = 1 bit
    base = np.full((2, 6), 2.0)
    binned = base.copy()
    binned[0, 2] -= 0.9  # layer 2 at epoch 0: (0.3, 0.4) of the sides apart -> 0.5, mean 0.25
    binned_ty = np.zeros_like(base)
    binned_ty[0, 2] = -0.4
    _mi(tmp_path, TANH8, EXACT, base)
    _mi(tmp_path, TANH_FLOAT, "bin-count-256-global", binned, binned_ty)
    assert _measure("lorenzen/fig2:like-256-bins", tmp_path) == pytest.approx(0.25)
    _mi(tmp_path, TANH8, EXACT, base, base)
    # 48 points (2 nets x 2 estimates x 2 epochs x 6 layers); binned above exact at 3 + 1
    above = base - 0.1
    above[0, :3] = 2.5
    _mi(tmp_path, TANH_FLOAT, "bin-count-256-global", above, base - 0.1)
    relu_ty = base - 0.1
    relu_ty[1, 5] = 2.1
    _mi(tmp_path, RELU8, EXACT, base, base)
    _mi(tmp_path, RELU_FLOAT, "bin-count-256-global", base - 0.1, relu_ty)
    assert _measure("lorenzen/fig2:exact-above-binned", tmp_path) == pytest.approx(44 / 48)


def test_precision_claims(tmp_path):
    _data(tmp_path, SZT_DATASET)
    _mi(tmp_path, qnn("tanh", 32), FLOAT, [[12.0] * 5 + [11.4]] * 2)  # softmax falls 0.05
    _mi(tmp_path, qnn("relu", 32), FLOAT, [[12.0, 12.0, 12.0, 11.0, 11.0, 11.0],  # 1/12
                                           [10.0, 11.0, 12.0, 12.0, 12.0, 12.0]])
    assert _measure("lorenzen/figC11:little-loss-between-layers",
                    tmp_path) == pytest.approx(1 / 12)
    # distinguishable: 8 bits T1-T4 at 3 bits, then 1, 0.5: steps 0, 0, 0, 2/3, 1/6 -> 3;
    # 4 bits 3, 3, 2, 1.9, 1, 0.5: steps 0, 1/3, 1/30 (under 0.05), 0.3, 1/6 -> 4
    _mi(tmp_path, TANH8, EXACT, [[3.0, 3.0, 3.0, 3.0, 1.0, 0.5]] * 2)
    _mi(tmp_path, qnn("tanh", 4), EXACT, [[3.0, 3.0, 2.0, 1.9, 1.0, 0.5]] * 2)
    assert _measure("lorenzen/figC10:4bit-more-distinguishable", tmp_path) == 1.0
    # 4 bits above 8 bits at 2 of TANH's 12 I(X;T) points, the other 46 of 48 not below
    _mi(tmp_path, RELU8, EXACT, np.ones((2, 6)))
    _mi(tmp_path, qnn("relu", 4), EXACT, np.ones((2, 6)))
    _mi(tmp_path, qnn("tanh", 4), EXACT, [[3.0, 3.0, 3.0, 3.0, 1.0, 0.6],
                                          [3.0, 3.0, 3.0, 3.0, 1.1, 0.5]])
    assert _measure("lorenzen/figC10:4bit-lower-mi", tmp_path) == pytest.approx(46 / 48)
    for bits, final in ((4, [0.90, 0.86]), (32, [0.95, 0.97])):
        _metrics(tmp_path, qnn("tanh", bits), [[0.5, final[0]], [0.5, final[1]]])
    assert _measure("lorenzen/figF14:4bit-fits-worse", tmp_path) == pytest.approx(0.88 - 0.96)


def test_binning_claims_of_app_a(tmp_path):
    # tanh, 30 bins: layers with both phases (smaller: 0.1) but one whose drop is 0.04
    layers = [[1.0, 2.0, 1.8]] * 5 + [[1.0, 2.5, 2.4]]
    _mi(tmp_path, TANH_FLOAT, "bin-count-30-global", _layers(*layers))
    assert _measure("lorenzen/figA5:two-phases-30-bins", tmp_path) == pytest.approx(0.04)
    # relu, 100 bins: the softmax drops 1/4, the hidden layers at most 1/10
    layers = [[1.0, 2.0, 2.0]] * 4 + [[1.0, 2.0, 1.8], [1.0, 2.0, 1.5]]
    _mi(tmp_path, RELU_FLOAT, "bin-count-100-global", _layers(*layers))
    assert _measure("lorenzen/figA6:no-compression-100-bins", tmp_path) == pytest.approx(0.25)
    # relu, 30 bins: I(T;Y) rises from a layer to the next at epochs 1 and 3 of 4
    i_ty = np.tile(np.linspace(0.9, 0.4, 6), (4, 1))
    i_ty[1, 3] = 0.95
    i_ty[3, 5] = 0.55
    _mi(tmp_path, RELU_FLOAT, "bin-count-30-global", np.ones((4, 6)), i_ty)
    assert _measure("lorenzen/figA6:dpi-violated-30-bins", tmp_path) == 0.5
    # I(T;Y) with 30, 100, 256 bins: grows at every point but one of 24
    for bins, value in ((30, 0.1), (100, 0.2), (256, 0.3)):
        i_ty = np.full((4, 6), value)
        if bins == 256:
            i_ty[2, 4] = 0.15
        _mi(tmp_path, TANH_FLOAT, f"bin-count-{bins}-global", np.ones((4, 6)), i_ty)
    assert _measure("lorenzen/figA5:more-bins-more-label-information",
                    tmp_path) == pytest.approx(23 / 24)


def test_variance_claims_of_app_b(tmp_path):
    # one epoch, layers: (mean, variance) (10, 0), (9.5, 0.25), (5, 1), (2, 4) for I(X;T) of
    # both nets; I(T;Y) of TANH: the high-mean point of variance 2.25 above the median
    i_xt = np.array([[10.0, 9.0, 4.0, 0.0], [10.0, 10.0, 6.0, 4.0]])[:, None, :]
    i_ty = i_xt.copy()
    i_ty[:, 0, 1] = [8.0, 11.0]
    _mi(tmp_path, TANH8, EXACT, i_xt, i_ty)
    assert _measure("lorenzen/figB7:low-variance-where-mi-high", tmp_path) == 0.5
    # RELU: I(X;T) spread twice as far (variance x 4), I(T;Y) as TANH's I(X;T): mean variances
    # (0 + 0.25 + 1 + 4) / 4 against TANH's (0 + 2.25 + 1 + 4) / 4
    _mi(tmp_path, RELU8, EXACT, 2 * i_xt - i_xt.mean(axis=0), i_xt)
    assert _measure("lorenzen/figB8:relu-variance-larger", tmp_path) == pytest.approx(5.25 / 7.25)


def test_prefit_claims_of_app_d(tmp_path):
    _data(tmp_path, SZT_DATASET)  # bounds 3 bits
    epochs = [0, 5, 10, 50, 110]  # the prefit ends at epoch 10: the third snapshot
    trivial = [3.0] * 5
    _mi(tmp_path, "lorenzen-tanh-prefit", EXACT,
        _layers(trivial, trivial, trivial, trivial,
                [1.0, 1.5, 2.0, 2.0, 2.5],            # rises 1 -> 2 in the prefit: 1/2
                [1.0, 1.0, 1.02, 1.5, 2.0]), epochs=epochs)  # the output: 0.02 / 1.02
    _mi(tmp_path, "lorenzen-relu-prefit", EXACT,
        _layers([2.0, 2.2, 2.5, 2.6, 2.6],            # 1/5, the smallest rise
                *[[1.0, 1.5, 2.0, 2.0, 2.0]] * 4,
                [1.0, 0.95, 0.9, 1.2, 1.5]), epochs=epochs)  # the output: -0.1
    for activation in ("tanh", "relu"):
        _metrics(tmp_path, f"lorenzen-{activation}-prefit", np.ones((1, 111)),
                 spec={"prefit": {"epochs": 10, "label_seed": 3}})
    assert _measure("lorenzen/figD12:prefit-raises-ixt", tmp_path) == pytest.approx(0.2)
    assert _measure("lorenzen/figD12:output-still-in-prefit", tmp_path) == pytest.approx(0.1)
    _metrics(tmp_path, "lorenzen-relu-prefit", np.ones((1, 111)))  # no prefit: nothing to say
    assert math.isnan(_measure("lorenzen/figD12:output-still-in-prefit", tmp_path))


def test_mnist_claims(tmp_path):
    _metrics(tmp_path, "lorenzen-mnist-bottleneck-2",
             [[0.5, 0.8, 0.9, 0.85], [0.5, 0.9, 0.88, 0.8]],  # mean 0.5, 0.85, 0.89, 0.825
             train=np.full((2, 4), 0.99))
    assert _measure("lorenzen/figF16:bottleneck-accuracy", tmp_path) == pytest.approx(0.89)
    for name, final in (("bottleneck-4", 0.96), ("4x10", 0.93), ("conv", 0.95),
                        ("hourglass", 0.91)):
        _metrics(tmp_path, f"lorenzen-mnist-{name}", [[0.5, final], [0.5, final]])
    assert _measure("lorenzen/figF16:wide-nets-accuracy", tmp_path) == pytest.approx(0.93)
    assert _measure("lorenzen/figF16:hourglass-accuracy", tmp_path) == pytest.approx(0.91)
    # BOTTLENECK-2, hidden layers falling at least 5% between two snapshots in 1000-2000:
    # T2 (2 -> 1.8) and T4 (2 -> 1.85); T3 only before it, the softmax does not count
    epochs = [0, 500, 1000, 1500, 2000, 3000]
    bn2 = _layers([1, 2, 2, 2, 2, 2], [1, 2, 2, 1.8, 1.9, 2], [1, 3, 2, 2, 2, 2],
                  [1, 2, 2, 2, 1.85, 1], [1, 3, 3, 1, 1, 1])
    _mi(tmp_path, "lorenzen-mnist-bottleneck-2", EXACT, bn2, epochs=epochs)
    assert _measure("lorenzen/fig4:relu-compression-near-1500", tmp_path) == 2.0
    assert WINDOW == (1000, 2000)
    bn4 = bn2 + 0.5
    bn4[0, :4] = 0.5  # 4 of the 60 points below BOTTLENECK-2's (I(X;T) at epoch 0)
    _mi(tmp_path, "lorenzen-mnist-bottleneck-4", EXACT, bn4, bn2[None] * 0 + 0.1,
        epochs=epochs)
    _mi(tmp_path, "lorenzen-mnist-bottleneck-2", EXACT, bn2, np.zeros_like(bn2), epochs=epochs)
    assert _measure("lorenzen/figE13:bottleneck-4-higher-mi", tmp_path) == pytest.approx(56 / 60)
    _mi(tmp_path, "lorenzen-mnist-bottleneck-2", EXACT, bn2[:2], epochs=[0, 10])  # quick
    assert math.isnan(_measure("lorenzen/fig4:relu-compression-near-1500", tmp_path))
    # HOURGLASS: T4, T5, T6 at 1, 1.06, 1.03 bits of H(X) = 3: 0.02 and 0.01 apart
    _data(tmp_path, MNIST_DATASET)
    _mi(tmp_path, "lorenzen-mnist-hourglass", EXACT, [[3.0, 2.5, 2.0, 1.0, 1.06, 1.03, 0.5]] * 3)
    assert _measure("lorenzen/figE13:hourglass-last-three-coincide",
                    tmp_path) == pytest.approx(0.02)


def test_restarts_of_footnote_5(tmp_path):
    # 8 runs of 2 repetitions; reruns: RELU 8-bit 2, RELU 4-bit 1; one run without the attr
    for run in SZT_RUNS:
        restarts = {qnn("relu", 8): [0, 2], qnn("relu", 4): [1, 0]}.get(run, [0, 0])
        _metrics(tmp_path, run, np.ones((2, 3)),
                 restarts=None if run == qnn("tanh", 32) else restarts)
    assert _measure("lorenzen/fig3:restarts-rare", tmp_path) == pytest.approx(3 / 19)
    assert _measure("lorenzen/fig3:no-tanh-restarts", tmp_path) == 0.0
    _metrics(tmp_path, qnn("tanh", 4), np.ones((2, 3)), restarts=[1, 0])
    assert _measure("lorenzen/fig3:no-tanh-restarts", tmp_path) == 1.0
    assert _measure("lorenzen/fig3:restarts-rare", tmp_path) == pytest.approx(4 / 20)


# ---- every claim of the paper ----

LORENZEN = [c for c in CLAIMS if c.startswith("lorenzen/")]


def test_lorenzen_claims_cover_statements_33_to_54():
    covered = {n for c in LORENZEN for n in CLAIMS[c].statements}
    assert covered == set(range(33, 55))
    assert all(CLAIMS[c].statements for c in LORENZEN)


def test_app_a_reads_lorenzens_own_float_nets():
    """Issue 17.5: App. A's nets trained in Lorenzen's standard setting (Adam, lr 1e-4)."""
    spec = load_file(REPO / "config.yaml", scale="paper")
    for experiment, _ in APP_A.values():
        settings = spec.experiments[experiment]
        assert (settings["optimizer"], settings["lr"], settings["bits"]) == ("adam", 1e-4, 32)


def test_every_claim_runs_on_quick_scale_shaped_files(tmp_path):
    """Each lorenzen claim's inputs as the quick scale shapes them (its repetitions, epochs,
    snapshots and layers; random values): a number or NaN, never an error."""
    spec = load_file(REPO / "config.yaml", scale="quick")
    rng = np.random.default_rng(0)
    for name, path in report.input_paths(LORENZEN, tmp_path).items():
        kind, experiment = name.split("/")[:2]
        if kind == "data":
            _data(tmp_path, experiment, 64)
            continue
        settings = Experiment.of(spec.experiments[experiment])
        total = settings.total_epochs
        if kind == "metrics":
            _metrics(tmp_path, experiment, rng.uniform(0.4, 1, (settings.repetitions, total + 1)),
                     restarts=[0] * settings.repetitions, spec=settings.to_dict())
            continue
        epochs = recorded_epochs(total, snapshots=settings.snapshots,
                                 record_epochs=settings.record_epochs)
        shape = (settings.repetitions, len(epochs), len(layer_names(settings)))
        _mi(tmp_path, experiment, name.split("/")[2], rng.uniform(0, 6, shape),
            rng.uniform(0, 1, shape), epochs=epochs)
        assert path.is_file()
    results = report.evaluate([c for c in LORENZEN if not CLAIMS[c].not_measurable], tmp_path)
    not_measured = {r.claim.id for r in results if math.isnan(r.ours)}
    assert not_measured == {"lorenzen/fig3:late-rise", "lorenzen/fig4:relu-compression-near-1500"}
