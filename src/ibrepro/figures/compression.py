"""Does a layer compress? One measure for every figure that gives a verdict.

Compression (Shwartz-Ziv & Tishby 2017) is a long-term decrease of I(X;T) after the fitting
phase. Its measure here: the drop of a layer's I(X;T) trajectory from its maximum over epochs
(the end of the fitting phase, wherever it falls) to the last epoch,

    drop = max_e I(X;T)_e - I(X;T)_last,    relative drop = drop / max_e I(X;T)_e,

and a layer *compresses* when the relative drop is at least ``THRESHOLD`` (5% of its peak):
estimator noise between snapshots is far below that for binning on SZT, and a peak at the
initialisation (I(X;T) only falling) counts as compression too. The verdict is taken on the
repetition mean (the plotted trajectory); ``compressing_reps`` counts the repetitions that
compress on their own.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import xarray as xr

THRESHOLD = 0.05  # relative drop from the peak that counts as compression


class Compression(NamedTuple):
    """Per-layer result: peak, drop and relative drop ``(layer,)`` in the trajectory's units,
    the epoch index of the peak, and the verdict (relative drop >= threshold)."""

    peak: np.ndarray
    peak_index: np.ndarray
    drop: np.ndarray
    relative: np.ndarray
    compresses: np.ndarray


def compression(i_xt: np.ndarray, *, threshold: float = THRESHOLD) -> Compression:
    """Compression measure of ``i_xt`` ``(..., epoch, layer)`` (epochs in order).

    A layer whose peak is 0 (never any information) has relative drop 0 and does not compress;
    a layer without estimates (NaN, e.g. sample propagation's noiseless output) neither.
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1), got {threshold!r}")
    i_xt = np.asarray(i_xt, dtype=float)
    if i_xt.ndim < 2 or i_xt.shape[-2] < 2:
        raise ValueError(f"i_xt must be (..., epoch, layer) with >= 2 epochs, got {i_xt.shape}")
    peak = i_xt.max(axis=-2)
    drop = peak - i_xt[..., -1, :]
    relative = np.divide(drop, peak, out=np.zeros_like(drop), where=peak > 0)
    return Compression(peak, i_xt.argmax(axis=-2), drop, relative, relative >= threshold)


def of_reps(mi: xr.Dataset, *, threshold: float = THRESHOLD) -> Compression:
    """The measure of every repetition of an MI file: fields ``(rep, layer)``."""
    return compression(mi["I_XT"].transpose("rep", "epoch", "layer").values, threshold=threshold)


def compressing_reps(i_xt_reps: np.ndarray, *, threshold: float = THRESHOLD) -> np.ndarray:
    """How many repetitions compress, per layer: ``i_xt_reps`` ``(rep, epoch, layer)`` -> int
    ``(layer,)``."""
    return compression(i_xt_reps, threshold=threshold).compresses.sum(axis=0)


def verdict(result: Compression, layer_names: list[str]) -> str:
    """"name: -12% (compresses)" per layer, the relative drop from the peak, comma-separated."""
    return ", ".join(
        f"{name}: n/a" if np.isnan(p) else f"{name}: -{100 * r:.0f}%{' (compresses)' if c else ''}"
        for name, p, r, c in zip(layer_names, result.peak, result.relative, result.compresses,
                                 strict=True))
