"""What the claims of Lorenzen et al. (``claims``) measure on repetition-mean information planes:
a layer's fitting and compression phases, changes of I(X;T) over a span of epochs, the fall of
I(X;T) from one layer to the next, a layer's upper bound and whether it sits at it (trivial),
how often one plane lies above another, how far apart two trajectories are, and where the
variance over repetitions is low.

Changes of I(X;T) are relative to the larger of the two values compared, as the compression
measure's drop is relative to the peak (``figures.compression``), so that a rise and a fall
of the same size in bits read alike. Arrays are ``(epoch, layer)`` unless said otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from ibrepro.figures.compression import compression
from ibrepro.figures.plane import Plane
from ibrepro.figures.repetitions import mean_variance
from ibrepro.papers.lorenzen.binning import TOLERANCE
from ibrepro.papers.lorenzen.mnist import TRIVIAL_FRACTION
from ibrepro.stopping import snapshot_at


def relative_change(before, after) -> np.ndarray:
    """``(after - before) / max(before, after)``, elementwise: negative for a fall, positive for
    a rise, 0 where both are 0, NaN where either is."""
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    larger = np.maximum(before, after)
    out = np.where(np.isnan(larger), np.nan, 0.0)
    return np.divide(after - before, larger, out=out, where=larger > 0)


def phases(i_xt: np.ndarray) -> np.ndarray:
    """Per layer, the smaller of its fitting and its compression phase: the rise of I(X;T) from
    the first epoch to its peak and the drop from the peak to the last epoch (the compression
    measure's), both relative to the peak. At least ``THRESHOLD`` when the layer shows both."""
    i_xt = np.asarray(i_xt, dtype=float)
    result = compression(i_xt)
    return np.minimum(relative_change(i_xt[0], result.peak), result.relative)


def change_after(curve: np.ndarray, epochs: np.ndarray, epoch: int) -> float:
    """``relative_change`` of ``curve`` ``(epoch,)`` from the last snapshot at or before ``epoch``
    to the last snapshot; NaN when no snapshot is later than ``epoch`` (a shorter run)."""
    if epochs[-1] <= epoch:
        return math.nan
    return float(relative_change(curve[snapshot_at(epochs, epoch)], curve[-1]))


def largest_fall(curve: np.ndarray, epochs: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The largest fall of ``curve`` ``(epoch, ...)`` between two snapshots inside epochs
    ``start`` to ``stop`` (ends included), the later below the earlier, relative to the earlier;
    ``(...)``, NaN when fewer than two snapshots lie inside."""
    inside = (epochs >= start) & (epochs <= stop)
    curve = np.asarray(curve, dtype=float)
    if inside.sum() < 2:
        return np.full(curve.shape[1:], np.nan)
    values = curve[inside]
    return -relative_change(np.maximum.accumulate(values, axis=0), values).min(axis=0)


def layer_falls(i_xt: np.ndarray) -> np.ndarray:
    """The fall of I(X;T) from each layer to the next, relative to the earlier layer's:
    ``(epoch, layer - 1)``, negative where a layer holds more than the one before it."""
    i_xt = np.asarray(i_xt, dtype=float)
    return -relative_change(i_xt[:, :-1], i_xt[:, 1:])


def upper_bounds(h_x: float, widths, bits: int) -> np.ndarray:
    """The largest I(X;T) = H(T) each layer of a k-bit net can hold (Sec. 3.2): min(H(X), k d_T)
    bits for a layer of d_T units, k (d - 1) for the softmax output (the last; its units sum to
    one, "the effective number of states is 2^(k(d-1))")."""
    states = bits * np.asarray(widths, dtype=float)
    states[-1] -= bits
    return np.minimum(h_x, states)


def at_bound(i_xt: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Per layer, whether its I(X;T) is at least ``TRIVIAL_FRACTION`` of its upper bound at
    every epoch: a trivial layer (Sec. 3.1: H(T) at its maximum tells nothing)."""
    return (np.asarray(i_xt) >= TRIVIAL_FRACTION * np.asarray(bounds)).all(axis=0)


def fraction_not_below(pairs) -> float:
    """Of the points (epoch, layer, both I(X;T) and I(T;Y)) of the ``(higher, lower)`` pairs of
    planes, the fraction where ``higher``'s estimate is at least ``lower``'s (less float
    rounding, ``binning.TOLERANCE``). The planes of a pair share epochs and layers."""
    hits = []
    for high, low in pairs:
        if not np.array_equal(high.epochs, low.epochs) or high.i_xt.shape != low.i_xt.shape:
            raise ValueError(f"planes to compare need the same epochs and layers, got "
                             f"{high.i_xt.shape} and {low.i_xt.shape}")
        hits += [(getattr(high, name) >= getattr(low, name) - TOLERANCE).ravel()
                 for name in ("i_xt", "i_ty")]
    return float(np.concatenate(hits).mean())


def plane_distance(a: Plane, b: Plane, scale: tuple[float, float]) -> np.ndarray:
    """Per layer, how far the two planes' trajectories lie apart: the mean over epochs of the
    distance between the layer's points, axes divided by ``scale`` (H(X), H(Y)), as the
    pruning loop compares layers (``train.pruning.trajectory_distance``)."""
    from ibrepro.train.pruning import trajectory_distance  # local: it loads torch

    if not np.array_equal(a.epochs, b.epochs) or a.i_xt.shape != b.i_xt.shape:
        raise ValueError("planes to compare need the same epochs and layers")

    def paired(name: str) -> np.ndarray:  # (layer, epoch, 2): the two planes side by side
        return np.stack([getattr(a, name).T, getattr(b, name).T], axis=-1)

    return trajectory_distance(paired("i_xt"), paired("i_ty"), scale=scale)[:, 0]


def distinguishable_layers(plane: Plane, scale: tuple[float, float], threshold: float) -> int:
    """How many layers can be told apart: the first, and each whose trajectory lies at least
    ``threshold`` from the previous layer's (``train.pruning.trajectory_distance``)."""
    from ibrepro.train.pruning import trajectory_distance  # local: it loads torch

    distance = trajectory_distance(plane.i_xt, plane.i_ty, scale=scale)
    return 1 + int((distance >= threshold).sum())


def low_variance_where_high(values: np.ndarray, high: float) -> float:
    """``values`` ``(rep, epoch, layer)``: of the (epoch, layer) points whose repetition mean is
    at least ``high`` times the largest mean, the fraction whose variance over repetitions is at
    most the median variance of all points."""
    mean, variance = mean_variance(values)
    top = mean >= high * mean.max()
    return float((variance[top] <= np.median(variance)).mean())
