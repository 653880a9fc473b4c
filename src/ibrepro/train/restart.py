"""The bad-fit policy of Lorenzen et al. 2022 (footnote 5): badly fitted repetitions are rerun.

With ``spec.bad_fit`` = ``{min_accuracy: a, epoch: e, max_restarts: m}`` (m defaults to 10,
the schema's), a repetition whose training accuracy after epoch e of the true-label
training (epoch P + e with a prefit of P epochs) is below a is trained again from scratch with
the next unused seed: seeds R, R+1, ... of ``repetition_seeds`` (R = the repetitions), in
the order the bad repetitions are found. The bad repetitions of a round train together as one
smaller batch, and their history and snapshots replace theirs in place (the callbacks get
``reps=`` the repetitions they write); after m rounds a repetition still below a is kept as it
is (and shows in its accuracy).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ibrepro.spec import Experiment
from ibrepro.train.loop import SPLITS, History, repetition_seeds, train


def check_epoch(spec: Experiment | dict) -> int:
    """The epoch whose training accuracy decides a bad fit (counted from the run's start)."""
    spec = Experiment.of(spec)
    epoch = (spec.prefit.epochs if spec.prefit else 0) + spec.bad_fit.epoch
    if epoch > spec.total_epochs:
        raise ValueError(f"bad_fit.epoch {spec.bad_fit.epoch} is past the last epoch "
                         f"({spec.epochs}) of experiment {spec.name!r}")
    return epoch


def train_with_restarts(spec: Experiment | dict, x: np.ndarray, y: np.ndarray,
                        train_mask: np.ndarray, *, on_snapshot, on_weights=None, **options,
                        ) -> tuple[History, np.ndarray, np.ndarray]:
    """``train`` under the bad-fit policy of ``spec.bad_fit`` (none if absent).

    on_snapshot, on_weights: as ``train``'s, with a keyword ``reps`` (the repetitions written)
    when a restart batch calls them. ``options``: ``train``'s other keywords (no ``seeds``).
    Returns the spliced history, the restarts of each repetition ``(rep,)`` int, and the index
    of the seed each repetition finally trained with (``repetition_seeds``' position).
    """
    spec = Experiment.of(spec)
    repetitions = spec.repetitions
    history = train(spec, x, y, train_mask, on_snapshot=on_snapshot, on_weights=on_weights,
                    seeds=repetition_seeds(spec.seed, repetitions), **options)
    restarts = np.zeros(repetitions, dtype=np.int64)
    seed_index = np.arange(repetitions)
    if spec.bad_fit is None:
        return history, restarts, seed_index
    policy, epoch, used = spec.bad_fit, check_epoch(spec), repetitions
    train_split = SPLITS.index("train")
    for _ in range(policy.max_restarts):
        bad = np.flatnonzero(history.accuracy[:, epoch, train_split] < policy.min_accuracy)
        if not len(bad):
            break
        seeds = repetition_seeds(spec.seed, used + len(bad))[used:]
        rerun = train(spec.replace(repetitions=len(bad)), x, y, train_mask, seeds=seeds,
                      on_snapshot=partial(on_snapshot, reps=bad),
                      on_weights=on_weights and partial(on_weights, reps=bad), **options)
        history.loss[bad], history.accuracy[bad] = rerun.loss, rerun.accuracy
        if history.gradients is not None:
            history.gradients[bad] = rerun.gradients
        restarts[bad] += 1
        seed_index[bad] = np.arange(used, used + len(bad))
        used += len(bad)
    return history, restarts, seed_index
