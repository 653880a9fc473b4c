"""The batched trainer: repetitions are independent, runs are deterministic, files keep the
DESIGN.md contract and appear atomically."""

import json
import math

import numpy as np
import pytest
import torch
import xarray as xr

from ibrepro import data
from ibrepro.nets.mlp import INITS, BatchedMLP
from ibrepro.train import run_experiment
from ibrepro.train.loop import repetition_seeds, train
from ibrepro.train.schedule import snapshot_epochs
from ibrepro.train.shuffle import epoch_order

CPU = torch.device("cpu")


def spec(**changes):
    base = dict(name="t", dataset="szt", hidden=[10, 7, 5, 4, 3], activations=["tanh"] * 5,
                init="truncated-normal-fan-in", optimizer="sgd", lr=0.05, batch_size=256,
                epochs=6, repetitions=3, snapshots=4, seed=7)
    return {**base, **changes}


@pytest.fixture(scope="module")
def szt_data():
    ds = data.build("szt", {"kind": "szt", "test_fraction": 0.2, "split_seed": 0})
    return ds["x"].values, ds["y"].values, ds["split"].values == "train"


@pytest.fixture(scope="module")
def szt_file(tmp_path_factory, szt_data):
    path = tmp_path_factory.mktemp("data") / "szt.nc"
    data.build("szt", {"kind": "szt", "test_fraction": 0.2, "split_seed": 0}).to_netcdf(path)
    return path


def run(s, szt_data, epochs_to_record=(0,), seeds=None):
    snaps = {}
    history = train(s, *szt_data, snapshot_epochs=np.array(epochs_to_record),
                    on_snapshot=lambda e, a: snaps.__setitem__(e, a), device=CPU, seeds=seeds,
                    progress=False)
    return history, snaps


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_batched_repetition_equals_training_it_alone(szt_data, optimizer):
    s = spec(optimizer=optimizer, lr=0.05 if optimizer == "sgd" else 1e-3,
             activations=["tanh", "relu", "tanh", "relu", "linear"])
    batched, snaps = run(s, szt_data, (0, 6))
    seeds = repetition_seeds(s["seed"], 3)
    alone_history, alone_snaps = run({**s, "repetitions": 1}, szt_data, (0, 6), seeds[2:])
    np.testing.assert_allclose(alone_history.loss[0], batched.loss[2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(alone_snaps[6][0], snaps[6][2], rtol=1e-4, atol=1e-5)
    assert not np.allclose(batched.loss[0], batched.loss[2])  # repetitions differ


def test_same_seed_same_numbers_other_seed_other_numbers(szt_data):
    a, snaps_a = run(spec(), szt_data, (0, 6))
    b, snaps_b = run(spec(), szt_data, (0, 6))
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(snaps_a[6], snaps_b[6])
    c, _ = run(spec(seed=8), szt_data)
    assert not np.array_equal(a.loss, c.loss)


def test_training_learns(szt_data):
    history, _ = run(spec(epochs=30, lr=0.5), szt_data)
    assert history.loss.shape == (3, 31, 2)
    assert (history.loss[:, -1, 0] < history.loss[:, 0, 0]).all()
    assert history.accuracy[:, -1, 0].mean() > 0.75


def test_repetition_seeds_do_not_depend_on_count():
    assert repetition_seeds(3, 5)[:2] == repetition_seeds(3, 2)
    assert len(set(repetition_seeds(3, 50))) == 50


def test_epoch_order_is_a_permutation_per_repetition_and_epoch():
    seeds = torch.tensor(repetition_seeds(0, 4))
    order = epoch_order(seeds, 3, 100)
    assert (order.sort(dim=1).values == torch.arange(100)).all()
    assert not torch.equal(order[0], order[1])
    assert not torch.equal(order, epoch_order(seeds, 4, 100))
    assert torch.equal(order[2:3], epoch_order(seeds[2:3], torch.tensor(3), 100))


@pytest.mark.parametrize("init, std", [
    ("truncated-normal-fan-in", 1 / math.sqrt(400)),
    ("truncated-normal-fan-out", 1 / math.sqrt(300)),
    ("glorot", math.sqrt(6 / 700) / math.sqrt(3)),
])
def test_init_scales(init, std):
    w = INITS[init](400, 300, torch.Generator().manual_seed(0))
    truncation = 0.8796 if init.startswith("truncated") else 1.0  # std of N(0,1) cut at ±2
    assert w.std().item() == pytest.approx(std * truncation, rel=0.02)
    if init.startswith("truncated"):
        assert w.abs().max() <= 2 * std


def test_mlp_checks_activation_count():
    with pytest.raises(ValueError, match="hidden layers need as many activations"):
        BatchedMLP([12, 10, 2], ["tanh", "tanh"], [0], "glorot")


def test_schedule():
    epochs = snapshot_epochs(8000, 280)
    assert len(epochs) == 280 and epochs[0] == 0 and epochs[-1] == 8000
    assert (np.diff(epochs) > 0).all()
    assert list(epochs[:20]) == list(range(20))  # dense early
    np.testing.assert_array_equal(snapshot_epochs(10, 50), np.arange(11))


def test_files_keep_the_contract(tmp_path, szt_file):
    s = spec(name="szt-test")
    acts, metrics = tmp_path / "run" / "activations.nc", tmp_path / "run" / "metrics.nc"
    run_experiment(s, szt_file, acts, metrics, device="cpu", progress=False)
    with xr.open_dataset(acts) as a:
        assert a["activation"].dims == ("rep", "epoch", "sample", "unit")
        assert a["activation"].shape == (3, 4, 4096, 31)
        assert list(a["epoch"].values) == list(snapshot_epochs(6, 4))
        assert list(np.unique(a["layer"].values)) == [1, 2, 3, 4, 5, 6]
        assert a["layer_name"].values[-1] == "softmax"
        softmax = a["activation"].values[..., a["layer"].values == 6]
        np.testing.assert_allclose(softmax.sum(-1), 1, rtol=1e-5)
        tanh = a["activation"].values[..., a["layer"].values < 6]
        assert np.abs(tanh).max() <= 1
        assert json.loads(a.attrs["spec"]) == s
        for key in ("experiment", "ibrepro_version", "git_commit", "torch_version", "device",
                    "dataset_sha256", "created"):
            assert a.attrs[key]
    with xr.open_dataset(metrics) as m:
        assert m["loss"].dims == ("rep", "epoch", "split")
        assert m["accuracy"].shape == (3, 7, 2) and list(m["split"].values) == ["train", "test"]
    assert sorted(p.name for p in acts.parent.iterdir()) == ["activations.nc", "metrics.nc"]


def test_interrupted_training_leaves_no_file(tmp_path, szt_file, monkeypatch):
    import ibrepro.train.experiment as experiment

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(experiment, "train", crash)
    acts = tmp_path / "activations.nc"
    with pytest.raises(KeyboardInterrupt):
        run_experiment(spec(), szt_file, acts, tmp_path / "metrics.nc", device="cpu")
    assert list(tmp_path.iterdir()) == []
