"""The input check every estimator shares: one layer's values and the labels of its samples."""

from __future__ import annotations

import torch


def check_layer(acts: torch.Tensor, labels: torch.Tensor | None = None) -> None:
    """Raise ``ValueError`` unless ``acts`` is ``(..., sample, unit)`` with finite values and
    ``labels`` (when given) is ``(sample,)`` for the same samples."""
    if acts.ndim < 2:
        raise ValueError(f"acts must be (..., sample, unit), got shape {tuple(acts.shape)}")
    if labels is not None and (labels.ndim != 1 or acts.shape[-2] != labels.shape[-1]):
        raise ValueError(
            f"acts has {acts.shape[-2]} samples (axis -2) but labels has shape "
            f"{tuple(labels.shape)}: the sample counts must match"
        )
    if acts.dtype.is_floating_point and not torch.isfinite(acts).all():
        raise ValueError("acts contains non-finite values")
