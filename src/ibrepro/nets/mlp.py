"""Fully connected networks, R repetitions evaluated as one batched network.

Layer l of repetition r has weights ``W[l][r]`` of shape ``(fan_in, fan_out)``, stored as one
``(R, fan_in, fan_out)`` tensor, so a forward pass is one batched matmul per layer for all
repetitions. Each repetition is initialised from its own seed, on the CPU, so repetition r gets
the same initial weights whether it is trained alone or among others.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

HIDDEN_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "linear": lambda t: t,
}


def _truncated_normal(std_of: Callable[[int, int], float]):
    def init(fan_in: int, fan_out: int, generator: torch.Generator) -> torch.Tensor:
        std = std_of(fan_in, fan_out)
        w = torch.empty(fan_in, fan_out)
        return torch.nn.init.trunc_normal_(w, std=std, a=-2 * std, b=2 * std, generator=generator)

    return init


def _glorot_uniform(fan_in: int, fan_out: int, generator: torch.Generator) -> torch.Tensor:
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return torch.empty(fan_in, fan_out).uniform_(-bound, bound, generator=generator)


# Weight initialisers: (fan_in, fan_out, generator) -> (fan_in, fan_out). Biases start at zero.
# Truncated normals are cut at two standard deviations (as Keras/TensorFlow's TruncatedNormal).
INITS = {
    "truncated-normal-fan-in": _truncated_normal(lambda fan_in, fan_out: 1 / math.sqrt(fan_in)),
    "truncated-normal-fan-out": _truncated_normal(lambda fan_in, fan_out: 1 / math.sqrt(fan_out)),
    "glorot": _glorot_uniform,
}


class BatchedMLP(torch.nn.Module):
    """R fully connected nets ``widths[0] -> ... -> widths[-1]``, softmax output, one tensor each.

    widths: layer sizes including input and output, e.g. (12, 10, 7, 5, 4, 3, 2).
    activations: one hidden activation name per hidden layer (keys of HIDDEN_ACTIVATIONS).
    seeds: one integer seed per repetition; it alone fixes that repetition's initial weights.
    """

    def __init__(self, widths: Sequence[int], activations: Sequence[str], seeds: Sequence[int],
                 init: str):
        super().__init__()
        if len(activations) != len(widths) - 2:
            raise ValueError(f"{len(widths) - 2} hidden layers need as many activations, "
                             f"got {len(activations)}")
        self.activations = [HIDDEN_ACTIVATIONS[name] for name in activations]
        generators = [torch.Generator().manual_seed(int(seed)) for seed in seeds]
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            w = torch.stack([INITS[init](fan_in, fan_out, g) for g in generators])
            self.weights.append(torch.nn.Parameter(w))
            self.biases.append(torch.nn.Parameter(torch.zeros(len(seeds), 1, fan_out)))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's output for inputs ``x``: ``(R, B, in)`` or shared ``(B, in)``.

        Returns a list of ``(R, B, width)`` tensors: the hidden layers after their activation,
        then the output layer's logits (apply softmax for the recorded output activity).
        """
        outputs = []
        for layer, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            x = torch.matmul(x, w) + b
            if layer < len(self.activations):
                x = self.activations[layer](x)
            outputs.append(x)
        return outputs
