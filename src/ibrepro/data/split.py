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


def stratified_subsample(labels: np.ndarray, split: np.ndarray, *, samples: int,
                         seed: int) -> np.ndarray:
    """Indices (sorted) of ``samples`` samples drawn without replacement, stratified by
    (split, label): each group keeps its share of ``samples``, rounded by largest remainder so
    that the shares add up exactly. With ``samples`` >= the sample count, all indices.

    Draws one permutation per group, train groups first, labels ascending, from
    ``numpy.random.default_rng(seed)``. labels: ``(sample,)`` class indices 0..K-1; split:
    ``(sample,)`` "train"/"test".
    """
    if samples >= labels.size:
        return np.arange(labels.size)
    key = (np.asarray(split) == "test") * (labels.max() + 1) + labels
    _, group_of, sizes = np.unique(key, return_inverse=True, return_counts=True)
    quota = sizes * samples / labels.size
    counts = np.floor(quota).astype(int)
    counts[np.argsort(counts - quota, kind="stable")[: samples - counts.sum()]] += 1
    rng = np.random.default_rng(seed)
    keep = [rng.permutation(np.flatnonzero(group_of == g))[:n] for g, n in enumerate(counts)]
    return np.sort(np.concatenate(keep))
