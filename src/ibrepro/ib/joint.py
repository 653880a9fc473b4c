"""Discrete joints p(x, y) for the theoretical IB curve: from samples or a dataset file, with
label noise, and the quantities of a joint the curve's closed forms use. Bits throughout.

A joint is a float64 array ``(|X|, |Y|)`` of probabilities summing to 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr


def check_joint(p_xy: np.ndarray) -> np.ndarray:
    """``p_xy`` as float64 ``(|X|, |Y|)``; ``ValueError`` unless it is a finite, non-negative
    2-d array summing to 1 (within 1e-9)."""
    p_xy = np.asarray(p_xy, dtype=np.float64)
    if p_xy.ndim != 2 or 0 in p_xy.shape:
        raise ValueError(f"p_xy must be a non-empty (|X|, |Y|) array, got shape {p_xy.shape}")
    if not np.isfinite(p_xy).all() or (p_xy < 0).any():
        raise ValueError("p_xy must hold finite non-negative probabilities")
    if abs(p_xy.sum() - 1.0) > 1e-9:
        raise ValueError(f"p_xy must sum to 1, got {p_xy.sum()!r}")
    return p_xy


def entropy_bits(p: np.ndarray) -> float:
    """Entropy in bits of the probabilities ``p`` (any shape, summing to 1); 0 log 0 = 0."""
    p = np.asarray(p, dtype=np.float64).ravel()
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def mutual_information_bits(p_xy: np.ndarray) -> float:
    """I(X;Y) in bits of the joint ``p_xy``: H(X) + H(Y) - H(X, Y)."""
    p_xy = check_joint(p_xy)
    return entropy_bits(p_xy.sum(1)) + entropy_bits(p_xy.sum(0)) - entropy_bits(p_xy)


def maximal_correlation(p_xy: np.ndarray) -> float:
    """Hirschfeld-Gebelein-Renyi maximal correlation rho(X;Y): the second singular value of
    ``p(x, y) / sqrt(p(x) p(y))`` (the first is 1). The trivial solution of the iterative IB
    equations loses stability at beta = 1/rho^2: there the IB curve leaves the origin.
    Zero-probability symbols are dropped."""
    p_xy = check_joint(p_xy)
    p_xy = p_xy[p_xy.sum(1) > 0][:, p_xy.sum(0) > 0]
    if min(p_xy.shape) < 2:
        return 0.0
    b = p_xy / np.sqrt(np.outer(p_xy.sum(1), p_xy.sum(0)))
    return float(np.linalg.svd(b, compute_uv=False)[1])


def flip_labels(p_xy: np.ndarray, *, rate: float) -> np.ndarray:
    """The joint after a symmetric label channel: Y is kept with probability ``1 - rate`` and
    otherwise replaced by one of the other |Y| - 1 labels uniformly (``ibrepro.data.labels``'
    per-sample flips, as a channel). Deterministic labels with ``0 < rate < 1`` give a joint
    whose IB curve is strictly concave."""
    p_xy = check_joint(p_xy)
    k = p_xy.shape[1]
    if k < 2 or not 0.0 <= rate <= 1.0:
        raise ValueError(f"flip_labels needs |Y| >= 2 and 0 <= rate <= 1, got |Y|={k}, {rate=}")
    channel = np.full((k, k), rate / (k - 1))
    np.fill_diagonal(channel, 1.0 - rate)
    return p_xy @ channel


def joint_of_samples(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The empirical joint of equiprobable samples: rows of ``x`` ``(sample, feature)`` are
    the symbols of X (equal rows are one symbol), ``y`` ``(sample,)`` the labels.

    Returns ``(|distinct rows|, |distinct labels|)``, rows in ``np.unique`` order of ``x``,
    columns in sorted label order. For the SZT set: ``(4096, 2)``, each row one-hot / 4096.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or y.shape != (x.shape[0],) or x.shape[0] == 0:
        raise ValueError(f"x must be (sample, feature) and y (sample,), got {x.shape}, {y.shape}")
    _, x_id = np.unique(x, axis=0, return_inverse=True)
    _, y_id = np.unique(y, return_inverse=True)
    counts = np.zeros((x_id.max() + 1, y_id.max() + 1))
    np.add.at(counts, (x_id.ravel(), y_id), 1.0)
    return counts / x.shape[0]


def dataset_joint(path: str | Path) -> np.ndarray:
    """:func:`joint_of_samples` of a dataset file ``results/<scale>/data/<name>.nc`` (all its
    samples, train and test)."""
    with xr.open_dataset(path) as data:
        return joint_of_samples(data["x"].values, data["y"].values)
