"""Uncertainty of the figures' verdicts: rank correlation with a bootstrap CI, Wilson intervals.

Correlations across runs (Chelombiev et al. 2019: compression vs test performance) get a
percentile bootstrap interval: ``resamples`` draws of the (x, y) pairs with replacement, from a
seeded ``numpy.random.Generator``, the statistic recomputed on each (ranks recomputed too, ties
averaged, for Spearman). Fractions of repetitions that show a claim get the Wilson score
interval, which stays inside [0, 1] and is sensible at k = 0 or k = n.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import NamedTuple

import numpy as np

METHODS = ("pearson", "spearman")


def average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks along the last axis, tied values sharing the mean of their ranks:
    float ``(..., n)`` -> float ``(..., n)``, each row ranked on its own."""
    x = np.asarray(x, dtype=float)
    n = x.shape[-1]
    rows = x.reshape(-1, n)
    _, dense = np.unique(rows, return_inverse=True)  # one integer per distinct value
    dense = dense.reshape(rows.shape)
    row = np.arange(len(rows))[:, None]
    keys = dense + row * (dense.max(initial=0) + 1)  # distinct across rows, ordered within
    ordered = np.sort(keys, axis=None)
    below = np.searchsorted(ordered, keys, side="left") - row * n
    upto = np.searchsorted(ordered, keys, side="right") - row * n
    return ((below + upto + 1) / 2).reshape(x.shape)


def correlation(x: np.ndarray, y: np.ndarray, *, method: str = "spearman") -> np.ndarray:
    """Pearson or Spearman correlation along the last axis of ``x``, ``y`` ``(..., n)``; NaN
    where either has no variance."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if method == "spearman":
        x, y = average_ranks(x), average_ranks(y)
    x = x - x.mean(axis=-1, keepdims=True)
    y = y - y.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (x * y).sum(axis=-1) / np.sqrt((x * x).sum(axis=-1) * (y * y).sum(axis=-1))


class Interval(NamedTuple):
    """An estimate with its ``level`` confidence interval [low, high] from ``n`` observations."""

    value: float
    low: float
    high: float
    n: int


def bootstrap_correlation(x: np.ndarray, y: np.ndarray, *, method: str = "spearman",
                          resamples: int = 2000, level: float = 0.95,
                          seed: int = 0) -> Interval:
    """Correlation of the pairs ``(x_i, y_i)`` ``(n,)`` with its percentile bootstrap interval.

    Pairs with a NaN are left out first; fewer than 3 pairs left, or no variance, give NaN.
    Resamples without variance (all draws tied) are left out of the percentiles.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x {x.shape} and y {y.shape} must be the same 1-D shape")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    value = float(correlation(x, y, method=method)) if len(x) >= 3 else float("nan")
    if np.isnan(value):
        return Interval(value, float("nan"), float("nan"), len(x))
    draws = np.random.default_rng(seed).integers(0, len(x), (resamples, len(x)))
    stats = correlation(x[draws], y[draws], method=method)
    tail = 100 * (1 - level) / 2
    low, high = np.nanpercentile(stats, [tail, 100 - tail])
    return Interval(value, float(low), float(high), len(x))


def wilson_interval(k: int, n: int, *, level: float = 0.95) -> Interval:
    """The fraction k / n with its Wilson score interval; n = 0 gives NaN."""
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k!r}, n={n!r}")
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(p, float(max(0.0, centre - half)), float(min(1.0, centre + half)), n)
