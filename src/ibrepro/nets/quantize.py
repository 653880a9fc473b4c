"""k-bit activation quantization for quantization-aware training (Lorenzen et al. 2022, Sec. 3.2).

Each quantized layer maps every unit's activation a to one of 2^k uniform levels between the
layer's tracked range [low, high]: code c = round((a - low) / step), clamped to 0..2^k - 1, with
step = (high - low) / (2^k - 1), and value low + c * step. The forward pass uses the values; the
backward pass is straight-through inside the range and zero outside (the gradient of
``clamp(a, low, high)``), as TensorFlow's ``fake_quant_with_min_max_vars`` the reference code
uses. Ranges are per repetition (one ``(R,)`` pair per layer, over all its units) and always
contain 0, as TensorFlow's quantizers make them; the zero point is not nudged onto a level.

Range rules, from the reference code (ExactIBAnalysisInQNNs, ``IB/util/quantization.py``):

- ``batch`` (tanh layers): the min and max of the layer's activations in the current forward
  pass, i.e. of each mini-batch in training and of all samples when the net is evaluated;
- ``moving-average`` (relu and softmax layers; tfmo's ``MovingAverageQuantizer``): in each
  training pass (grad enabled) the range becomes ``decay * range + (1 - decay) * batch range``
  (decay 0.999, starting from [-6, 6]) and quantizes that batch; evaluation (no grad) uses the
  tracked range as it stands.

Everything stays on the device (no host syncs), so a quantized net runs inside a CUDA graph.
"""

from __future__ import annotations

import torch

from ibrepro.nets.precision import BITS, quantized

RANGE_RULES = ("batch", "moving-average")
EMA_DECAY = 0.999  # tfmo MovingAverageQuantizer's ema_decay
INITIAL_RANGE = (-6.0, 6.0)  # tfmo MovingAverageQuantizer's initial min and max


def range_rule(activation: str) -> str:
    """The reference code's rule for a layer with ``activation`` (``softmax`` for the output):
    ``batch`` for tanh, ``moving-average`` for every other."""
    return "batch" if activation == "tanh" else "moving-average"


def step_size(low: torch.Tensor, high: torch.Tensor, bits: int) -> torch.Tensor:
    """Level spacing (high - low) / (2^k - 1); a zero-width range gets step 1 (every value is
    then code 0, the single level ``low``)."""
    step = (high - low) / (2**bits - 1)
    return torch.where(step > 0, step, torch.ones_like(step))


def to_codes(values: torch.Tensor, low: torch.Tensor, high: torch.Tensor,
             bits: int) -> torch.Tensor:
    """Integer codes 0..2^k - 1 (int64) of ``values`` on the levels of [low, high] (both
    broadcast against ``values``): the nearest level, clamped to the range."""
    codes = torch.round((values - low) / step_size(low, high, bits))
    return codes.clamp(0, 2**bits - 1).to(torch.int64)


def from_codes(codes: torch.Tensor, low: torch.Tensor, high: torch.Tensor,
               bits: int) -> torch.Tensor:
    """The level values ``low + code * step`` of integer ``codes`` (float of ``low``'s dtype)."""
    return low + codes.to(low.dtype) * step_size(low, high, bits)


class Quantizer(torch.nn.Module):
    """The k-bit quantizer of one layer of R repetitions, inputs ``(R, B, width)``.

    Buffers ``low``, ``high`` ``(R,)``: the range the last forward pass quantized with (for
    ``moving-average`` also the tracked range).
    """

    def __init__(self, bits: int, repetitions: int, rule: str):
        super().__init__()
        if rule not in RANGE_RULES:
            raise ValueError(f"range rule must be one of {RANGE_RULES}, got {rule!r}")
        if not quantized(bits):
            raise ValueError(f"a Quantizer needs bits in {BITS[:-1]}, got {bits!r}")
        self.bits, self.rule = bits, rule
        self.register_buffer("low", torch.full((repetitions,), INITIAL_RANGE[0]))
        self.register_buffer("high", torch.full((repetitions,), INITIAL_RANGE[1]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        training = torch.is_grad_enabled()  # read when a CUDA graph is recorded: no host sync
        with torch.no_grad():
            batch_low = x.amin(dim=(-2, -1)).clamp(max=0)  # (R,); the range contains 0
            batch_high = x.amax(dim=(-2, -1)).clamp(min=0)
            if self.rule == "batch":
                self.low.copy_(batch_low)
                self.high.copy_(batch_high)
            elif training:
                self.low.lerp_(batch_low, 1 - EMA_DECAY)
                self.high.lerp_(batch_high, 1 - EMA_DECAY)
        low, high = self.low[:, None, None], self.high[:, None, None]
        inside = torch.clamp(x, low, high)  # gradient 1 inside the range, 0 outside
        levels = from_codes(to_codes(inside.detach(), low, high, self.bits), low, high, self.bits)
        return levels + (inside - inside.detach())  # exactly the levels; the gradient of inside
