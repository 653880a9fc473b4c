"""Goldfeld's MNIST CNN items (goldfeld/table1, fig3, fig7, fig8, unit-slopes): their statistics
against closed forms and independent implementations, the validation-only recording, and the
items rendered from hand-made run files and the measure stage's files of them."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
from scipy.spatial import distance

from ibrepro.config import load_file
from ibrepro.errors import ConfigError
from ibrepro.figures import ItemInputs, get, input_paths
from ibrepro.papers.goldfeld.clusters import hidden_entropy
from ibrepro.papers.goldfeld.cnn import MODELS, cosine_similarity, fig8_epochs, layer_slopes
from ibrepro.papers.goldfeld.errors import validation_errors
from ibrepro.papers.goldfeld.runs import (
    CNN_DISTANCES,
    DATASET,
    DETERMINISTIC,
    DROPOUT,
    TWO_BINS,
    UNIT_SLOPES,
)
from ibrepro.paths import measure_file
from ibrepro.train.schedule import recorded_epochs
from ibrepro.train.writer import ActivationWriter

REPO = Path(__file__).resolve().parents[1]
WIDTHS = (6, 4, 3, 3, 10)  # conv 1, conv 2, dense 3, dense 4, softmax
SPEC = {"conv": [{"channels": 2, "kernel": 3, "pool": 2}, {"channels": 1, "kernel": 5, "pool": 7}],
        "hidden": [3, 3], "activations": ["tanh"] * 4, "optimizer": "adam", "lr": 0.001,
        "batch_size": 128, "epochs": 4, "repetitions": 2, "init": "glorot"}
NAMES = ["conv 1", "conv 2", "tanh 3", "tanh 4", "softmax"]


def test_validation_errors_are_counts():
    np.testing.assert_array_equal(validation_errors([1.0, 0.995, 0.78, 0.9949], 10000),
                                  [0, 50, 2200, 51])


def test_cosine_similarity_closed_forms_and_scipy():
    a = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0], [1.0, -1.0, 0.5], [0.0, 0.0, 0.0]])
    b = np.array([[2.0, 4.0, 6.0], [0.0, 3.0, 0.0], [-1.0, 1.0, -0.5], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(cosine_similarity(a, b), [1, 0, -1, 0], atol=1e-12)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 5, 7))
    expected = [1 - distance.cosine(u, v) for u, v in zip(x, y, strict=True)]
    np.testing.assert_allclose(cosine_similarity(x, y), expected, rtol=1e-12)


def test_two_bins_are_the_sign_patterns(tmp_path, write_measure):
    """fig7's H(Bin(T_l)) with two bins (the binned-entropy-2 measure): the 8 sign patterns of
    3 units give ln 8, the same patterns' absolute values one bin; the two bins [-1, 0) and
    [0, 1] split at 0, which falls with the positives (Goldfeld's [-1, 0], (0, 1] put it with
    the negatives: the two differ only for t = 0 exactly)."""
    patterns = np.array([[i >> 2 & 1, i >> 1 & 1, i & 1] for i in range(8)]) * 2.0 - 1
    column = np.array([0.0, -0.5, -1.0, 1e-6])
    values = np.zeros((2, 1, 8, 4))  # (rep, epoch, sample, unit): layers 1 (3 units), 2 (1)
    values[0, 0, :, :3], values[1, 0, :, :3] = patterns, np.abs(patterns)
    values[:, 0, :4, 3], values[:, 0, 4:, 3] = column, column
    _activations(tmp_path / "acts.nc", values, [0], np.arange(8) % 2, widths=(3, 1),
                 split=np.array(["test"] * 8))
    write_measure(tmp_path / "acts.nc", tmp_path / "h.nc", TWO_BINS)
    with xr.open_dataset(tmp_path / "h.nc") as measure:
        h = measure["H_bin"].transpose("rep", "epoch", "layer").values[:, 0]
        np.testing.assert_allclose(h[:, 0], [math.log(8), 0.0], atol=1e-12)
        assert h[0, 1] == pytest.approx(math.log(2))  # 0 and 1e-6 vs -0.5 and -1
        np.testing.assert_allclose(hidden_entropy(measure), [[(math.log(8) + 0.0) / 2]])


def _activations(path, values: np.ndarray, epochs, labels, samples=None, split=None,
                 widths=WIDTHS, attrs=None) -> None:
    """Write ``values`` ``(rep, epoch, sample, unit)`` (every dataset sample) with the
    trainer's writer, which gets the ``samples`` kept, as the engines hand them over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    split = np.array(["test"] * len(labels)) if split is None else split
    with ActivationWriter.create(path, repetitions=values.shape[0], epochs=epochs,
                                 layer_widths=widths, layer_names=NAMES[:len(widths)],
                                 labels=labels, split=split, attrs=attrs or {},
                                 samples=samples) as writer:
        for k, epoch in enumerate(epochs):
            kept = values[:, k] if samples is None else values[:, k][:, samples]
            writer.write(epoch, kept.astype("f4"))


def test_unit_slopes_against_polyfit(tmp_path, write_measure):
    """Unit 0 takes m_e equiprobable values at epoch e (H = ln m_e), unit 1 stays at 4: its
    slope is 0; epoch 0 is left out of the fit (the unit-slopes measures, as the unit-slopes
    table reads them)."""
    epochs, counts, n = [0, 1, 2, 4, 8], [2, 16, 8, 8, 2], 16
    values = np.zeros((1, len(epochs), n, WIDTHS[0]))
    for k, m in enumerate(counts):
        values[0, k, :, 0] = 0.1 * (np.arange(n) % m)
        values[0, k, :, 1] = 0.1 * (np.arange(n) % 4)
    path = tmp_path / "acts.nc"
    _activations(path, values, epochs, np.arange(n) % 2, widths=WIDTHS[:1])
    measures = []
    for size in (0.01, 0.25):
        out = write_measure(path, tmp_path / f"slopes-{size}.nc", UNIT_SLOPES[0.01], size=size)
        measures.append(xr.load_dataset(out))
    slopes = layer_slopes(measures, 1)[..., :2]  # units 0 and 1 of layer 1
    expected = np.polyfit(epochs[1:], np.log(counts[1:]), 1)[0]
    np.testing.assert_allclose(slopes[0], [[expected, 0.0]], atol=1e-12)
    # bins of 0.25 merge values unevenly: numpy's plug-in entropy of floor(t / 0.25)
    stored = values.astype("f4").astype(np.float64)
    entropies = []
    for k in range(1, len(epochs)):
        p = np.unique(np.floor(stored[0, k, :, 0] / 0.25), return_counts=True)[1] / n
        entropies.append(-(p * np.log(p)).sum())
    np.testing.assert_allclose(slopes[1, 0, 0], np.polyfit(epochs[1:], entropies, 1)[0],
                               atol=1e-12)


def test_writer_keeps_the_chosen_samples(tmp_path):
    values = np.arange(2 * 1 * 5 * 6, dtype="f4").reshape(2, 1, 5, 6)
    split = np.array(["train", "test", "train", "test", "test"])
    path = tmp_path / "acts.nc"
    _activations(path, values, [3], np.arange(5), samples=np.flatnonzero(split == "test"),
                 split=split, widths=WIDTHS[:1])
    with xr.open_dataset(path) as acts:
        np.testing.assert_array_equal(acts["sample"].values, [1, 3, 4])
        np.testing.assert_array_equal(acts["y"].values, [1, 3, 4])
        assert set(acts["split"].values) == {"test"}
        np.testing.assert_array_equal(acts["activation"].values, values[:, :, [1, 3, 4]])


def test_recorded_epochs_explicit_or_log_spaced():
    np.testing.assert_array_equal(recorded_epochs(8, record_epochs=[8, 0, 1]), [0, 1, 8])
    assert len(recorded_epochs(100, snapshots=5)) <= 5
    with pytest.raises(ValueError, match="record_epochs must lie in"):
        recorded_epochs(8, record_epochs=[0, 9])
    with pytest.raises(ConfigError, match="record_epochs.*past the run's last epoch"):
        load_file(REPO / "config.yaml", experiments={
            "x": {"activations": ["tanh"] * 5, "record_epochs": [0, 9000]}})


def test_fig8_epochs_need_the_papers_epochs():
    np.testing.assert_array_equal(fig8_epochs(np.array([0, 1, 2, 4, 8, 32, 64, 128])),
                                  [0, 1, 5, 7])
    np.testing.assert_array_equal(fig8_epochs(np.array([0, 1, 2, 4])), [0, 1, 3])
    with pytest.raises(ValueError, match="not recorded: \\[32\\]"):
        fig8_epochs(np.array([0, 1, 2, 64, 128]))


@pytest.fixture(scope="module")
def results(tmp_path_factory, write_measure):
    """Run files of the six models: 2 repetitions, 40 validation samples (4 per class) after
    20 training samples. The noisy-0.05 net's representation is twice the deterministic one
    (cosine 1), noisy-0.1's its negative (cosine -1); the dropout net's layers put each class
    on its own orthant corner (fig7: ln 10 per layer), recorded at epochs 0, 1, 2, 4; the measure
    stage's files of the dropout net."""
    root = tmp_path_factory.mktemp("results")
    rng = np.random.default_rng(1)
    n_train, n_test, units = 20, 40, sum(WIDTHS)
    labels = np.arange(n_train + n_test) % 10
    split = np.array(["train"] * n_train + ["test"] * n_test)
    test = np.flatnonzero(split == "test")
    x = rng.random((n_train + n_test, 784)).astype("f4")
    (root / "data").mkdir()
    xr.Dataset({"x": (("sample", "feature"), x), "y": ("sample", labels),
                "split": ("sample", split)}).to_netcdf(root / "data" / f"{DATASET}.nc")
    det = rng.uniform(-1, 1, (2, 1, len(labels), units))
    corners = np.where((labels[:, None] >> np.arange(units) % 4) & 1, 0.5, -0.5)
    finals = {m: rng.uniform(-1, 1, det.shape) for m in MODELS}
    finals |= {DETERMINISTIC: det, "goldfeld-cnn-noisy-0.05": 2 * det,
               "goldfeld-cnn-noisy-0.1": -det}
    accuracy = {m: [0.95, 0.9] for m in MODELS} | {DROPOUT: [1.0, 1.0]}
    attrs = {"spec": json.dumps(SPEC)}
    for model in MODELS:
        run = root / "runs" / model
        if model == DROPOUT:
            values = np.broadcast_to(corners, (2, 4, *corners.shape))
            _activations(run / "activations.nc", values, [0, 1, 2, 4], labels, test, split,
                         attrs=attrs)
            for measure in (TWO_BINS, *UNIT_SLOPES.values()):
                write_measure(run / "activations.nc", measure_file(root, DROPOUT, measure),
                              measure)
            write_measure(run / "activations.nc", measure_file(root, DROPOUT, CNN_DISTANCES),
                          CNN_DISTANCES, sample_fraction=1.0)  # all 40: 4 of each class
        else:
            _activations(run / "activations.nc", finals[model], [4], labels, test, split,
                         attrs=attrs)
        acc = np.zeros((2, 5, 2))
        acc[:, -1, 1] = accuracy[model]
        xr.Dataset({"loss": (("rep", "epoch", "split"), np.zeros_like(acc)),
                    "accuracy": (("rep", "epoch", "split"), acc)},
                   coords={"rep": [0, 1], "epoch": np.arange(5),
                           "split": ["train", "test"]}, attrs=attrs).to_netcdf(run / "metrics.nc")
    return root


def _build(item_id: str, root):
    with ItemInputs(item_id, input_paths(item_id, root)) as inputs:
        return get(item_id).build(inputs)


def test_table1_counts_validation_errors(results):
    rows, caption = _build("goldfeld/table1", results)
    det = rows[0]
    assert (det["errors mean"], det["errors std"]) == (3.0, pytest.approx(math.sqrt(2), 0.05))
    assert rows[-1]["errors mean"] == 0 and rows[-1]["paper mean"] == 39
    assert "among the 40 validation samples" in caption


def test_fig3_cosines_of_scaled_and_negated_representations(results):
    _, caption = _build("goldfeld/fig3", results)
    for layer in range(1, 5):
        assert f"layer {layer} goldfeld-cnn-noisy-0.05: 1.000 ± 0.000" in caption
        assert f"layer {layer} goldfeld-cnn-noisy-0.1: -1.000 ± 0.000" in caption
    assert "layer 1 unrelated:" in caption


def test_fig7_sign_patterns_of_class_corners(results):
    _, caption = _build("goldfeld/fig7", results)
    low_high = np.array(re.findall(r"layer \d (\d\.\d+) to (\d\.\d+)", caption), float)
    # independently: the entropy of the distinct sign rows of each layer (numpy's unique)
    rows = np.where((np.arange(20, 60)[:, None] % 10 >> np.arange(sum(WIDTHS)) % 4) & 1, 1, 0)
    expected = []
    for layer in np.split(rows, np.cumsum(WIDTHS)[:4], axis=1)[:4]:
        p = np.unique(layer, axis=0, return_counts=True)[1] / len(layer)
        expected.append(-(p * np.log(p)).sum())
    np.testing.assert_allclose(low_high, np.c_[expected, expected], atol=1e-4)
    assert expected[0] == pytest.approx(math.log(10)) and expected[3] == pytest.approx(
        math.log(5))
    assert "ln 40 = 3.689" in caption


def test_fig8_and_unit_slopes_render(results):
    _, caption = _build("goldfeld/fig8", results)
    assert "at epochs 0, 1, 4" in caption
    # layer 1: classes on distinct corners, every within-class distance 0
    assert re.search(r"epoch 4: input [0-9.]+, layer 1 0\.00,", caption)
    rows, caption = _build("goldfeld/unit-slopes", results)
    assert [r["bin size"] for r in rows] == [0.0001, 0.001, 0.01, 0.1]
    assert all(r["slope mean [nats/epoch]"] == 0 for r in rows)  # constant over epochs


def test_table1_claims_measure_mean_errors(results):
    from ibrepro import report

    det, dropout = report.evaluate(["goldfeld/table1:goldfeld-cnn-errors",
                                    f"goldfeld/table1:{DROPOUT}-errors"], results)
    assert (det.ours, det.claim.paper, det.verdict) == (3.0, 50, "not reproduced")
    assert (dropout.ours, dropout.verdict) == (0.0, "not reproduced")
    assert list(det.measured.samples) == [2.0, 4.0]  # 40 samples, accuracies 0.95 and 0.9
    assert str(det.claim.verdict).startswith("|ours − paper| ≤ 1.96 standard errors")


def test_sample_propagation_skips_conv_nets():
    from ibrepro.estimators import skip_reason

    noisy = {"name": "n", "noise_std": 0.1}
    assert skip_reason(noisy, "sample-propagation") is None
    assert "needs weights" in skip_reason({**noisy, "conv": [{"channels": 2}]},
                                          "sample-propagation")


def test_captions_state_the_inferred_nets(results):
    for item in ("goldfeld/table1", "goldfeld/fig3", "goldfeld/fig7", "goldfeld/fig8",
                 "goldfeld/unit-slopes"):
        _, caption = _build(item, results)
        assert ("Nets: conv 3x3 x 2 + 2x2 max-pool, conv 5x5 x 1 + 7x7 max-pool, dense 3, "
                "dense 3, tanh, softmax; adam, lr 0.001, batch 128, 4 epochs, 2 seeds, glorot "
                "init; inferred") in caption, item


def test_conv_run_records_the_validation_samples_at_the_chosen_epochs(tmp_path):
    """A tiny tanh CNN on 60 random 8x8 images: activations.nc holds the test split's samples
    at the record_epochs only, and epoch 0 is the initial nets' forward pass of those images."""
    from ibrepro.train import run_experiment
    from ibrepro.train.engine_torch import build_model
    from ibrepro.train.loop import repetition_seeds

    rng = np.random.default_rng(0)
    x, y = rng.random((60, 64)).astype("f4"), np.arange(60) % 10
    split = np.where(rng.random(60) < 0.3, "test", "train")
    xr.Dataset({"x": (("sample", "feature"), x), "y": ("sample", y),
                "split": ("sample", split)},
               attrs={"image_shape": "[1, 8, 8]"}).to_netcdf(tmp_path / "images.nc")
    spec = dict(name="cnn", dataset="images", conv=[{"channels": 2, "kernel": 3, "pool": 2}],
                hidden=[5], activations=["tanh", "tanh"], init="truncated-normal-fan-in",
                optimizer="adam", lr=1e-3, batch_size=16, epochs=3, repetitions=2,
                snapshots=30, seed=4, record_epochs=[3, 0], record_split="test")
    files = [tmp_path / f"{name}.nc" for name in ("activations", "metrics", "weights")]
    run_experiment(spec, tmp_path / "images.nc", *files, device="cpu", progress=False)
    test = np.flatnonzero(split == "test")
    with xr.open_dataset(files[0]) as acts:
        assert list(acts["epoch"].values) == [0, 3]
        np.testing.assert_array_equal(acts["sample"].values, test)
        np.testing.assert_array_equal(acts["y"].values, y[test])
        recorded = acts["activation"].isel(epoch=0).values
    nets = build_model(spec, 64, 10, repetition_seeds(4, 2), (1, 8, 8))
    with torch.no_grad():
        outputs = nets(torch.as_tensor(x[test]))
    expected = torch.cat([*outputs[:-1], torch.softmax(outputs[-1], -1)], -1).numpy()
    assert recorded.shape == (2, len(test), 2 * 4 * 4 + 5 + 10)
    np.testing.assert_allclose(recorded, expected, atol=1e-5)
    with xr.open_dataset(files[1]) as metrics:  # loss and accuracy still cover both splits
        assert metrics.sizes["epoch"] == 4 and list(metrics["split"].values) == ["train", "test"]
