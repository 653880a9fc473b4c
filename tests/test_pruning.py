"""rip §2.5's pruning loop: the trajectory distance and the pruning decision on constructed
trajectories (known answers), the loop on a tiny data set, and its file."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ibrepro.papers.rip.pruning import big_net_plane, closest_candidate, removed_layers
from ibrepro.train.pruning import (
    layers_to_prune,
    plane_scale,
    prune,
    prune_file,
    trajectory_distance,
)

BIN = {"name": "bin-size-0.07", "method": "bin-size", "params": {"size": 0.07}}


def test_distance_of_parallel_trajectories_is_the_scaled_offset():
    """Layer 2 is layer 1 moved by (3, 0.4) bits at every epoch: on axes of 12 and 1 bits the
    distance is hypot(3/12, 0.4) at every epoch, hence its mean too; layer 3 = layer 2."""
    epochs = np.linspace(0, 1, 7)
    i_xt = np.stack([5 + epochs, 8 + epochs, 8 + epochs], axis=-1)
    i_ty = np.stack([epochs / 2, epochs / 2 + 0.4, epochs / 2 + 0.4], axis=-1)
    got = trajectory_distance(i_xt, i_ty, scale=(12.0, 1.0))
    np.testing.assert_allclose(got, [np.hypot(0.25, 0.4), 0.0])


def test_distance_is_the_mean_over_epochs_and_batched():
    """Offsets (0, 0), (3, 4), (6, 8) at three epochs: distances 0, 5, 10, mean 5; a leading
    repetition axis is kept."""
    i_xt = np.array([[0.0, 0.0], [0.0, 3.0], [0.0, 6.0]])
    i_ty = np.array([[0.0, 0.0], [0.0, 4.0], [0.0, 8.0]])
    np.testing.assert_allclose(trajectory_distance(i_xt, i_ty, scale=(1.0, 1.0)), [5.0])
    batched = trajectory_distance(np.stack([i_xt, 2 * i_xt]), np.stack([i_ty, 2 * i_ty]),
                                  scale=(1.0, 1.0))
    np.testing.assert_allclose(batched, [[5.0], [10.0]])


def test_prune_decision_keeps_the_first_of_each_run_of_similar_layers():
    """Pairs (1,2) (2,3) (3,4) (4,5) (5,6) at 0.01, 0.2, 0.02, 0.03, 0.5: layers 2, 4, 5 repeat
    their predecessor; with layers 1-3 protected only 4 and 5 go (0-based 3, 4)."""
    distance = np.array([0.01, 0.2, 0.02, 0.03, 0.5])
    everyone = np.ones(6, bool)
    assert layers_to_prune(distance, everyone, threshold=0.05) == [1, 3, 4]
    assert layers_to_prune(distance, np.arange(6) >= 3, threshold=0.05) == [3, 4]
    assert layers_to_prune(distance, everyone, threshold=0.01) == []  # strictly below
    with pytest.raises(ValueError, match="threshold must be > 0"):
        layers_to_prune(distance, everyone, threshold=0)
    with pytest.raises(ValueError, match="5 distances need 6 candidate flags"):
        layers_to_prune(distance, everyone[:5], threshold=0.05)


def test_plane_scale_is_h_x_and_h_y():
    """8 distinct rows: H(X) = 3 bits; labels 1:3: H(Y) = h(1/4)."""
    x = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)])
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    h_y = -(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75))
    np.testing.assert_allclose(plane_scale(x, y), (3.0, h_y))
    np.testing.assert_allclose(plane_scale(np.repeat(x[:2], 4, axis=0), y)[0], 1.0)


def _tiny():
    """64 random 6-bit inputs, label = majority of the first three bits; half train."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (64, 6)).astype(np.float32)
    y = (x[:, :3].sum(axis=1) >= 2).astype(np.int64)
    return x, y, np.arange(64) % 2 == 0


SPEC = {"name": "tiny-big", "dataset": "szt", "hidden": [4, 3, 3, 3], "activations": ["tanh"] * 4,
        "init": "truncated-normal-fan-in", "optimizer": "sgd", "lr": 0.1, "batch_size": 16,
        "epochs": 4, "repetitions": 2, "snapshots": 3, "seed": 1}


def _prune(threshold, prunable_from):
    x, y, train = _tiny()
    return prune(SPEC, x, y, train, estimator=BIN, threshold=threshold,
                 prunable_from=prunable_from, patience=2, device="cpu", progress=False)


def test_loop_removes_every_candidate_under_a_huge_threshold():
    """Every distance is below 10 (planes of side 1): round 0 removes layers 3 and 4, round 1
    has no candidate left and ends the loop."""
    rounds = _prune(threshold=10.0, prunable_from=3)
    assert list(rounds["hidden"].values) == ["4-3-3-3", "4-3"]
    assert removed_layers(rounds, 0) == [3, 4] and removed_layers(rounds, 1) == []
    np.testing.assert_array_equal(rounds["origin"].values, [[1, 2, 3, 4, 5], [1, 2, 5, 0, 0]])
    assert np.isnan(rounds["I_XT"].isel(round=1, layer=slice(3, None))).all()
    assert np.isfinite(rounds["I_XT"].isel(round=1, layer=slice(0, 3))).all()
    assert rounds["accuracy"].shape == (2, 2, 2) and closest_candidate(rounds, 0) < 10
    assert np.isnan(closest_candidate(rounds, 1))
    # the big net's numbering: round 1's softmax is column 5, the removed 3 and 4 are NaN
    i_xt, _, epochs = big_net_plane(rounds, 1)
    assert i_xt.shape[1] == 5 and np.isnan(i_xt[:, 2:4]).all() and epochs[0] == 0


def test_loop_without_candidates_is_one_round_and_its_decision_is_the_stored_distance():
    rounds = _prune(threshold=0.05, prunable_from=5)
    assert rounds.sizes["round"] == 1 and not rounds["removed"].any()
    distance = rounds["distance"].isel(round=0).values[:3]
    assert layers_to_prune(distance, np.ones(4, bool), threshold=0.05) == [
        k + 1 for k in np.flatnonzero(distance < 0.05)]  # what the loop would do unprotected
    with pytest.raises(ValueError, match="must estimate one snapshot"):
        x, y, train = _tiny()
        prune(SPEC, x, y, train, estimator={"name": "b", "method": "bin-count",
                                            "params": {"bins": 30, "range": "layer"}},
              threshold=0.05, prunable_from=3, patience=2, device="cpu", progress=False)


def test_prune_file_writes_rounds_with_provenance(tmp_path):
    x, y, train = _tiny()
    data = xr.Dataset({"x": (("sample", "feature"), x), "y": ("sample", y),
                       "split": ("sample", np.where(train, "train", "test"))})
    data.to_netcdf(tmp_path / "tiny.nc")
    spec = {"experiment": SPEC, "estimator": BIN, "threshold": 10.0, "prunable_from": 3,
            "patience": 2}
    prune_file(spec, tmp_path / "tiny.nc", tmp_path / "out.nc", device="cpu", progress=False)
    rounds = xr.load_dataset(tmp_path / "out.nc")
    assert list(rounds["hidden"].values) == ["4-3-3-3", "4-3"]
    assert rounds.attrs["threshold"] == 10.0 and rounds.attrs["prunable_from"] == 3
    assert rounds.attrs["experiment"] == "tiny-big" and "dataset" in rounds.attrs["inputs"]
