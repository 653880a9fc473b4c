"""Regularisers of the batched nets beyond weight decay: Parseval retraction, weight norm.

Weights are stored ``(..., fan_in, fan_out)`` (``BatchedMLP``), i.e. the transpose of Cisse et
al.'s ``(out, in)`` matrices; both functions act per leading index (per repetition).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


@torch.no_grad()
def parseval_retraction_(weights: Iterable[torch.Tensor], rate: float) -> None:
    """One Parseval (orthonormality) step on each weight tensor, in place (Cisse et al. 2017,
    Parseval networks, eq. for the retraction after every update):

        W <- (1 + b) W - b W W^T W

    with b = ``rate``. It moves each singular value s to s + b (s - s^3), towards 1, so it
    drives W^T W (our layout; Cisse's W W^T) towards the identity when fan_out <= fan_in, as in
    every SZT layer: the units' incoming weight vectors become orthonormal. The rule is the
    same in either layout, as (W W^T W)^T = W^T W W^T.
    """
    if not 0 < rate < 0.5:
        raise ValueError(f"parseval rate b must be in (0, 0.5), got {rate!r}")
    for w in weights:
        cubic = w @ w.transpose(-1, -2) @ w
        w.mul_(1 + rate).sub_(rate * cubic)


def weight_normalised(direction: torch.Tensor, gain: torch.Tensor) -> torch.Tensor:
    """W = g v / ||v|| per unit (Salimans & Kingma 2016): ``direction`` v ``(..., fan_in,
    fan_out)``, ``gain`` g ``(..., 1, fan_out)``; each output unit's incoming weight vector
    (a column) has norm |g|."""
    return gain * direction / direction.norm(dim=-2, keepdim=True)
