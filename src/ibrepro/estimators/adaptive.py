"""Adaptive (entropy-based) binning, per layer and epoch (Chelombiev et al. 2019).

Fixed bins waste resolution when a layer's activity shrinks or grows by orders of magnitude
over training; Chelombiev, Houghton & O'Donnell (ICLR 2019) instead choose the bins of every
layer at every epoch from its own values ("entropy based binning on every layer at every
epoch", their summary), which keeps the estimator's resolution proportional to the activity.
Two schemes (parameter ``scheme``):

``pooled-quantiles`` (theirs; config.yaml uses it): one set of edges per layer and epoch, shared
by its units, at quantiles of the layer's *distinct* values, as their code's ``set_up_bins``
(maxentropy, per_layer_bins; ivansche/adaptive_estimators idnns/information/
information_process.py:266-286) and ``calc_information_sampling`` (:30-35) do. With u_0 < ... <
u_{U-1} the distinct values of all units and samples of the layer, the edges are u_{i_k} for
k = 0..B-1, i_k = int(k * (U / B)) (the code's float64 product, floored; it differs from the
exact floor(k U / B) by one for some U), and u_{U-1}; a value t gets the bin of the largest
edge <= t (``np.digitize``), so the maximum has a bin of its own. Their code first removes a
``low`` edge from the distinct values and puts it below them: 0 for ReLU-like nets, so a ReLU
layer's zeros get a bin of their own, and -1.000001 for tanh and ELU nets, below every value.
The activation is not known here; the same bins come from the values alone: zeros get their
own bin when the layer's minimum is exactly 0 (no value below 0), else no value is set apart.
That equals their code on every layer of the nets it estimates (tanh, ReLU, softplus, ELU:
``get_information``, :157-238), save a tanh or ELU layer whose minimum is exactly 0.
Symbols depend only on the order of the layer's values: invariant under one strictly increasing
map f with f(0) = 0 applied to the whole layer (not per unit: a unit whose values are all above
another's uses only the upper bins).

``unit-ranks``: each unit its own equal-mass bins over samples,

    symbol(t) = floor(r(t) * bins / N),   r(t) = #{samples of the unit with value < t}

(the minimal 0-based rank, so tied values share one bin: a saturated tanh at +-1, the zeros of
a relu); with distinct values and bins dividing N every bin holds exactly N / bins samples, and
the estimate is invariant under a strictly increasing map applied to each unit separately.

Either way each unit's symbol is a coordinate of T's row, and I(X;T) = H(T), I(T;Y) = H(T) -
H(T|Y) by plug-in over the rows (:func:`ibrepro.estimators.entropy.mutual_information`), in
bits, as their ``calc_information_from_mat`` (mutual_information_calculation.py) does.

Numpy input: values are ordered by one radix sort of their float32 bit patterns, each
position packed below its pattern (a comparison sort for float64 input), per unit (unit-ranks)
or over the whole layer (pooled-quantiles); a run of equal values gets the position of its
first element (unit-ranks) or its dense rank (pooled-quantiles), as the torch code (CUDA) does
with its sort; both give the same symbols.
"""

from __future__ import annotations

import numpy as np

from ibrepro.kernel_cache import njit

from .entropy import (
    grouped_mi,
    index_bits,
    mutual_information,
    plugin_sums,
    sort_keys,
    workspace,
)
from .inputs import check_layer
from .mi import MI, is_tensor
from .registry import Estimator, register


@njit(cache=True, nogil=True)
def _sorted_keys(acts, units, is_float32, keys, keys_out, hists):
    """The values of ``acts`` ``(n, unit)`` in the ``units`` (a range), unit-major (value j:
    unit ``units[j // n]``, sample ``j % n``), in ascending order as sorted int64 keys
    ``(v << b) | j``, with ``b`` = ``index_bits(m)`` for the m values: ``v`` a code that
    orders the values and is equal for equal ones (-0.0 and 0.0 alike), ties in position
    order. Returns ``(keys, b)``. Float32 values: ``v`` is the float32 bit pattern made
    order-preserving, radix-sorted; other values: their dense rank after a comparison sort."""
    n = acts.shape[0]
    m = n * len(units)
    bits = index_bits(m)
    if not is_float32:
        values = np.empty(m)
        for j, u in enumerate(units):
            values[j * n:(j + 1) * n] = acts[:, u]
        order = np.argsort(values, kind="mergesort")
        rank = -1
        for p in range(m):
            if p == 0 or values[order[p]] != values[order[p - 1]]:
                rank += 1
            keys[p] = (rank << bits) | order[p]
        return keys, bits
    single = np.empty(m, np.float32)
    for j, u in enumerate(units):
        for i in range(n):
            single[j * n + i] = acts[i, u] + 0.0  # -0.0 + 0.0 = 0.0: one pattern for zero
    patterns = single.view(np.int32)
    for j in range(m):  # sign-magnitude to an order-preserving code in [0, 2^32)
        pattern = patterns[j]
        code = np.int64(pattern if pattern >= 0 else pattern ^ 0x7FFFFFFF) + (1 << 31)
        keys[j] = (code << bits) | j
    return sort_keys(keys, (1 << 32) << bits, keys_out, hists, bits), bits


@njit(cache=True, nogil=True)
def equal_mass_columns(acts, bins, is_float32, columns, work, hists):
    """Equal-mass symbols of one group ``(n, unit)`` into int64 ``columns`` ``(unit, n)``.
    work: int64 ``(2, n)`` or more."""
    n, d = acts.shape
    for u in range(d):
        keys, bits = _sorted_keys(acts, range(u, u + 1), is_float32, work[0], work[1], hists)
        mask = (1 << bits) - 1
        first = 0  # position of the first of the current run of equal values: its rank
        for p in range(n):
            if p > 0 and keys[p] >> bits != keys[p - 1] >> bits:
                first = p
            columns[u, keys[p] & mask] = first * bins // n


@njit(cache=True, nogil=True)
def _equal_mass_sums(acts, bins, is_float32, label_index, label_bits, xlogx, sums, class_sums):
    """``plugin_sums`` of the equal-mass symbols of every group ``(group, n, unit)``."""
    columns, work, hists = workspace(acts.shape[1], acts.shape[2])
    for g in range(acts.shape[0]):
        equal_mass_columns(acts[g], bins, is_float32, columns, work, hists)
        sums[g] = plugin_sums(columns, label_index, label_bits, xlogx, class_sums[g], work,
                              hists)


def equal_mass_symbols(acts, bins: int):
    """Equal-mass bin index of every value, per unit: int64 ``(..., sample, unit)`` in [0, bins).

    acts: real ``(..., sample, unit)`` (numpy or torch); ties get the bin of their minimal rank
    (module doc).
    """
    if not is_tensor(acts):
        flat = acts.reshape(-1, *acts.shape[-2:])
        symbols = np.empty((len(flat), flat.shape[-1], flat.shape[-2]), np.int64)
        _, work, hists = workspace(flat.shape[-2], flat.shape[-1])
        for g, group in enumerate(flat):
            equal_mass_columns(group, bins, acts.dtype == np.float32, symbols[g], work, hists)
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


@njit(cache=True, nogil=True)
def pooled_columns(acts, bins, is_float32, columns, work, hists):
    """Pooled-quantile symbols of one group ``(n, unit)`` into int64 ``columns`` ``(unit, n)``:
    0 for the zeros set apart, else 1 + the index of the value's bin (module doc).
    work: int64 ``(2, n * unit)``."""
    n, d = acts.shape
    keys, bits = _sorted_keys(acts, range(d), is_float32, work[0], work[1], hists)
    mask = (1 << bits) - 1
    flat = columns.reshape(n * d)  # unit-major, as the keys' positions j
    lowest = keys[0] & mask
    zeros = 1 if acts[lowest % n, lowest // n] == 0.0 else 0  # minimum exactly 0: zeros set apart
    distinct = 1
    for p in range(1, n * d):
        if keys[p] >> bits != keys[p - 1] >> bits:
            distinct += 1
    count = distinct - zeros  # U, the distinct values binned
    edges = np.empty(bins + 1, np.int64)  # positions i_k among them, then the maximum's
    for k in range(bins):
        edges[k] = int(k * (count / bins))  # their code's float64 arithmetic
    edges[bins] = max(count - 1, 0)
    rank = -1  # dense rank of the current run of equal values
    k = 0  # its bin: the largest k with edges[k] <= its position
    symbol = 0
    for p in range(n * d):
        if p == 0 or keys[p] >> bits != keys[p - 1] >> bits:
            rank += 1
            if rank >= zeros:
                while k < bins and edges[k + 1] <= rank - zeros:
                    k += 1
                symbol = 1 + k
        flat[keys[p] & mask] = symbol


@njit(cache=True, nogil=True)
def _pooled_sums(acts, bins, is_float32, label_index, label_bits, xlogx, sums, class_sums):
    """``plugin_sums`` of the pooled-quantile symbols of every group ``(group, n, unit)``."""
    columns, work, hists = workspace(acts.shape[1], acts.shape[2])
    layer_work = np.empty((2, acts.shape[1] * acts.shape[2]), np.int64)
    for g in range(acts.shape[0]):
        pooled_columns(acts[g], bins, is_float32, columns, layer_work, hists)
        sums[g] = plugin_sums(columns, label_index, label_bits, xlogx, class_sums[g], work,
                              hists)


def pooled_quantile_symbols(acts, bins: int):
    """Pooled-quantile bin of every value, per layer: int64 ``(..., sample, unit)`` in
    [0, bins + 1], 0 for the zeros set apart when the layer's minimum is 0 (module doc).

    acts: real ``(..., sample, unit)`` (numpy or torch), one layer per group ``(...)``.
    """
    if not is_tensor(acts):
        flat = acts.reshape(-1, *acts.shape[-2:])
        symbols = np.empty((len(flat), flat.shape[-1], flat.shape[-2]), np.int64)
        _, _, hists = workspace(1, 1)
        work = np.empty((2, flat.shape[-2] * flat.shape[-1]), np.int64)
        for g, group in enumerate(flat):
            pooled_columns(group, bins, acts.dtype == np.float32, symbols[g], work, hists)
        return symbols.transpose(0, 2, 1).reshape(acts.shape)
    import torch

    ordered, order = torch.sort(acts.reshape(*acts.shape[:-2], -1), dim=-1)
    starts = torch.ones_like(order, dtype=torch.bool)  # first of a run of equal values
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    rank = torch.cumsum(starts, dim=-1) - 1  # dense rank
    zeros = (ordered[..., :1] == 0).long()  # (..., 1): minimum exactly 0
    count = rank[..., -1:] + 1 - zeros
    k = torch.arange(bins, dtype=torch.float64, device=acts.device)
    edges = torch.cat([torch.floor(k * (count.double() / bins)).long(),
                       (count - 1).clamp(min=0)], dim=-1)
    # 1 + the largest k with edges[k] <= the position among the values binned
    symbol = torch.searchsorted(edges, (rank - zeros).clamp(min=0), right=True)
    symbol = torch.where(rank < zeros, 0, symbol)
    return torch.empty_like(symbol).scatter_(-1, order, symbol).reshape(acts.shape)


SCHEMES = ("pooled-quantiles", "unit-ranks")


def adaptive_bins(acts, labels, *, bins: int, scheme: str = "pooled-quantiles") -> MI:
    """I(X;T), I(T;Y) in bits with ``bins`` adaptive bins, per group.

    acts: real ``(..., sample, unit)``, one layer's units (any units: only the order of the
    values matters); labels: int ``(sample,)`` (numpy, or torch); scheme: ``pooled-quantiles``
    (Chelombiev et al.'s: edges at quantiles of the layer's distinct values) or ``unit-ranks``
    (equal-mass bins per unit). Returns float64 ``(...)`` arrays (tensors on ``acts``'s
    device). Bins are recomputed for every group ``(...)`` (every rep and epoch): see the
    module docstring for ties and zeros.
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be an int >= 1, got {bins!r}")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    check_layer(acts, labels)
    pooled = scheme == "pooled-quantiles"
    if is_tensor(acts):
        symbols = (pooled_quantile_symbols if pooled else equal_mass_symbols)(acts, bins)
        return mutual_information(symbols, labels)
    kernel = _pooled_sums if pooled else _equal_mass_sums
    return grouped_mi(kernel, acts, labels, bins, acts.dtype == np.float32)


register(Estimator(
    method="adaptive-bins", fn=adaptive_bins, params={"bins": int}, units="bits",
    defaults={"scheme": "pooled-quantiles"}, choices={"scheme": SCHEMES},
    reference="Chelombiev, Houghton & O'Donnell 2019 (entropy-based binning; their code's "
              "set_up_bins)",
    description="Adaptive bins recomputed per layer and epoch: at quantiles of the layer's "
                "distinct values (pooled-quantiles) or equal-mass per unit (unit-ranks); "
                "plug-in.",
))
