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

Numpy input: each unit's values are ordered by one radix sort of their float32 bit patterns
(a comparison sort for float64 input) and each value gets the position of the first of its
run of equal values in that order, as the torch code (CUDA) does with its sort; both give the
same symbols.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .entropy import grouped_mi, mutual_information, plugin_sums, radix_sort, workspace
from .inputs import check_layer
from .mi import MI, is_tensor
from .registry import Estimator, register


@njit(cache=True, nogil=True)
def _order(values, is_float32, work, hist):
    """The order sorting ``values`` (float64 ``(n,)``): a radix sort of the float32 bit
    patterns when every value is a float32, else a comparison sort."""
    if not is_float32:
        return np.argsort(values, kind="mergesort")
    n = values.size
    bits = values.astype(np.float32).view(np.int32)
    keys, order = work[0], work[1]
    for i in range(n):  # sign-magnitude to an order-preserving key in [0, 2^32)
        keys[i] = np.int64(bits[i] if bits[i] >= 0 else bits[i] ^ 0x7FFFFFFF) + (1 << 31)
        order[i] = i
    return radix_sort(keys, order, 1 << 32, work[2], work[3], hist)[1]


@njit(cache=True, nogil=True)
def equal_mass_columns(acts, bins, is_float32, columns, work, hist):
    """Equal-mass symbols of one group ``(n, unit)`` into int64 ``columns`` ``(unit, n)``."""
    n, d = acts.shape
    values = np.empty(n)
    for u in range(d):
        for i in range(n):
            values[i] = acts[i, u]
        order = _order(values, is_float32, work, hist)
        first = 0  # position of the first of the current run of equal values: its rank
        for p in range(n):
            if p > 0 and values[order[p]] != values[order[p - 1]]:
                first = p
            columns[u, order[p]] = first * bins // n


@njit(cache=True, nogil=True)
def _equal_mass_sums(acts, bins, is_float32, label_index, label_bits, xlogx, sums, class_sums):
    """``plugin_sums`` of the equal-mass symbols of every group ``(group, n, unit)``."""
    columns, work, hist = workspace(acts.shape[1], acts.shape[2])
    for g in range(acts.shape[0]):
        equal_mass_columns(acts[g], bins, is_float32, columns, work, hist)
        sums[g] = plugin_sums(columns, label_index, label_bits, xlogx, class_sums[g], work, hist)


def equal_mass_symbols(acts, bins: int):
    """Equal-mass bin index of every value, per unit: int64 ``(..., sample, unit)`` in [0, bins).

    acts: real ``(..., sample, unit)`` (numpy or torch); ties get the bin of their minimal rank
    (module doc).
    """
    if not is_tensor(acts):
        flat = acts.reshape(-1, *acts.shape[-2:])
        symbols = np.empty((len(flat), flat.shape[-1], flat.shape[-2]), np.int64)
        _, work, hist = workspace(flat.shape[-2], flat.shape[-1])
        for g, group in enumerate(flat):
            equal_mass_columns(group, bins, acts.dtype == np.float32, symbols[g], work, hist)
        return symbols.transpose(0, 2, 1).reshape(acts.shape)
    import torch

    values = acts.transpose(-1, -2)  # (..., unit, sample)
    n = values.shape[-1]
    ordered, order = torch.sort(values, dim=-1)
    position = torch.arange(n, device=values.device).expand_as(order)
    starts = torch.ones_like(order, dtype=torch.bool)  # first of a run of equal values
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    first = torch.cummax(torch.where(starts, position, 0), dim=-1).values  # = values below
    rank = torch.empty_like(order).scatter_(-1, order, first)
    return (rank * bins // n).transpose(-1, -2)


def adaptive_bins(acts, labels, *, bins: int) -> MI:
    """I(X;T), I(T;Y) in bits with ``bins`` equal-mass bins per unit, per group.

    acts: real ``(..., sample, unit)``, one layer's units (any units: only their order
    matters); labels: int ``(sample,)`` (numpy, or torch). Returns float64 ``(...)`` arrays
    (tensors on ``acts``'s device).
    Bin edges are recomputed for every group ``(...)`` (every rep and epoch), from the ranks
    of each unit's values: see the module docstring for ties.
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be an int >= 1, got {bins!r}")
    check_layer(acts, labels)
    if is_tensor(acts):
        return mutual_information(equal_mass_symbols(acts, bins), labels)
    return grouped_mi(_equal_mass_sums, acts, labels, bins, acts.dtype == np.float32)


register(Estimator(
    method="adaptive-bins", fn=adaptive_bins, params={"bins": int}, units="bits",
    reference="Chelombiev, Houghton & O'Donnell 2019 (entropy-based binning)",
    description="Equal-mass bins per unit, recomputed per layer and epoch from ranks; plug-in.",
))
