"""What Goldfeld et al.'s claims measure (``claims``), on arrays: falls of a curve from its
running peak, the single neuron's weight and bias from its recorded outputs, the noise level at
which its class -1 outputs cannot be told apart, and two verdict rules for numbers the paper
rounds or states as mean ± standard deviation over seeds.

The rules could serve other papers too (a rounded single-net score, a mean ± std table).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ibrepro.report.registry import InRange, Measured


def falls_from_peak(curve: np.ndarray) -> np.ndarray:
    """How far ``curve`` ``(..., epoch)`` lies below its running maximum at each epoch, as a
    fraction of that maximum: ``1 - c_e / max_{e' <= e} c_e'`` (0 where the maximum is <= 0).
    Its largest value is the deepest fall (a dip, or compression) anywhere along the curve."""
    curve = np.asarray(curve, dtype=float)
    peak = np.maximum.accumulate(curve, axis=-1)
    return np.divide(peak - curve, peak, out=np.zeros_like(curve), where=peak > 0)


def deepest_fall(curve: np.ndarray, epochs: np.ndarray, low: float = 0.0,
                 high: float = math.inf) -> float:
    """The largest relative fall of ``curve`` ``(epoch,)`` from a value at an earlier epoch,
    both epochs in [``low``, ``high``]; NaN with fewer than two epochs there."""
    epochs = np.asarray(epochs)
    inside = (epochs >= low) & (epochs <= high)
    if inside.sum() < 2:
        return math.nan
    return float(falls_from_peak(np.asarray(curve, dtype=float)[inside]).max())


def fall_onset(curve: np.ndarray, epochs: np.ndarray, threshold: float) -> float:
    """The first epoch at which ``curve`` ``(epoch,)`` lies at least ``threshold`` (a fraction)
    below its running maximum; NaN if it never does."""
    fallen = np.flatnonzero(falls_from_peak(curve) >= threshold)
    return float(np.asarray(epochs)[fallen[0]]) if fallen.size else math.nan


def neuron_weights(s: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """(w, b) of a neuron S = tanh(w x + b) from its outputs ``s`` ``(sample,)`` at the scalar
    inputs ``x`` ``(sample,)``: the line through (x, arctanh s) of the two least saturated
    samples with distinct inputs (a stored output's rounding error grows in arctanh as |s| -> 1).
    NaN if fewer than two distinct inputs have |s| < 1."""
    s, x = np.asarray(s, dtype=float), np.asarray(x, dtype=float)
    order = [i for i in np.argsort(np.abs(s)) if abs(s[i]) < 1]
    first = order[0] if order else None
    second = next((i for i in order[1:] if x[i] != x[first]), None)
    if second is None:
        return math.nan, math.nan
    z = np.arctanh(s[[first, second]])
    w = float((z[1] - z[0]) / (x[second] - x[first]))
    return w, float(z[0] - w * x[first])


def indistinguishable_noise(s: np.ndarray, members: np.ndarray) -> float:
    """Half the largest distance between two outputs of the ``members`` (bool ``(sample,)``)
    over epochs, ``s`` ``(epoch, sample)``: with noise of at least this standard deviation the
    mixture of any two of their Gaussians is unimodal (two equal Gaussians at distance d are
    unimodal iff d <= 2 beta) at every epoch, so they are never told apart as clusters."""
    group = np.asarray(s, dtype=float)[:, np.asarray(members, dtype=bool)]
    return float((group.max(axis=1) - group.min(axis=1)).max() / 2)


def falling_fraction(values: np.ndarray) -> float:
    """The fraction of consecutive pairs along the last axis of ``values`` ``(..., k)`` where
    the value falls (strictly); NaN pairs count as not falling."""
    values = np.asarray(values, dtype=float)
    return float((np.diff(values, axis=-1) < 0).mean())


@dataclass(frozen=True)
class InRangeRounded(InRange):
    """The distribution rule for a value the paper rounds: its value stands for every number
    within half its last printed digit (``step``); reproduced when that interval meets the
    ``low``–``high`` percentiles of ours (``Measured.samples``). With a single value of ours
    (a deterministic run) this asks whether ours rounds to the paper's."""

    step: float = 0.0

    def __call__(self, ours: float | Measured, paper: float | str) -> bool:
        spread = ours.spread(self.low, self.high) if isinstance(ours, Measured) else None
        if spread is None:
            raise TypeError("the distribution rule needs our values: measure a Measured.over(...)")
        return spread[0] - self.step / 2 <= paper <= spread[1] + self.step / 2

    def __str__(self) -> str:
        return (f"paper's value ± {self.step / 2:g} (its rounding) meets the "
                f"{self.low:g}–{self.high:g} percentiles of ours")


@dataclass(frozen=True)
class SameMean:
    """Two means over seeds agree: reproduced when ``|ours - paper| <= z * sqrt(std^2 / seeds +
    s^2 / n)``, the paper's mean and standard deviation over its ``seeds``, ours over our ``n``
    values (``Measured.samples``, NaNs left out) with standard deviation ``s`` (ddof 1; the
    paper's ``std`` where we have a single value). ``z`` = 1.96: a two-sided 5% test of a
    difference of means (Welch's, normal approximation)."""

    std: float
    seeds: int
    z: float = 1.96

    def __call__(self, ours: float | Measured, paper: float | str) -> bool:
        if not isinstance(ours, Measured) or ours.samples is None:
            raise TypeError("comparing means needs our values: measure a Measured.over(...)")
        values = ours.samples[~np.isnan(ours.samples)]
        spread = float(values.std(ddof=1)) if len(values) > 1 else self.std
        error = math.sqrt(self.std ** 2 / self.seeds + spread ** 2 / len(values))
        return abs(ours.value - paper) <= self.z * error

    def __str__(self) -> str:
        return (f"|ours − paper| ≤ {self.z:g} standard errors of the difference of the means "
                f"(the paper's sd {self.std:g} over {self.seeds} seeds, ours over our seeds)")
