"""Convolutional nets, R repetitions evaluated as one batched network (as ``mlp.BatchedMLP``).

Each conv layer is ``channels`` k x k filters (stride 1, "same" zero padding), the hidden
activation, then a ``pool`` x ``pool`` max-pool (stride ``pool``, remainder rows dropped); the
flattened output of the last one feeds dense hidden layers and the softmax output.

All repetitions run in one grouped convolution per layer: the batch is laid out as
``(B, R*C, H, W)`` and ``F.conv2d(..., groups=R)`` convolves group r with repetition r's
filters only. (``torch.func.vmap`` over ``conv2d`` lowers to the same grouped convolution; the
explicit form avoids its per-call tracing overhead on the CPU and is captured in a CUDA graph
as it is.) Max-pool and the activation act per channel, so they need no grouping.

Two choices make a conv layer 2.5x faster on the CPU (fwd + bwd of goldfeld-cnn's two layers,
R = 2, B = 128, one thread: 71 -> 29 ms), with the same values:

- the feature maps are kept channels-last (NHWC), where torch's max-pool is vectorised (9x
  faster than on NCHW here) and the convolution too;
- a monotone non-decreasing activation (every one but swish) is applied after the max-pool,
  to a quarter of the elements: max(act(a), act(b)) = act(max(a, b)). The gradient can only
  differ where two pre-activations of one pool window differ but their activations round to
  the same float32 (then the gradient goes to the other one of the two).

Weights are kept in the matmul layout of ``BatchedMLP``: conv layer l of repetition r is
``weights[l][r]`` ``(C_in*k*k, C_out)``, rows ordered (input channel, kernel row, kernel
column) as ``F.unfold`` lays out a patch, and its bias ``biases[l][r]`` ``(1, C_out)``; so the
trainer, weight decay and ``weights.nc`` treat conv and dense layers alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ibrepro.nets.counter_rng import Draws
from ibrepro.nets.mlp import HIDDEN_ACTIVATIONS, INITS, SoftmaxOutput, check_hidden, propagate
from ibrepro.nets.precision import quantized
from ibrepro.nets.quantize import Quantizer, range_rule

# Activations that commute with the max-pool (monotone non-decreasing): applied after it
POOL_FIRST = frozenset(HIDDEN_ACTIVATIONS) - {"swish"}


def conv_shapes(image_shape: Sequence[int], conv: Sequence[dict]) -> list[tuple[int, int, int]]:
    """The ``(C, H, W)`` output of each conv layer (after pooling) for inputs ``image_shape``,
    e.g. (1, 28, 28) and two layers of 2 channels with 2x2 pools: [(2, 14, 14), (2, 7, 7)]."""
    _, height, width = image_shape
    shapes = []
    for layer in conv:
        height, width = height // layer["pool"], width // layer["pool"]
        if not height or not width:
            raise ValueError(f"a {layer['pool']}x{layer['pool']} pool leaves no pixels of the "
                             f"{image_shape} image after {len(shapes) + 1} conv layer(s)")
        shapes.append((layer["channels"], height, width))
    return shapes


def parameter_shapes(image_shape: Sequence[int], conv: Sequence[dict], dense: Sequence[int],
                     classes: int) -> list[tuple[int, int]]:
    """``(fan_in, fan_out)`` of each layer's weight tensor in the matmul layout (see module
    doc): ``(C_in*k*k, C_out)`` per conv layer, then the dense layers and the output."""
    channels = [image_shape[0], *(layer["channels"] for layer in conv)]
    shapes = [(c_in * layer["kernel"] ** 2, c_out)
              for c_in, c_out, layer in zip(channels[:-1], channels[1:], conv, strict=True)]
    c, h, w = [image_shape, *conv_shapes(image_shape, conv)][-1]
    widths = [c * h * w, *dense, classes]
    return shapes + list(zip(widths[:-1], widths[1:], strict=True))


class BatchedConvNet(SoftmaxOutput, torch.nn.Module):
    """R conv nets ``conv layers -> dense hidden layers -> classes``, softmax output.

    image_shape: ``(C, H, W)`` of the inputs, which arrive flattened channel-major.
    conv: per conv layer ``{"channels", "kernel" (odd), "pool"}``; dense: hidden dense widths.
    activations: one per hidden layer, conv layers first (keys of ``HIDDEN_ACTIVATIONS``).
    seeds, init, noise_std, bits, dropout: as ``BatchedMLP``'s; a conv layer's initialiser fans
    are C_in*k*k and C_out*k*k (Keras'). Each hidden layer's output S_l (a conv layer's after
    activation and pooling) gets dropout (training), then k-bit quantization, is recorded, and
    feeds the next layer plus N(0, noise_std^2) noise. Quantizing after the max-pool gives the
    same levels as before it (the pool commutes with the monotone quantizer) for relu layers;
    for tanh layers the batch range is the pooled outputs' min and max.
    """

    def __init__(self, image_shape: Sequence[int], conv: Sequence[dict], dense: Sequence[int],
                 classes: int, activations: Sequence[str], seeds: Sequence[int], init: str,
                 noise_std: float = 0.0, bits: int | None = None, *, dropout: float = 0.0):
        super().__init__()
        if len(image_shape) != 3:
            raise ValueError(f"image_shape must be (C, H, W), got {tuple(image_shape)}")
        if len(activations) != len(conv) + len(dense):
            raise ValueError(f"{len(conv)} conv and {len(dense)} dense hidden layers need "
                             f"{len(conv) + len(dense)} activations, got {len(activations)}")
        if even := [layer["kernel"] for layer in conv if layer["kernel"] % 2 == 0]:
            raise ValueError(f"conv kernels must be odd for 'same' padding, got {even}")
        check_hidden(activations, noise_std, dropout)
        self.image_shape = tuple(int(n) for n in image_shape)
        self.conv = [dict(layer) for layer in conv]
        self.activations = list(activations)
        self.noise_std = float(noise_std)
        self.dropout = float(dropout)
        self.repetitions = len(seeds)
        generators = [torch.Generator().manual_seed(int(seed)) for seed in seeds]
        kernels = [layer["kernel"] ** 2 for layer in conv] + [1] * (len(dense) + 1)
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for (fan_in, fan_out), area in zip(
                parameter_shapes(image_shape, conv, dense, classes), kernels, strict=True):
            w = torch.stack([INITS[init](fan_in, fan_out * area, g, shape=(fan_in, fan_out))
                             for g in generators])
            self.weights.append(torch.nn.Parameter(w))
            self.biases.append(torch.nn.Parameter(torch.zeros(len(seeds), 1, fan_out)))
        self.quantizers = torch.nn.ModuleList(
            [Quantizer(bits, len(seeds), range_rule(name)) for name in [*activations, "softmax"]]
            if quantized(bits) else [])
        self.gains = torch.nn.ParameterList()  # no weight normalisation for conv nets

    def effective_weights(self) -> list[torch.Tensor]:
        """Each layer's weights ``(R, fan_in, fan_out)`` in the matmul layout (module doc)."""
        return list(self.weights)

    def forward(self, x: torch.Tensor, *, train: bool = False,
                draws: Draws | None = None) -> list[torch.Tensor]:
        """Every layer's output for inputs ``x``: ``(R, B, C*H*W)`` or shared ``(B, C*H*W)``;
        ``train`` applies dropout; ``draws`` as ``BatchedMLP.forward``'s (a conv layer's
        units are its flattened C*H*W outputs).

        Returns ``(R, B, units)`` per layer: each hidden layer's pre-noise output S_l (a conv
        layer's flattened channel-major as C*H*W), then the output logits (the quantized
        softmax for a quantized net), as ``BatchedMLP.forward``.
        """
        reps, dropout = self.repetitions, self.dropout if train else 0.0
        t = x.reshape(*x.shape[:-1], *self.image_shape)
        t = (t.unsqueeze(1).expand(-1, reps, *self.image_shape) if x.dim() == 2
             else t.transpose(0, 1))
        t = t.reshape(t.shape[0], -1, *self.image_shape[1:])  # (B, R*C, H, W)
        outputs = []
        for layer, spec in enumerate(self.conv):
            w, b, k = self.weights[layer], self.biases[layer], spec["kernel"]
            c_out = w.shape[-1]
            kernel = w.transpose(1, 2).reshape(reps * c_out, -1, k, k)
            t = F.conv2d(t.contiguous(memory_format=torch.channels_last), kernel,
                         b.reshape(-1), padding="same", groups=reps)
            activation = HIDDEN_ACTIVATIONS[self.activations[layer]]
            if spec["pool"] == 1:
                t = activation(t)
            elif self.activations[layer] in POOL_FIRST:
                t = activation(F.max_pool2d(t, spec["pool"]))
            else:
                t = F.max_pool2d(activation(t), spec["pool"])
            shape = t.shape
            s = t.reshape(shape[0], reps, -1).transpose(0, 1)  # (R, B, C*H*W)
            if dropout:
                s = (F.dropout(s, dropout) if draws is None else
                     s * draws.keep(layer + 1, *s.shape[1:], dropout) / (1 - dropout))
            if self.quantizers:
                s = self.quantizers[layer](s)
            outputs.append(s)
            if self.noise_std:
                s = s + self.noise_std * (torch.randn(s.shape, device=s.device, dtype=s.dtype)
                                          if draws is None else draws.normal(layer + 1,
                                                                             *s.shape[1:]))
            t = s.transpose(0, 1).reshape(shape)
        n = len(self.conv)
        flat = t.reshape(t.shape[0], reps, -1).transpose(0, 1)
        return outputs + propagate(flat, self.weights[n:], self.biases[n:], self.activations[n:],
                                   noise_std=self.noise_std, quantizers=self.quantizers[n:],
                                   dropout=dropout, draws=draws, first_layer=n + 1)
