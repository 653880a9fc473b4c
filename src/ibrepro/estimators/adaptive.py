"""Adaptive (entropy-based, equal-mass) binning, per layer and epoch (Chelombiev et al. 2019).

Fixed bins waste resolution when a layer's activity shrinks or grows by orders of magnitude
over training; Chelombiev, Houghton & O'Donnell (ICLR 2019) instead choose the bins of every
layer at every epoch so that each holds about the same number of samples (maximum-entropy
bins), which keeps the estimator's resolution proportional to the activity. Here each unit
gets its own equal-mass bins from the ranks of its N values at that (rep, epoch):

    symbol(t) = floor(r(t) * bins / N),   r(t) = #{samples of the unit with value < t}

i.e. the minimal 0-based rank, so **tied values share one bin** (a saturated tanh at +-1, the
zeros of a relu): a tie holding a fraction q of the samples takes one bin and the bins it
would have covered stay empty, and the remaining values keep the same grid of quantiles. With
distinct values and bins dividing N, every bin holds exactly N / bins samples. The symbols
depend only on each unit's order, so the estimate is invariant under any strictly increasing
map applied to each unit separately. Then I(X;T) = H(T), I(T;Y) = H(T) - H(T|Y) by plug-in
(:func:`ibrepro.estimators.entropy.mutual_information`), in bits.

Chelombiev et al.'s code pools all units of a layer and takes edges at quantiles of the
layer's *distinct* values; per-unit ranks over samples are what "equal mass" means for each
coordinate of T and what makes the per-unit monotone invariance hold.
"""

from __future__ import annotations

import torch

from .entropy import MI, mutual_information
from .inputs import check_layer
from .registry import Estimator, register


def equal_mass_symbols(acts: torch.Tensor, bins: int) -> torch.Tensor:
    """Equal-mass bin index of every value, per unit: int64 ``(..., sample, unit)`` in [0, bins).

    acts: real ``(..., sample, unit)``; ties get the bin of their minimal rank (module doc).
    """
    values = acts.transpose(-1, -2)  # (..., unit, sample)
    n = values.shape[-1]
    ordered, order = torch.sort(values, dim=-1)
    position = torch.arange(n, device=values.device).expand_as(order)
    starts = torch.ones_like(order, dtype=torch.bool)  # first of a run of equal values
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    first = torch.cummax(torch.where(starts, position, 0), dim=-1).values  # = values below
    rank = torch.empty_like(order).scatter_(-1, order, first)
    return (rank * bins // n).transpose(-1, -2)


def adaptive_bins(acts: torch.Tensor, labels: torch.Tensor, *, bins: int) -> MI:
    """I(X;T), I(T;Y) in bits with ``bins`` equal-mass bins per unit, per group.

    acts: real ``(..., sample, unit)``, one layer's units (any units: only their order
    matters); labels: int ``(sample,)``. Returns float64 ``(...)`` tensors on ``acts``'s device.
    Bin edges are recomputed for every group ``(...)`` (every rep and epoch), from the ranks
    of each unit's values: see the module docstring for ties.
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be an int >= 1, got {bins!r}")
    check_layer(acts, labels)
    return mutual_information(equal_mass_symbols(acts, bins), labels)


register(Estimator(
    method="adaptive-bins", fn=adaptive_bins, params={"bins": int}, units="bits",
    reference="Chelombiev, Houghton & O'Donnell 2019 (entropy-based binning)",
    description="Equal-mass bins per unit, recomputed per layer and epoch from ranks; plug-in.",
))
