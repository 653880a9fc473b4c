"""Sample propagation (SP): I(X;T_l) of a noisy network, in nats (Goldfeld et al. 2019, Sec. 3).

In a noisy network T_l = S_l + Z_l with S_l = f_l(T_{l-1}) and Z_l ~ N(0, beta^2 I_d) on every
hidden layer, so p_T = p_S * phi_beta. Given the n inputs x_i (equiprobable) and samples of S,

    I_SP(X;T_l) = h(p^_S * phi_beta) - (1/n) sum_x h(p^_{S^(x)} * phi_beta)          (eq. 1)

where p^_S is the empirical law of the n recorded pre-noise outputs s_i = S_l(x_i) (one noisy
pass per input: the training run's evaluation, ``activations.nc``) and p^_{S^(x)} that of
``propagations`` = n_x outputs of x drawn by re-propagating x with fresh noise through the
saved weights (``weights.nc``). Each term is the entropy of an equal-weight Gaussian mixture,
computed by Monte Carlo integration: h = -E[ln p(G)], G drawn from the mixture (Sec. 3, "Monte
Carlo integration"). For l = 1, S_1 = f_1(x) is deterministic and the conditional term is
exactly h(Z_1) = (d/2) ln(2 pi e beta^2) (footnote 3). I(T_l;Y) = E[ln p(G|Y) - ln p(G)] with
(G, Y) drawn from the mixture of all n components (a component's class is Y): the same MC
samples, scored against all components and against their own class's components.

Choices: MC samples pick components without replacement, cycling (stratified, unbiased, lower
variance than i.i.d. picks); layer 1's s_1 are the recorded ones, so re-propagation starts at
T_1 = s_1 + Z_1 (weights of layers >= 2 only). The softmax output layer has no noise (the
paper's T_L = f_L(T_{L-1})): its I(X;T_L) is not a Gaussian-mixture quantity and both
estimates are NaN for it. Every call seeds its own generator with ``seed``: the same numbers
for every (rep, epoch) block (common random numbers, smooth curves); results depend on the
generator (numpy's PCG64 for numpy arrays, torch's on the tensors' device) and on how
``apply`` blocks epochs, not on anything else.

Numerics: float64 throughout, each point's sum of exponentials shifted by its own component's
exponent (known: -|z|^2 / 2), so no max pass is needed. Numpy arrays (the CPU): h(T) and
I(T;Y) sum only the terms above exp(-40 - ln n) of the own term (``gaussian.cross_sums``),
h(T|X=x) every pair of its few components; both within 1e-12 nats of dense float64 sums.
Tensors (CUDA): squared distances from one matmul of centred, augmented vectors (no TF32),
sums over blocks of at most ``BLOCK_ELEMENTS`` pairs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ibrepro.kernel_cache import njit
from ibrepro.nets.constants import LEAKY_RELU_SLOPE

from .entropy import Labels
from .gaussian import cross_sums, cutoff_exponent, exp_approx
from .inputs import check_layer
from .mi import MI, is_tensor
from .registry import Estimator, register

if TYPE_CHECKING:
    import torch

    from ibrepro.nets.mlp import Network


class Snapshots(NamedTuple):
    """Saved parameters of a batch of snapshots of one net (``weights.nc``), the fields of
    ``nets.mlp.Network`` without importing torch: weights per layer ``(..., fan_in, fan_out)``,
    biases ``(..., 1, fan_out)`` (numpy arrays, or tensors), hidden activation names, beta."""

    weights: list[Any]
    biases: list[Any]
    activations: list[str]
    noise_std: float

BLOCK_ELEMENTS = 1 << 17  # (point, centre) pairs per block on the CPU, float64: cache-sized
CUDA_BLOCK_ELEMENTS = 1 << 26  # on a GPU: 512 MiB per temporary, few kernel launches
_MIN_ROWS = 32  # points per block however many centres
# shifted exponents below -700 (terms below 1e-304) are raised to it: invisible next to each
# point's own term, exp(0) = 1 after the shift, and it avoids exp's slow underflow path
_LOGIT_FLOOR = -700.0


def _log_kernel_means(points: torch.Tensor, own: torch.Tensor, centres: torch.Tensor,
                      noise_std: float, point_class: torch.Tensor | None = None,
                      centre_class: torch.Tensor | None = None
                      ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """ln((1/n) sum_j exp(-|g_i - s_j|^2 / (2 beta^2))) - own_i for every point g_i, float64
    ``(B, m)``.

    points ``(B, m, d)``; own ``(B, m)``: the exponent of g_i's own component, -|z_i|^2 / 2,
    the shift of its log-sum-exp (so no max pass, and no overflow: no other term exceeds
    exp(|z_i|^2 / 2)); centres ``(B, n, d)``. With classes (``(m,)`` and ``(n,)`` ints, the
    centres sorted by class), also the same mean over the centres of g_i's own class.
    """
    import torch

    shift = centres.mean(dim=-2, keepdim=True)  # translation invariance, small norms
    g, s = points - shift, centres - shift
    scale = 1.0 / (2.0 * noise_std**2)
    g_sq, s_sq = (g * g).sum(-1, keepdim=True), (s * s).sum(-1, keepdim=True)
    # left_i . right_j = -scale |g_i - s_j|^2 - own_i
    left = torch.cat([g, g_sq, torch.ones_like(g_sq), -own[..., None]], dim=-1)
    right = torch.cat([2 * scale * s, -scale * torch.ones_like(s_sq), -scale * s_sq,
                       torch.ones_like(s_sq)], dim=-1).transpose(-1, -2)
    batch, m, n = points.shape[0], points.shape[-2], centres.shape[-2]
    block = BLOCK_ELEMENTS if points.device.type == "cpu" else CUDA_BLOCK_ELEMENTS
    rows = min(m, max(_MIN_ROWS, block // n))  # whole rows first, then several groups
    group_step = max(1, min(batch, block // (rows * n)))
    if point_class is not None:
        classes, counts = torch.unique_consecutive(centre_class, return_counts=True)
        bounds = [0, *torch.cumsum(counts, 0).tolist()]
    every = torch.empty(batch, m, dtype=torch.float64, device=points.device)
    own_class = torch.empty_like(every) if point_class is not None else None
    for g0 in range(0, batch, group_step):
        g1 = min(batch, g0 + group_step)
        for r0 in range(0, m, rows):
            r1 = min(m, r0 + rows)
            kernel = torch.bmm(left[g0:g1, r0:r1], right[g0:g1])  # (g, r, n), shifted exponents
            kernel.clamp_(min=_LOGIT_FLOOR).exp_()
            every[g0:g1, r0:r1] = torch.log(kernel.sum(dim=-1))
            if own_class is not None:
                per_class = torch.stack([kernel[..., a:b].sum(dim=-1)
                                         for a, b in zip(bounds[:-1], bounds[1:], strict=True)], -1)
                pick = torch.searchsorted(classes, point_class[r0:r1])  # (r,)
                mass = per_class.gather(-1, pick.expand(g1 - g0, -1)[..., None]).squeeze(-1)
                own_class[g0:g1, r0:r1] = torch.log(mass / counts[pick])
    return every - math.log(n), own_class


def _mc_points(centres: torch.Tensor, noise_std: float, samples: int,
               generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``samples`` draws from each group's mixture (1/n) sum_j N(s_j, beta^2 I): components
    picked without replacement, cycling. Returns the points ``(B, samples, d)``, the exponent
    -|z|^2 / 2 of each point's own component ``(B, samples)`` and the component index of each
    ``(samples,)``."""
    import torch

    n = centres.shape[-2]
    order = torch.randperm(n, generator=generator, device=generator.device)
    pick = order.repeat(-(-samples // n))[:samples].to(centres.device)
    noise = torch.randn((*centres.shape[:-2], samples, centres.shape[-1]), generator=generator,
                        device=generator.device, dtype=torch.float64).to(centres.device)
    own = -0.5 * (noise * noise).sum(dim=-1)
    return centres[..., pick, :] + noise_std * noise, own, pick


def mixture_entropy(centres: torch.Tensor, noise_std: float, *, samples: int,
                    generator: torch.Generator) -> torch.Tensor:
    """Monte Carlo h((1/n) sum_j N(s_j, beta^2 I_d)) in **nats**, float64 ``(...)``.

    centres: real ``(..., n, d)``; noise_std: beta > 0; samples: MC draws per group.
    With G = s_c + beta Z (c a uniform component), ln p(G) = ln phi_beta(beta Z) + ln((1/n)
    sum_j exp(|Z|^2 / 2 - |G - s_j|^2 / (2 beta^2))); the first term's mean is known,
    -(d/2) ln(2 pi e beta^2), and only the second is averaged over draws (a control variate:
    exact for well separated components, unbiased always).
    """
    import torch

    _check_positive("noise_std", noise_std)
    _check_positive("samples", samples)
    flat = centres.reshape(-1, *centres.shape[-2:]).to(torch.float64)
    points, own, _ = _mc_points(flat, noise_std, samples, generator)
    log_means, _ = _log_kernel_means(points, own, flat, noise_std)
    h = _gaussian_entropy(centres.shape[-1], noise_std) - log_means.mean(dim=-1)
    return h.reshape(centres.shape[:-2])


def _entropy_and_label_information(centres: torch.Tensor, labels: torch.Tensor,
                                   noise_std: float, samples: int,
                                   generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """h(T) and I(T;Y) in nats of T = s_I + Z, I uniform on the components, Y its label.

    centres ``(B, n, d)`` float64, labels ``(n,)``; both results float64 ``(B,)``.
    """
    import torch

    order = torch.argsort(labels, stable=True)  # classes become contiguous
    centres, labels = centres[:, order], labels[order]
    points, own, pick = _mc_points(centres, noise_std, samples, generator)
    every, own_class = _log_kernel_means(points, own, centres, noise_std, labels[pick], labels)
    h = _gaussian_entropy(centres.shape[-1], noise_std) - every.mean(dim=-1)
    return h, (own_class - every).mean(dim=-1)


def _conditional_entropies(first: torch.Tensor, network: Network, propagations: int,
                           samples: int, generator: torch.Generator) -> list[torch.Tensor]:
    """(1/n) sum_x h(p^_{S_l^(x)} * phi_beta) for hidden layers l = 2..L-1, float64 ``(B,)``.

    first: the recorded S_1 ``(B, n, d_1)``; network: float64 parameters ``(B, ...)``.
    Inputs go in chunks, each repeated ``propagations`` times through layers 2..L-1.
    """
    import torch

    from ibrepro.nets.mlp import propagate

    beta = network.noise_std
    hidden = len(network.activations)
    weights, biases = network.weights[1:hidden], network.biases[1:hidden]
    batch, n, _ = first.shape
    widest = max(samples, sum(w.shape[-1] for w in weights), first.shape[-1])
    block = BLOCK_ELEMENTS if first.device.type == "cpu" else CUDA_BLOCK_ELEMENTS
    chunk = max(1, min(n, block // (batch * propagations * widest)))
    totals = [torch.zeros(batch, dtype=torch.float64, device=first.device) for _ in weights]
    for start in range(0, n, chunk):
        s1 = first[:, start:start + chunk]  # (B, c, d_1)
        c = s1.shape[1]
        paths = s1.repeat_interleave(propagations, dim=1)  # (B, c * n_x, d_1)
        noise = torch.randn(paths.shape, generator=generator, device=generator.device,
                            dtype=torch.float64).to(paths.device)
        outputs = propagate(paths + beta * noise, weights, biases, network.activations[1:],
                            noise_std=beta, generator=generator)
        for k, s in enumerate(outputs):  # s: (B, c * n_x, d_l)
            groups = s.reshape(batch * c, propagations, s.shape[-1])
            totals[k] += mixture_entropy(groups, beta, samples=samples,
                                         generator=generator).reshape(batch, c).sum(dim=-1)
    return [total / n for total in totals]


def sample_propagation(layers: Sequence, labels, *, network, mc_samples: int, propagations: int,
                       conditional_mc_samples: int, seed: int = 0) -> MI:
    """I(X;T_l) and I(T_l;Y) in **nats** for every layer of a noisy network (eq. 1 above).

    layers: the recorded pre-noise outputs S_l, one real ``(..., sample, d_l)`` array (or
    tensor) per layer (the last is the softmax output); labels: int ``(sample,)``; network: the
    same snapshots' parameters (``weights (..., in, out)``, ``biases (..., 1, out)``; a
    :class:`Snapshots` or ``nets.mlp.Network``) with noise_std = beta > 0.
    mc_samples: MC draws for h(T_l) (and I(T_l;Y)); at least n visits every component once;
    propagations: n_x re-propagations of each input; conditional_mc_samples: MC draws for each
    h(T_l | X = x); seed: of the generator (numpy's PCG64 for arrays, torch's on the tensors'
    device). Returns float64 ``(..., layer)`` arrays (tensors on the input's device); the
    output layer is NaN.
    """
    beta = network.noise_std
    if not beta > 0:
        raise ValueError(f"sample-propagation needs a noisy network (noise_std > 0), got {beta!r}")
    for name, value in (("mc_samples", mc_samples), ("propagations", propagations),
                        ("conditional_mc_samples", conditional_mc_samples)):
        _check_positive(name, value)
    if len(layers) != len(network.weights):
        raise ValueError(f"{len(layers)} layers of activations but {len(network.weights)} "
                         "layers of weights")
    for acts in layers:
        check_layer(acts, labels)
    run = _sample_propagation_torch if is_tensor(layers[0]) else _sample_propagation_numpy
    return run(layers, labels, network, mc_samples, propagations, conditional_mc_samples, seed)


def _sample_propagation_torch(layers: Sequence[torch.Tensor], labels: torch.Tensor,
                              network: Network, mc_samples: int, propagations: int,
                              conditional_mc_samples: int, seed: int) -> MI:
    """:func:`sample_propagation` of tensors, with torch's generator on their device."""
    import torch

    from ibrepro.nets.mlp import Network

    beta = network.noise_std
    device = layers[0].device
    generator = torch.Generator(device=device).manual_seed(seed)
    batch = layers[0].shape[:-2]
    flat = [acts.reshape(-1, *acts.shape[-2:]).to(torch.float64) for acts in layers]
    net = Network([w.reshape(-1, *w.shape[-2:]).to(device, torch.float64) for w in network.weights],
                  [b.reshape(-1, *b.shape[-2:]).to(device, torch.float64) for b in network.biases],
                  list(network.activations), beta)
    labels = labels.to(device)
    hidden = len(network.activations)
    i_xt = torch.full((flat[0].shape[0], len(layers)), math.nan, dtype=torch.float64,
                      device=device)
    i_ty = i_xt.clone()
    conditional = [_gaussian_entropy(flat[0].shape[-1], beta),
                   *_conditional_entropies(flat[0], net, propagations, conditional_mc_samples,
                                           generator)]
    for layer in range(hidden):
        h, info = _entropy_and_label_information(flat[layer], labels, beta, mc_samples,
                                                 generator)
        i_xt[:, layer] = h - conditional[layer]
        i_ty[:, layer] = info
    return MI(I_XT=i_xt.reshape(*batch, len(layers)), I_TY=i_ty.reshape(*batch, len(layers)))


def _softplus(t: np.ndarray) -> np.ndarray:
    return np.where(t > 20.0, t, np.log1p(np.exp(np.minimum(t, 20.0))))  # torch's threshold 20


def _sigmoid(t: np.ndarray) -> np.ndarray:
    tail = np.exp(-np.abs(t))  # no overflow, full relative precision on both sides
    return np.where(t >= 0, 1.0 / (1.0 + tail), tail / (1.0 + tail))


# nets.mlp.HIDDEN_ACTIVATIONS in numpy, for re-propagation without torch (equal to rounding:
# tests/test_sample_propagation.py)
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "tanh": np.tanh,
    "relu": lambda t: np.maximum(t, 0.0),
    "linear": lambda t: t,
    "softplus": _softplus,
    "centred-softplus": lambda t: _softplus(t) - math.log(2),
    "sigmoid": _sigmoid,
    "elu": lambda t: np.where(t > 0, t, np.expm1(np.minimum(t, 0.0))),
    "leaky-relu": lambda t: np.where(t > 0, t, LEAKY_RELU_SLOPE * t),
    "swish": lambda t: t * _sigmoid(t),
}
_CHUNK_ELEMENTS = 1 << 18  # float64 path values per chunk of re-propagated inputs (2 MiB: larger
# temporaries are fresh pages for every chunk, 1.5x slower at 16 MiB)


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _dense_log_means(points, own, centres, scale, out):
    """out[g, i] = ln((1/n) sum_j exp(-scale |g_i - s_j|^2 - own_i)) for every group g of
    ``points`` ``(G, m, d)``, ``own`` ``(G, m)`` and ``centres`` ``(G, d, n)`` (coordinate-
    major): every pair, for the few components of a conditional entropy (exponents clipped to
    [-60, 60]: the own term is 1, so a clipped one changes a sum by < 1e-26)."""
    groups, m, d = points.shape
    n = centres.shape[2]
    squared = np.empty(n)
    log_n = math.log(n)
    for g in range(groups):
        for i in range(m):
            squared[:] = 0.0
            for k in range(d):
                for j in range(n):
                    diff = centres[g, k, j] - points[g, i, k]
                    squared[j] += diff * diff
            total = 0.0
            for j in range(n):
                total += exp_approx(min(max(-scale * squared[j] - own[g, i], -60.0), 60.0))
            out[g, i] = math.log(total) - log_n


@njit(cache=True, nogil=True)
def _cut_log_means(points, own, centres, scale, exponent_cut, point_class, centre_class,
                   class_size, every, own_class):
    """For each group: ``every[g, i]`` = ln((1/n) sum_j exp(-scale |g_i - s_j|^2 - own_i)) and
    ``own_class[g, i]`` the same over the centres of g_i's class (``class_size`` of them), by
    ``gaussian.cross_sums`` (terms below exp(-``exponent_cut``) dropped)."""
    groups, m, _ = points.shape
    n = centres.shape[1]
    row_all = np.empty(m)
    row_class = np.empty(m)
    for g in range(groups):
        cross_sums(points[g], own[g], centres[g], scale, exponent_cut, point_class,
                   centre_class, row_all, row_class)
        for i in range(m):
            every[g, i] = math.log(row_all[i] / n)
            own_class[g, i] = math.log(row_class[i] / class_size[point_class[i]])


def _mc_points_numpy(centres: np.ndarray, noise_std: float, samples: int,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_mc_points` with numpy's generator: points ``(B, samples, d)``, own exponents
    ``(B, samples)``, component indices ``(samples,)``."""
    pick = np.resize(rng.permutation(centres.shape[-2]), samples)  # without replacement, cycling
    noise = rng.standard_normal((*centres.shape[:-2], samples, centres.shape[-1]))
    own = -0.5 * np.einsum("...k,...k->...", noise, noise)
    return centres[..., pick, :] + noise_std * noise, own, pick


def _mixture_entropy_numpy(centres: np.ndarray, noise_std: float, samples: int,
                           rng: np.random.Generator) -> np.ndarray:
    """:func:`mixture_entropy` of float64 ``centres`` ``(G, n, d)`` (few components: every
    pair), nats ``(G,)``."""
    points, own, _ = _mc_points_numpy(centres, noise_std, samples, rng)
    log_means = np.empty(own.shape)
    _dense_log_means(points, own, np.ascontiguousarray(centres.transpose(0, 2, 1)),
                     1.0 / (2.0 * noise_std**2), log_means)
    return _gaussian_entropy(centres.shape[-1], noise_std) - log_means.mean(axis=-1)


def _entropy_and_label_information_numpy(centres: np.ndarray, labels: np.ndarray,
                                         noise_std: float, samples: int,
                                         rng: np.random.Generator
                                         ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_entropy_and_label_information` of float64 ``centres`` ``(B, n, d)``, pairs cut
    off (``gaussian.cross_sums``); h(T) and I(T;Y) in nats, ``(B,)`` each."""
    classes = Labels(labels)
    points, own, pick = _mc_points_numpy(centres, noise_std, samples, rng)
    every, own_class = np.empty(own.shape), np.empty(own.shape)
    _cut_log_means(points, own, centres, 1.0 / (2.0 * noise_std**2),
                   cutoff_exponent(centres.shape[-2]), classes.index[pick], classes.index,
                   classes.sizes.astype(np.float64), every, own_class)
    h = _gaussian_entropy(centres.shape[-1], noise_std) - every.mean(axis=-1)
    return h, (own_class - every).mean(axis=-1)


def _conditional_entropies_numpy(first: np.ndarray, network: Snapshots, propagations: int,
                                 samples: int, rng: np.random.Generator) -> list[np.ndarray]:
    """:func:`_conditional_entropies` of float64 ``first`` ``(B, n, d_1)``: each chunk of
    inputs re-propagated ``propagations`` times through layers 2..L-1 with fresh noise."""
    beta = network.noise_std
    hidden = len(network.activations)
    layers = list(zip(network.weights[1:hidden], network.biases[1:hidden],
                      network.activations[1:], strict=True))
    batch, n, width = first.shape
    widest = max(samples, width, *(w.shape[-1] for w, _, _ in layers))
    chunk = max(1, min(n, _CHUNK_ELEMENTS // (batch * propagations * widest)))
    totals = [np.zeros(batch) for _ in layers]
    for start in range(0, n, chunk):
        inputs = first[:, start:start + chunk]
        c = inputs.shape[1]
        paths = np.repeat(inputs, propagations, axis=1)  # (B, c * n_x, d_1)
        paths += beta * rng.standard_normal(paths.shape)
        for k, (weight, bias, activation) in enumerate(layers):
            outputs = ACTIVATIONS[activation](paths @ weight + bias)  # S_l, (B, c * n_x, d_l)
            groups = outputs.reshape(batch * c, propagations, outputs.shape[-1])
            h = _mixture_entropy_numpy(groups, beta, samples, rng)
            totals[k] += h.reshape(batch, c).sum(axis=-1)
            if k + 1 < len(layers):
                paths = outputs + beta * rng.standard_normal(outputs.shape)
    return [total / n for total in totals]


def _sample_propagation_numpy(layers: Sequence[np.ndarray], labels: np.ndarray, network,
                              mc_samples: int, propagations: int, conditional_mc_samples: int,
                              seed: int) -> MI:
    """:func:`sample_propagation` of numpy arrays, with numpy's PCG64 generator."""
    beta = network.noise_std
    rng = np.random.default_rng(seed)
    batch = layers[0].shape[:-2]
    flat = [np.asarray(acts, np.float64).reshape(-1, *acts.shape[-2:]) for acts in layers]
    net = Snapshots([np.asarray(w, np.float64).reshape(-1, *w.shape[-2:])
                     for w in network.weights],
                    [np.asarray(b, np.float64).reshape(-1, *b.shape[-2:])
                     for b in network.biases], list(network.activations), beta)
    hidden = len(network.activations)
    i_xt = np.full((flat[0].shape[0], len(layers)), math.nan)
    i_ty = i_xt.copy()
    conditional = [_gaussian_entropy(flat[0].shape[-1], beta),
                   *_conditional_entropies_numpy(flat[0], net, propagations,
                                                 conditional_mc_samples, rng)]
    order = np.argsort(labels, kind="stable")  # classes contiguous, as the torch path
    for layer in range(hidden):
        h, info = _entropy_and_label_information_numpy(
            np.ascontiguousarray(flat[layer][:, order]), np.asarray(labels)[order], beta,
            mc_samples, rng)
        i_xt[:, layer] = h - conditional[layer]
        i_ty[:, layer] = info
    return MI(I_XT=i_xt.reshape(*batch, len(layers)), I_TY=i_ty.reshape(*batch, len(layers)))

def _gaussian_entropy(d: int, noise_std: float) -> float:
    """h(N(0, beta^2 I_d)) = (d/2) ln(2 pi e beta^2) in nats."""
    return 0.5 * d * math.log(2 * math.pi * math.e * noise_std**2)


def _check_positive(name: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be finite and > 0, got {value!r}")


register(Estimator(
    method="sample-propagation", fn=sample_propagation, units="nats",
    params={"mc_samples": int, "propagations": int, "conditional_mc_samples": int},
    defaults={"seed": 0}, needs=("activations", "weights", "noise"),
    uses=("ibrepro.nets.mlp", "ibrepro.nets.constants"),
    reference="Goldfeld et al. 2019, Sec. 3 (sample propagation, Monte Carlo integration)",
    description="Noisy nets: h(T) - mean_x h(T|X=x), Gaussian-mixture entropies by Monte "
                "Carlo, conditional samples re-propagated through the saved weights; nats.",
))
