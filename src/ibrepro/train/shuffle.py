"""Per-repetition mini-batch orders from a counter-based hash, computed on the device.

The order of repetition r in epoch e depends only on (seed_r, e): sample i gets the 32-bit key
``hash(hash(seed_r, e), i)`` and the order is the stable argsort of the keys. Integer arithmetic
is exact on every device, there is no generator state to carry, all repetitions are shuffled in
one tensor operation, and the epoch can be a device tensor (so a CUDA graph can replay epochs).
"""

from __future__ import annotations

import torch

_MASK32 = 0xFFFFFFFF


def _mix32(x: torch.Tensor) -> torch.Tensor:
    """The lowbias32 integer hash (C. Wellons) on int64 tensors holding 32-bit values.

    Products may wrap int64, which keeps their low 32 bits exact; the mask restores 32 bits.
    """
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & _MASK32
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & _MASK32
    return x ^ (x >> 16)


def epoch_order(seeds: torch.Tensor, epoch: torch.Tensor | int, n: int) -> torch.Tensor:
    """Mini-batch order of each repetition in one epoch: int64 ``(R, n)``, a permutation of 0..n-1.

    seeds: int64 ``(R,)`` per-repetition seeds (any values; reduced to 32 bits).
    epoch: the epoch index, an int or a 0-d int64 tensor on the same device.
    """
    stream = _mix32((_mix32(seeds & _MASK32) ^ epoch) & _MASK32)  # (R,)
    sample = torch.arange(n, device=seeds.device)
    keys = _mix32((stream[:, None] + _mix32(sample)[None, :] * 0x9E3779B1) & _MASK32)
    return torch.argsort(keys, dim=1, stable=True)
