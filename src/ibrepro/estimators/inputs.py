"""The input check every estimator shares: one layer's values and the labels of its samples."""

from __future__ import annotations

import numpy as np

from .mi import is_tensor


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
    elif np.issubdtype(acts.dtype, np.floating) and acts.size and not (
            np.isfinite(acts.min()) and np.isfinite(acts.max())):  # NaN and inf reach min/max
        raise ValueError("acts contains non-finite values")
