"""Plug-in (maximum-likelihood) entropy of discrete rows, batched over leading axes, in bits.

The core every binning-type estimator shares: given integer symbols ``(..., sample, unit)``, the
entropy of the empirical distribution of the rows of each group ``(...)``,
``H = log2 N - (1/N) sum_rows c log2 c`` over the distinct rows and their counts c, and with
labels the same within each class. Numpy input runs the numba kernels below on the CPU; torch
tensors run ``entropy_torch.py`` (CUDA, and callers holding tensors).

Kernel: per group, each unit's symbols are shifted to start at 0 (and ranked when sparser than
N), combined into one int64 key per row by mixed radix (keys re-ranked whenever the radix
product would pass 2^62), the label packed into the low bits, and the keys sorted by an LSD
radix sort (11-bit digits: one pass counts them all, and digits constant over the group are
skipped; a sort that must return an order packs each position below its key and moves one
array, not a key and a payload). Rows are then visited in
lexicographic order, the order in which ``entropy_torch`` sums its runs, and c log2 c comes
from one table per N (libm's log2), which ``entropy_torch`` reads too, so both give the same
bits (``tests/test_cpu_path.py``). About 50 µs per group of 4096 rows and 10 units.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ibrepro.kernel_cache import njit

from .inputs import check_layer
from .mi import MI, is_tensor

_DIGIT = 11  # radix-sort digit: 2048 buckets, a 16 KiB histogram
BUCKETS = 1 << _DIGIT
_MAX_DIGITS = 6  # digits of any int64 key
_KEY_LIMIT = 1 << 62  # keys stay below this bound, far from int64 overflow
_DENSE_BOUND = 1 << 33  # keys are re-ranked before they pass this: 3 radix passes


@njit(inline="always")
def index_bits(n):
    """Bits that hold an index below ``n`` (at least 1)."""
    bits = 1
    while (1 << bits) < n:
        bits += 1
    return bits


@njit(cache=True, nogil=True)
def sort_keys(keys, bound, keys_out, hists, start=0):
    """Stable LSD radix sort of the int64 ``keys`` in [0, bound) by their bits from ``start``
    up; returns the sorted keys (``keys`` or ``keys_out``, both overwritten).

    One pass counts every digit, then each digit that is not the same for all keys takes one
    scatter pass. Keys equal above ``start`` keep their order, so ``start`` bits of a position
    packed below a value make this an argsort that moves one array instead of two.
    hists: int64 ``(_MAX_DIGITS, BUCKETS)``.
    """
    n = keys.size
    digits = 0  # (a shift past 63 would wrap around: the CPU takes it modulo 64)
    while start + digits * _DIGIT < 63 and ((bound - 1) >> (start + digits * _DIGIT)) > 0:
        digits += 1
    if n == 0 or digits == 0:
        return keys
    hists[:digits] = 0
    for key in keys:
        for k in range(digits):
            hists[k, (key >> (start + k * _DIGIT)) & (BUCKETS - 1)] += 1
    for k in range(digits):
        shift = start + k * _DIGIT
        hist = hists[k]
        if hist[(keys[0] >> shift) & (BUCKETS - 1)] == n:  # one digit for all: nothing to order
            continue
        total = 0
        for b in range(BUCKETS):
            count = hist[b]
            hist[b] = total
            total += count
        for key in keys:
            digit = (key >> shift) & (BUCKETS - 1)
            keys_out[hist[digit]] = key
            hist[digit] += 1
        keys, keys_out = keys_out, keys
    return keys


@njit(cache=True, nogil=True)
def _dense_rank(values, bound, work, hists):
    """Replace ``values`` (int64 in [0, bound)) by their ranks among the distinct values, in
    place, order kept; return the number of distinct values. work: int64 ``(2, n)``."""
    n = values.size
    bits = index_bits(n)
    if bound > (_KEY_LIMIT >> bits):  # too wide to pack a position below: comparison sort
        order = np.argsort(values, kind="mergesort")
        ordered = values[order]
        rank = -1
        for p in range(n):
            if p == 0 or ordered[p] != ordered[p - 1]:
                rank += 1
            values[order[p]] = rank
        return rank + 1
    keys = work[0]
    for i in range(n):
        keys[i] = (values[i] << bits) | i
    keys = sort_keys(keys, bound << bits, work[1], hists, bits)
    mask = (1 << bits) - 1
    rank = -1
    previous = -1
    for key in keys:
        if key >> bits != previous:
            previous = key >> bits
            rank += 1
        values[key & mask] = rank
    return rank + 1


@njit(cache=True, nogil=True)
def _row_keys(columns, spare_bits, keys, work, hists):
    """Fill ``keys`` (int64 ``(n,)``) so that keys compare as the rows of ``columns`` (int64
    ``(unit, n)``, overwritten) compare lexicographically; return their bound.

    Keys are re-ranked once they would pass 2^33 (a 3-pass sort, where 2^62 takes 6), and
    once all N rows of a prefix of the units differ, the prefix alone orders them: the rest
    is skipped (fine bins, e.g. 1e-4, separate the rows after two or three units).
    """
    d, n = columns.shape
    keys[:] = 0
    bound = 1
    for u in range(d):
        column = columns[u]
        low = column.min()
        column -= low
        radix = column.max() + 1
        if radix > n:  # sparse symbols: rank them so the radix is at most N
            radix = _dense_rank(column, radix, work, hists)
        if bound > min(_DENSE_BOUND, _KEY_LIMIT >> spare_bits) // radix:
            bound = _dense_rank(keys, bound, work, hists)
            if bound == n:  # every row already distinct
                return bound
        for i in range(n):
            keys[i] = keys[i] * radix + column[i]
        bound *= radix
    return bound


@njit(cache=True, nogil=True)
def plugin_sums(columns, label_index, label_bits, xlogx, class_sums, work, hists):
    """sum_rows c log2 c over the distinct rows of one group, and per class into
    ``class_sums`` (float64 ``(class,)``), each summed in lexicographic row order.

    columns: int64 ``(unit, n)`` symbols (overwritten); label_index: int64 ``(n,)`` in
    [0, 2^label_bits); xlogx: c log2 c for c = 0..n; work: int64 ``(3, n)``.
    """
    n = columns.shape[1]
    keys = work[0]
    bound = _row_keys(columns, label_bits, keys, work[1:], hists)
    for i in range(n):
        keys[i] = (keys[i] << label_bits) | label_index[i]
    keys = sort_keys(keys, bound << label_bits, work[1], hists)
    class_sums[:] = 0.0
    total_sum = 0.0
    mask = (1 << label_bits) - 1
    i = 0
    while i < n:  # one distinct row: its runs of equal (row, label)
        row = keys[i] >> label_bits
        count = 0
        while i < n and (keys[i] >> label_bits) == row:
            start = i
            while i < n and keys[i] == keys[start]:
                i += 1
            class_sums[keys[start] & mask] += xlogx[i - start]
            count += i - start
        total_sum += xlogx[count]
    return total_sum


@njit(cache=True, nogil=True)
def workspace(n, d):
    """Scratch of the kernels for groups of ``n`` rows of ``d`` units: the symbols ``(d, n)``,
    :func:`plugin_sums`'s ``work`` and the radix sort's histograms."""
    return (np.empty((d, n), np.int64), np.empty((3, n), np.int64),
            np.empty((_MAX_DIGITS, BUCKETS), np.int64))


@njit(cache=True, nogil=True)
def _transpose_into(symbols, columns):
    """``columns[u, i] = symbols[i, u]``: one group's integer symbols, unit-major."""
    for i in range(symbols.shape[0]):
        for u in range(symbols.shape[1]):
            columns[u, i] = symbols[i, u]


@njit(cache=True, nogil=True)
def _symbol_sums(symbols, label_index, label_bits, xlogx, sums, class_sums):
    """:func:`plugin_sums` of every group of integer ``symbols`` ``(group, n, unit)``."""
    columns, work, hists = workspace(symbols.shape[1], symbols.shape[2])
    for g in range(symbols.shape[0]):
        _transpose_into(symbols[g], columns)
        sums[g] = plugin_sums(columns, label_index, label_bits, xlogx, class_sums[g], work,
                              hists)


@njit(cache=True, nogil=True)
def _keys_of(symbols, keys):
    """Row keys of every group of integer ``symbols`` ``(group, n, unit)`` into ``keys``."""
    columns, work, hists = workspace(symbols.shape[1], symbols.shape[2])
    for g in range(symbols.shape[0]):
        _transpose_into(symbols[g], columns)
        _row_keys(columns, 0, keys[g], work[1:], hists)


@functools.cache
def xlogx_table(n: int) -> np.ndarray:
    """c log2 c for c = 0..n (0 at c = 0), float64, with libm's log2."""
    return np.array([0.0] + [c * math.log2(c) for c in range(1, n + 1)])


class Labels:
    """Class indices of one set of labels, as the kernels take them: ``index`` int64 ``(n,)``
    in [0, classes), ``bits`` to pack one, and each class's size (ascending label order)."""

    def __init__(self, labels: np.ndarray):
        _, index, self.sizes = np.unique(np.asarray(labels), return_inverse=True,
                                         return_counts=True)
        self.index = index.astype(np.int64).reshape(-1)
        self.bits = (len(self.sizes) - 1).bit_length()


def grouped_mi(kernel, acts: np.ndarray, labels: np.ndarray, *args) -> MI:
    """MI in bits of ``kernel``'s symbols of every group of ``acts`` ``(..., n, unit)``.

    kernel(flat acts ``(group, n, unit)``, \\*args, label_index, label_bits, xlogx, sums,
    class_sums) fills each group's :func:`plugin_sums`; returns float64 ``(...)`` arrays. The
    caller has checked ``acts`` and ``labels`` (:func:`check_layer`) once: a float layer's check
    reads every value (0.08 s of a paper-scale SZT repetition's 0.29 s of binning).
    """
    lead, n = acts.shape[:-2], acts.shape[-2]
    flat = acts.reshape(-1, n, acts.shape[-1])
    classes = Labels(labels)
    sums = np.empty(flat.shape[0])
    class_sums = np.empty((flat.shape[0], len(classes.sizes)))
    kernel(flat, *args, classes.index, classes.bits, xlogx_table(n), sums, class_sums)
    h_t = math.log2(n) - sums / n
    h_t_given_y = np.zeros_like(h_t)
    for k, size in enumerate(classes.sizes.tolist()):  # as entropy_torch: ascending labels
        h_t_given_y += (size / n) * (math.log2(size) - class_sums[:, k] / size)
    return MI(I_XT=h_t.reshape(lead), I_TY=(h_t - h_t_given_y).reshape(lead))


def _integer(symbols: np.ndarray) -> np.ndarray:
    if not (np.issubdtype(symbols.dtype, np.integer) or symbols.dtype == np.bool_):
        raise TypeError(f"symbols must be an integer array, got {symbols.dtype}")
    return symbols.astype(np.int64, copy=False)


def row_keys(symbols):
    """One int64 key per row such that two rows of a group are equal iff their keys are (and
    order as the rows do, lexicographically). symbols: integer ``(..., sample, unit)``."""
    if is_tensor(symbols):
        from . import entropy_torch

        return entropy_torch.row_keys(symbols)
    symbols = _integer(np.asarray(symbols))
    check_layer(symbols)
    flat = symbols.reshape(-1, *symbols.shape[-2:])
    keys = np.empty(flat.shape[:2], np.int64)
    _keys_of(flat, keys)
    return keys.reshape(symbols.shape[:-1])


def entropy_of_keys(keys):
    """Plug-in entropy in bits of the keys of each group (last axis); float64 ``(...)``."""
    if is_tensor(keys):
        from . import entropy_torch

        return entropy_torch.entropy_of_keys(keys)
    return entropy(np.asarray(keys)[..., None])


def entropy(symbols):
    """Plug-in entropy in bits of the rows of each group of ``(..., sample, unit)``; ``(...)``."""
    if is_tensor(symbols):
        from . import entropy_torch

        return entropy_torch.entropy(symbols)
    symbols = _integer(np.asarray(symbols))
    check_layer(symbols)
    return grouped_mi(_symbol_sums, symbols, np.zeros(symbols.shape[-2], np.int64)).I_XT


def mutual_information(symbols, labels) -> MI:
    """I(X;T) and I(T;Y) in bits of a deterministic discrete representation T.

    symbols: integer ``(..., sample, unit)``, the discretised representation of each sample.
    labels: integer ``(sample,)``. Each sample is one equiprobable input x, so for distinct
    inputs I(X;T) = H(T) and I(T;Y) = H(T) - sum_y p(y) H(T | Y=y) (Shwartz-Ziv & Tishby 2017).
    """
    if is_tensor(symbols):
        from . import entropy_torch

        return entropy_torch.mutual_information(symbols, labels)
    symbols, labels = _integer(np.asarray(symbols)), np.asarray(labels)
    check_layer(symbols, labels)
    return grouped_mi(_symbol_sums, symbols, labels)
