"""Goldfeld's clustering measures: closed forms, scipy as an independent implementation,
invariances, chunking, the measure file contract and config validation."""

import copy
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
import yaml
from scipy import stats
from scipy.spatial.distance import pdist

import ibrepro
from ibrepro import estimators
from ibrepro.config import ConfigError, load
from ibrepro.estimators import clustering, measures
from ibrepro.estimators.apply import apply_measure
from ibrepro.estimators.clustering import (
    binned_entropy,
    distance_histograms,
    least_squares_slope,
    slope_stats,
    unit_binned_entropy,
)

REPO = Path(__file__).resolve().parents[1]
LN2 = math.log(2)


def scipy_entropy(symbols: np.ndarray) -> float:
    """Plug-in entropy in nats of the rows of ``symbols (sample, unit)`` by scipy."""
    _, counts = np.unique(symbols, axis=0, return_counts=True)
    return float(stats.entropy(counts))


# -- binned entropies -------------------------------------------------------------------------

def test_binned_entropy_of_hand_made_bins():
    # rows fall in bins with counts 4, 2, 1, 1 of 8: H = 1.75 bits
    size = 0.5
    rows = [(0, 0)] * 4 + [(0, 1)] * 2 + [(1, 0), (-1, 3)]
    acts = (torch.tensor(rows, dtype=torch.float64) + 0.25) * size
    assert binned_entropy(acts, size=size).item() == pytest.approx(1.75 * LN2, abs=1e-12)
    # alone, unit 0 has counts 6, 1, 1 and unit 1 counts 5, 2, 1
    expected = [-(6 / 8 * math.log(6 / 8) + 2 / 8 * math.log(1 / 8)),
                -(5 / 8 * math.log(5 / 8) + 2 / 8 * math.log(2 / 8) + 1 / 8 * math.log(1 / 8))]
    np.testing.assert_allclose(unit_binned_entropy(acts, size=size), expected, atol=1e-12)


def test_binned_entropies_match_scipy_batched():
    acts = torch.randn(2, 3, 300, 4, generator=torch.Generator().manual_seed(0))
    size = 0.4
    layer, unit = binned_entropy(acts, size=size), unit_binned_entropy(acts, size=size)
    assert layer.shape == (2, 3) and unit.shape == (2, 3, 4)
    symbols = np.floor(acts.double().numpy() / size)
    for index in np.ndindex(2, 3):
        assert layer[index].item() == pytest.approx(scipy_entropy(symbols[index]), abs=1e-12)
        for k in range(4):
            assert unit[index][k].item() == pytest.approx(
                scipy_entropy(symbols[index][:, k:k + 1]), abs=1e-12)


def test_binned_entropy_ignores_sample_order():
    acts = torch.rand(3, 200, 5, generator=torch.Generator().manual_seed(1))
    order = torch.randperm(200, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(binned_entropy(acts[:, order], size=0.1),
                               binned_entropy(acts, size=0.1), rtol=0, atol=1e-12)
    torch.testing.assert_close(unit_binned_entropy(acts[:, order], size=0.1),
                               unit_binned_entropy(acts, size=0.1), rtol=0, atol=1e-12)


@pytest.mark.parametrize("size", [0.0, -0.1])
def test_binned_entropy_rejects_a_bad_size(size):
    with pytest.raises(ValueError, match="size must be > 0"):
        binned_entropy(torch.zeros(4, 2), size=size)


# -- slopes -----------------------------------------------------------------------------------

def halving_unit(epochs: int, samples: int = 16, size: float = 0.1) -> torch.Tensor:
    """``(epoch, sample, 1)``: at epoch e, samples / 2^e equiprobable bins, so
    H = ln(samples) - e ln 2."""
    i = torch.arange(samples, dtype=torch.float64)
    return torch.stack([(torch.floor(i / 2 ** e) + 0.5) * size for e in range(epochs)])[..., None]


def test_a_unit_whose_entropy_falls_linearly_has_that_slope():
    h = unit_binned_entropy(halving_unit(5), size=0.1)[:, 0]  # (epoch,)
    np.testing.assert_allclose(h, [(4 - e) * LN2 for e in range(5)], atol=1e-12)
    assert least_squares_slope(h, torch.arange(5)).item() == pytest.approx(-LN2, abs=1e-12)


def test_slope_matches_scipy_linregress_and_respects_the_window():
    generator = torch.Generator().manual_seed(3)
    values = torch.randn(2, 3, 12, generator=generator, dtype=torch.float64)
    epochs = torch.tensor([0, 1, 2, 3, 5, 7, 11, 16, 23, 32, 45, 63])
    slopes = least_squares_slope(values, epochs)
    windowed = least_squares_slope(values, epochs, first=2, last=32)
    inside = (epochs >= 2) & (epochs <= 32)
    for index in np.ndindex(2, 3):
        y = values[index].numpy()
        assert slopes[index].item() == pytest.approx(stats.linregress(epochs, y).slope, abs=1e-12)
        assert windowed[index].item() == pytest.approx(
            stats.linregress(epochs[inside], y[inside]).slope, abs=1e-12)


def test_slope_needs_two_epochs_in_the_window():
    with pytest.raises(ValueError, match="at least two distinct"):
        least_squares_slope(torch.zeros(3), torch.tensor([0, 10, 20]), first=5, last=15)


def test_slope_stats_per_layer_match_numpy():
    slopes = torch.randn(4, 6, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    unit_layer = torch.tensor([1, 1, 1, 2, 2, 3])
    mean, std = slope_stats(slopes, unit_layer, torch.tensor([1, 2, 3]))
    for k, layer in enumerate((1, 2, 3)):
        members = slopes[:, unit_layer == layer].numpy()
        np.testing.assert_allclose(mean[:, k], members.mean(1), atol=1e-12)
        np.testing.assert_allclose(std[:, k], members.std(1), atol=1e-12)


# -- pairwise distances -----------------------------------------------------------------------

def numpy_histograms(acts: np.ndarray, labels: np.ndarray, bins: int, high: float) -> np.ndarray:
    """(2, bins) within/between histograms of the pairs i < j by pdist and numpy.histogram."""
    distances = np.minimum(pdist(acts), high)  # beyond high: the last bin, as documented
    same = pdist(labels[:, None], lambda a, b: float(a[0] == b[0])).astype(bool)
    return np.stack([np.histogram(distances[same], bins=bins, range=(0, high))[0],
                     np.histogram(distances[~same], bins=bins, range=(0, high))[0]])


@pytest.fixture(scope="module")
def cloud():
    generator = torch.Generator().manual_seed(5)
    acts = torch.randn(2, 3, 150, 4, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, 3, (150,), generator=generator)
    return acts, labels


def test_distance_histograms_match_pdist_and_numpy(cloud):
    acts, labels = cloud
    counts = distance_histograms(acts, labels, bins=12, high=5.0)  # some pairs lie beyond 5
    assert counts.shape == (2, 3, 2, 12) and counts.dtype == torch.int64
    for index in np.ndindex(2, 3):
        expected = numpy_histograms(acts[index].numpy(), labels.numpy(), 12, 5.0)
        np.testing.assert_array_equal(counts[index], expected)


def test_distance_histograms_count_every_unordered_pair_once(cloud):
    acts, labels = cloud
    counts = distance_histograms(acts, labels, bins=7, high=20.0)
    class_sizes = torch.bincount(labels)
    within = int((class_sizes * (class_sizes - 1) // 2).sum())
    assert (counts[..., 0, :].sum(-1) == within).all()
    assert (counts.sum((-1, -2)) == 150 * 149 // 2).all()


@pytest.mark.parametrize("chunk_rows", [1, 7, 64])
def test_chunks_give_the_counts_of_one_block(cloud, chunk_rows):
    acts, labels = cloud
    whole = distance_histograms(acts, labels, bins=10, high=6.0, chunk_rows=150)
    chunked = distance_histograms(acts, labels, bins=10, high=6.0, chunk_rows=chunk_rows)
    torch.testing.assert_close(chunked, whole, rtol=0, atol=0)


def test_distance_histograms_are_invariant(cloud):
    acts, labels = cloud
    counts = distance_histograms(acts, labels, bins=10, high=6.0)
    generator = torch.Generator().manual_seed(6)
    order = torch.randperm(150, generator=generator)
    rotation, _ = torch.linalg.qr(torch.randn(4, 4, generator=generator, dtype=torch.float64))
    shift = torch.randn(4, generator=generator, dtype=torch.float64) * 3
    relabelled = torch.tensor([2, 0, 1])[labels]  # a permutation of the class indices
    variants = {
        "sample permutation": (acts[..., order, :], labels[order]),
        "class relabelling": (acts, relabelled),
        "rotation and translation": (acts @ rotation.T + shift, labels),
    }
    for name, (moved, moved_labels) in variants.items():
        np.testing.assert_array_equal(
            distance_histograms(moved, moved_labels, bins=10, high=6.0), counts, err_msg=name)


def test_float32_chunked_counts_match_float64_up_to_ties():
    generator = torch.Generator().manual_seed(7)
    acts = torch.tanh(torch.randn(2, 1000, 5, generator=generator))
    labels = torch.randint(0, 2, (1000,), generator=generator)
    single = distance_histograms(acts, labels, bins=20, high=2 * math.sqrt(5), chunk_rows=100)
    double = distance_histograms(acts.double(), labels, bins=20, high=2 * math.sqrt(5))
    assert (single.sum(-1) == double.sum(-1)).all()
    assert (single - double).abs().sum() <= 10  # pairs within float32 rounding of an edge


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_gives_the_same_numbers(cloud):
    acts, labels = cloud
    cuda, cuda_labels = acts.cuda(), labels.cuda()
    torch.testing.assert_close(distance_histograms(cuda, cuda_labels, bins=10, high=6.0).cpu(),
                               distance_histograms(acts, labels, bins=10, high=6.0))
    torch.testing.assert_close(binned_entropy(cuda, size=0.3).cpu(),
                               binned_entropy(acts, size=0.3))
    torch.testing.assert_close(unit_binned_entropy(cuda, size=0.3).cpu(),
                               unit_binned_entropy(acts, size=0.3))


# -- the measure file -------------------------------------------------------------------------

EPOCHS = [0, 1, 2, 4, 8]


@pytest.fixture(scope="module")
def activations(tmp_path_factory, write_activations):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 48)
    data = np.tanh(rng.normal(size=(2, len(EPOCHS), 48, 5))).astype(np.float32)
    path = write_activations(tmp_path_factory.mktemp("run") / "activations.nc", data, labels,
                             EPOCHS)
    return path, torch.from_numpy(data), torch.from_numpy(labels)


def measured(tmp_path, activations, method, monkeypatch=None, **params):
    if monkeypatch is not None:
        import ibrepro.estimators.apply as apply

        monkeypatch.setattr(apply, "BLOCK_BYTES", 1)  # one epoch per block: exercise streaming
    out = tmp_path / f"{method}.nc"
    apply_measure({"name": f"my-{method}", "method": method, "params": params},
                  activations[0], out, device="cpu")
    return xr.load_dataset(out)


def test_the_file_has_the_documented_variables_with_units(tmp_path, activations):
    units = {"H_bin": "nats", "H_unit": "nats", "slope": "nats/epoch",
             "slope_mean": "nats/epoch", "slope_std": "nats/epoch", "pair_count": "pairs",
             "distance_edges": "activation units"}
    dims = {"H_bin": ("rep", "epoch", "layer"), "H_unit": ("rep", "epoch", "unit"),
            "slope": ("rep", "unit"), "slope_mean": ("rep", "layer"),
            "slope_std": ("rep", "layer"), "pair_count": ("rep", "epoch", "layer", "pair", "bin"),
            "distance_edges": ("layer", "edge")}
    for method, params in (("binned-entropy", {"size": 0.5}),
                           ("unit-binned-entropy", {"size": 0.5}),
                           ("pairwise-distances", {"bins": 6})):
        result = measured(tmp_path, activations, method, **params)
        assert set(result.data_vars) == set(measures.get(method).variables)
        for name in result.data_vars:
            assert result[name].dims == dims[name] and result[name].attrs["units"] == units[name]
        assert list(result["layer"].values) == [1, 2]
        assert list(result["layer_name"].values) == ["tanh 1", "softmax"]
        assert result.attrs["measure"] == f"my-{method}" and result.attrs["method"] == method
        assert json.loads(result.attrs["params"]) == params
        assert result.attrs["experiment"] == "toy" and result.attrs["git_commit"]
        assert "activations" in json.loads(result.attrs["inputs"])


def test_the_entropy_files_hold_the_pure_functions_values(tmp_path, activations, monkeypatch):
    _, data, _ = activations
    layer = measured(tmp_path, activations, "binned-entropy", monkeypatch, size=0.5)
    for k, units in enumerate((slice(0, 3), slice(3, 5))):
        np.testing.assert_allclose(layer["H_bin"][:, :, k],
                                   binned_entropy(data[..., units], size=0.5), atol=1e-12)
    unit = measured(tmp_path, activations, "unit-binned-entropy", monkeypatch, size=0.5,
                    first_epoch=1, last_epoch=4)
    h = unit_binned_entropy(data, size=0.5)
    np.testing.assert_allclose(unit["H_unit"], h, atol=1e-12)
    for rep in range(2):
        for k in range(5):
            expected = stats.linregress(EPOCHS[1:4], h[rep, 1:4, k]).slope
            assert unit["slope"][rep, k].item() == pytest.approx(expected, abs=1e-12)
    np.testing.assert_allclose(unit["slope_mean"].sel(layer=2),
                               unit["slope"][:, 3:].mean("unit"), atol=1e-12)
    assert list(unit["unit_layer"].values) == [1, 1, 1, 2, 2]


def test_the_distance_file_uses_the_chosen_epochs_samples_and_edges(tmp_path, activations,
                                                                    monkeypatch):
    _, data, labels = activations
    result = measured(tmp_path, activations, "pairwise-distances", monkeypatch, bins=6,
                      snapshots=3, sample_fraction=0.5, seed=2)
    assert list(result["epoch"].values) == [0, 2, 8]  # first, middle and last of 5 snapshots
    subset = clustering.sample_subset(48, 0.5, 2)
    assert len(subset) == 24 and result["pair_count"].attrs["samples"] == 24
    picked = data[:, [0, 2, 4]][:, :, subset].double().numpy()
    for k, units in enumerate((slice(0, 3), slice(3, 5))):
        values = picked[..., units]
        span = values.max((0, 1, 2)) - values.min((0, 1, 2))  # the box of the whole layer
        high = float(np.sqrt(np.sum(span ** 2)))
        np.testing.assert_allclose(result["distance_edges"][k], np.linspace(0, high, 7))
        assert pdist(values.reshape(-1, values.shape[-1])).max() <= high
        for rep, position in np.ndindex(2, 3):
            np.testing.assert_array_equal(
                result["pair_count"][rep, position, k],
                numpy_histograms(values[rep, position], labels.numpy()[subset], 6, high))


# -- registry and config ----------------------------------------------------------------------

def test_measures_are_registered_apart_from_estimators():
    from ibrepro.estimators import METHODS

    assert set(measures.MEASURES) == {"binned-entropy", "unit-binned-entropy",
                                      "pairwise-distances"}
    assert not set(measures.MEASURES) & set(METHODS)
    assert {m.module for m in measures.MEASURES.values()} == {"ibrepro.estimators.clustering"}


def test_fingerprint_follows_params():
    one = measures.fingerprint("binned-entropy", {"size": 0.05})
    assert one == measures.fingerprint("binned-entropy", {"size": 0.05, "method": "x"})
    assert one != measures.fingerprint("binned-entropy", {"size": 0.5})


PRINT_FINGERPRINTS = """
from ibrepro.estimators import fingerprint, measures
print(measures.fingerprint("binned-entropy", {"size": 0.05}))
print(fingerprint("bin-size", {"size": 0.3}))
"""


def test_editing_clustering_py_changes_only_the_measures_fingerprints(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(Path(ibrepro.__file__).parent, src / "ibrepro",
                    ignore=shutil.ignore_patterns("__pycache__"))
    module = src / "ibrepro/estimators/clustering.py"
    module.write_text(module.read_text() + "\n# an edit\n")
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    edited_measure, edited_estimator = subprocess.run(
        [sys.executable, "-c", PRINT_FINGERPRINTS], env=env, check=True, capture_output=True,
        text=True).stdout.split()
    assert edited_measure != measures.fingerprint("binned-entropy", {"size": 0.05})
    assert edited_estimator == estimators.fingerprint("bin-size", {"size": 0.3})


CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())


def config_with(measures_section):
    config = copy.deepcopy(CONFIG)
    config["measures"] = measures_section
    return config


def test_shipped_measures_resolve_with_defaults():
    spec = load(CONFIG)
    assert spec.measures["unit-entropy-0.05"] == {
        "name": "unit-entropy-0.05", "method": "unit-binned-entropy",
        "params": {"size": 0.05, "first_epoch": 0, "last_epoch": -1}}
    without = {k: v for k, v in CONFIG.items() if k != "measures"}  # no figure reading one:
    assert load({**without, "figures": ["rip/fig1"]}).measures == {}
    with pytest.raises(ConfigError, match="goldfeld/fig7 reads measure 'binned-entropy-2', "
                                          "which config.measures does not define"):
        load(without)  # every registered item


@pytest.mark.parametrize("entry, message", [
    ({"method": "clusters"}, r"config\.measures\.m: unknown measure method 'clusters'; "
                             r"registered: 'binned-entropy', 'pairwise-distances', "
                             r"'unit-binned-entropy'"),
    ({"method": "binned-entropy"},
     r"config\.measures\.m: binned-entropy: missing required parameter 'size'"),
    ({"method": "pairwise-distances", "bins": 50, "range": 3},
     r"config\.measures\.m: pairwise-distances: unknown parameter 'range' \(allowed: "
     r"\['bins', 'sample_fraction', 'seed', 'snapshots'\]\)"),
    ({"method": "pairwise-distances", "bins": 2.5},
     r"config\.measures\.m: pairwise-distances: parameter 'bins' must be int, got float"),
    ({"size": 0.1}, r"config\.measures\.m: 'method' is a required property"),
])
def test_config_errors_name_the_field_and_what_it_allows(entry, message):
    with pytest.raises(ConfigError, match=message):
        load(config_with({"m": entry}))


def test_measure_names_must_be_path_safe():
    with pytest.raises(ConfigError, match=r"config\.measures"):
        load(config_with({"Bad Name": {"method": "binned-entropy", "size": 0.1}}))
