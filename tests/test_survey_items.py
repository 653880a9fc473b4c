"""Issue 6 items without trainer changes: rip schematics (Figs. 3, 18, 19), the single neuron's
binned entropy (closed form against sampling and hand-computed cases), the IB-bound figures and
the stopping rules, each against known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from ibrepro.figures import ItemInputs, get, input_paths
from ibrepro.figures.registry import item_modules
from ibrepro.ib import Curve, curve_gap, flip_rate, least_compression, szt_curves
from ibrepro.ib.neuron import (
    BIN_SIZE,
    bin_probabilities,
    binned_entropy,
    sampled_entropy,
)
from ibrepro.papers.rip.planes import dpi_excess
from ibrepro.papers.rip.schematics import (
    CASE_BIN,
    CASES,
    binned_information,
    discretisation_error,
)
from ibrepro.papers.survey.boolean import compression_bound, partition, partition_information
from ibrepro.stopping import early_stop_epoch, perfect_stop_epoch, snapshot_at
from ibrepro.train.writer import ActivationWriter

# -- schematics -----------------------------------------------------------------------------


def test_fig3_cases_lose_what_rip_says():
    """4 equiprobable samples, 2 per class: a shared bin of two classes leaves T with masses
    (1/2, 1/4, 1/4) and H(Y|T) = 1/2; a shared bin of one class keeps I(T;Y) = 1."""
    expected = [(1.5, 0.5), (1.5, 1.0), (1.5, 1.0), (2.0, 1.0)]
    for case, (i_xt, i_ty) in zip(CASES, expected, strict=True):
        got = binned_information(case.values, case.labels, size=CASE_BIN)
        np.testing.assert_allclose(got, (i_xt, i_ty), atol=1e-12)


def test_discretisation_error_vanishes_with_the_bin_size():
    """Binned entropy + log2(size) -> h(X) of N(0, sigma^2); the error shrinks monotonically."""
    errors = [abs(discretisation_error(s)) for s in (0.4, 0.2, 0.05, 0.01)]
    assert errors == sorted(errors, reverse=True)
    assert errors[-1] < 1e-3


@pytest.mark.parametrize("item_id", ["rip/fig3", "rip/fig18", "rip/fig19"])
def test_schematics_build_without_inputs(item_id):
    assert input_paths(item_id, "unused") == {}
    fig, caption = get(item_id).build(ItemInputs(item_id, {}))
    assert fig.axes and caption.startswith(f"rip Fig. {item_id.split('fig')[1]}")


def test_fig18_saturated_bins_hold_13_of_36():
    caption = get("rip/fig18").build(ItemInputs("rip/fig18", {}))[1]
    assert f"{13 / 36:.4f} each" in caption and f"other ten {1 / 36:.4f}" in caption


# -- the single neuron ----------------------------------------------------------------------

def test_relu_closed_form_at_integer_multiples_of_the_bin():
    """w = m s: half the mass at 0 plus 1/(2m) in bin 0, 1/(2m) in each of bins 1..m-1."""
    m = 7
    p = bin_probabilities("relu", m * BIN_SIZE)
    expected = np.r_[0.5 + 0.5 / m, np.full(m - 1, 0.5 / m)]
    np.testing.assert_allclose(p[p > 1e-15], expected, atol=1e-12)


def test_tanh_closed_form_limits():
    """Small w: tanh(w x) in (-s, s), two equal bins, 1 bit; large w: saturated, -> 1 bit;
    in between more bins are filled (rises, then falls)."""
    small, mid, large = binned_entropy("tanh", [1e-3, 1.0, 1e7])
    assert small == pytest.approx(1.0, abs=1e-12)
    assert large == pytest.approx(1.0, abs=1e-4)
    assert mid > 3.0


def test_tanh_bins_are_artanh_differences():
    """P(bin k) = (artanh((k+1) s) - artanh(k s)) / (2 w) for the inner bins."""
    w = 2.0
    p = bin_probabilities("tanh", w)
    low = math.floor(math.tanh(-w) / BIN_SIZE)
    k = 3  # bin [3 s, 4 s)
    assert p[k - low] == pytest.approx((math.atanh(4 * BIN_SIZE) - math.atanh(3 * BIN_SIZE))
                                       / (2 * w), rel=1e-12)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_sampled_entropy_matches_closed_form(activation):
    w = np.array([0.3, 2.0, 8.0])
    np.testing.assert_allclose(sampled_entropy(activation, w, samples=200_000),
                               binned_entropy(activation, w), atol=0.02)


def test_relu_keeps_rising_tanh_rises_then_falls():
    w = np.geomspace(0.1, 10, 40)
    relu, tanh = binned_entropy("relu", w), binned_entropy("tanh", w)
    assert (np.diff(relu) > 0).all()
    peak = tanh.argmax()
    assert 0 < peak < len(w) - 1 and tanh[-1] < tanh[peak] - 1


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="activation must be one of"):
        bin_probabilities("sigmoid", 1.0)
    with pytest.raises(ValueError, match="w > 0"):
        bin_probabilities("tanh", 0.0)


# -- rip/fig16 and survey/ib-bound ----------------------------------------------------------

def _data(y: np.ndarray) -> xr.Dataset:
    """A data file of all 16 patterns of 4 bits with labels ``y``."""
    x = ((np.arange(16)[:, None] >> np.arange(3, -1, -1)) & 1).astype("u1")
    return xr.Dataset({"x": (("sample", "feature"), x), "y": ("sample", y),
                       "split": ("sample", np.array(["train"] * 16))})


def _write(item_id: str, root, files: dict[str, xr.Dataset], options: dict | None = None):
    """Write ``files`` (every input of the item) under ``root``; the built (figure, caption)."""
    paths = input_paths(item_id, root)
    assert set(files) == set(paths)
    for name, ds in files.items():
        paths[name].parent.mkdir(parents=True, exist_ok=True)
        ds.to_netcdf(paths[name], engine="netcdf4")
    with ItemInputs(item_id, paths, options) as inputs:
        return get(item_id).build(inputs)


CLEAN = np.arange(16) % 2  # y = last bit: H(Y) = 1, H(X) = 4
NOISY = CLEAN ^ (np.arange(16) < 3)  # 3 of 16 flipped


def test_flip_rate_and_curves_of_a_known_joint():
    exact, noisy, rate = szt_curves(_data(CLEAN), _data(NOISY))
    assert rate == 3 / 16
    np.testing.assert_allclose(exact.I_XT, [0, 1, 4])
    np.testing.assert_allclose(exact.I_TY, [0, 1, 1])
    # the noisy joint is a BSC(3/16) of a uniform bit: I(X;Y) = 1 - h(3/16)
    h = -(3 / 16 * math.log2(3 / 16) + 13 / 16 * math.log2(13 / 16))
    assert noisy.I_TY[-1] == pytest.approx(1 - h, abs=1e-9)
    with pytest.raises(ValueError, match="same inputs"):
        flip_rate(_data(CLEAN), _data(CLEAN).isel(sample=slice(0, 8)))


def test_least_compression_and_gap_on_the_piecewise_linear_curve():
    curve = Curve(np.array([1.0, 1.0, np.inf]), np.array([0.0, 1.0, 4.0]),
                  np.array([0.0, 1.0, 1.0]))
    assert least_compression(curve, 0.3) == pytest.approx(0.3)
    assert least_compression(curve, 1.0) == pytest.approx(1.0)
    np.testing.assert_allclose(curve_gap(curve, np.array([0.5, 2.0, 5.0]),
                                         np.array([0.5, 0.25, 1.0])), [0, 0.75, 0])
    with pytest.raises(ValueError, match="level must be in"):
        least_compression(curve, 1.5)


def test_ib_figures_build_from_synthetic_inputs(tmp_path):
    data = {"data/szt": _data(CLEAN), "data/szt-noisy": _data(NOISY)}
    _, caption = _write("rip/fig16", tmp_path, data)
    assert "flip rate of the szt-noisy data (0.1875" in caption
    assert "I(T;Y) = 0.500 needs I(X;T) >= 0.500" in caption
    i_xt = np.broadcast_to(np.array([3.0, 2.0])[None, None], (2, 3, 2))
    i_ty = np.broadcast_to(np.array([0.9, 0.5])[None, None], (2, 3, 2))
    mi = xr.Dataset({"I_XT": (("rep", "epoch", "layer"), np.array(i_xt)),
                     "I_TY": (("rep", "epoch", "layer"), np.array(i_ty))},
                    coords={"rep": [0, 1], "epoch": [0, 1, 2], "layer": [1, 2],
                            "layer_name": ("layer", ["tanh 1", "softmax"])},
                    attrs={"units": "bits"})
    _, caption = _write("survey/ib-bound", tmp_path, data | {"mi/szt-tanh/bin-size-0.07": mi})
    assert "(tanh 1, softmax): 0.1000, 0.5000 bits; points above the bound: 0 of 6" in caption


def test_single_neuron_caption_states_the_shapes():
    fig, caption = get("survey/single-neuron").build(ItemInputs("survey/single-neuron", {}))
    assert len(fig.axes) == 2
    assert "tanh: H(T) rises to 4.6" in caption and "relu: H(T) keeps rising" in caption


# -- stopping rules: rip/fig7, rip/fig10 ----------------------------------------------------

def _keras_early_stop(loss, patience):
    """Keras EarlyStopping's loop (monitor val_loss, min_delta 0): the index it halts at."""
    best, wait = math.inf, 0
    for i, value in enumerate(loss):
        if value < best:
            best, wait = value, 0
        else:
            wait += 1
            if wait >= patience:
                return i
    return len(loss) - 1


def test_early_stop_by_hand_and_batched():
    loss = np.array([[5, 4, 3, 3.5, 3.2, 3.1, 2, 1],    # last improvement index 2 -> halt at 5
                     [8, 7, 6, 5, 4, 3, 2, 1],          # always improving -> last epoch
                     [3, 3, 3, 3, 3, 3, 3, 3]])         # ties do not improve -> halt at 3
    epochs = np.arange(8) * 10
    np.testing.assert_array_equal(early_stop_epoch(loss, epochs, patience=3), [50, 70, 30])
    np.testing.assert_array_equal(perfect_stop_epoch(loss, epochs), [70, 70, 0])


def test_early_stop_matches_a_keras_style_loop():
    rng = np.random.default_rng(0)
    loss = np.cumsum(rng.normal(0, 1, (50, 60)), axis=1)
    for patience in (1, 3, 10):
        got = early_stop_epoch(loss, np.arange(60), patience=patience)
        np.testing.assert_array_equal(got, [_keras_early_stop(c, patience) for c in loss])


def test_snapshot_at_and_patience_scaling():
    snapshots = np.array([0, 1, 2, 5, 10])
    assert [snapshot_at(snapshots, e) for e in (0, 4, 5, 7, 10, 12)] == [0, 2, 3, 3, 4, 4]
    with pytest.raises(ValueError, match="before the first snapshot"):
        snapshot_at(np.array([1, 2]), 0)
    with pytest.raises(ValueError, match="patience must be >= 1"):
        early_stop_epoch(np.ones(3), np.arange(3), patience=0)


def test_stopping_figure_from_synthetic_runs(tmp_path):
    """Validation loss falls to epoch 3, then rises: with patience 1 (config option) early
    stopping halts at 4, perfect stopping picks 3; both planes end at snapshot 2 (the last at
    or before the stop)."""
    epochs = np.arange(11)
    test_loss = np.r_[4.0, 3.0, 2.0, 1.0, np.linspace(1.5, 3, 7)]
    loss = np.stack([np.stack([test_loss * 0.5, test_loss], axis=-1)] * 2)  # rep, epoch, split
    metrics = xr.Dataset({"loss": (("rep", "epoch", "split"), loss),
                          "accuracy": (("rep", "epoch", "split"), np.full(loss.shape, 0.9))},
                         coords={"rep": [0, 1], "epoch": epochs, "split": ["train", "test"]})
    snaps = [0, 1, 2, 5, 10]
    mi = xr.Dataset({"I_XT": (("rep", "epoch", "layer"), np.ones((2, 5, 2)) * [1.0, 2.0]),
                     "I_TY": (("rep", "epoch", "layer"), np.ones((2, 5, 2)) * 0.5)},
                    coords={"rep": [0, 1], "epoch": snaps, "layer": [1, 2],
                            "layer_name": ("layer", ["relu 1", "softmax"])},
                    attrs={"units": "bits"})
    files = {"metrics/szt-relu": metrics, "mi/szt-relu/bin-size-0.07": mi}
    with pytest.raises(KeyError, match="reads option 'early_stopping', which was not passed"):
        _write("rip/fig10", tmp_path, files)
    _, caption = _write("rip/fig10", tmp_path, files, {"early_stopping": {"patience": 1}})
    assert "lowest loss so far is 1 epochs old" in caption
    assert "early stopping at epoch 4 (validation loss 1.5000" in caption
    assert "perfect stopping at epoch 3 (validation loss 1.0000" in caption
    assert "plane up to snapshot 2;" in caption


def test_a_point_mass_has_entropy_plus_zero():
    """Captions print it: a single occupied bin is 0.000 bits, not -0.000."""
    assert f"{binned_entropy('relu', [1e-3])[0]:.3f}" == "0.000"


# -- rip/fig6 and rip/fig9 ------------------------------------------------------------------

def _mi_file(i_xt: np.ndarray, names: list[str], epochs=None) -> xr.Dataset:
    """An MI file from ``i_xt`` ``(rep, epoch, layer)``, I(T;Y) = I(X;T) / 10."""
    reps, n_epochs, layers = i_xt.shape
    return xr.Dataset({"I_XT": (("rep", "epoch", "layer"), i_xt),
                       "I_TY": (("rep", "epoch", "layer"), i_xt / 10)},
                      coords={"rep": np.arange(reps),
                              "epoch": np.arange(n_epochs) if epochs is None else epochs,
                              "layer": np.arange(1, layers + 1), "layer_name": ("layer", names)},
                      attrs={"units": "bits"})


def _metrics_file(test_accuracy: np.ndarray) -> xr.Dataset:
    """A metrics file of ``test_accuracy`` ``(rep,)`` at every one of 3 epochs."""
    acc = np.repeat(np.asarray(test_accuracy, float)[:, None, None], 3, axis=1)
    acc = np.concatenate([acc, acc], axis=2)
    return xr.Dataset({"loss": (("rep", "epoch", "split"), 1 - acc),
                       "accuracy": (("rep", "epoch", "split"), acc)},
                      coords={"rep": np.arange(len(test_accuracy)), "epoch": np.arange(3),
                              "split": ["train", "test"]})


def test_dpi_excess_flags_a_later_layer_above_an_earlier_one():
    i_xt = np.array([[2.0, 1.0], [2.0, 2.0], [1.0, 3.0]])
    np.testing.assert_array_equal(dpi_excess(i_xt, 0, 1), [False, False, True])


def test_fig6_caption_counts_dpi_violations(tmp_path):
    """Layer 2 (bottleneck) falls from 4 to 2 (-50%), layer 3 stays at 3: above it at the last
    epoch only."""
    i_xt = np.array([[[8, 4, 3, 3, 1], [8, 4, 3, 3, 1], [8, 2, 3, 3, 1]]] * 2, float)
    names = ["tanh 1", "tanh 2", "tanh 3", "tanh 4", "softmax"]
    _, caption = _write("rip/fig6", tmp_path, {
        "mi/szt-bottleneck/bin-size-0.07": _mi_file(i_xt, names),
        "metrics/szt-bottleneck": _metrics_file([0.9, 0.8])})
    assert "tanh 2, 2 units) against the next layer (tanh 3, 12 units): 50% vs 0% drop" in caption
    assert "at 1 of 3 snapshot epochs" in caption
    assert "0.8500 ± 0.0500 over 2 repetitions" in caption


def test_fig9_draws_one_panel_per_repetition(tmp_path):
    names = ["relu 1", "softmax"]
    i_xt = np.array([[[1.0, 0.5]] * 3, [[2.0, 0.5]] * 3])  # rep 0 ends at 1.00, rep 1 at 2.00
    files = {}
    for experiment in ("szt-relu-tanh", "szt-tanh-relu"):
        files[f"mi/{experiment}/bin-size-0.07"] = _mi_file(i_xt, names)
        files[f"metrics/{experiment}"] = _metrics_file([0.9, 0.7])
    fig, caption = _write("rip/fig9", tmp_path, files)
    assert len(fig.axes) == 4
    assert "init 1: 1.00, 0.50; init 2: 2.00, 0.50" in caption
    assert fig.axes[1].get_title() == "Leading ReLU, init 2 (score: 0.7000)"


# -- survey/boolean-partition, survey/bound-tightness ---------------------------------------

def test_partition_cells_counts_and_homogeneity():
    """eps 0.5: (0.1, 0.1) and (0.2, 0.4) share cell (0, 0); (-0.1, 0.6) is (-1, 1)."""
    t = np.array([[0.1, 0.1], [0.2, 0.4], [0.3, 0.2], [-0.1, 0.6], [-0.2, 0.9]])
    y = np.array([0, 0, 1, 1, 1])
    cells = partition(t, y, eps=0.5, classes=2)
    np.testing.assert_array_equal(cells.codes, [[-1, 1], [0, 0]])
    np.testing.assert_array_equal(cells.counts, [[0, 2], [2, 1]])
    np.testing.assert_allclose(cells.homogeneity, [1.0, 2 / 3])
    # cell masses 2/5, 3/5
    assert partition_information(cells) == pytest.approx(
        -(0.4 * math.log2(0.4) + 0.6 * math.log2(0.6)))
    with pytest.raises(ValueError, match="eps must be > 0"):
        partition(t, y, eps=0.0, classes=2)


def test_compression_bound_closed_form():
    """I = 4 bits, m = 100, delta = e^-2: sqrt((16 + 2) / 200) = 0.3."""
    assert compression_bound(np.array(4.0), 100, delta=math.exp(-2)) == pytest.approx(0.3)
    assert compression_bound(np.array([0.0, 1.0]), 8, delta=math.exp(-1)).tolist() == \
        pytest.approx([math.sqrt(2 / 16), math.sqrt(3 / 16)])
    with pytest.raises(ValueError, match="m >= 1"):
        compression_bound(np.array(1.0), 0)


def test_boolean_items_from_synthetic_runs(tmp_path):
    """2 reps, epochs 0 and 1, 8 samples (6 train), layers of widths 1, 2, 1 (the 2-unit layer
    is second to last); at the last epoch the 2-unit layer puts samples 0-3 in cell (0, 0)
    (labels 0, 0, 0, 1) and 4-7 in cell (1, 1) (labels 1, 1, 1, 1)."""
    values = np.zeros((2, 2, 8, 4), "f4")
    values[:, 1, 4:, 1:3] = 0.75
    labels = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    split = np.array(["train"] * 6 + ["test"] * 2)
    paths = input_paths("survey/bound-tightness", tmp_path)
    path = paths["activations/boolean-tanh"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with ActivationWriter.create(path, repetitions=2, epochs=[0, 1], layer_widths=[1, 2, 1],
                                 layer_names=["tanh 1", "tanh 2", "softmax"], labels=labels,
                                 split=split, attrs={}) as writer:
        for k in range(2):
            writer.write(k, values[:, k])
    acc = np.zeros((2, 2, 2))
    acc[..., 0] = 1.0  # train accuracy 1, test 0: gap 1
    xr.Dataset({"loss": (("rep", "epoch", "split"), acc), "accuracy": (("rep", "epoch", "split"),
                                                                       acc)},
               coords={"rep": [0, 1], "epoch": [0, 1], "split": ["train", "test"]}
               ).to_netcdf(paths["metrics/boolean-tanh"], engine="netcdf4")
    with ItemInputs("survey/boolean-partition", input_paths("survey/boolean-partition",
                                                            tmp_path)) as inputs:
        caption = get("survey/boolean-partition").build(inputs)[1]
    assert "(tanh 2)" in caption and "Cells per repetition: 2, 2" in caption
    assert "mean homogeneity 0.875" in caption and "at most 90% pure: 8 of 16" in caption
    with ItemInputs("survey/bound-tightness", paths) as inputs:
        caption = get("survey/bound-tightness").build(inputs)[1]
    # train cells at the last epoch: 4 and 2 samples -> H = h(1/3)
    h = -(1 / 3 * math.log2(1 / 3) + 2 / 3 * math.log2(2 / 3))
    bound = math.sqrt((2**h + math.log(20)) / 12)
    assert f"I(X;T) {h:.3f} bits, bound {bound:.4f}, gap 1.0000" in caption


def test_fingerprints_cover_the_modules_an_item_imports_from():
    """Editing the neuron's closed form reruns fig18 and the single neuron; the IB code reruns
    fig16; an item reusing another module's drawing (the MNIST-138 histograms) covers it, and
    the modules of its run names; an estimator the item calls itself is declared (``uses``);
    items importing only the shared modules keep their fingerprint."""
    assert {"ibrepro.ib.neuron", "ibrepro.ib.joint"} <= set(item_modules("rip/fig18"))
    assert "ibrepro.ib.neuron" in item_modules("survey/single-neuron")
    assert "ibrepro.ib.curve" in item_modules("rip/fig16")
    assert {"ibrepro.papers.rip.histograms", "ibrepro.papers.rip.runs"} <= set(
        item_modules("rip/fig13"))
    assert "ibrepro.estimators.clustering" in item_modules("goldfeld/fig8")
    assert item_modules("rip/fig1") == [
        "ibrepro.papers.rip.planes", "ibrepro.figures.plane", "ibrepro.figures.compression",
        "ibrepro.figures.save", "ibrepro.figures.registry", "ibrepro.figures.accuracy",
        "ibrepro.papers.rip.runs"]
