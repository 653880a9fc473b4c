"""The issue-4 figure items against hand-made inputs: numbers in captions, histogram epochs and
occupancy, lazy activation reads, and the compression measure."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from xarray.backends import netCDF4_

from ibrepro.figures import ItemInputs, get, input_paths
from ibrepro.figures.compression import compressing_reps, compression, verdict
from ibrepro.figures.plane import Plane
from ibrepro.papers.compare.estimators import agreement
from ibrepro.papers.goldfeld.binning import in_nats
from ibrepro.papers.lorenzen.binning import dpi_violations, grows_with_bins
from ibrepro.papers.rip.histograms import bin_occupancy, histogram_epochs
from ibrepro.train.writer import ActivationWriter

EPOCHS = [0, 1, 2, 5, 10]
NAMES = ["tanh 1", "tanh 2", "softmax"]


def _mi(i_xt, i_ty=None, *, units="bits", names=NAMES) -> xr.Dataset:
    """An MI file from ``i_xt`` (and ``i_ty``) ``(rep, epoch, layer)``; epochs ``EPOCHS``."""
    i_xt = np.asarray(i_xt, float)
    i_ty = np.zeros_like(i_xt) if i_ty is None else np.asarray(i_ty, float)
    reps, epochs, layers = i_xt.shape
    return xr.Dataset({"I_XT": (("rep", "epoch", "layer"), i_xt),
                       "I_TY": (("rep", "epoch", "layer"), i_ty)},
                      coords={"rep": np.arange(reps), "epoch": EPOCHS[:epochs],
                              "layer": np.arange(1, layers + 1),
                              "layer_name": ("layer", names[:layers])},
                      attrs={"units": units})


def _caption(item_id: str, root, files: dict[str, xr.Dataset]) -> str:
    """Write ``files`` (every input of the item) under ``root``; the item's built caption."""
    paths = input_paths(item_id, root)
    assert set(files) == set(paths)
    for name, ds in files.items():
        paths[name].parent.mkdir(parents=True, exist_ok=True)
        ds.to_netcdf(paths[name], engine="netcdf4")
    with ItemInputs(item_id, paths) as inputs:
        return get(item_id).build(inputs)[1]


def _activations(path, values: np.ndarray, widths, epochs) -> None:
    """Write ``values`` ``(rep, epoch, sample, unit)`` with the trainer's writer."""
    reps, _, samples, _ = values.shape
    names = [f"layer {k}" for k in range(1, len(widths) + 1)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with ActivationWriter.create(path, repetitions=reps, epochs=epochs, layer_widths=widths,
                                 layer_names=names, labels=np.arange(samples) % 2,
                                 split=np.array(["train"] * samples), attrs={}) as writer:
        for k, epoch in enumerate(epochs):
            writer.write(epoch, values[:, k].astype("f4"))


# -- the compression measure --------------------------------------------------------------

def test_compression_hand_made_trajectories():
    """(epoch, layer): rise then 10% fall; only rising; falling from the start; all zero."""
    i_xt = np.array([[1.0, 1.0, 5.0, 0.0],
                     [4.0, 2.0, 4.0, 0.0],
                     [10.0, 3.0, 3.5, 0.0],
                     [9.0, 3.0, 3.0, 0.0]])
    result = compression(i_xt)
    np.testing.assert_allclose(result.peak, [10, 3, 5, 0])
    np.testing.assert_array_equal(result.peak_index, [2, 2, 0, 0])
    np.testing.assert_allclose(result.drop, [1, 0, 2, 0])
    np.testing.assert_allclose(result.relative, [0.1, 0, 0.4, 0])
    np.testing.assert_array_equal(result.compresses, [True, False, True, False])
    np.testing.assert_array_equal(compression(i_xt, threshold=0.2).compresses,
                                  [False, False, True, False])
    assert verdict(result, ["a", "b", "c", "d"]) == (
        "a: -10% (compresses), b: -0%, c: -40% (compresses), d: -0%")


def test_compression_threshold_is_inclusive_and_checked():
    assert compression(np.array([[10.0], [9.5]])).compresses[0]  # drop exactly 5%
    assert not compression(np.array([[10.0], [9.51]])).compresses[0]
    with pytest.raises(ValueError, match="threshold"):
        compression(np.ones((2, 1)), threshold=1.5)
    with pytest.raises(ValueError, match=">= 2 epochs"):
        compression(np.ones((1, 3)))


def test_compressing_reps_counts_each_repetition():
    reps = np.array([[[1.0, 1.0], [2.0, 2.0], [1.0, 2.0]],    # layer 1 compresses
                     [[1.0, 3.0], [2.0, 2.0], [1.5, 1.0]],    # both compress
                     [[1.0, 1.0], [2.0, 2.0], [2.0, 2.0]]])   # neither
    np.testing.assert_array_equal(compressing_reps(reps), [2, 1])


def test_agreement_groups_layers():
    verdicts = np.array([[True, False, True], [True, False, False]])
    assert agreement(verdicts, ["a", "b", "c"]) == (
        "all estimators find compression in a; none finds compression in b; "
        "they disagree on c (1 of 2)")


# -- rip/fig4 and rip/fig5 ------------------------------------------------------------------

def test_histogram_epochs_scale_rip_epochs_to_the_run():
    """Paper scale: rip's 1, 4000, 8000 (nearest recorded; the earlier one on a tie);
    300 epochs: 1, 150, 300 as fractions (at least epoch 1), nearest snapshot; each once."""
    assert histogram_epochs(np.array([0, 1, 2, 3990, 4010, 8000])) == [1, 3990, 8000]
    assert histogram_epochs(np.array([0, 1, 2, 140, 155, 300])) == [1, 155, 300]
    assert histogram_epochs(np.array([0, 3, 300])) == [0, 3, 300]
    assert histogram_epochs(np.array([0, 1])) == [1]


def test_bin_occupancy_against_numpy_histogram(tmp_path):
    """Values in the middle of 0.07-bins; counts are per net (mean over 2 repetitions)."""
    mid = lambda k: (np.asarray(k) + 0.5) * 0.07  # noqa: E731  (the middle of bin k)
    values = np.full((2, 3, 3, 3), mid(0))  # rep, epoch [0, 1, 2], sample, unit (widths 1, 2)
    values[0, 1, :, 1:] = mid([[0, 1], [0, -1], [2, 0]])  # layer 2, epoch 1, rep 0
    values[1, 2, 0, 0] = mid(-3)  # layer 1, epoch 2, rep 1: the lowest bin
    path = tmp_path / "activations.nc"
    _activations(path, values, [1, 2], [0, 1, 2])
    with xr.open_dataset(path) as acts:
        occ = bin_occupancy(acts, [1, 2], [1, 2])
    np.testing.assert_allclose(occ.edges, np.arange(-3, 4) * 0.07)
    for k, units in enumerate((slice(0, 1), slice(1, 3))):
        for j, epoch in enumerate((1, 2)):
            counts = [np.histogram(values[r, epoch, :, units], occ.edges)[0] for r in (0, 1)]
            np.testing.assert_allclose(occ.counts[k, j], np.mean(counts, axis=0))
    # hand counts: layer 2 at epoch 1 is rep 0: bins -1, 0, 1, 2 (4 occupied), rep 1: bin 0
    np.testing.assert_allclose(occ.counts[1, 0], [0, 0, 0.5, 4.5, 0.5, 0.5])
    np.testing.assert_allclose(occ.occupied, [[1, 1.5], [2.5, 1]])
    assert occ.layer_names == ["layer 1", "layer 2"] and occ.repetitions == 2


@pytest.fixture
def rip_tree(tmp_path):
    """Inputs of rip/fig4 and rip/fig5: random activations at EPOCHS, random MI."""
    rng = np.random.default_rng(1)
    widths = [10, 7, 5, 4, 3, 2]
    for item_id in ("rip/fig4", "rip/fig5"):
        paths = input_paths(item_id, tmp_path)
        for name, path in paths.items():
            if name.startswith("activations/"):
                values = np.tanh(rng.normal(0, 2, (2, len(EPOCHS), 40, sum(widths))))
                _activations(path, values, widths, EPOCHS)
            elif name.startswith("mi/"):
                path.parent.mkdir(parents=True, exist_ok=True)
                names = [f"layer {k}" for k in range(1, 7)]
                _mi(rng.uniform(0, 5, (2, len(EPOCHS), 6)), names=names).to_netcdf(path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                acc = rng.uniform(0.5, 1, (2, 11, 2))
                xr.Dataset({"accuracy": (("rep", "epoch", "split"), acc)},
                           coords={"split": ["train", "test"]}).to_netcdf(path)
    return tmp_path


def test_fig5_reads_only_the_histogram_epochs(rip_tree, monkeypatch):
    """EPOCHS 0, 1, 2, 5, 10 -> histogram epochs 1, 5, 10: only epoch indices 1, 3, 4 read."""
    read = []
    original = netCDF4_.NetCDF4ArrayWrapper._getitem

    def spy(self, key):
        if self.variable_name == "activation":
            read.append(np.arange(len(EPOCHS))[key[1]].ravel())
        return original(self, key)

    monkeypatch.setattr(netCDF4_.NetCDF4ArrayWrapper, "_getitem", spy)
    with ItemInputs("rip/fig5", input_paths("rip/fig5", rip_tree)) as inputs:
        _, caption = get("rip/fig5").build(inputs)
    assert read and set(np.concatenate(read)) == {1, 3, 4}
    assert "nearest snapshot epochs: 1, 5, 10" in caption


def test_fig4_caption_counts_occupied_bins(rip_tree):
    """Occupied 0.07-bins of layers 4, 5, 6 at epochs 1, 5, 10, from the whole file (oracle)."""
    paths = input_paths("rip/fig4", rip_tree)
    with ItemInputs("rip/fig4", paths) as inputs:
        _, caption = get("rip/fig4").build(inputs)
    for experiment in ("szt-tanh", "szt-relu"):
        acts = xr.load_dataset(paths[f"activations/{experiment}"])
        for layer in (4, 5, 6):
            values = acts["activation"].sel(epoch=[1, 5, 10]).values[..., acts["layer"] == layer]
            occupied = [np.mean([len(np.unique(np.floor(values[r, j].astype(float) / 0.07)))
                                 for r in range(2)]) for j in range(3)]
            assert f"layer {layer} {' → '.join(f'{v:.1f}' for v in occupied)}" in caption


# -- goldfeld, lorenzen, chelombiev, compare -----------------------------------------------

def test_in_nats_converts_by_units():
    values = xr.DataArray([12.0])
    assert float(in_nats(values, "bits")[0]) == pytest.approx(math.log(4096), abs=1e-12)
    assert float(in_nats(values, "nats")[0]) == 12.0
    with pytest.raises(ValueError, match="units must be one of"):
        in_nats(values, "bans")


def test_goldfeld_fig1_caption_in_nats(tmp_path):
    """12 bits at every epoch for bin size 1e-4 (= ln 4096 nats); a nats file kept as is."""
    shape = (2, len(EPOCHS), 3)
    files = {f"mi/szt-tanh/bin-size-{s}": _mi(np.full(shape, v), units=u)
             for s, v, u in ((0.0001, 12.0, "bits"), (0.001, 10.0, "bits"),
                             (0.01, 4.0, "bits"), (0.1, 5.0, "nats"))}
    caption = _caption("goldfeld/fig1", tmp_path, files)
    assert "bin size 0.0001: 8.318, 8.318, 8.318" in caption
    assert f"bin size 0.001: {10 * math.log(2):.3f}" in caption
    assert "bin size 0.1: 5.000, 5.000, 5.000" in caption
    assert "Lowest value over epochs with bin size 0.0001: 8.318, 8.318, 8.318." in caption
    assert "every hidden layer ends within 0.05 nats of H(X)" in caption
    files["mi/szt-tanh/bin-size-0.0001"] = _mi(np.full(shape, 11.0), units="bits")  # 1 bit short
    caption = _caption("goldfeld/fig1", tmp_path / "short", files)
    assert f"below H(X) at epoch {EPOCHS[-1]} by (nats) " in caption
    assert caption.count(f"{math.log(2):.3f}") >= 2  # both hidden layers, not the output


def test_lorenzen_bin_growth_and_dpi():
    planes = [Plane(np.full((2, 2), v), np.array([[1.0, 0.5], [0.4, 0.6]]) * v, np.arange(2),
                    ["a", "b"], "bits", 1) for v in (1.0, 2.0, 2.0)]
    assert grows_with_bins(planes, "i_xt") == 1.0
    assert grows_with_bins(planes, "i_ty") == 1.0
    planes[2] = planes[2]._replace(i_xt=np.array([[3.0, 1.0], [3.0, 3.0]]))
    assert grows_with_bins(planes, "i_xt") == 0.75
    assert dpi_violations(np.array([[1.0, 0.5], [0.4, 0.6], [0.5, 0.5 + 1e-12]])) == 1
    planes[1] = planes[1]._replace(i_ty=planes[0].i_ty - 1e-12)  # rounding, not a decrease
    assert grows_with_bins(planes, "i_ty") == 1.0


@pytest.mark.parametrize("item_id", ["lorenzen/figA5", "lorenzen/figA6"])
def test_lorenzen_caption(item_id, tmp_path):
    """30 < 100 < 256 bins everywhere for I(X;T); I(T;Y) shrinks with bins and rises with depth
    at one epoch of 5."""
    i_ty = np.tile(np.array([0.9, 0.8, 0.7]), (2, len(EPOCHS), 1))
    i_ty[:, 2] = [0.5, 0.6, 0.4]
    experiment = get(item_id).mi[0][0]
    files = {f"mi/{experiment}/bin-count-{b}-global": _mi(np.full((2, len(EPOCHS), 3), b / 10),
                                                          i_ty / b)
             for b in (30, 100, 256)}
    caption = _caption(item_id, tmp_path, files)
    assert "at 100% (I(X;T)) and 0% (I(T;Y))" in caption
    assert "30 bins: I(X;T) 3.00, 3.00, 3.00" in caption
    assert caption.count("I(T;Y) rising with depth at 1 of 5 epochs") == 3


def _trajectory(final: float) -> np.ndarray:
    """I(X;T) ``(epoch,)`` rising to 10 and ending at ``final``."""
    return np.array([2.0, 6.0, 10.0, 10.0, final])


def test_chelombiev_caption_verdicts(tmp_path):
    """Estimator k's layers end 0%, 20%, 3% below their peak (k = fixed, adaptive, KDE)."""
    i_xt = np.stack([_trajectory(10.0), _trajectory(8.0), _trajectory(9.7)], axis=-1)
    item = get("chelombiev/adaptive-vs-fixed")
    files = {f"mi/{e}/{s}": _mi(np.stack([i_xt, i_xt])) for e, s in item.mi}
    accuracy = np.array([0.9, 0.5])[:, None, None] * np.ones((1, len(EPOCHS), 2))
    files |= {f"metrics/{e}": xr.Dataset({"accuracy": (("rep", "epoch", "split"), accuracy)},
                                         coords={"split": ["train", "test"]})
              for e in item.metrics}
    caption = _caption(item.id, tmp_path, files)
    assert "tanh 0.700 (rep 1: 0.500); relu 0.700 (rep 1: 0.500)." in caption
    expected = "tanh 1: -0%, tanh 2: -20% (compresses), softmax: -3%"
    assert caption.count(expected) == 6
    assert "relu, adaptive-kde-upper: " + expected in caption


def test_agreement_leaves_out_estimators_without_an_estimate():
    # three estimators; the third has no estimate for layer 2 (NaN, as sample propagation's
    # noiseless softmax): layer 2 is "all" with 2 of 2, layer 3 splits 1 of 3
    verdicts = np.array([[1, 1, 0], [1, 1, 1], [1, np.nan, 0]])
    assert agreement(verdicts, ["a", "b", "c"]) == (
        "all estimators find compression in a, b; none finds compression in no layer; "
        "they disagree on c (1 of 3)")


def test_compare_caption_agreement_and_reps(tmp_path):
    """Layer 1 compresses under every estimator, layer 2 under none, layer 3 under the first
    estimator only; under the first, layer 3 compresses in 1 of 2 repetitions."""
    item = get("compare/estimators")
    files = {}
    for k, (experiment, estimator) in enumerate(item.mi):
        last = [8.0, 10.0, 9.0 if k == 0 else 10.0]
        rep = np.stack([_trajectory(v) for v in last], axis=-1)
        other = rep.copy()
        other[-1, 2] = 10.0  # rep 2: layer 3 never falls
        files[f"mi/{experiment}/{estimator}"] = _mi(np.stack([rep, other]))
    caption = _caption(item.id, tmp_path, files)
    assert (f"all estimators find compression in tanh 1; none finds compression in tanh 2; "
            f"they disagree on softmax (1 of {len(item.mi)})") in caption
    assert "repetitions compressing per layer 2, 0, 0 of 2" in caption
