"""Lorenzen et al. 2022's SZT items: repetition statistics against independent computations, and
the figures built from hand-made MI and metrics files, numbers checked in their captions."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from ibrepro.figures.repetitions import mean_ci95, mean_variance, median_deviating
from ibrepro.papers.lorenzen.runs import ACTIVATIONS, BITS, prefit_run, qnn

EPOCHS = np.array([0, 1, 3, 10, 30])
NAMES = ["tanh 1", "tanh 2", "softmax"]


def test_median_deviating_repetition():
    """One I(X;T) value per rep 3, 0, 100, 1, 2 (mean 21.2): distances 18.2, 21.2, 78.8, 20.2,
    19.2, so the median is rep 3; the first four (mean 26): 23, 26, 74, 25, lower median rep 3.
    I(T;Y) counts too: moving rep 0's far away makes it the farthest."""
    i_xt = np.zeros((5, 2, 3))
    i_xt[:, 0, 0] = [3.0, 0.0, 100.0, 1.0, 2.0]
    i_ty = np.zeros_like(i_xt)
    assert median_deviating(i_xt, i_ty) == 3
    assert median_deviating(i_xt[:4], i_ty[:4]) == 3
    i_ty[0, 1, 2] = 1000.0  # rep 0 now farthest; sorted: 4, 3, 1, 2, 0
    assert median_deviating(i_xt, i_ty) == 1


def test_mean_variance_and_ci_against_scipy():
    rng = np.random.default_rng(0)
    values = rng.normal(0.8, 0.05, (20, 7))
    mean, variance = mean_variance(values)
    np.testing.assert_allclose(variance, np.var(values, axis=0))
    m, half = mean_ci95(values)
    np.testing.assert_allclose(m, mean)
    np.testing.assert_allclose(half, stats.norm.ppf(0.975) * stats.sem(values, axis=0))
    assert (mean_ci95(values[:1])[1] == 0).all()


def _mi(rng, reps=3) -> xr.Dataset:
    """Rising then falling softmax I(X;T); hidden layers rising; I(T;Y) <= 1 bit."""
    i_xt = np.empty((reps, len(EPOCHS), 3))
    i_xt[..., 0] = np.linspace(9, 11.5, len(EPOCHS))
    i_xt[..., 1] = np.linspace(8, 11, len(EPOCHS))
    i_xt[..., 2] = [1.0, 3.0, 4.0, 3.0, 2.0]
    i_xt += rng.uniform(0, 0.1, i_xt.shape)
    i_ty = np.clip(i_xt / 11.5, 0, 1)
    return xr.Dataset({"I_XT": (("rep", "epoch", "layer"), i_xt),
                       "I_TY": (("rep", "epoch", "layer"), i_ty)},
                      coords={"rep": np.arange(reps), "epoch": EPOCHS, "layer": [1, 2, 3],
                              "layer_name": ("layer", NAMES)},
                      attrs={"units": "bits"})


def _metrics(final: float, restarts: list[int], prefit: int = 0) -> xr.Dataset:
    """Accuracy rising linearly to ``final`` over 31 epochs, the same in every repetition."""
    acc = np.linspace(0.5, final, 31)[None, :, None].repeat(len(restarts), 0).repeat(2, 2)
    spec = {"prefit": {"epochs": prefit, "label_seed": 3}} if prefit else {}
    return xr.Dataset({"accuracy": (("rep", "epoch", "split"), acc),
                       "loss": (("rep", "epoch", "split"), 1 - acc)},
                      coords={"rep": np.arange(len(restarts)), "epoch": np.arange(31),
                              "split": ["train", "test"]},
                      attrs={"restarts": json.dumps(restarts), "spec": json.dumps(spec)})


@pytest.fixture(scope="module")
def results(tmp_path_factory, write_item_inputs):
    """Every input of the SZT items under one results root: 8-bit nets with 1 restart, 4-bit
    fitting to 0.8, the others to 0.95; prefit 3 epochs. (The RELU items share the TANH ones'
    code; the tests build the TANH ones.)"""
    root = tmp_path_factory.mktemp("results")
    rng = np.random.default_rng(1)
    files = {}
    for activation in ACTIVATIONS:
        for bits in BITS:
            run = qnn(activation, bits)
            estimator = "bin-count-32bit" if bits == 32 else "exact-quantized"
            files[f"mi/{run}/{estimator}"] = _mi(rng)
            files[f"metrics/{run}"] = _metrics(0.8 if bits == 4 else 0.95,
                                               [0, 1, 0] if bits == 8 else [0, 0, 0])
        files[f"mi/{prefit_run(activation)}/exact-quantized"] = _mi(rng)
        files[f"metrics/{prefit_run(activation)}"] = _metrics(0.9, [0, 0, 0], prefit=3)
    items = ("fig1", "fig2", "fig3", "figB7", "figB8", "figC10", "figC11", "figD12", "figF14",
             "figF15")
    return write_item_inputs(root, [f"lorenzen/{item}" for item in items], files)


@pytest.fixture(scope="module")
def _build(item_caption):
    return lambda root, item: item_caption(root, f"lorenzen/{item}")


def test_fig2_marks_compression_of_the_softmax_and_counts_restarts(results, _build):
    caption = _build(results, "fig2")
    assert "softmax: -50% (compresses)" in caption.replace("-49%", "-50%").replace("-51%", "-50%")
    assert "3 repetitions, 1 bad-fit restarts" in caption
    assert "final accuracy train 0.950 ± 0.000" in caption


def test_fig1_fitting_peak_epoch(results, _build):
    assert "I(X;T) peak at epoch 3" in _build(results, "fig1")


def test_figb7_names_the_median_repetition(results, _build):
    caption = _build(results, "figB7")
    assert "repetition" in caption and "largest variance" in caption


def test_figd12_reads_the_prefit_length(results, _build):
    assert "true-label training starts at epoch 4" in _build(results, "figD12")


def test_figf14_accuracies_per_bits(results, _build):
    caption = _build(results, "figF14")
    assert "4 bits: 3 repetitions, 0 bad-fit restarts, final accuracy train 0.800" in caption
    assert "8 bits: 3 repetitions, 1 bad-fit restarts" in caption


def test_figc11_reads_the_32bit_estimates(results, _build):
    assert "bin-count-32bit" in _build(results, "figC11")
