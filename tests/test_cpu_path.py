"""The CPU path (numpy arrays, numba kernels, no torch) against the torch path, which CUDA jobs
run: binning bit for bit, KDE and sample propagation within 1e-9 of dense float64 references,
and estimate and measure jobs that never import torch."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from ibrepro.estimators import get, validate_params
from ibrepro.estimators.adaptive import equal_mass_symbols, pooled_quantile_symbols
from ibrepro.estimators.binning import bin_size
from ibrepro.estimators.entropy import mutual_information, row_keys, xlogx_table
from ibrepro.estimators.gaussian import (
    _distinct_rows,
    cross_sums,
    cutoff_exponent,
    exp_approx,
    exp_negative,
)
from ibrepro.estimators.sample_propagation import (
    ACTIVATIONS,
    Snapshots,
    _cut_log_means,
    _dense_log_means,
    sample_propagation,
)
from ibrepro.nets.mlp import HIDDEN_ACTIVATIONS

WIDTHS = (10, 7, 5, 4, 3, 2)  # the SZT net's layers


@pytest.fixture(scope="module")
def szt_layers(szt_data):
    """Every layer of a random tanh SZT net 12-10-7-5-4-3-2 at three weight scales (early to
    saturated), float32 ``(3, 4096, 31)``, and the labels: real-ish activations."""
    x, y, _ = szt_data
    rng = np.random.default_rng(0)
    sizes = (12, *WIDTHS)
    weights = [rng.standard_normal((a, b)) / a**0.5
               for a, b in zip(sizes[:-1], sizes[1:], strict=True)]
    epochs = []
    for gain in (0.5, 2.0, 6.0):
        h, outputs = x.astype(np.float64), []
        for k, w in enumerate(weights):
            h = np.tanh(h @ (gain * w)) if k < len(weights) - 1 else h @ w
            outputs.append(h)
        softmax = np.exp(outputs[-1] - outputs[-1].max(1, keepdims=True))
        outputs[-1] = softmax / softmax.sum(1, keepdims=True)
        epochs.append(np.concatenate(outputs, 1))
    return np.stack(epochs).astype(np.float32), y.astype(np.int64)


def _layers(acts):
    bounds = np.cumsum([0, *WIDTHS])
    return [acts[..., lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


BINNING = [("bin-size", {"size": 0.07}), ("bin-size", {"size": 1e-4}),
           ("bin-count", {"bins": 30}), ("bin-count", {"bins": 256, "range": "layer-epoch"}),
           ("bin-count", {"bins": 30, "range": "layer"}), ("adaptive-bins", {"bins": 30}),
           ("adaptive-bins", {"bins": 30, "scheme": "unit-ranks"}),
           ("bin-size", {"size": 0.3, "shuffle_labels_seed": 4})]


@pytest.mark.parametrize(("method", "params"), BINNING)
def test_binning_equals_the_torch_path_bit_for_bit(szt_layers, method, params):
    acts, labels = szt_layers
    estimator = get(method)
    params = validate_params(method, params)
    seed = params.pop("shuffle_labels_seed", None)
    fn = estimator.fn
    if seed is not None:
        from ibrepro.estimators.baseline import shuffled

        fn = shuffled(fn, seed)
    if params.get("range") == "layer":
        params = {**params, "low": float(acts.min()), "high": float(acts.max())}
    for values in _layers(acts):
        cpu = fn(values, labels, **params)
        reference = fn(torch.from_numpy(np.ascontiguousarray(values)), torch.from_numpy(labels),
                       **params)
        for ours, theirs in zip(cpu, reference, strict=True):
            assert isinstance(ours, np.ndarray)
            np.testing.assert_array_equal(ours, theirs.numpy())


def test_exact_discrete_equals_the_torch_path_bit_for_bit(szt_layers):
    acts, labels = szt_layers
    codes = np.round((acts + 1) * 127.5).astype(np.uint8)
    for values in _layers(codes):
        cpu = get("exact-discrete").fn(values, labels)
        reference = get("exact-discrete").fn(torch.from_numpy(np.ascontiguousarray(values)),
                                             torch.from_numpy(labels))
        np.testing.assert_array_equal(cpu.I_XT, reference.I_XT.numpy())
        np.testing.assert_array_equal(cpu.I_TY, reference.I_TY.numpy())


@pytest.mark.parametrize(("n_units", "spread", "classes"),
                         [(1, 3, 2), (12, 10**6, 7), (20, 499, 3), (70, 1, 10)])
def test_entropy_core_equals_the_torch_path(n_units, spread, classes):
    # sparse columns, radix products past 2^62 (keys re-ranked), many classes to pack
    rng = np.random.default_rng(n_units)
    rows = rng.integers(-spread, spread + 1, size=(2, 3, 300, n_units))
    rows[0, 1, :150] = rows[0, 1, 150:]  # repeated rows
    labels = rng.integers(0, classes, size=300)
    cpu = mutual_information(rows, labels)
    reference = mutual_information(torch.from_numpy(rows), torch.from_numpy(labels))
    np.testing.assert_array_equal(cpu.I_XT, reference.I_XT.numpy())
    np.testing.assert_array_equal(cpu.I_TY, reference.I_TY.numpy())
    keys = row_keys(rows)
    same_row = (rows[..., :, None, :] == rows[..., None, :, :]).all(-1)
    np.testing.assert_array_equal(keys[..., :, None] == keys[..., None, :], same_row)


@pytest.mark.parametrize("bins", [1, 7, 30])
@pytest.mark.parametrize("symbols_of", [equal_mass_symbols, pooled_quantile_symbols])
def test_adaptive_symbols_equal_the_torch_path(szt_layers, symbols_of, bins):
    acts, _ = szt_layers
    # ties (saturated units), relu zeros (the pooled scheme's zero bin), float64 input
    for values in (acts[..., :10], np.round(acts[..., :10] * 4) / 4, np.maximum(acts, 0),
                   np.maximum(acts[..., 10:17], 0).astype(np.float64)):
        np.testing.assert_array_equal(
            symbols_of(values, bins),
            symbols_of(torch.from_numpy(np.ascontiguousarray(values)), bins).numpy())


def test_binning_equals_the_torch_path_at_counts_where_libm_and_torch_log2_differ():
    # the numba kernels' c log2 c is a table from libm's log2; torch's log2 rounds otherwise
    # at a few counts on some CPUs (5 below 57803 on an AVX-512 machine), where the torch path
    # once gave other bits: it reads the same table
    counts = torch.arange(1, 57803, dtype=torch.float64)
    differ = np.flatnonzero(xlogx_table(57802)[1:] != (counts * torch.log2(counts)).numpy()) + 1
    for c in [*differ[:3].tolist(), 7957, 3]:
        acts = np.concatenate([np.zeros(c), np.arange(1.0, 200.0)])[:, None]  # a run of c
        labels = np.arange(len(acts)) % 2
        ours = bin_size(acts, labels, size=1.0)
        theirs = bin_size(torch.from_numpy(acts), torch.from_numpy(labels), size=1.0)
        assert ours.I_XT.item() == theirs.I_XT.item()
        assert ours.I_TY.item() == theirs.I_TY.item()


def _dense_kde(acts, labels, scale):
    """I(X;T), I(T;Y) in bits, every pair in float64: the formula of kde.py's docstring."""
    d2 = ((acts[:, None, :] - acts[None, :, :]) ** 2).sum(-1)
    kernel = np.exp(-scale * d2)
    same = labels[:, None] == labels[None, :]
    sizes = np.bincount(labels)[labels]
    log_all = np.log(kernel.mean(1))
    log_class = np.log((kernel * same).sum(1) / sizes)
    return -log_all.mean() / math.log(2), (log_class - log_all).mean() / math.log(2)


@pytest.mark.parametrize("method", ["kde-upper", "kde-lower", "adaptive-kde-upper",
                                    "adaptive-kde-lower"])
def test_kde_equals_a_dense_float64_reference(szt_layers, method):
    acts, labels = szt_layers
    params = ({"noise_variance": 1e-3} if "adaptive" not in method
              else {"noise_fraction": 0.0158})
    sub = slice(0, 4096, 3)  # 1366 samples: the dense reference stays small
    for values in _layers(acts[:, sub]):
        ours = get(method).fn(values, labels[sub], **params)
        for epoch, group in enumerate(values.astype(np.float64)):
            variance = (params["noise_variance"] if "noise_variance" in params else
                        (params["noise_fraction"] * (group.max() - group.min())) ** 2)
            factor = 2.0 if method.endswith("upper") else 8.0
            i_xt, i_ty = _dense_kde(group, labels[sub], 1 / (factor * variance))
            assert ours.I_XT[epoch] == pytest.approx(i_xt, abs=1e-9)
            assert ours.I_TY[epoch] == pytest.approx(i_ty, abs=1e-9)


@pytest.mark.parametrize("method", ["kde-upper", "kde-lower"])
def test_kde_of_repeated_rows_equals_a_dense_float64_reference(szt_layers, method):
    """A relu layer maps many inputs to one row (units at 0): the kernel sums each distinct
    (row, class) once, weighted by its count, and must still equal every pair summed."""
    acts, labels = szt_layers
    sub = slice(0, 4096, 3)
    factor = 2.0 if method.endswith("upper") else 8.0
    for values in _layers(acts[:, sub]):
        relu = np.maximum(values - 0.2, 0).astype(np.float32)  # many rows all 0
        relu[:, ::7] = relu[:, 1:2]  # and copies of one row, across both classes
        assert len(np.unique(relu[-1], axis=0)) <= len(relu[-1]) * 6 // 7  # 1 in 7 repeat
        ours = get(method).fn(relu, labels[sub], noise_variance=1e-3)
        for epoch, group in enumerate(relu.astype(np.float64)):
            i_xt, i_ty = _dense_kde(group, labels[sub], 1 / (factor * 1e-3))
            assert ours.I_XT[epoch] == pytest.approx(i_xt, abs=1e-9)
            assert ours.I_TY[epoch] == pytest.approx(i_ty, abs=1e-9)


def test_distinct_rows_separate_classes_and_equal_projections():
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    labels = np.array([0, 0, 0, 1, 1])
    projection = np.zeros(5)  # one run: rows are told apart by their coordinates
    member, first, count = _distinct_rows(points, labels, projection, np.arange(5))
    np.testing.assert_array_equal(member, [0, 1, 0, 2, 3])
    np.testing.assert_array_equal(first, [0, 1, 3, 4])
    np.testing.assert_array_equal(count, [2, 1, 1, 1])


def test_exp_approx_is_within_1e_12():
    x = np.linspace(-60, 60, 200001)
    ours = np.array([exp_approx(v) for v in x[::97]])
    np.testing.assert_allclose(ours, np.exp(x[::97]), rtol=1e-12)


def test_exp_negative_is_within_4e_12():
    x = np.linspace(-64, 0, 200001)[::97]
    ours = np.array([exp_negative(v) for v in x])
    np.testing.assert_allclose(ours, np.exp(x), rtol=4e-12)


@pytest.mark.parametrize("d", [1, 3, 4, 6])  # every d mod 4: the distance passes' cases
def test_sample_propagation_kernels_equal_dense_float64_sums(d):
    rng = np.random.default_rng(1)
    groups, m, n = 2, 300, 400
    centres = np.tanh(rng.normal(size=(groups, n, d)) * 3)  # saturated clusters
    noise = rng.normal(size=(groups, m, d))
    pick = rng.integers(0, n, m)
    beta = 0.02
    points = centres[:, pick] + beta * noise
    own = -0.5 * (noise**2).sum(-1)
    scale = 1 / (2 * beta**2)
    exponents = -scale * ((points[:, :, None] - centres[:, None]) ** 2).sum(-1) - own[..., None]
    dense = np.log(np.exp(exponents).mean(-1))
    labels = rng.integers(0, 2, n)
    sizes = np.bincount(labels).astype(np.float64)
    every, own_class = np.empty((groups, m)), np.empty((groups, m))
    _cut_log_means(points, own, centres, scale, cutoff_exponent(n), labels[pick], labels, sizes,
                   every, own_class)
    np.testing.assert_allclose(every, dense, rtol=0, atol=1e-12)
    same = labels[pick][:, None] == labels[None, :]
    dense_class = np.log((np.exp(exponents) * same).sum(-1) / sizes[labels[pick]])
    np.testing.assert_allclose(own_class, dense_class, rtol=0, atol=1e-12)
    out = np.empty((groups, m))
    _dense_log_means(points, own, np.ascontiguousarray(centres.transpose(0, 2, 1)), scale, out)
    np.testing.assert_allclose(out, dense, rtol=0, atol=1e-12)
    row_all, row_class = np.empty(m), np.empty(m)
    cross_sums(points[0], own[0], centres[0], scale, cutoff_exponent(n), labels[pick], labels,
               row_all, row_class)
    np.testing.assert_allclose(np.log(row_all / n), dense[0], rtol=0, atol=1e-12)


def test_numpy_activations_match_the_nets():
    t = np.linspace(-30, 30, 1201)
    assert set(ACTIVATIONS) == set(HIDDEN_ACTIVATIONS)
    for name, fn in ACTIVATIONS.items():
        np.testing.assert_allclose(fn(t), HIDDEN_ACTIVATIONS[name](torch.from_numpy(t)).numpy(),
                                   rtol=1e-12, atol=1e-15, err_msg=name)


def test_sample_propagation_agrees_with_the_torch_path_within_monte_carlo_error():
    # two noisy layers of a fixed net on well separated inputs: both paths give ln n for I(X;T)
    rng = np.random.default_rng(2)
    n, beta = 64, 0.01
    x = rng.normal(size=(n, 3))
    weights = [rng.normal(size=(1, 3, 4)), 3 * rng.normal(size=(1, 4, 3)),
               rng.normal(size=(1, 3, 2))]
    biases = [np.zeros((1, 1, w.shape[-1])) for w in weights]
    s1 = np.tanh(x @ weights[0][0])[None]
    s2 = np.tanh(s1 @ weights[1])
    out = s2 @ weights[2]
    labels = np.arange(n) % 2
    params = {"mc_samples": 1024, "propagations": 128, "conditional_mc_samples": 128}
    ours = sample_propagation([s1, s2, out], labels,
                              network=Snapshots(weights, biases, ["tanh", "tanh"], beta), **params)
    theirs = sample_propagation(
        [torch.from_numpy(a) for a in (s1, s2, out)], torch.from_numpy(labels),
        network=Snapshots([torch.from_numpy(w) for w in weights],
                          [torch.from_numpy(b) for b in biases], ["tanh", "tanh"], beta),
        **params)
    assert isinstance(ours.I_XT, np.ndarray) and np.isnan(ours.I_XT[0, 2])
    np.testing.assert_allclose(ours.I_XT[0, :2], theirs.I_XT.numpy()[0, :2], atol=0.05)
    np.testing.assert_allclose(ours.I_TY[0, :2], theirs.I_TY.numpy()[0, :2], atol=0.05)
    assert ours.I_XT[0, 0] == pytest.approx(math.log(n), abs=0.05)


def _imported_modules(args: list[str]) -> set[str]:
    """The modules ``python -X importtime -m ibrepro ARGS`` imported (it must succeed)."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "ibrepro", *args],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    return {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines()
            if line.startswith("import time:")}


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory, write_activations):
    rng = np.random.default_rng(3)
    data = np.tanh(rng.normal(size=(2, 3, 40, 5))).astype(np.float32)
    return write_activations(tmp_path_factory.mktemp("run") / "activations.nc", data,
                             rng.integers(0, 2, 40), [0, 1, 2])


@pytest.mark.parametrize(("command", "spec"), [
    ("estimate", {"name": "b", "method": "bin-count", "params": {"bins": 8, "range": "global"}}),
    ("estimate", {"name": "k", "method": "kde-upper", "params": {"noise_variance": 0.01,
                                                                 "shuffle_labels_seed": 1}}),
    ("measure", {"name": "u", "method": "unit-binned-entropy", "params": {"size": 0.1}}),
    ("measure", {"name": "d", "method": "pairwise-distances", "params": {"bins": 4}}),
])
def test_estimate_and_measure_jobs_on_the_cpu_never_import_torch(tmp_path, toy_run, command,
                                                                  spec):
    modules = _imported_modules([command, json.dumps(spec), "--activations", str(toy_run),
                                 "--out", str(tmp_path / "out.nc"), "--device", "cpu",
                                 "--threads", "2"])
    assert "numpy" in modules and "ibrepro.estimators.apply" in modules
    assert not {m for m in modules if m == "torch" or m.startswith("torch.")}
    assert (tmp_path / "out.nc").exists()


def test_auto_without_a_driver_is_the_cpu_without_torch():
    code = ("import sys; from ibrepro import device; device.nvidia_driver_present = lambda: "
            "False; print(device.resolve('auto'), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["cpu", "False"]


@pytest.mark.parametrize("spec", [
    {"name": "b", "method": "bin-count", "params": {"bins": 8, "range": "layer"}},
    {"name": "k", "method": "kde-lower", "params": {"noise_variance": 0.01}},
])
def test_the_cuda_path_of_estimate_file_runs_torch_and_agrees(tmp_path, toy_run, spec,
                                                              monkeypatch):
    # on "cuda" every block becomes a tensor (here a CPU one): the torch code, as a GPU job
    import xarray as xr

    import ibrepro.estimators.apply as apply

    def as_cpu_tensor(array, device):
        return array if device == "cpu" else torch.as_tensor(array)

    estimate = apply.estimate_file
    monkeypatch.setattr(apply, "SMALL_INPUT_BYTES", 0)  # two worker processes, however small
    estimate(spec, toy_run, tmp_path / "cpu.nc", device="cpu", workers=2)
    monkeypatch.setattr(apply, "on_device", as_cpu_tensor)
    estimate(spec, toy_run, tmp_path / "cuda.nc", device="cuda")
    with xr.open_dataset(tmp_path / "cpu.nc") as cpu, xr.open_dataset(tmp_path / "cuda.nc") as gpu:
        assert cpu.attrs["device"] == "cpu" and gpu.attrs["device"] == "cuda"
        for name in cpu.data_vars:
            np.testing.assert_allclose(cpu[name], gpu[name], rtol=0,
                                       atol=0 if spec["method"] == "bin-count" else 1e-12)


def test_small_inputs_take_one_process_and_large_ones_the_workers(tmp_path, toy_run,
                                                                   monkeypatch):
    import ibrepro.estimators.apply as apply

    class NoPool:
        def __init__(self, *args, **kwargs):
            raise AssertionError("a worker pool was started")

    monkeypatch.setattr(apply, "ProcessPoolExecutor", NoPool)
    spec = {"name": "b", "method": "bin-count", "params": {"bins": 8, "range": "layer"}}
    apply.estimate_file(spec, toy_run, tmp_path / "one.nc", device="cpu", workers=2)
    monkeypatch.setattr(apply, "SMALL_INPUT_BYTES", 0)
    with pytest.raises(AssertionError, match="a worker pool was started"):
        apply.estimate_file(spec, toy_run, tmp_path / "two.nc", device="cpu", workers=2)


def test_an_unknown_device_is_named():
    from ibrepro.device import resolve

    with pytest.raises(ValueError, match="device must be one of auto, cpu, cuda; got 'tpu'"):
        resolve("tpu")
