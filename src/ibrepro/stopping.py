"""The stopping rules of rip §2.4.1, on a run's recorded validation loss: pure functions, read
by the figures (rip Figs. 7, 10, 15) and by the pruning loop (``train.pruning``).

- Early stopping (Keras ``EarlyStopping(monitor="val_loss", patience=p)`` without restoring
  weights): training halts at the first epoch at which the lowest loss so far is ``p`` epochs
  old, i.e. no later epoch improved on it; the last epoch if that never happens. ``p`` is the
  config's ``early_stopping.patience`` (rip does not state its own).
- "Perfect" stopping: the epoch of the minimum validation loss (the first, on ties).

The plane is recorded only at snapshot epochs: the stopped trajectory ends at the last
snapshot at or before the stop epoch (it never shows information from after the stop).
"""

from __future__ import annotations

import numpy as np


def early_stop_epoch(loss: np.ndarray, epochs: np.ndarray, *, patience: int) -> np.ndarray:
    """The epoch early stopping halts at, per curve: loss ``(..., epoch)`` at ``epochs``
    (increasing, one per recorded epoch); returns ``(...)`` ints.

    An epoch improves when its loss is strictly below every earlier one (the first always
    does); training halts at the first epoch ``patience`` epochs (counted in ``epochs``, by
    index) after the last improvement, or at the last epoch."""
    loss, epochs = np.asarray(loss, dtype=float), np.asarray(epochs)
    if patience < 1:
        raise ValueError(f"patience must be >= 1 epoch, got {patience!r}")
    if loss.shape[-1] != epochs.size:
        raise ValueError(f"loss has {loss.shape[-1]} epochs, epochs {epochs.size}")
    index = np.arange(epochs.size)
    best_before = np.minimum.accumulate(loss, axis=-1)[..., :-1]
    improved = np.concatenate([np.ones(loss.shape[:-1] + (1,), bool),
                               loss[..., 1:] < best_before], axis=-1)
    last_improvement = np.maximum.accumulate(np.where(improved, index, 0), axis=-1)
    halted = index - last_improvement >= patience
    stop = np.where(halted.any(axis=-1), halted.argmax(axis=-1), epochs.size - 1)
    return epochs[stop]


def perfect_stop_epoch(loss: np.ndarray, epochs: np.ndarray) -> np.ndarray:
    """The epoch of the minimum of loss ``(..., epoch)`` (the first on ties); ``(...)``."""
    return np.asarray(epochs)[np.asarray(loss).argmin(axis=-1)]


def snapshot_at(snapshots: np.ndarray, epoch: int) -> int:
    """The index of the last snapshot epoch at or before ``epoch`` (snapshots increasing,
    starting at epoch 0)."""
    snapshots = np.asarray(snapshots)
    if epoch < snapshots[0]:
        raise ValueError(f"epoch {epoch} is before the first snapshot {snapshots[0]}")
    return int(np.searchsorted(snapshots, epoch, side="right") - 1)
