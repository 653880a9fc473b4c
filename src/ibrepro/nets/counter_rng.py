"""Counter-based random numbers for hidden-layer noise and dropout (torch implementation).

Every draw is a pure function of integers: the 64-bit key of a (repetition seed, epoch, pass,
layer, purpose) draw is SplitMix64's finaliser ``mix64`` chained over them,

    key = mix64(mix64(mix64(mix64(mix64(seed) ^ epoch) ^ pass) ^ layer) ^ purpose)

and element i (unit j, sample position s of n in the pass: i = j * n + s) gets the bits
``mix64(key + (i + 1) * 0x9E3779B97F4A7C15)``. A uniform is the top 24 bits / 2^24; a normal is
Box-Muller, sqrt(-2 ln u1) cos(2 pi u2) with u1 = (top 24 bits + 1) / 2^24 and u2 the next 24
bits / 2^24. Passes are the epoch's mini-batch steps 0, 1, ... and ``EVALUATION`` for the pass
over all samples (where s is the sample's index in the dataset).

So repetition r's noise does not depend on R, on its batch position or on the device's
generator, and the CPU engine (``kernels.counter_rng``, the same scheme in numba) draws the same
bits. Tensors here are int64 holding the 64-bit words (multiplication wraps; right shifts are
made logical by masking), so the same code runs on CUDA and inside a CUDA graph, where the epoch
is a device tensor. On the CPU, ``Draws`` takes its numbers from the CPU engine's kernels
instead: the ~20 int64 tensor passes per element were 7 of the 19 s of goldfeld-cnn-noisy's
quick train. The bits are the same; the normals are the kernels' log and cos (within 3e-6 of
the torch formulas'; the test holds both to the CPU engine's).
"""

from __future__ import annotations

import numpy as np
import torch

from ibrepro.kernels import counter_rng as kernels

EVALUATION = 0xFFFFFFFF  # the pass id of the evaluation on all samples
NOISE, DROPOUT = 1, 2  # purposes


def _signed(word: int) -> int:
    """The int64 with the bits of the unsigned 64-bit ``word``."""
    return word - (1 << 64) if word >= 1 << 63 else word


GOLDEN = _signed(0x9E3779B97F4A7C15)
_M1, _M2 = _signed(0xBF58476D1CE4E5B9), _signed(0x94D049BB133111EB)


def _shift_right(z: torch.Tensor, bits: int) -> torch.Tensor:
    return (z >> bits) & ((1 << (64 - bits)) - 1)


def mix64(z: torch.Tensor) -> torch.Tensor:
    """SplitMix64's finaliser on int64 tensors holding 64-bit words."""
    z = (z ^ _shift_right(z, 30)) * _M1
    z = (z ^ _shift_right(z, 27)) * _M2
    return z ^ _shift_right(z, 31)


def stream(seeds: torch.Tensor, epoch: torch.Tensor | int, pass_: int, layer: int,
           purpose: int) -> torch.Tensor:
    """Keys ``(R,)`` of one draw per repetition; seeds int64 ``(R,)`` (63-bit values)."""
    key = mix64(seeds)
    for word in (epoch, _signed(pass_), layer, purpose):
        key = mix64(key ^ word)
    return key


def bits(keys: torch.Tensor, samples: int, units: int) -> torch.Tensor:
    """int64 ``(R, samples, units)``: the bits of element i = unit * samples + sample."""
    element = torch.arange(units, device=keys.device) * samples + torch.arange(
        samples, device=keys.device)[:, None]
    return mix64(keys[:, None, None] + (element + 1) * GOLDEN)


def uniform(words: torch.Tensor) -> torch.Tensor:
    """float32 in [0, 1) from the top 24 bits."""
    return _shift_right(words, 40).to(torch.float32) * 2.0**-24


def normal(words: torch.Tensor) -> torch.Tensor:
    """Standard normal float32 by Box-Muller (see the module doc)."""
    u1 = (_shift_right(words, 40) + 1).to(torch.float32) * 2.0**-24
    u2 = (_shift_right(words, 16) & 0xFFFFFF).to(torch.float32) * 2.0**-24
    return torch.sqrt(-2.0 * torch.log(u1)) * torch.cos(2.0 * torch.pi * u2)


class Draws:
    """The noise and dropout draws of one pass of R repetitions: ``seeds`` int64 ``(R,)``,
    ``epoch`` (an int, or a 0-d device tensor inside a CUDA graph) and the ``pass_`` id (the
    mini-batch step, or ``EVALUATION``). Layers are numbered from 1, conv layers first."""

    def __init__(self, seeds: torch.Tensor, epoch: torch.Tensor | int, pass_: int):
        self.seeds, self.epoch, self.pass_ = seeds, epoch, pass_

    def _draw(self, layer: int, purpose: int, samples: int, units: int, normals: bool
              ) -> torch.Tensor:
        if self.seeds.device.type != "cpu":
            words = bits(stream(self.seeds, self.epoch, self.pass_, layer, purpose), samples,
                         units)
            return normal(words) if normals else uniform(words)
        out = torch.empty(len(self.seeds), samples, units)
        kernels.fill_draws(self.seeds.numpy().view(np.uint64), int(self.epoch), self.pass_,
                           layer, purpose, normals, out.numpy())
        return out

    def normal(self, layer: int, samples: int, units: int) -> torch.Tensor:
        """float32 ``(R, samples, units)`` standard normals of layer ``layer``'s noise."""
        return self._draw(layer, NOISE, samples, units, normals=True)

    def keep(self, layer: int, samples: int, units: int, rate: float) -> torch.Tensor:
        """bool ``(R, samples, units)``: the units dropout keeps (uniform >= ``rate``)."""
        return self._draw(layer, DROPOUT, samples, units, normals=False) >= rate
