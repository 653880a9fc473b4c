"""bin-count over observed ranges (fixed, layer-epoch, layer, global): closed forms, an
independent numpy/scipy/sklearn implementation per scope, end to end through ``estimate_file``
with its streamed first pass, invariances, the stored range, errors."""

from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
from scipy.stats import entropy as scipy_entropy
from test_binning import reference_mi

from ibrepro.config import ConfigError, load_file
from ibrepro.estimators.apply import estimate_file
from ibrepro.estimators.binning import RANGES, bin_count
from ibrepro.train.writer import ActivationWriter

REPO = Path(__file__).resolve().parents[1]


def digitized(values: np.ndarray, low: float, high: float, bins: int) -> np.ndarray:
    """Bin indices in [0, bins) by ``np.digitize`` on the interior edges of ``bins`` equal bins
    over [low, high]; a zero-width range is one bin."""
    if low == high:
        return np.zeros(values.shape, dtype=np.int64)
    return np.digitize(values, np.linspace(low, high, bins + 1)[1:-1])


def reference_file(data: np.ndarray, widths, labels, bins: int, scope: str):
    """(I_XT, I_TY, low, high), each ``(rep, epoch, layer)``, from the whole array in memory:
    the range of each scope by numpy min/max, bins by ``np.digitize``, MI by scipy/sklearn."""
    bounds = np.cumsum([0, *widths])
    layers = [data[..., lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    n_rep, n_epoch = data.shape[:2]
    out = np.empty((4, n_rep, n_epoch, len(widths)))
    for r in range(n_rep):
        for e in range(n_epoch):
            for k, layer in enumerate(layers):
                values = layer[r, e].astype(np.float64)
                low, high = {
                    "fixed": (-1.0, 1.0),
                    "layer-epoch": (values.min(), values.max()),
                    "layer": (layer[r].min(), layer[r].max()),
                    "global": (data[r].min(), data[r].max()),
                }[scope]
                symbols = digitized(values, low, high, bins)
                out[:, r, e, k] = (*reference_mi(symbols, labels), low, high)
    return out


def centred_counts(counts, low: float, width: float) -> np.ndarray:
    """One unit: ``counts[j]`` samples at the centre of bin j of ``len(counts)`` bins over
    [low, low + width], plus one sample at each end (which then lie in the end bins)."""
    bins = len(counts)
    centres = low + (np.arange(bins) + 0.5) * width / bins
    return np.concatenate([[low, low + width], np.repeat(centres, counts)]).reshape(-1, 1)


@pytest.mark.parametrize("scope", ["layer-epoch", "layer", "global"])
@pytest.mark.parametrize(("low", "width"), [(0.0, 8.0), (-3.25, 0.5), (1e3, 2.0**-6)])
def test_counts_at_bin_centres_give_their_entropy(scope, low, width):
    counts = np.array([5, 0, 3, 1, 7, 0, 0, 2])
    acts = torch.from_numpy(centred_counts(counts, low, width))
    labels = torch.zeros(len(acts), dtype=torch.int64)
    mi = bin_count(acts, labels, bins=8, range=scope, low=low, high=low + width)
    expected = scipy_entropy(counts + np.eye(8, dtype=int)[0] + np.eye(8, dtype=int)[7], base=2)
    assert mi.I_XT.item() == pytest.approx(expected, abs=1e-12)
    assert mi.I_TY.item() == pytest.approx(0.0, abs=1e-12)
    assert (mi.bin_low.item(), mi.bin_high.item()) == (low, low + width)


def test_two_clusters_are_one_bit_over_their_own_range_but_not_over_a_fixed_one():
    acts = torch.tensor([[0.001]] * 6 + [[0.002]] * 6)
    labels = torch.tensor([0] * 6 + [1] * 6)
    own = bin_count(acts, labels, bins=30, range="layer-epoch")
    assert own.I_XT.item() == own.I_TY.item() == 1.0
    fixed = bin_count(acts, labels, bins=30)
    assert fixed.I_XT.item() == fixed.I_TY.item() == 0.0
    assert (fixed.bin_low.item(), fixed.bin_high.item()) == (-1.0, 1.0)


@pytest.mark.parametrize("scope", ["layer-epoch", "layer", "global"])
def test_a_constant_layer_is_one_bin(scope):
    acts = torch.full((2, 50, 3), 0.25)
    mi = bin_count(acts, torch.arange(50) % 2, bins=30, range=scope, low=0.25, high=0.25)
    assert torch.equal(mi.I_XT, torch.zeros(2, dtype=torch.float64))
    assert torch.equal(mi.I_TY, torch.zeros(2, dtype=torch.float64))
    assert torch.equal(mi.bin_low, mi.bin_high) and (mi.bin_low == 0.25).all()


@pytest.mark.parametrize("bins", [2, 30, 100, 256])
@pytest.mark.parametrize("scope", RANGES)
def test_matches_numpy_digitize_reference(scope, bins):
    generator = torch.Generator().manual_seed(bins)
    acts = 1.7 * torch.randn(2, 3, 300, 4, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, 5, (300,), generator=generator)
    spanning = {"low": acts.min().item(), "high": acts.max().item()}  # as a first pass would
    mi = bin_count(acts, labels, bins=bins, range=scope,
                   **(spanning if scope in ("layer", "global") else {}))
    numpy_acts = acts.numpy()
    for r in range(2):
        for e in range(3):
            values = numpy_acts[r, e]
            low, high = {"fixed": (-1.0, 1.0), "layer-epoch": (values.min(), values.max())}.get(
                scope, (spanning["low"], spanning["high"]))
            i_xt, i_ty = reference_mi(digitized(values, low, high, bins), labels.numpy())
            assert mi.I_XT[r, e].item() == pytest.approx(i_xt, abs=1e-9)
            assert mi.I_TY[r, e].item() == pytest.approx(i_ty, abs=1e-9)
            assert (mi.bin_low[r, e].item(), mi.bin_high[r, e].item()) == (low, high)


def random_layer(seed, n=400, units=4):
    generator = torch.Generator().manual_seed(seed)
    acts = torch.randn(3, n, units, generator=generator, dtype=torch.float64)
    return acts, torch.randint(0, 4, (n,), generator=generator)


@pytest.mark.parametrize("scope", RANGES)
def test_invariant_under_sample_and_unit_permutation_and_relabelling(scope):
    acts, labels = random_layer(1)
    spanning = {"low": acts.min().item(), "high": acts.max().item()}
    estimate = lambda a, y: bin_count(a, y, bins=30, range=scope, **spanning)  # noqa: E731
    original = estimate(acts, labels)
    generator = torch.Generator().manual_seed(2)
    samples, units = torch.randperm(400, generator=generator), torch.tensor([2, 0, 3, 1])
    relabel = torch.tensor([3, 0, 2, 1])
    for mi in (estimate(acts[:, samples], labels[samples]), estimate(acts[..., units], labels),
               estimate(acts, relabel[labels])):
        torch.testing.assert_close(mi.I_XT, original.I_XT, rtol=0, atol=1e-12)
        torch.testing.assert_close(mi.I_TY, original.I_TY, rtol=0, atol=1e-12)


@pytest.mark.parametrize(("scale", "shift"), [(2.7, -1.3), (1e-3, 40.0), (250.0, 0.5)])
def test_layer_epoch_is_invariant_under_increasing_affine_maps(scale, shift):
    acts, labels = random_layer(3)
    original = bin_count(acts, labels, bins=30, range="layer-epoch")
    # each (epoch) group its own map: the range follows the data
    per_group = torch.tensor([scale, 1.0, 0.5 * scale], dtype=torch.float64)[:, None, None]
    moved = bin_count(acts * per_group + shift, labels, bins=30, range="layer-epoch")
    assert torch.equal(moved.I_XT, original.I_XT) and torch.equal(moved.I_TY, original.I_TY)
    torch.testing.assert_close(moved.bin_low, original.bin_low * per_group[:, 0, 0] + shift)
    fixed_before = bin_count(acts, labels, bins=30)
    fixed_after = bin_count(acts * scale + shift, labels, bins=30)
    assert not torch.equal(fixed_after.I_XT, fixed_before.I_XT)  # the fixed range is not


def test_errors():
    acts, labels = torch.zeros(3, 1), torch.zeros(3, dtype=torch.int64)
    with pytest.raises(ValueError, match=r"range must be one of 'fixed', 'layer-epoch', "
                                         r"'layer', 'global'; got 'neuron'"):
        bin_count(acts, labels, bins=3, range="neuron")
    with pytest.raises(ValueError, match=r"range='global': values outside low=0.5, high=1.0, "
                                         r"which must be their observed range"):
        bin_count(acts, labels, bins=3, range="global", low=0.5, high=1.0)
    with pytest.raises(ValueError, match="low must be < high"):
        bin_count(acts, labels, bins=3, range="layer", low=1.0, high=0.0)


def test_a_bad_range_fails_at_config_load_naming_the_allowed_values():
    with pytest.raises(ConfigError, match=r"config\.estimators\.bin-count-30-global: bin-count: "
                                          r"parameter 'range' must be one of 'fixed', "
                                          r"'layer-epoch', 'layer', 'global'; got 'neuron'"):
        load_file(REPO / "config.yaml", estimators={
            "bin-count-30-global": {"method": "bin-count", "bins": 30, "range": "neuron"}})


def test_config_has_lorenzens_global_instances():
    estimators = load_file(REPO / "config.yaml").estimators
    for bins in (30, 100, 256):
        assert estimators[f"bin-count-{bins}-global"]["params"] == {
            "bins": bins, "low": -1.0, "high": 1.0, "range": "global"}


WIDTHS = (3, 2, 2)  # the last is the output layer
NAMES = ["relu 1", "tanh 2", "linear output"]


@pytest.fixture(scope="module")
def activations(tmp_path_factory):
    """3 reps x 4 epochs: a relu layer growing over epochs, a tanh layer, and an output layer
    that holds the most negative values (so the global range must include it)."""
    rng = np.random.default_rng(7)
    epochs, n = [0, 1, 3, 9], 120
    labels = rng.integers(0, 3, n)
    growth = np.array([1.0, 2.0, 3.5, 5.0])[None, :, None, None]
    relu = np.maximum(rng.normal(size=(3, 4, n, 3)), 0) * growth
    tanh = np.tanh(rng.normal(size=(3, 4, n, 2)) * growth)
    output = rng.normal(size=(3, 4, n, 2)) * growth - 10.0
    data = np.concatenate([relu, tanh, output], axis=-1).astype(np.float32)
    path = tmp_path_factory.mktemp("run") / "activations.nc"
    with ActivationWriter.create(
        path, repetitions=3, epochs=epochs, layer_widths=WIDTHS,
        layer_names=NAMES, labels=labels, split=np.array(["train"] * n),
        attrs={"experiment": "toy"},
    ) as writer:
        for k, epoch in enumerate(epochs):
            writer.write(epoch, data[:, k])
    return path, data, labels


@pytest.mark.parametrize("bins", [30, 256])
@pytest.mark.parametrize("scope", RANGES)
def test_estimate_file_matches_the_in_memory_reference(tmp_path, activations, monkeypatch, scope,
                                                       bins):
    import ibrepro.estimators.apply as apply

    monkeypatch.setattr(apply, "BLOCK_BYTES", 1)  # one epoch per block, both passes
    path, data, labels = activations
    out = tmp_path / "mi.nc"
    estimate_file({"name": "b", "method": "bin-count", "params": {"bins": bins, "range": scope}},
                  path, out, device="cpu")
    expected = reference_file(data, WIDTHS, labels, bins, scope)
    with xr.open_dataset(out) as mi:
        for k, name in enumerate(("I_XT", "I_TY", "bin_low", "bin_high")):
            assert mi[name].dims == ("rep", "epoch", "layer")
            np.testing.assert_allclose(mi[name].values, expected[k], rtol=0, atol=1e-9)
        for name in ("bin_low", "bin_high"):
            assert mi[name].attrs["units"] == "activation units" and mi[name].attrs["long_name"]
        # the stored range is the data's own min and max, exactly
        lows = {"layer-epoch": data[..., :3].min(axis=(2, 3)), "layer": data[..., :3].min(
            axis=(1, 2, 3))[:, None], "global": data.min(axis=(1, 2, 3))[:, None]}
        if scope in lows:
            assert (mi["bin_low"].sel(layer=1).values == lows[scope]).all()


def test_layer_and_global_ranges_span_epochs_and_layers(tmp_path, activations):
    path, data, _ = activations
    ranges = {}
    for scope in ("layer", "global"):
        estimate_file({"name": scope, "method": "bin-count", "params": {"bins": 30,
                                                                         "range": scope}},
                      path, tmp_path / f"{scope}.nc", device="cpu")
        with xr.open_dataset(tmp_path / f"{scope}.nc") as mi:
            ranges[scope] = mi["bin_low"].values, mi["bin_high"].values
    low, high = ranges["layer"]
    for values in (low, high):  # one range per (rep, layer), the same at every epoch
        assert (values == values[:, :1]).all()
        assert len(np.unique(values[:, 0])) > 1
    assert (high[:, 0, 0] == data[..., :3].max(axis=(1, 2, 3))).all()  # the last epoch's
    glow, ghigh = ranges["global"]
    assert (glow == data.min(axis=(1, 2, 3))[:, None, None]).all()
    assert (ghigh == data.max(axis=(1, 2, 3))[:, None, None]).all()
    assert (glow <= low).all() and (ghigh >= high).all()
    assert (glow[:, 0, 0] == data[..., 5:].min(axis=(1, 2, 3))).all()  # the output layer's


def test_layer_scope_is_invariant_under_scaling_each_layer(tmp_path, activations):
    path, data, labels = activations
    scaled = data * np.repeat([4.0, 0.25, 2.0], WIDTHS).astype(np.float32)  # exact in float32
    moved = tmp_path / "scaled.nc"
    with ActivationWriter.create(
        moved, repetitions=3, epochs=[0, 1, 3, 9], layer_widths=WIDTHS,
        layer_names=NAMES, labels=labels, split=np.array(["train"] * len(labels)),
        attrs={"experiment": "toy"},
    ) as writer:
        for k, epoch in enumerate([0, 1, 3, 9]):
            writer.write(epoch, scaled[:, k])
    spec = {"name": "b", "method": "bin-count", "params": {"bins": 30, "range": "layer"}}
    estimate_file(spec, path, tmp_path / "a.nc", device="cpu")
    estimate_file(spec, moved, tmp_path / "b.nc", device="cpu")
    with xr.open_dataset(tmp_path / "a.nc") as a, xr.open_dataset(tmp_path / "b.nc") as b:
        np.testing.assert_array_equal(a["I_XT"], b["I_XT"])
        np.testing.assert_array_equal(a["I_TY"], b["I_TY"])
        np.testing.assert_array_equal(b["bin_high"].sel(layer=1), 4 * a["bin_high"].sel(layer=1))


def test_fixed_range_is_stored_too(tmp_path, activations):
    path = activations[0]
    estimate_file({"name": "b", "method": "bin-count", "params": {"bins": 30}}, path,
                  tmp_path / "mi.nc", device="cpu")
    with xr.open_dataset(tmp_path / "mi.nc") as mi:
        assert (mi["bin_low"] == -1.0).all() and (mi["bin_high"] == 1.0).all()
