"""The IB bound held against data and trained layers, in bits: the curves of a labelled data
file and of its labels passed through a noisy channel, the least I(X;T) that reaches a given
I(T;Y), and how far points of an information plane lie below the curve.

The SZT labels are a function of the input, so its curve is the degenerate piecewise-linear one
(``deterministic_curve``). The noisy variant passes those labels through a binary symmetric
channel whose flip rate is the fraction of labels a second data file of the same inputs inverted
(``szt-noisy``: read from the two files, so it follows the config); its curve is strictly
concave (``ib_curve``). The noisy file itself, each input drawn once with one label, has an
empirical joint that is again deterministic: the channel is the noisy joint the flips were
drawn from.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .curve import Curve, deterministic_curve, ib_curve
from .joint import flip_labels, joint_of_samples


def flip_rate(clean: xr.Dataset, noisy: xr.Dataset) -> float:
    """The fraction of samples whose label differs between two data files of the same inputs
    (``ValueError`` if their inputs differ)."""
    if not np.array_equal(clean["x"].values, noisy["x"].values):
        raise ValueError("flip_rate needs two data files with the same inputs x, in order")
    return float((clean["y"].values != noisy["y"].values).mean())


def szt_curves(clean: xr.Dataset, noisy: xr.Dataset) -> tuple[Curve, Curve, float]:
    """The IB curves of the SZT joint (all samples) and of its noisy-label channel, and the
    channel's flip rate."""
    joint = joint_of_samples(clean["x"].values, clean["y"].values)
    rate = flip_rate(clean, noisy)
    return deterministic_curve(joint), ib_curve(flip_labels(joint, rate=rate)), rate


def least_compression(curve: Curve, level: float) -> float:
    """The least I(X;T) at which the curve reaches I(T;Y) = ``level`` (bits), by linear
    interpolation between its points (the curve is non-decreasing)."""
    if not 0 <= level <= curve.I_TY.max():
        raise ValueError(f"level must be in [0, {curve.I_TY.max():.6g}] bits, got {level!r}")
    k = int(np.searchsorted(curve.I_TY, level, side="left"))
    if k == 0:
        return float(curve.I_XT[0])
    x0, x1, y0, y1 = curve.I_XT[k - 1], curve.I_XT[k], curve.I_TY[k - 1], curve.I_TY[k]
    return float(x0 + (x1 - x0) * (level - y0) / (y1 - y0))


def curve_gap(curve: Curve, i_xt: np.ndarray, i_ty: np.ndarray) -> np.ndarray:
    """How far below the curve points lie, in bits: the curve's I(T;Y) at each point's I(X;T)
    minus its I(T;Y) (shapes broadcast; beyond the curve's end it stays flat). Negative values
    would be points above the bound."""
    return np.interp(i_xt, curve.I_XT, curve.I_TY) - np.asarray(i_ty)
