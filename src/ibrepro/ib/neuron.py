"""Binned entropy of one neuron T = f(w x) with x ~ U(-1, 1) (Saxe et al. 2018, §2; the
survey's "single neuron" argument), in closed form and from samples. Bits.

The neuron is deterministic, so the binned I(X;T) equals the binned entropy H(T). Bins are
those of the bin-size estimator, bin k = [k s, (k + 1) s) (symbols floor(t / s)); with s =
2 / 30 they are the 30 bins of [-1, 1] of IDNNs and Saxe for tanh, continued above 1 for relu.

Closed form: for a non-decreasing activation f and w > 0, P(T in [a, b)) = F(g(b) / w) -
F(g(a) / w), F the CDF of U(-1, 1) and g the generalised inverse g(y) = sup{z : f(z) < y}
(tanh: artanh on (-1, 1), -inf at or below -1, +inf at or above 1; relu: y above 0, -inf at or
below 0, so the bin [0, s) holds the mass of every x with w x < s).
"""

from __future__ import annotations

import numpy as np

from .joint import entropy_bits

BIN_SIZE = 2 / 30  # 30 bins on [-1, 1] (IDNNs, Saxe)


def _tanh_inverse(y: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(y <= -1, -np.inf, np.where(y >= 1, np.inf, np.arctanh(np.clip(y, -1, 1))))


def _relu_inverse(y: np.ndarray) -> np.ndarray:
    return np.where(y > 0, y, -np.inf)


def hard_tanh(z: np.ndarray) -> np.ndarray:
    """The double linearly saturating function of rip Fig. 18: clip(z, -1, 1)."""
    return np.clip(z, -1.0, 1.0)


def _hard_tanh_inverse(y: np.ndarray) -> np.ndarray:
    return np.where(y <= -1, -np.inf, np.where(y > 1, np.inf, y))


ACTIVATIONS = {  # name -> (f, generalised inverse g(y) = sup{z : f(z) < y})
    "tanh": (np.tanh, _tanh_inverse),
    "relu": (lambda z: np.maximum(z, 0.0), _relu_inverse),
    "hard-tanh": (hard_tanh, _hard_tanh_inverse),
}


def _activation(name: str):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]


def uniform_cdf(z: np.ndarray) -> np.ndarray:
    """CDF of U(-1, 1) (accepts ±inf)."""
    return np.clip((np.asarray(z, dtype=float) + 1.0) / 2.0, 0.0, 1.0)


def bin_probabilities(activation: str, w: float, *, size: float = BIN_SIZE) -> np.ndarray:
    """P(floor(f(w x) / size) = k) for x ~ U(-1, 1), w > 0: ``(bin,)`` over the bins k from
    floor(f(-w) / size) to floor(f(w) / size), by differences of F(g(edge) / w)."""
    f, g = _activation(activation)
    if not w > 0 or not size > 0:
        raise ValueError(f"need w > 0 and size > 0, got {w=}, {size=}")
    low, high = np.floor(f(np.array([-w, w])) / size).astype(int)
    edges = np.arange(low, high + 2) * size
    return np.diff(uniform_cdf(g(edges) / w))


def binned_entropy(activation: str, weights: np.ndarray, *, size: float = BIN_SIZE) -> np.ndarray:
    """Closed-form H(T) = I(X;T) in bits of the binned neuron at each of ``weights`` ``(w,)``."""
    return np.array([entropy_bits(bin_probabilities(activation, float(w), size=size))
                     for w in np.asarray(weights, dtype=float)]) + 0.0  # -0.0 (one bin) -> 0.0


def sampled_entropy(activation: str, weights: np.ndarray, *, samples: int = 100_000,
                    size: float = BIN_SIZE, seed: int = 0) -> np.ndarray:
    """Plug-in H(T) in bits from ``samples`` draws x ~ U(-1, 1) (one draw, shared by every w):
    the bin-size estimator's symbols floor(f(w x) / size) of a one-unit layer. ``(w,)``."""
    f, _ = _activation(activation)
    x = np.random.default_rng(seed).uniform(-1.0, 1.0, samples)
    out = []
    for w in np.asarray(weights, dtype=float):
        counts = np.unique(np.floor(f(w * x) / size), return_counts=True)[1]
        out.append(entropy_bits(counts / samples))
    return np.array(out)
