"""goldfeld/fig4-6 helpers (H(Bin(T_l)) as fig5 reads it from the measure stage's file), and the
single-neuron run end to end: trainer files, sample propagation through its weights.nc, the fig4
caption against quadrature."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from ibrepro import data
from ibrepro.estimators.apply import estimate_file
from ibrepro.figures import ItemInputs, get, input_paths
from ibrepro.papers.goldfeld.clusters import hidden_entropy
from ibrepro.papers.goldfeld.noisy import (
    clustering_summary,
    log_spaced_snapshots,
    mixture_density,
    nearest_snapshots,
)
from ibrepro.papers.goldfeld.runs import NEURON, NEURON_DATA, SP, SP_2X, SZT, binned_entropy
from ibrepro.train import run_experiment
from ibrepro.train.writer import ActivationWriter


def test_mixture_density_against_scipy():
    points, beta = np.array([[-0.5, 0.0, 0.1, 0.9]]), 0.07
    grid = np.linspace(-1.5, 1.5, 3001)
    expected = np.mean([stats.norm.pdf(grid, p, beta) for p in points[0]], axis=0)
    np.testing.assert_allclose(mixture_density(points, beta, grid)[0], expected, rtol=1e-10)
    assert np.trapezoid(expected, grid) == pytest.approx(1, abs=1e-6)


def test_snapshot_choice():
    epochs = np.array([0, 1, 2, 5, 10, 30, 100, 1000])
    np.testing.assert_array_equal(nearest_snapshots(epochs, [0, 4, 999]), [0, 3, 7])
    np.testing.assert_array_equal(log_spaced_snapshots(epochs, 4), [1, 4, 6, 7])


def test_clustering_summary_names_the_clustered_layers():
    """0.249 prints as 0.25 but stays below the 0.25 that counts as clustered."""
    text = clustering_summary({"a": {3: 0.024, 4: 0.61, 5: 0.74}, "b": {3: 0.1, 5: 0.249}})
    assert text == ("(a) layer 3 0.02, layer 4 0.61, layer 5 0.74 (tightly clustered: 4, 5); "
                    "(b) layer 3 0.10, layer 5 0.25 (tightly clustered: none)")


def test_fig5_caption_says_which_layers_compress(tmp_path, write_measure):
    """SP I(X;T_l) of six layers (the output NaN, as SP leaves it): (a) layer 4 ends 10% and
    layer 5 50% below their peaks, (b) layer 5 4% (below the 5% that counts), (c) none. Random
    activations of the real widths for the scatters and the binned-entropy measure."""
    root, epochs, widths, reps = tmp_path / "results", [0, 1, 10, 100], [10, 7, 5, 4, 3, 2], 2
    paths = input_paths("goldfeld/fig5", root)
    rising = np.linspace(1.0, 2.0, len(epochs))
    ends = {"a": {4: 0.9, 5: 0.5}, "b": {5: 0.96}, "c": {}}
    rng = np.random.default_rng(0)
    for key, experiment in SZT.items():
        by_layer = np.column_stack([np.tile(rising[:, None], 5), np.full(len(epochs), np.nan)])
        i_xt = np.tile(by_layer, (reps, 1, 1))  # (rep, epoch, layer)
        for layer, end in ends[key].items():
            i_xt[:, -1, layer - 1] = rising[-2] * end  # the peak: the epoch before
        dims = ("rep", "epoch", "layer")
        mi = xr.Dataset({"I_XT": (dims, i_xt), "I_TY": (dims, np.zeros_like(i_xt))},
                        coords={"epoch": epochs, "layer": np.arange(1, 7),
                                "layer_name": ("layer", [f"l{k}" for k in range(1, 7)])},
                        attrs={"units": "nats", "params": "{}"})
        names = [f"mi/{experiment}/{SP}"] + ([f"mi/{experiment}/{SP_2X}"] if key == "a" else [])
        for name in names:
            paths[name].parent.mkdir(parents=True, exist_ok=True)
            mi.to_netcdf(paths[name])
        acts = paths[f"activations/{experiment}"]
        acts.parent.mkdir(parents=True, exist_ok=True)
        with ActivationWriter.create(acts, repetitions=reps, epochs=epochs, layer_widths=widths,
                                     layer_names=[f"l{k}" for k in range(1, 7)],
                                     labels=np.arange(16) % 2, split=np.array(["test"] * 16),
                                     attrs={}) as writer:
            for epoch in epochs:
                writer.write(epoch, rng.uniform(-1, 1, (reps, 16, sum(widths))).astype("f4"))
        measure = binned_entropy(experiment)
        write_measure(acts, paths[f"measures/{experiment}/{measure}"], measure)
        curves = np.ones((reps, len(epochs), 2))
        xr.Dataset({"loss": (("rep", "epoch", "split"), curves),
                    "accuracy": (("rep", "epoch", "split"), curves)},
                   coords={"epoch": epochs, "split": ["train", "test"]}
                   ).to_netcdf(paths[f"metrics/{experiment}"])
    with ItemInputs("goldfeld/fig5", paths) as inputs:
        _, caption = get("goldfeld/fig5").build(inputs)
    assert ("(a) layer 1: -0%, layer 2: -0%, layer 3: -0%, layer 4: -10% (compresses), "
            "layer 5: -50% (compresses); (b) layer 1: -0%, layer 2: -0%, layer 3: -0%, "
            "layer 4: -0%, layer 5: -4%; (c) layer 1: -0%") in caption


def test_binned_entropy_curves_mean_over_repetitions(tmp_path, write_measure):
    """Layer 1: rep 0 puts the 8 samples in 8 bins (ln 8), rep 1 in 2 (ln 2); layer 2 one bin:
    the binned-entropy measure's file (bin size 0.05) as goldfeld/fig5 reads it."""
    values = np.zeros((2, 1, 8, 3), dtype="f4")  # (rep, epoch, sample, unit); unit 2: output
    values[0, 0, :, 0] = np.arange(8) * 0.1
    values[1, 0, :, 0] = (np.arange(8) % 2) * 0.1
    values[:, 0, :, 1] = 0.5
    path = tmp_path / "a.nc"
    with ActivationWriter.create(path, repetitions=2, epochs=[0], layer_widths=[1, 1, 1],
                                 layer_names=["a", "b", "c"], labels=np.arange(8) % 2,
                                 split=np.array(["train"] * 8), attrs={}) as writer:
        writer.write(0, values[:, 0])
    write_measure(path, tmp_path / "h.nc", "binned-entropy-0.05")
    with xr.open_dataset(tmp_path / "h.nc") as measure:
        curves = hidden_entropy(measure)
    np.testing.assert_allclose(curves, [[(math.log(8) + math.log(2)) / 2, 0.0]], atol=1e-12)


def test_single_neuron_run_sample_propagation_and_fig4(tmp_path):
    root = tmp_path / "results"
    dataset = root / "data" / f"{NEURON_DATA}.nc"
    dataset.parent.mkdir(parents=True)
    data.build(NEURON_DATA, {"kind": "single-neuron"}).to_netcdf(dataset)
    spec = {"name": NEURON, "trainer": "single-neuron", "dataset": NEURON_DATA, "hidden": [1],
            "activations": ["tanh"], "noise_std": 0.01, "lr": 0.01, "epochs": 3000,
            "repetitions": 1, "snapshots": 25, "seed": 1, "batch_size": 4, "init": "glorot",
            "optimizer": "sgd"}  # (the last three do not apply to the neuron's trainer)
    run = root / "runs" / NEURON
    run.mkdir(parents=True)
    run_experiment(spec, dataset, run / "activations.nc", run / "metrics.nc",
                   run / "weights.nc", device="cpu", progress=False)
    estimator = {"name": SP, "method": "sample-propagation",
                 "params": {"mc_samples": 4000, "propagations": 4, "conditional_mc_samples": 4,
                            "seed": 0}}
    mi_path = root / "mi" / NEURON / f"{SP}.nc"
    estimate_file(estimator, run / "activations.nc", mi_path, device="cpu",
                  weights_path=run / "weights.nc")
    with xr.open_dataset(run / "activations.nc") as acts:
        assert list(acts["layer_name"].values) == ["tanh 1"]
    paths = input_paths("goldfeld/fig4", root)
    with ItemInputs("goldfeld/fig4", paths) as inputs:
        _, caption = get("goldfeld/fig4").build(inputs)
    gap = float(re.search(r"max \|SP - quadrature\| = ([0-9.]+)", caption).group(1))
    assert gap < 0.05
    assert "X uniform on {-3, -1, 1, 3}" in caption
