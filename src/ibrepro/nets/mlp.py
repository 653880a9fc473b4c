"""Fully connected networks, R repetitions evaluated as one batched network.

Layer l of repetition r has weights ``W[l][r]`` of shape ``(fan_in, fan_out)``, stored as one
``(R, fan_in, fan_out)`` tensor, so a forward pass is one batched matmul per layer for all
repetitions. Each repetition is initialised from its own seed, on the CPU, so repetition r gets
the same initial weights whether it is trained alone or among others.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F

from ibrepro.nets.constants import LEAKY_RELU_SLOPE
from ibrepro.nets.counter_rng import Draws
from ibrepro.nets.precision import quantized
from ibrepro.nets.quantize import Quantizer, range_rule
from ibrepro.nets.regularisation import weight_normalised

PROBABILITY_FLOOR = 1e-7  # Keras' epsilon: quantized probabilities are floored before the log

# Hidden activations by config name, element-wise. Chelombiev et al. 2019's zoo adds softplus,
# centred softplus ln(1 + e^x) - ln 2 (0 at 0), sigmoid, elu (alpha 1), leaky relu and swish
# x * sigmoid(x) (beta 1).
HIDDEN_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda t: t,
    "softplus": F.softplus,
    "centred-softplus": lambda t: F.softplus(t) - math.log(2),
    "sigmoid": torch.sigmoid,
    "elu": F.elu,
    "leaky-relu": lambda t: F.leaky_relu(t, LEAKY_RELU_SLOPE),
    "swish": F.silu,
}


def _truncated_normal(std_of: Callable[[int, int], float]):
    def init(fan_in: int, fan_out: int, generator: torch.Generator,
             shape: tuple[int, ...] | None = None) -> torch.Tensor:
        std = std_of(fan_in, fan_out)
        w = torch.empty(shape or (fan_in, fan_out))
        return torch.nn.init.trunc_normal_(w, std=std, a=-2 * std, b=2 * std, generator=generator)

    return init


def _glorot_uniform(fan_in: int, fan_out: int, generator: torch.Generator,
                    shape: tuple[int, ...] | None = None) -> torch.Tensor:
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return torch.empty(shape or (fan_in, fan_out)).uniform_(-bound, bound, generator=generator)


# Weight initialisers: (fan_in, fan_out, generator, shape=None) -> tensor of ``shape``, by default
# (fan_in, fan_out); a conv layer's fans count its kernel too (Keras: fan_in = C_in k^2,
# fan_out = C_out k^2) while its tensor is (C_in k^2, C_out). Biases start at zero.
# Truncated normals are cut at two standard deviations (as Keras/TensorFlow's TruncatedNormal).
INITS = {
    "truncated-normal-fan-in": _truncated_normal(lambda fan_in, fan_out: 1 / math.sqrt(fan_in)),
    "truncated-normal-fan-out": _truncated_normal(lambda fan_in, fan_out: 1 / math.sqrt(fan_out)),
    "glorot": _glorot_uniform,
}


class Network(NamedTuple):
    """Saved parameters of (a batch of) nets, e.g. one repetition's snapshots from weights.nc.

    weights: per layer ``(..., fan_in, fan_out)``; biases: per layer ``(..., 1, fan_out)``;
    activations: one name per hidden layer; noise_std: beta of the noise on hidden layers.
    """

    weights: list[torch.Tensor]
    biases: list[torch.Tensor]
    activations: list[str]
    noise_std: float


def propagate(x: torch.Tensor, weights: Sequence[torch.Tensor], biases: Sequence[torch.Tensor],
              activations: Sequence[str], *, noise_std: float = 0.0,
              generator: torch.Generator | None = None,
              quantizers: Sequence[Callable[[torch.Tensor], torch.Tensor]] | None = None,
              dropout: float = 0.0, draws: Draws | None = None, first_layer: int = 1
              ) -> list[torch.Tensor]:
    """Every layer's pre-noise output S_l for inputs ``x`` ``(..., B, in)``.

    The first ``len(activations)`` layers are hidden: S_l = act(T_{l-1} W + b), and the next
    layer reads T_l = S_l + Z_l with Z_l ~ N(0, noise_std^2 I) (Goldfeld et al. 2019, Sec. 3):
    the counter normals of ``draws`` (the trainer's, ``nets.counter_rng``; x then ``(R, B,
    in)``, the hidden layers numbered from ``first_layer``), else drawn from ``generator`` (the
    default generator when None). Any further layer is the output: its logits, no noise. With
    ``quantizers`` (one per layer), each hidden S_l is quantized after its activation and the
    output is the quantized softmax (not the logits). ``dropout`` p > 0 (training only) zeroes
    each hidden output with probability p (``draws``' counter uniforms, else ``F.dropout``)
    and scales the rest by 1/(1 - p) (inverted dropout, so evaluation uses the weights as they
    are).
    Returns one ``(..., B, width)`` tensor per layer.
    """
    outputs = []
    for layer, (w, b) in enumerate(zip(weights, biases, strict=True)):
        x = torch.matmul(x, w) + b
        if layer < len(activations):
            x = HIDDEN_ACTIVATIONS[activations[layer]](x)
            if dropout:
                x = (F.dropout(x, dropout) if draws is None else
                     x * draws.keep(first_layer + layer, *x.shape[-2:], dropout) / (1 - dropout))
            if quantizers:
                x = quantizers[layer](x)
            outputs.append(x)
            if noise_std:
                x = x + noise_std * (
                    torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
                    if draws is None else draws.normal(first_layer + layer, *x.shape[-2:]))
        else:
            outputs.append(quantizers[layer](torch.softmax(x, -1)) if quantizers else x)
    return outputs


def check_hidden(activations: Sequence[str], noise_std: float, dropout: float) -> None:
    """Raise ValueError naming the bad value: hidden activation names (keys of
    HIDDEN_ACTIVATIONS), noise_std >= 0, dropout in [0, 1)."""
    if unknown := sorted(set(activations) - set(HIDDEN_ACTIVATIONS)):
        raise ValueError(f"unknown activation(s) {', '.join(map(repr, unknown))}; allowed: "
                         f"{', '.join(HIDDEN_ACTIVATIONS)}")
    if not noise_std >= 0:
        raise ValueError(f"noise_std must be >= 0, got {noise_std!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")


class SoftmaxOutput:
    """The output-side methods of the batched nets (``BatchedMLP``, ``conv.BatchedConvNet``);
    they read the net's ``quantizers`` (empty for a float net)."""

    quantizers: torch.nn.ModuleList

    def logits(self, output: torch.Tensor) -> torch.Tensor:
        """Logits of the last ``forward`` output for the cross-entropy: the output itself, or
        for a quantized net the log of its quantized probabilities floored at
        ``PROBABILITY_FLOOR`` (so the loss is Keras' categorical cross-entropy of the
        renormalised quantized softmax, as in the reference code)."""
        return torch.log(output.clamp_min(PROBABILITY_FLOOR)) if self.quantizers else output

    def probabilities(self, output: torch.Tensor) -> torch.Tensor:
        """The recorded output activity: softmax of the logits, or the quantized softmax."""
        return output if self.quantizers else torch.softmax(output, -1)

    def quantization_ranges(self) -> torch.Tensor | None:
        """``(R, layer, 2)``: each quantized layer's [low, high] of the last forward pass
        (hidden layers, then the output); None for a float net."""
        if not self.quantizers:
            return None
        return torch.stack([torch.stack([q.low, q.high], -1) for q in self.quantizers], 1)


class BatchedMLP(SoftmaxOutput, torch.nn.Module):
    """R fully connected nets ``widths[0] -> ... -> widths[-1]``, softmax output, one tensor each.

    widths: layer sizes including input and output, e.g. (12, 10, 7, 5, 4, 3, 2).
    activations: one hidden activation name per hidden layer (keys of HIDDEN_ACTIVATIONS).
    seeds: one integer seed per repetition; it alone fixes that repetition's initial weights.
    noise_std: beta >= 0; every hidden layer's output gets N(0, beta^2) noise in every forward
    pass (training and evaluation), from ``forward``'s draws.
    bits: 4 or 8 quantize every hidden layer's output and the softmax output (``Quantizer``,
    range rule by activation: ``quantize.range_rule``); None or 32 = the float network.
    weight_norm: parametrise W = g v / ||v|| per unit (``weights`` then holds v, ``gains`` g,
    g starting at ||v|| so the initial W is the initialiser's); ``effective_weights`` is W.
    dropout: p in [0, 1), applied to the hidden outputs in ``forward(x, train=True)`` only.
    """

    def __init__(self, widths: Sequence[int], activations: Sequence[str], seeds: Sequence[int],
                 init: str, noise_std: float = 0.0, bits: int | None = None, *,
                 weight_norm: bool = False, dropout: float = 0.0):
        super().__init__()
        if len(activations) != len(widths) - 2:
            raise ValueError(f"{len(widths) - 2} hidden layers need as many activations, "
                             f"got {len(activations)}")
        check_hidden(activations, noise_std, dropout)
        self.activations = list(activations)
        self.noise_std = float(noise_std)
        self.dropout = float(dropout)
        generators = [torch.Generator().manual_seed(int(seed)) for seed in seeds]
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            w = torch.stack([INITS[init](fan_in, fan_out, g) for g in generators])
            self.weights.append(torch.nn.Parameter(w))
            self.biases.append(torch.nn.Parameter(torch.zeros(len(seeds), 1, fan_out)))
        self.quantizers = torch.nn.ModuleList(
            [Quantizer(bits, len(seeds), range_rule(name)) for name in [*activations, "softmax"]]
            if quantized(bits) else [])
        self.gains = torch.nn.ParameterList(
            [torch.nn.Parameter(v.detach().norm(dim=-2, keepdim=True)) for v in self.weights]
            if weight_norm else [])

    def effective_weights(self) -> list[torch.Tensor]:
        """Each layer's W ``(R, fan_in, fan_out)``: ``weights`` itself, or g v / ||v||."""
        if not self.gains:
            return list(self.weights)
        return [weight_normalised(v, g) for v, g in zip(self.weights, self.gains, strict=True)]

    def forward(self, x: torch.Tensor, *, train: bool = False,
                draws: Draws | None = None) -> list[torch.Tensor]:
        """Every layer's output for inputs ``x``: ``(R, B, in)`` or shared ``(B, in)``;
        ``train`` applies dropout; ``draws``: the pass's counter draws for noise and dropout
        (default: the device's generator).

        Returns a list of ``(R, B, width)`` tensors: the hidden layers' pre-noise outputs S_l
        (after their activation; the noise goes only into the next layer's input), then the
        output layer's logits (``probabilities`` gives the recorded output activity); a
        quantized net returns the quantized values, its softmax output included.
        """
        if draws is not None and x.dim() == 2:  # counter draws index (R, B, units)
            x = x.expand(len(self.weights[0]), *x.shape)
        return propagate(x, self.effective_weights(), self.biases, self.activations,
                         noise_std=self.noise_std, quantizers=self.quantizers,
                         dropout=self.dropout if train else 0.0, draws=draws)
