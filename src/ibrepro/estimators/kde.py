"""KDE estimators: Kolchinsky–Tracey pairwise-distance bounds on a Gaussian-mixture entropy.

Each layer output t_i (one per equiprobable input x_i, i = 1..N) is taken as the centre of a
Gaussian N(t_i, sigma^2 I_d), i.e. T = t(X) + Z with Z ~ N(0, sigma^2 I_d) (Saxe et al. 2018,
Sec. 2; Kolchinsky, Tracey & Wolpert 2017). T is then an equal-weight Gaussian mixture whose
entropy has no closed form but is bracketed by pairwise distances between components
(Kolchinsky & Tracey 2017, "Estimating mixture entropy with pairwise distances", Sec. 4):

    H(T) <= sum_i c_i H(p_i) - sum_i c_i ln sum_j c_j exp(-KL(p_i || p_j))   (KL: upper)
    H(T) >= sum_i c_i H(p_i) - sum_i c_i ln sum_j c_j exp(-BD(p_i, p_j))     (Bhattacharyya: lower)

with c_i = 1/N, H(p_i) = (d/2) ln(2 pi e sigma^2), KL = |t_i - t_j|^2 / (2 sigma^2) and
BD = |t_i - t_j|^2 / (8 sigma^2). As in Saxe et al.'s ``kde.py`` (``entropy_estimator_kl``,
``entropy_estimator_bd``, ``kde_condentropy``), I(X;T) = H(T) - H(T|X) with H(T|X) = H(Z) =
(d/2) ln(2 pi e sigma^2) exactly, and I(T;Y) = H(T) - sum_y p(y) H(T | Y=y), each entropy the
same bound on the mixture of that class's components. The component-entropy terms cancel:

    I(X;T) = -(1/N) sum_i ln( (1/N)   sum_j         exp(-D_ij) )
    I(T;Y) =  (1/N) sum_i ln( (1/N_y) sum_{j in y_i} exp(-D_ij) ) - ln( (1/N) sum_j exp(-D_ij) )

with D = KL (upper) or BD (lower). Saxe et al. compute in nats and divide by ln 2; the papers
plot bits, so every function here returns **bits** (the mixture-entropy helper: nats). Note the
I(T;Y) "bounds" are differences of two bounds (Saxe's convention), not bounds on I(T;Y).

Numerics, numpy input (the CPU): each row's sum of exp(-D_ij) over the pairs within
exp(-40 - ln N) of its own term 1, found by a sweep and evaluated in float64 by the numba
kernel ``gaussian.symmetric_sums`` (each pair once, for both rows): the dropped terms and the
kernel's exp change the estimates by less than 1e-11 bits. With sigma^2 = 1e-3 most pairs of
a wide layer are dropped; a narrow saturated layer keeps about half of them.

Numerics, torch tensors (CUDA): distances come from one float64 matmul of augmented vectors
(|a|^2 + |b|^2 - 2 a.b, after centring each group, so no TF32 or float32 cancellation), clamped
at 0 (and exponents at -700, see ``_LOGIT_FLOOR``). Rows are processed in blocks of at most
``BLOCK_ELEMENTS`` pairs (``CUDA_BLOCK_ELEMENTS`` on a GPU), never the N x N matrix for large
N; each row's log-sum-exp needs no max shift: its largest term is exp(0) = 1 from the
component itself.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ibrepro.kernel_cache import njit

from .entropy import Labels
from .gaussian import cutoff_exponent, symmetric_sums
from .inputs import check_layer
from .mi import MI, is_tensor
from .registry import Estimator, register

if TYPE_CHECKING:
    import torch

BLOCK_ELEMENTS = 1 << 17  # pairwise terms (float64) per block on the CPU: 1 MiB, cache-sized
CUDA_BLOCK_ELEMENTS = 1 << 26  # on a GPU: 512 MiB per temporary, few kernel launches
# exp(-700) ~ 1e-304 is invisible next to each row's own term exp(0) = 1 in float64, and
# raising smaller exponents to it avoids exp's slow underflow path (about 10x on CPUs)
_LOGIT_FLOOR = -700.0
_MIN_ROWS = 32  # rows per block however large N is (70000 x 32 float64: 18 MB)


def _pairwise_log_means(
    acts: torch.Tensor, labels: torch.Tensor, scale: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean over i of ln((1/N) sum_j e^{-s D2_ij}) and of the same within i's class, in nats.

    acts: ``(B, N, d)``; labels: ``(N,)``; scale s: float64 ``(B,)``, D2 the squared distance.
    Returns two float64 ``(B,)`` tensors.
    """
    import torch

    n_groups, n, d = acts.shape
    device = acts.device
    x = acts.to(torch.float64)
    x = x - x.mean(dim=-2, keepdim=True)  # exact translation invariance, small norms
    order = torch.argsort(labels.to(device), stable=True)  # classes become contiguous columns
    x = x[:, order]
    _, counts = torch.unique_consecutive(labels.to(device)[order], return_counts=True)
    squared = (x * x).sum(dim=-1, keepdim=True)
    ones = torch.ones_like(squared)
    s = scale.to(device=device, dtype=torch.float64).reshape(n_groups, 1, 1)
    # left_i . right_j = -s (|x_i|^2 + |x_j|^2 - 2 x_i . x_j) = -s |x_i - x_j|^2
    left = torch.cat([x, squared, ones], dim=-1)
    right = torch.cat([2 * s * x, -s * ones, -s * squared], dim=-1).transpose(1, 2)

    block = BLOCK_ELEMENTS if device.type == "cpu" else CUDA_BLOCK_ELEMENTS
    rows = min(n, max(_MIN_ROWS, block // max(1, n)))  # whole rows first, then several groups
    group_step = max(1, min(n_groups, block // max(1, rows * n)))
    total_all = torch.zeros(n_groups, dtype=torch.float64, device=device)
    total_class = torch.zeros_like(total_all)
    class_end = torch.cumsum(counts, dim=0).tolist()
    class_start = [0, *class_end[:-1]]
    for g0 in range(0, n_groups, group_step):
        g1 = min(n_groups, g0 + group_step)
        for start, end in zip(class_start, class_end, strict=True):
            for r0 in range(start, end, rows):
                r1 = min(end, r0 + rows)
                kernel = torch.bmm(left[g0:g1, r0:r1], right[g0:g1])  # (g, r, N) = -s D2
                kernel.clamp_(min=_LOGIT_FLOOR, max=0.0).exp_()
                total_all[g0:g1] += torch.log(kernel.sum(dim=-1)).sum(dim=-1)
                total_class[g0:g1] += torch.log(kernel[..., start:end].sum(dim=-1)).sum(dim=-1)
    log_n = math.log(n)
    # sum over classes of N_y ln N_y, for the 1/N_y normalisation inside the class terms
    class_norm = float((counts.double() * torch.log(counts.double())).sum())
    return total_all / n - log_n, (total_class - class_norm) / n


@njit(cache=True, nogil=True)
def _cut_log_sums(acts, scale, exponent_cut, label_index, totals):
    """For each group of ``acts`` ``(B, N, d)``: sum_i ln sum_j exp(-s D2_ij) into
    ``totals[:, 0]`` and the same within i's class into ``totals[:, 1]`` (nats), s =
    ``scale[g]``, terms below exp(-``exponent_cut``) dropped (``gaussian.symmetric_sums``)."""
    groups, n, d = acts.shape
    points = np.empty((n, d))
    row_all = np.empty(n)
    row_class = np.empty(n)
    for g in range(groups):
        points[:] = acts[g]
        symmetric_sums(points, scale[g], exponent_cut, label_index, row_all, row_class)
        totals[g, 0] = np.log(row_all).sum()
        totals[g, 1] = np.log(row_class).sum()


def _cut_log_means(acts: np.ndarray, labels: np.ndarray,
                   scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_pairwise_log_means` of numpy ``acts`` ``(B, N, d)`` by the numba kernel."""
    n = acts.shape[-2]
    classes = Labels(labels)
    totals = np.empty((len(acts), 2))
    _cut_log_sums(acts, np.ascontiguousarray(scale, dtype=np.float64), cutoff_exponent(n),
                  classes.index, totals)
    sizes = classes.sizes.astype(np.float64)
    class_norm = float((sizes * np.log(sizes)).sum())
    return totals[:, 0] / n - math.log(n), (totals[:, 1] - class_norm) / n


def _kde_mi(acts, labels, noise_variance, distance_factor: float) -> MI:
    """MI in bits with D = |t_i - t_j|^2 / (distance_factor * sigma^2); sigma^2 per group
    (numpy or torch, as ``acts``)."""
    batch = acts.shape[:-2]
    flat = acts.reshape(-1, *acts.shape[-2:])
    if is_tensor(acts):
        scale = 1.0 / (distance_factor * noise_variance.expand(batch).reshape(-1))
        log_all, log_class = _pairwise_log_means(flat, labels, scale)
    else:
        scale = 1.0 / (distance_factor * np.broadcast_to(noise_variance, batch).reshape(-1))
        log_all, log_class = _cut_log_means(flat, np.asarray(labels), scale)
    i_xt = -log_all / math.log(2)
    i_ty = (log_class - log_all) / math.log(2)
    return MI(I_XT=i_xt.reshape(batch), I_TY=i_ty.reshape(batch))


def _check_noise_variance(noise_variance: float) -> None:
    if not (noise_variance > 0 and math.isfinite(noise_variance)):
        raise ValueError(f"noise_variance must be finite and > 0, got {noise_variance!r}")


def kde_upper(acts, labels, *, noise_variance: float) -> MI:
    """I(X;T), I(T;Y) in bits from the KL (upper) bound on H(T), T = t(X) + N(0, sigma^2 I).

    acts: real ``(..., sample, unit)``, one layer's outputs t(x_i) in activation units;
    labels: int ``(sample,)`` (numpy, or torch); noise_variance: sigma^2 in squared activation
    units (Saxe et al. 2018: 1e-3 for the SZT net, 0.1 for MNIST). Returns float64 ``(...)``
    arrays (tensors on ``acts``'s device). I(X;T) lies in [0, log2 N]; the pairwise distance
    is the KL divergence |t_i - t_j|^2 / (2 sigma^2) (Kolchinsky & Tracey 2017, Sec. 4; Saxe's
    ``entropy_estimator_kl``). I(T;Y) <= I(X;T) always; it is not clipped at 0.
    """
    _check_noise_variance(noise_variance)
    check_layer(acts, labels)
    return _kde_mi(acts, labels, _variance(acts, noise_variance), 2.0)


def kde_lower(acts, labels, *, noise_variance: float) -> MI:
    """I(X;T), I(T;Y) in bits from the Bhattacharyya (lower) bound on H(T).

    As :func:`kde_upper` with the Bhattacharyya distance |t_i - t_j|^2 / (8 sigma^2)
    (Chernoff alpha = 1/2, Kolchinsky & Tracey 2017, Sec. 4; Saxe's ``entropy_estimator_bd``,
    which is the KL estimate at 4 sigma^2 plus (d/2) ln(1/4)). Its I(X;T) is never above
    :func:`kde_upper`'s.
    """
    _check_noise_variance(noise_variance)
    check_layer(acts, labels)
    return _kde_mi(acts, labels, _variance(acts, noise_variance), 8.0)


def _variance(acts, noise_variance: float):
    """sigma^2 as a 0-d float64 array, or tensor on ``acts``'s device."""
    if not is_tensor(acts):
        return np.float64(noise_variance)
    import torch

    return torch.tensor(noise_variance, dtype=torch.float64, device=acts.device)


def adaptive_noise_variance(acts, noise_fraction: float):
    """sigma^2 = (noise_fraction * (max t - min t))^2 per group, float64 ``(...)``.

    acts: ``(..., sample, unit)``; the range is over all samples and units of the layer at that
    epoch (Chelombiev et al. 2019: noise scaled to each layer's activity per epoch, the KDE
    counterpart of their per-layer, per-epoch bin range). A constant layer (range 0) gets
    sigma^2 = 1: every pairwise distance is 0 then, so the estimate is 0 for any sigma.
    """
    flat = acts.reshape(*acts.shape[:-2], -1)
    if is_tensor(acts):
        flat = flat.double()
        spread = flat.amax(dim=-1) - flat.amin(dim=-1)
    else:
        spread = flat.max(axis=-1).astype(np.float64) - flat.min(axis=-1).astype(np.float64)
    variance = (noise_fraction * spread) ** 2
    return variance * (spread > 0) + 1.0 * (spread <= 0)


def _check_noise_fraction(noise_fraction: float) -> None:
    if not (noise_fraction > 0 and math.isfinite(noise_fraction)):
        raise ValueError(f"noise_fraction must be finite and > 0, got {noise_fraction!r}")


def adaptive_kde_upper(acts, labels, *, noise_fraction: float) -> MI:
    """:func:`kde_upper` with sigma = noise_fraction * (max - min) of the layer, per group.

    The noise follows each layer's activity at each epoch (Chelombiev, Houghton & O'Donnell
    2019, "adaptive KDE"): sigma scales with the layer's range, so the estimate is invariant
    to rescaling and shifting the layer (t -> a t + b, a > 0), as equal-mass binning is to
    per-unit monotone maps. Shapes and units as :func:`kde_upper`; sigma^2 from
    :func:`adaptive_noise_variance`.
    """
    _check_noise_fraction(noise_fraction)
    check_layer(acts, labels)
    return _kde_mi(acts, labels, adaptive_noise_variance(acts, noise_fraction), 2.0)


def adaptive_kde_lower(acts, labels, *, noise_fraction: float) -> MI:
    """:func:`kde_lower` with the adaptive sigma of :func:`adaptive_kde_upper`."""
    _check_noise_fraction(noise_fraction)
    check_layer(acts, labels)
    return _kde_mi(acts, labels, adaptive_noise_variance(acts, noise_fraction), 8.0)


def mixture_entropy_bounds(means, noise_variance: float) -> tuple:
    """(lower, upper) bounds in **nats** on the entropy of (1/N) sum_i N(means_i, sigma^2 I_d).

    means: real ``(..., component, dim)`` (numpy or torch). Kolchinsky & Tracey 2017 (Sec. 4)
    with the Bhattacharyya (lower) and KL (upper) distances; float64 ``(...)`` arrays (tensors).
    """
    _check_noise_variance(noise_variance)
    if is_tensor(means):
        import torch

        labels = torch.zeros(means.shape[-2], dtype=torch.int64, device=means.device)
    else:
        labels = np.zeros(means.shape[-2], np.int64)
    check_layer(means, labels)
    d = means.shape[-1]
    component = 0.5 * d * math.log(2 * math.pi * math.e * noise_variance)
    variance = _variance(means, noise_variance)
    upper = _kde_mi(means, labels, variance, 2.0).I_XT * math.log(2) + component
    lower = _kde_mi(means, labels, variance, 8.0).I_XT * math.log(2) + component
    return lower, upper


_KT = "Kolchinsky & Tracey 2017 (pairwise distances, Sec. 4); Saxe et al. 2018 (kde.py)"
register(Estimator(
    method="kde-upper", fn=kde_upper, params={"noise_variance": float}, units="bits",
    reference=_KT,
    description="Pairwise-KL upper bound on the entropy of T + N(0, noise_variance I).",
))
register(Estimator(
    method="kde-lower", fn=kde_lower, params={"noise_variance": float}, units="bits",
    reference=_KT,
    description="Pairwise-Bhattacharyya lower bound on the entropy of T + N(0, noise_variance I).",
))
register(Estimator(
    method="adaptive-kde-upper", fn=adaptive_kde_upper, params={"noise_fraction": float},
    units="bits", reference=f"Chelombiev et al. 2019 (adaptive KDE); {_KT}",
    description="kde-upper with noise std = noise_fraction x (max - min) of the layer per epoch.",
))
register(Estimator(
    method="adaptive-kde-lower", fn=adaptive_kde_lower, params={"noise_fraction": float},
    units="bits", reference=f"Chelombiev et al. 2019 (adaptive KDE); {_KT}",
    description="kde-lower with noise std = noise_fraction x (max - min) of the layer per epoch.",
))
