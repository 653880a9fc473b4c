"""The numbers rip's qualitative statements become, for its claims (``claims``): pure functions
on repetition-mean planes (``figures.plane.Plane``), loss curves and activation values.

The plane's top-right corner is (H(X), I(X;Y)) of the samples the estimators see (rip §2.3,
Table 1): no plug-in estimate passes it (I(X;T) = H(T) <= H(X), I(T;Y) <= H(Y) = I(X;Y) with
distinct inputs). Distances on the plane divide each axis by the corner's coordinate, so both
axes weigh alike, as on rip's square plots and in the pruning loop's trajectory distance
(``train.pruning``): 0 is the same point, 1 a plane's side.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ibrepro.figures.compression import THRESHOLD, compression
from ibrepro.figures.plane import Plane
from ibrepro.figures.stats import correlation
from ibrepro.stopping import early_stop_epoch, perfect_stop_epoch

TOLERANCE = 1e-9  # differences below this are float rounding of equal plug-in estimates


def corner_distance(i_xt, i_ty, corner: tuple[float, float]) -> np.ndarray:
    """Distance of plane points from the top-right corner ``(H(X), I(X;Y))``, each axis divided
    by the corner's coordinate (same units as the points); any shape, element-wise."""
    h_x, i_xy = corner
    return np.hypot(1 - np.asarray(i_xt, float) / h_x, 1 - np.asarray(i_ty, float) / i_xy)


def nearer_with_smaller_bins(planes: Sequence[Plane], corner: tuple[float, float]) -> float:
    """Fraction of the (epoch, layer) points whose distance from the corner does not grow (by
    more than ``TOLERANCE``) from each bin size to the next smaller one; ``planes`` of one run in
    decreasing bin size."""
    distance = np.stack([corner_distance(p.i_xt, p.i_ty, corner) for p in planes])
    return float((np.diff(distance, axis=0) <= TOLERANCE).all(axis=0).mean())


def endpoint_spread(planes: Sequence[Plane], corner: tuple[float, float],
                    layer: int = -1) -> float:
    """Largest distance (axes divided by the corner's) between the last-epoch points of column
    ``layer`` in any two of ``planes``: 0 when the end point does not move."""
    x = np.array([p.i_xt[-1, layer] for p in planes]) / corner[0]
    y = np.array([p.i_ty[-1, layer] for p in planes]) / corner[1]
    return float(np.hypot(x[:, None] - x[None], y[:, None] - y[None]).max())


def depth_rank(values) -> float:
    """Spearman correlation of per-layer values (first layer first) with depth: 1 when they grow
    with every layer, -1 when they fall; NaN when all are equal."""
    values = np.asarray(values, float)
    return float(correlation(np.arange(values.size), values))


def trajectory_gap(a: Plane, b: Plane, layer: int, corner: tuple[float, float]) -> float:
    """Mean over epochs of the distance (axes divided by the corner's) between column ``layer``
    of two planes recorded at the same epochs."""
    if not np.array_equal(a.epochs, b.epochs):
        raise ValueError("trajectory_gap needs planes recorded at the same epochs")
    dx = (a.i_xt[:, layer] - b.i_xt[:, layer]) / corner[0]
    dy = (a.i_ty[:, layer] - b.i_ty[:, layer]) / corner[1]
    return float(np.hypot(dx, dy).mean())


def extreme_bin_fraction(values, size: float) -> float:
    """Fraction of tanh values in the outermost bins ``floor(t / size)`` of (-1, 1): the bins of
    the floats next to -1 and 1."""
    symbols = np.floor(np.asarray(values, np.float64) / size)
    outer = [np.floor(np.nextafter(bound, 0.0) / size) for bound in (-1.0, 1.0)]
    return float(np.isin(symbols, outer).mean())


def clustering_agrees(occupied: np.ndarray, i_xt: np.ndarray) -> np.ndarray:
    """Per layer: does the layer cluster exactly when it compresses? occupied: ``(layer,
    epoch)`` occupied bins at some epochs, i_xt: ``(epoch, layer)``. A layer clusters when its
    occupied bins end at least ``THRESHOLD`` below their peak, and compresses when its I(X;T)
    does (``figures.compression``: the same relative drop on both)."""
    clusters = compression(np.asarray(occupied, float).T).compresses
    return clusters == compression(i_xt).compresses


def fills_bins(occupied: np.ndarray) -> np.ndarray:
    """Per layer of ``occupied`` ``(layer, epoch)``: the occupied bins of the last epoch are at
    least ``THRESHOLD`` (relative) more than those of the first."""
    occupied = np.asarray(occupied, float)
    return occupied[:, -1] >= (1 + THRESHOLD) * occupied[:, 0]


def stop_to_turn(val_loss, loss_epochs, output_i_xt, snapshots, *, patience: int) -> float:
    """|log2((stop + 1) / (peak + 1))|: how far, as a factor of epochs, early stopping on the
    validation loss curve ``(epoch,)`` falls from the peak of the output layer's I(X;T)
    ``(snapshot,)``, where its compression turns in (epoch 0 counts as 1); 0 = the same epoch,
    1 = a factor 2 apart."""
    stop = int(early_stop_epoch(val_loss, loss_epochs, patience=patience))
    turn = int(np.asarray(snapshots)[np.argmax(output_i_xt)])
    return abs(float(np.log2((stop + 1) / (turn + 1))))


def minimum_after_stop(val_loss, epochs, *, patience: int) -> np.ndarray:
    """Per curve of ``val_loss`` ``(rep, epoch)``: 1.0 when its global minimum comes after its
    early stop epoch (early stopping missed it), else 0.0."""
    stop = early_stop_epoch(val_loss, epochs, patience=patience)
    return (perfect_stop_epoch(val_loss, epochs) > stop).astype(float)


def accuracy_after_minimum(loss, accuracy, epochs) -> np.ndarray:
    """Per curve ``(rep, epoch)``: the last epoch's accuracy minus that at the epoch of the
    minimum loss (negative: accuracy fell while the loss rose)."""
    best = np.searchsorted(np.asarray(epochs), perfect_stop_epoch(loss, epochs))
    accuracy = np.asarray(accuracy, float)
    return accuracy[:, -1] - accuracy[np.arange(len(accuracy)), best]


def relative_rise(curve) -> float:
    """(last − minimum) / minimum of a curve ``(epoch,)``: how far it ends above its lowest."""
    curve = np.asarray(curve, float)
    return float((curve[-1] - curve.min()) / curve.min())
