"""Train/test splits stored with each dataset."""

from __future__ import annotations

import numpy as np


def stratified_split(labels: np.ndarray, *, test_fraction: float, seed: int) -> np.ndarray:
    """Assign each sample to "train" or "test", stratified by label.

    Each class contributes ``round(test_fraction * class size)`` test samples, drawn by a
    permutation from ``numpy.random.default_rng(seed)`` (classes in sorted order). For SZT with
    test_fraction 0.2 this gives 3276 train / 820 test. Returns a str array ``(sample,)``.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    split = np.full(labels.shape, "train", dtype=object)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        n_test = round(test_fraction * members.size)
        split[rng.permutation(members)[:n_test]] = "test"
    return split.astype(str)
