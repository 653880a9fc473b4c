"""Which epochs to record: dense early, sparse late (IDNNs' log-spaced schedule)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _log_epochs(epochs: int, points: int) -> np.ndarray:
    grid = np.floor(np.logspace(0, np.log10(epochs), points)).astype(np.int64)
    return np.unique(np.concatenate([[0], grid, [epochs]]))


def snapshot_epochs(epochs: int, count: int) -> np.ndarray:
    """About ``count`` distinct epochs in [0, epochs], log-spaced, always with 0 and ``epochs``.

    Epoch 0 is the initialisation; epoch e is the state after e epochs of updates. The log grid
    has as many points as keep the distinct integers at or below ``count`` (every epoch when
    ``count > epochs``). E.g. 8000 epochs, count 280: epochs 0..~100 densely, then sparser.
    """
    if count >= epochs + 1:
        return np.arange(epochs + 1)
    low, high = 2, 1 << 20  # bisect the grid size: distinct epochs grow with it
    while low < high:
        mid = (low + high + 1) // 2
        if len(_log_epochs(epochs, mid)) <= count:
            low = mid
        else:
            high = mid - 1
    return _log_epochs(epochs, low)


def recorded_epochs(epochs: int, *, snapshots: int | None = None,
                    record_epochs: Sequence[int] | None = None) -> np.ndarray:
    """The snapshot epochs of a run of ``epochs`` epochs: the explicit ``record_epochs``
    (sorted, each in [0, epochs]) if given, else ``snapshot_epochs(epochs, snapshots)`` (an
    experiment's ``record_epochs`` and ``snapshots``)."""
    if record_epochs is None:
        return snapshot_epochs(epochs, snapshots)
    chosen = np.unique(np.asarray(record_epochs, dtype=np.int64))
    if len(chosen) == 0 or chosen[0] < 0 or chosen[-1] > epochs:
        raise ValueError(f"record_epochs must lie in [0, {epochs}] (the run's epochs), got "
                         f"{list(record_epochs)!r}")
    return chosen
