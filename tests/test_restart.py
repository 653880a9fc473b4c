"""Lorenzen et al. 2022's bad-fit policy (restart with the next unused seed, spliced in place),
the random-label prefit, and their config resolution."""

import numpy as np
import pytest
import torch

from ibrepro import data
from ibrepro.config import load
from ibrepro.train.loop import repetition_seeds, train
from ibrepro.train.restart import check_epoch, train_with_restarts

CPU = torch.device("cpu")


def spec(**changes):
    base = dict(name="r", dataset="szt", hidden=[10, 7, 5, 4, 3], activations=["relu"] * 5,
                init="truncated-normal-fan-out", optimizer="adam", lr=3e-3, batch_size=256,
                epochs=4, repetitions=3, snapshots=3, seed=5)
    return {**base, **changes}


class Recorder:
    """Snapshots by epoch, ``(rep, sample, unit)``, written like ActivationWriter (``reps=``)."""

    def __init__(self, repetitions, units=31, samples=4096):
        self.snaps = {}
        self.shape = (repetitions, samples, units)

    def __call__(self, epoch, values, *ranges, reps=slice(None)):
        self.snaps.setdefault(epoch, np.full(self.shape, np.nan, dtype="f4"))[reps] = values


def plain(s, szt_data, seeds):
    recorder = Recorder(len(seeds))
    history = train({**s, "repetitions": len(seeds)}, *szt_data, snapshot_epochs=np.array([4]),
                    on_snapshot=recorder, device=CPU, seeds=seeds, progress=False)
    return history, recorder.snaps[4]


def test_bad_repetitions_restart_with_next_seeds_and_are_spliced(szt_data):
    seeds = repetition_seeds(5, 6)
    first, first_snap = plain(spec(), szt_data, seeds[:3])
    accuracy = first.accuracy[:, 2:, 0].min(axis=1)  # the worst from the check epoch on
    threshold = float(np.sort(accuracy)[1]) + 1e-9  # exactly the lowest two are bad
    bad = np.sort(np.argsort(accuracy)[:2])
    s = spec(bad_fit={"min_accuracy": threshold, "epoch": 2, "max_restarts": 1})
    recorder = Recorder(3)
    history, restarts, seed_index = train_with_restarts(
        s, *szt_data, snapshot_epochs=np.array([4]), on_snapshot=recorder, device=CPU,
        progress=False)
    rerun, rerun_snap = plain(s, szt_data, seeds[3:5])  # the next unused seeds, in order
    good = np.setdiff1d(np.arange(3), bad)
    np.testing.assert_array_equal(restarts, np.isin(np.arange(3), bad).astype(int))
    np.testing.assert_array_equal(seed_index[bad], [3, 4])
    np.testing.assert_array_equal(seed_index[good], good)
    np.testing.assert_allclose(history.loss[bad], rerun.loss, rtol=1e-6)
    np.testing.assert_allclose(history.loss[good], first.loss[good], rtol=1e-6)
    np.testing.assert_allclose(recorder.snaps[4][bad], rerun_snap, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(recorder.snaps[4][good], first_snap[good], rtol=1e-5, atol=1e-6)


def test_rounds_stop_at_max_restarts(szt_data):
    s = spec(repetitions=2, epochs=2, bad_fit={"min_accuracy": 1.01, "epoch": 1,
                                               "max_restarts": 2})  # never good enough
    _, restarts, seed_index = train_with_restarts(
        s, *szt_data, snapshot_epochs=np.array([2]), on_snapshot=Recorder(2), device=CPU,
        progress=False)
    np.testing.assert_array_equal(restarts, [2, 2])
    np.testing.assert_array_equal(seed_index, [4, 5])  # 0, 1 -> 2, 3 -> 4, 5


def test_no_policy_no_restarts(szt_data):
    _, restarts, seed_index = train_with_restarts(
        spec(epochs=1), *szt_data, snapshot_epochs=np.array([1]), on_snapshot=Recorder(3),
        device=CPU, progress=False)
    assert restarts.tolist() == [0, 0, 0] and seed_index.tolist() == [0, 1, 2]


def test_check_epoch_counts_after_prefit():
    s = spec(epochs=10, prefit={"epochs": 5, "label_seed": 3},
             bad_fit={"min_accuracy": 0.5, "epoch": 4})
    assert check_epoch(s) == 9
    with pytest.raises(ValueError, match="past the last epoch"):
        check_epoch({**s, "bad_fit": {"min_accuracy": 0.5, "epoch": 11}})


def test_prefit_on_random_labels_then_true_labels(szt_data):
    x, y, train_mask = szt_data
    random = data.build("szt", {"kind": "szt", "test_fraction": 0.2, "split_seed": 0,
                                "shuffle_train_labels": {"seed": 3}})["y"].values
    s = spec(repetitions=2, epochs=3, prefit={"epochs": 2, "label_seed": 3})
    recorder = Recorder(2)
    history = train(s, x, y, train_mask, snapshot_epochs=np.array([2, 5]), on_snapshot=recorder,
                    device=CPU, progress=False)
    assert history.loss.shape == (2, 6, 2)  # epochs 0..2 prefit, 3..5 true labels
    # the first two epochs are training on the szt-random-labels dataset's labels
    alone = Recorder(2)
    unshuffled = {k: v for k, v in s.items() if k != "prefit"}
    train({**unshuffled, "epochs": 2}, x, random, train_mask,
          snapshot_epochs=np.array([2]), on_snapshot=alone, device=CPU, progress=False)
    np.testing.assert_allclose(recorder.snaps[2], alone.snaps[2], rtol=1e-5, atol=1e-6)
    # ... while the metrics are against the true labels, and the true labels are fitted after
    assert not np.allclose(recorder.snaps[5], alone.snaps[2])
    assert (history.accuracy[:, 5, 0] > history.accuracy[:, 2, 0]).all()


def test_config_quick_scales_bad_fit_and_prefit_and_codes_replace_activations():
    config = {
        "datasets": {"szt": {"kind": "szt"}},
        "experiment_defaults": spec(epochs=8000, repetitions=50, snapshots=280),
        "experiments": {"q": {"bits": 8, "bad_fit": {"min_accuracy": 0.55, "epoch": 1000},
                              "prefit": {"epochs": 1000, "label_seed": 3}},
                        "f": {"bits": 32}},
        "estimators": {"exact-quantized": {"method": "exact-discrete"},
                       "bin-size-0.07": {"method": "bin-size", "size": 0.07}},
        "figures": [],
    }
    config["experiment_defaults"].pop("name")
    paper = load(config)
    assert paper.experiments["q"]["bad_fit"]["epoch"] == 1000
    assert paper.experiments["q"]["prefit"]["epochs"] == 1000
    quick = load({**config, "scale": "quick", "quick": {"epochs": 300}})
    assert quick.experiments["q"]["bad_fit"]["epoch"] == 300  # past the end: the last epoch
    assert quick.experiments["q"]["prefit"]["epochs"] == 38  # 1000 x 300 / 8000, rounded
    assert sorted(paper.applicable_pairs()) == [("f", "bin-size-0.07"), ("q", "exact-quantized")]
    with pytest.raises(ValueError, match="bits"):
        load({**config, "experiments": {"q": {"bits": 16}}})
