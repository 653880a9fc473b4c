"""Label transformations every dataset kind can take from its config entry.

Both act on class indices ``0..K-1`` ``(sample,)`` and return a new array.
"""

from __future__ import annotations

import numpy as np


def flip_labels(y: np.ndarray, n_classes: int, *, rate: float, seed: int) -> np.ndarray:
    """Replace each label, independently with probability ``rate``, by a uniformly drawn other
    class (for two classes: invert it), on every sample (train and test).

    Draws, from ``numpy.random.default_rng(seed)``, first one uniform per sample (flipped where
    it is below ``rate``), then one offset in ``1..K-1`` per sample.
    """
    rng = np.random.default_rng(seed)
    flipped = rng.random(y.size) < rate
    offset = rng.integers(1, n_classes, y.size)
    return np.where(flipped, (y + offset) % n_classes, y)


def shuffle_train_labels(y: np.ndarray, split: np.ndarray, *, seed: int) -> np.ndarray:
    """Permute the labels of the training samples among themselves (Lorenzen et al. 2022, app. D:
    prefitting on random labels); test labels stay. One permutation from
    ``numpy.random.default_rng(seed)``."""
    out = y.copy()
    train = np.flatnonzero(split == "train")
    out[train] = y[np.random.default_rng(seed).permutation(train)]
    return out
