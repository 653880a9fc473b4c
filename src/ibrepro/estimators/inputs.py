"""The input check every estimator shares: one layer's values and the labels of its samples."""

from __future__ import annotations

import math

import numpy as np

from ibrepro.kernel_cache import njit

from .mi import is_tensor


@njit(cache=True, nogil=True)
def _range(values):
    low, high = math.inf, -math.inf
    for i in range(values.shape[0]):
        for value in values[i]:
            if value != value:  # NaN
                return math.nan, math.nan
            low, high = min(low, value), max(high, value)
    return low, high


def value_range(values: np.ndarray) -> tuple[float, float]:
    """(min, max) of a float array in one pass (NaN if any value is NaN; a layer's columns are
    a strided view, which numpy's reductions read ~20x slower)."""
    low, high = _range(values.reshape(-1, values.shape[-1]))
    return float(low), float(high)


def check_layer(acts, labels=None) -> None:
    """Raise ``ValueError`` unless ``acts`` (numpy array or torch tensor) is ``(..., sample,
    unit)`` with finite values and ``labels`` (when given) is ``(sample,)`` for the same
    samples."""
    if acts.ndim < 2:
        raise ValueError(f"acts must be (..., sample, unit), got shape {tuple(acts.shape)}")
    if labels is not None and (labels.ndim != 1 or acts.shape[-2] != labels.shape[-1]):
        raise ValueError(
            f"acts has {acts.shape[-2]} samples (axis -2) but labels has shape "
            f"{tuple(labels.shape)}: the sample counts must match"
        )
    if is_tensor(acts):
        import torch

        if acts.dtype.is_floating_point and not torch.isfinite(acts).all():
            raise ValueError("acts contains non-finite values")
    elif np.issubdtype(acts.dtype, np.floating) and acts.size and not all(
            map(math.isfinite, value_range(acts))):  # NaN and inf reach min or max
        raise ValueError("acts contains non-finite values")
