"""Sums of Gaussian kernel terms exp(-s |a - b|^2) over point pairs, cut off where negligible:
the numba core of the KDE bounds and of sample propagation on the CPU.

Every sum here includes a term equal to 1 (a point's own component), so dropping the terms
below exp(-C) with C = ``CUTOFF`` + ln N (or counting each as exp(-C)) changes a sum of N
terms by less than exp(-CUTOFF) = 4e-18 of itself: far below float64 rounding. The pairs
within the cut-off are found by a sweep along the points' principal axis (points sorted by
their projection on it; pairs farther apart along a unit vector are farther apart in all; on
trained SZT layers it leaves 20-50% fewer candidates than the widest coordinate), and each
term costs ~2 ns: a vectorised exp (:func:`exp_negative`, relative error below 4e-12 on
[-64, 0], or :func:`exp_approx`, below 1e-12 on [-60, 60], where libm's exp takes ~4 ns) and
a few multiply-adds. Identical points of one class are one term with their count as weight
(``symmetric_sums``): relu layers repeat rows, and those pairs are all within the cut-off.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import Chebyshev, Polynomial

from ibrepro.kernel_cache import njit

CUTOFF = 40.0  # terms below exp(-CUTOFF - ln N) of the largest are dropped

_VECTOR = {"reassoc", "contract"}  # lets LLVM vectorise the sums (reordered float64 additions)


@njit(inline="always", fastmath=_VECTOR)
def exp_approx(x):
    """e^x for |x| <= 60, relative error < 1e-12: the degree-10 Taylor polynomial of e^(x/256),
    squared 8 times (branch-free, so loops over it vectorise)."""
    y = x * (1.0 / 256.0)
    p = 1.0 + y * (1.0 + y * (1.0 / 2 + y * (1.0 / 6 + y * (1.0 / 24 + y * (
        1.0 / 120 + y * (1.0 / 720 + y * (1.0 / 5040 + y * (1.0 / 40320 + y * (
            1.0 / 362880 + y * (1.0 / 3628800))))))))))
    for _ in range(8):
        p = p * p
    return p


# e^y on [-1/4, 0]: the degree-7 polynomial through e^y at the 8 Chebyshev nodes (near-minimax)
_E0, _E1, _E2, _E3, _E4, _E5, _E6, _E7 = (
    Chebyshev.interpolate(np.exp, 7, domain=[-0.25, 0.0]).convert(kind=Polynomial).coef.tolist())


@njit(inline="always", fastmath=_VECTOR)
def exp_negative(x):
    """e^x for -64 <= x <= 0, relative error < 4e-12: the Chebyshev polynomial of e^(x/256),
    squared 8 times. Three multiply-adds fewer than :func:`exp_approx`, for sums whose
    exponents are never positive."""
    y = x * (1.0 / 256.0)
    p = _E0 + y * (_E1 + y * (_E2 + y * (_E3 + y * (_E4 + y * (_E5 + y * (_E6 + y * _E7))))))
    for _ in range(8):
        p = p * p
    return p


def cutoff_exponent(n: int) -> float:
    """The exponent C beyond which a term of a sum of ``n`` is dropped: ``CUTOFF`` + ln n."""
    return CUTOFF + math.log(max(n, 1))


@njit(cache=True, nogil=True)
def principal_axis(points):
    """A unit vector along which ``points`` ``(n, d)`` spread most (power iteration on their
    scatter matrix, started at the widest coordinate; any unit vector keeps the sweep exact).
    Plain loops: numba's matrix products would need scipy's BLAS."""
    n, d = points.shape
    mean = np.zeros(d)
    for i in range(n):
        mean += points[i]
    mean /= n
    scatter = np.zeros((d, d))
    for i in range(n):
        for a in range(d):
            for b in range(d):
                scatter[a, b] += (points[i, a] - mean[a]) * (points[i, b] - mean[b])
    axis = np.zeros(d)
    axis[np.argmax(np.diag(scatter).copy())] = 1.0
    following = np.empty(d)
    for _ in range(30):
        for a in range(d):
            following[a] = (scatter[a] * axis).sum()
        norm = math.sqrt((following * following).sum())
        if not norm > 0:
            break
        axis = following / norm
    return axis


@njit(cache=True, nogil=True)
def _sweep_order(points, axis):
    """The points' projections on ``axis`` and the order that sorts them."""
    projection = np.empty(points.shape[0])
    for i in range(points.shape[0]):
        projection[i] = (points[i] * axis).sum()
    return projection, np.argsort(projection, kind="mergesort")


@njit(inline="always", fastmath=_VECTOR)
def _squared_distances(coords, start, stop, point, out):
    """out[t] = |coords[:, start + t] - point|^2 for t < stop - start.

    coords ``(d, n)`` coordinate-major with d even (:func:`coordinate_major`), point ``(d,)``:
    each pass is one contiguous, vectorised loop over four coordinates (two in the last pass
    when d is 2 mod 4), so ``out`` is loaded and stored once per four, not once per coordinate
    (a 10-unit layer's distances took 1.25x as long so)."""
    window = out[:stop - start]
    d = coords.shape[0]
    k = 0
    if d % 4 == 2:
        a, b = coords[0, start:stop], coords[1, start:stop]
        ca, cb = point[0], point[1]
        for t in range(stop - start):
            da, db = a[t] - ca, b[t] - cb
            window[t] = da * da + db * db
        k = 2
    elif d > 0:
        window[:] = 0.0
    while k < d:
        a, b = coords[k, start:stop], coords[k + 1, start:stop]
        c, e = coords[k + 2, start:stop], coords[k + 3, start:stop]
        ca, cb, cc, ce = point[k], point[k + 1], point[k + 2], point[k + 3]
        for t in range(stop - start):
            da, db, dc, de = a[t] - ca, b[t] - cb, c[t] - cc, e[t] - ce
            window[t] += (da * da + db * db) + (dc * dc + de * de)
        k += 4


@njit(inline="always")
def coordinate_major(points, order):
    """``points[order]`` ``(n, d)`` transposed to ``(d', n)``, d' = d rounded up to even with a
    row of zeros (it adds 0 to every distance): :func:`_squared_distances`' layout."""
    n, d = len(order), points.shape[1]
    coords = np.zeros((d + d % 2, n))
    for j in range(n):
        for k in range(d):
            coords[k, j] = points[order[j], k]
    return coords


@njit(cache=True, nogil=True)
def _distinct_rows(points, label_index, projection, order):
    """The distinct (row, class) pairs of ``points`` in sweep ``order``: ``(member, first,
    count)``, ``member[i]`` the group of the i-th point in that order, ``first[g]`` the order
    position of group g's first point, ``count[g]`` (float64) its size. Equal rows have equal
    projections, so each point is compared only with the groups of its run of equal ones."""
    n, d = points.shape
    member = np.empty(n, np.int64)
    first = np.empty(n, np.int64)
    count = np.zeros(n)
    groups = 0
    run = 0  # the first group of the current run of equal projections
    for i in range(n):
        p = order[i]
        if i > 0 and projection[p] != projection[order[i - 1]]:
            run = groups
        found = groups
        for g in range(run, groups):
            q = order[first[g]]
            equal = label_index[q] == label_index[p]
            for k in range(d):
                equal = equal and points[q, k] == points[p, k]
            if equal:
                found = g
                break
        if found == groups:
            first[groups] = i
            groups += 1
        member[i] = found
        count[found] += 1.0
    return member, first[:groups], count[:groups]


@njit(cache=True, nogil=True, fastmath=_VECTOR)
def _sweep_sums(coords, labels, along, weights, scale, exponent_cut):
    """``(total, same)``: ``total[i]`` = sum_j w_j exp(-scale |c_i - c_j|^2) over the points j
    within the cut-off (w_i for i itself), ``same[i]`` over those of i's class; each pair is
    visited once, for both rows. coords ``(d, m)`` coordinate-major and labels (float)
    ``(m,)`` in the order of ``along``, the projections (ascending); ``weights`` ``(m,)`` the
    points' multiplicities, or None for all 1 (a separate compilation without the weights'
    loads and products). The sums are allocated here: LLVM vectorises the pair loop only
    over arrays it knows do not overlap."""
    m = len(along)
    total = np.ones(m) if weights is None else weights.copy()
    same = total.copy()
    squared = np.empty(m)
    reach = math.sqrt(exponent_cut / scale)  # farther apart along the axis: dropped
    end = 0
    for i in range(m):
        while end < m and along[end] - along[i] <= reach:
            end += 1
        _squared_distances(coords, i + 1, end, coords[:, i], squared)
        # slices, not offset indices: numba wraps an index of unknown sign, which keeps LLVM
        # from vectorising the loop
        others_total = total[i + 1:end]
        others_same = same[i + 1:end]
        others_label = labels[i + 1:end]
        label = labels[i]
        acc_all = 0.0
        acc_same = 0.0
        if weights is None:
            for t in range(end - i - 1):  # one vectorised pass over the candidates i + 1 + t
                # a candidate beyond the cut-off counts exp(-exponent_cut), not 0: branch-free,
                # and the row changes by less than exp(-CUTOFF) either way
                term = exp_negative(max(-scale * squared[t], -exponent_cut))
                mate = term if others_label[t] == label else 0.0
                acc_all += term
                acc_same += mate
                others_total[t] += term
                others_same[t] += mate
        else:
            others_weight = weights[i + 1:end]
            own = weights[i]
            for t in range(end - i - 1):
                term = exp_negative(max(-scale * squared[t], -exponent_cut))
                mate = term if others_label[t] == label else 0.0
                acc_all += others_weight[t] * term
                acc_same += others_weight[t] * mate
                others_total[t] += own * term
                others_same[t] += own * mate
        total[i] += acc_all
        same[i] += acc_same
    return total, same


@njit(cache=True, nogil=True)
def symmetric_sums(points, scale, exponent_cut, label_index, row_all, row_class):
    """For each point i of ``points`` ``(n, d)`` (float64): ``row_all[i]`` = sum_j
    exp(-scale |x_i - x_j|^2) over all j (itself included: 1), ``row_class[i]`` over the j of
    its class (``label_index``); terms with exponent below -``exponent_cut`` count as
    exp(-``exponent_cut``) or 0 (changing each sum by less than exp(-``CUTOFF``)).

    Identical points of one class are summed once, with their count as weight: a relu layer
    often maps many inputs to one row (all units at 0), and such a layer's pairs are all
    within the cut-off (a collapsed szt-relu layer: 109 distinct rows of 4096)."""
    n = len(points)
    projection, order = _sweep_order(points, principal_axis(points))
    member, first, count = _distinct_rows(points, label_index, projection, order)
    m = len(first)
    representative = order[first]  # each group's first point
    coords = coordinate_major(points, representative)  # sorted: contiguous inner loops
    labels = np.empty(m)  # class indices as floats: compared in the vector unit's own type
    along = np.empty(m)
    for g in range(m):
        labels[g] = label_index[representative[g]]
        along[g] = projection[representative[g]]
    if m < n:
        total, same = _sweep_sums(coords, labels, along, count, scale, exponent_cut)
    else:
        total, same = _sweep_sums(coords, labels, along, None, scale, exponent_cut)
    for i in range(n):
        row_all[order[i]] = total[member[i]]
        row_class[order[i]] = same[member[i]]


@njit(cache=True, nogil=True, fastmath=_VECTOR)
def cross_sums(points, own, centres, scale, exponent_cut, point_class, centre_class, row_all,
               row_class):
    """For each point g_i of ``points`` ``(m, d)``: ``row_all[i]`` = sum_j exp(-scale |g_i -
    s_j|^2 - own_i) over the ``centres`` ``(n, d)``, and ``row_class[i]`` over the centres whose
    class (``centre_class``) is ``point_class[i]``. ``own_i`` is the exponent of g_i's own
    component, so its term is 1 and no term of another exceeds exp(-own_i); terms below
    exp(-``exponent_cut``) dropped."""
    n, d = centres.shape
    axis = principal_axis(centres)
    projection, order = _sweep_order(centres, axis)
    along = projection[order]
    coords = coordinate_major(centres, order)
    classes = centre_class[order]
    point = np.zeros(len(coords))  # a point, padded as coords
    squared = np.empty(n)
    for i in range(points.shape[0]):
        # -scale |g - s|^2 - own >= -cut  iff  |g - s|^2 <= (cut - own) / scale
        reach = math.sqrt(max(exponent_cut - own[i], 0.0) / scale)
        position = (points[i] * axis).sum()
        start = np.searchsorted(along, position - reach)
        stop = np.searchsorted(along, position + reach, side="right")
        point[:d] = points[i]
        _squared_distances(coords, start, stop, point, squared)
        acc_all = 0.0
        acc_same = 0.0
        for t in range(stop - start):
            exponent = -scale * squared[t] - own[i]
            term = exp_approx(min(max(exponent, -exponent_cut), 60.0)) * (
                exponent >= -exponent_cut)
            acc_all += term
            acc_same += term * (classes[start + t] == point_class[i])
        row_all[i] = acc_all
        row_class[i] = acc_same
