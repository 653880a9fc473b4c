"""Counter-based random numbers for the CPU engine: numba twin of ``nets.counter_rng``.

The noise and dropout of a hidden unit in one pass are a pure function of (repetition seed,
epoch, pass, layer, purpose, element): no generator state, so a repetition's draws do not depend
on how many repetitions train beside it, on its position in the batch or on the thread that
computes it, and the torch engine (CUDA, conv nets, the tests' reference) draws the same numbers.
``nets.counter_rng`` documents the scheme; both implementations are tested bit for bit.
"""

from __future__ import annotations

import numpy as np

from ibrepro.kernel_cache import njit
from ibrepro.kernels.elementary import FASTMATH, cos_turns, log

U64 = np.uint64
GOLDEN = U64(0x9E3779B97F4A7C15)
_M1, _M2 = U64(0xBF58476D1CE4E5B9), U64(0x94D049BB133111EB)
_S30, _S27, _S31, _S40, _S16 = U64(30), U64(27), U64(31), U64(40), U64(16)
_MASK24 = U64(0xFFFFFF)
_TWO_M24 = np.float32(2.0**-24)


@njit(inline="always")
def mix64(z):
    """SplitMix64's finaliser (Stafford's mix 13): a bijection of 64-bit words."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(inline="always")
def stream(seed, epoch, pass_, layer, purpose):
    """The key of one (repetition, epoch, pass, layer, purpose) draw (all integers)."""
    key = mix64(U64(seed))
    key = mix64(key ^ U64(epoch))
    key = mix64(key ^ U64(pass_))
    key = mix64(key ^ U64(layer))
    return mix64(key ^ U64(purpose))


@njit(inline="always")
def element_bits(key, element):
    """64 random bits of element ``element`` (>= 0) of the draw ``key``."""
    return mix64(key + (U64(element) + U64(1)) * GOLDEN)


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def uniform(bits):
    """A float32 in [0, 1) with 24 random bits (the top ones)."""
    return np.float32(np.int32(bits >> _S40)) * _TWO_M24  # int32: AVX2 converts it, not a uint64


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def normal(bits):
    """A standard normal float32 by Box-Muller: sqrt(-2 ln u1) cos(2 pi u2), u1 in (0, 1] from
    the top 24 bits, u2 in [0, 1) from the next 24 (so |z| <= 5.77)."""
    u1 = (np.float32(np.int32(bits >> _S40)) + np.float32(1.0)) * _TWO_M24
    u2 = np.float32(np.int32((bits >> _S16) & _MASK24)) * _TWO_M24
    return np.sqrt(np.float32(-2.0) * log(u1)) * cos_turns(u2)


@njit(cache=True, nogil=True, fastmath=FASTMATH, error_model="numpy")
def fill_draws(seeds, epoch, pass_, layer, purpose, normals, out):
    """``out[r, s, j]``: element ``j * samples + s`` of repetition r's draw
    (``stream(seeds[r], ...)``), a standard normal if ``normals`` else a uniform in [0, 1);
    seeds uint64 ``(R,)``, out float32 ``(R, samples, units)`` (the torch engine's draws on the
    CPU)."""
    samples = out.shape[1]
    for r in range(out.shape[0]):
        key = stream(seeds[r], epoch, pass_, layer, purpose)
        for s in range(samples):
            for j in range(out.shape[2]):
                bits = element_bits(key, j * samples + s)
                out[r, s, j] = normal(bits) if normals else uniform(bits)
