"""I(X;T) of a scalar AWGN channel T = S(X) + Z by Gauss–Hermite quadrature, in nats.

X is uniform over n inputs with noiseless outputs s_1..s_n (Goldfeld et al. 2019, §4: a noisy
neuron, I(X;T) = I(S;S+Z), the information carried by an input constellation through an AWGN
channel). T's density is the mixture p(t) = (1/n) sum_j phi_beta(t - s_j), so

    I(X;T) = h(T) - h(Z),  h(T) = -(1/n) sum_i E[ln p(s_i + beta Z)],  Z ~ N(0, 1),

and each expectation is a Gauss–Hermite sum (nodes of the probabilists' Hermite polynomials):
exact for polynomials of degree < 2 ``nodes``, and ln p is smooth. Inputs with equal outputs
merge (I -> 0 when all coincide); well-separated outputs give ln(number of distinct outputs).
The reference for sample propagation in one dimension (tests) and fig4's exact curves.
"""

from __future__ import annotations

import math

import numpy as np
import torch

DEFAULT_NODES = 96


def awgn_information(points: torch.Tensor, noise_std: float, *,
                     nodes: int = DEFAULT_NODES) -> torch.Tensor:
    """I(X;S+Z) in nats for X uniform over the ``n`` outputs ``points`` ``(..., n)``, Z ~
    N(0, beta^2) with beta = ``noise_std`` > 0; float64 ``(...)``."""
    if not noise_std > 0:
        raise ValueError(f"noise_std must be > 0, got {noise_std!r}")
    if nodes < 2:
        raise ValueError(f"nodes must be >= 2, got {nodes!r}")
    z, weights = np.polynomial.hermite_e.hermegauss(nodes)  # weights sum to sqrt(2 pi)
    z = torch.as_tensor(z, dtype=torch.float64, device=points.device)
    weights = torch.as_tensor(weights / math.sqrt(2 * math.pi), dtype=torch.float64,
                              device=points.device)
    s = points.to(torch.float64)
    # u[..., i, k, j] = (s_i + beta z_k - s_j) / beta: standardised distance to component j
    u = (s[..., :, None, None] - s[..., None, None, :]) / noise_std + z[:, None]
    # ln p(t) + ln(beta sqrt(2 pi)) = ln((1/n) sum_j exp(-u^2 / 2))
    log_p = torch.logsumexp(-0.5 * u * u, dim=-1) - math.log(s.shape[-1])
    mean_log_p = (log_p @ weights).mean(dim=-1)
    # h(T) - h(Z) = -E[ln p(T)] - ln(beta sqrt(2 pi e)), the beta sqrt(2 pi) terms cancel
    return -mean_log_p - 0.5
