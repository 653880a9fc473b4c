"""The CPU engine: R fully connected nets trained by ``kernels.mlp``, a share of them per thread.

It starts from ``nets.mlp.BatchedMLP``'s initialisation (same seeds, same weights) and follows
the same mini-batch orders (``train.shuffle``) as the torch engine, so the two train the same
nets; tests/test_engine_parity.py holds them together over 20+ epochs. Parameters live as one
flat float32 row per repetition (``kernels.mlp``'s layout); optimizer and quantizer state
beside them.
"""

from __future__ import annotations

import numpy as np

from ibrepro.kernels import mlp as kernels
from ibrepro.kernels.threads import over_repetitions
from ibrepro.nets.precision import quantized
from ibrepro.nets.quantize import range_rule
from ibrepro.spec import Experiment

ACTIVATIONS = {"linear": kernels.LINEAR, "tanh": kernels.TANH, "relu": kernels.RELU,
               "sigmoid": kernels.SIGMOID, "softplus": kernels.SOFTPLUS,
               "centred-softplus": kernels.CENTRED_SOFTPLUS, "elu": kernels.ELU,
               "leaky-relu": kernels.LEAKY_RELU, "swish": kernels.SWISH}
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults
EVAL_CHUNK = 512  # samples per pass through the layers in the evaluation (cache-sized)


class Layout:
    """Offsets of each layer's weights, biases and gains (weight normalisation) in a flat
    parameter row: layer l's weights ``(fan_in, fan_out)`` row-major, then its biases; the
    gains of all layers after the last layer."""

    def __init__(self, widths: list[int], weight_norm: bool):
        self.widths = np.asarray(widths, dtype=np.int64)
        shapes = list(zip(widths[:-1], widths[1:], strict=True))
        self.woff = np.zeros(len(shapes), np.int64)
        self.boff = np.zeros(len(shapes), np.int64)
        offset = 0
        for layer, (fan_in, fan_out) in enumerate(shapes):
            self.woff[layer], self.boff[layer] = offset, offset + fan_in * fan_out
            offset += fan_in * fan_out + fan_out
        self.goff = np.full(len(shapes), -1, np.int64)
        if weight_norm:
            for layer, (_, fan_out) in enumerate(shapes):
                self.goff[layer] = offset
                offset += fan_out
        self.size = offset
        self.shapes = shapes

    def weights(self, params: np.ndarray, layer: int) -> np.ndarray:
        """``(R, fan_in, fan_out)`` view of layer ``layer``'s weights in ``params (R, P)``."""
        fan_in, fan_out = self.shapes[layer]
        start = self.woff[layer]
        return params[:, start:start + fan_in * fan_out].reshape(-1, fan_in, fan_out)

    def biases(self, params: np.ndarray, layer: int) -> np.ndarray:
        start = self.boff[layer]
        return params[:, start:start + self.shapes[layer][1]]

    def gains(self, params: np.ndarray, layer: int) -> np.ndarray:
        start = self.goff[layer]
        return params[:, start:start + self.shapes[layer][1]]


def unsupported(spec: Experiment) -> str | None:
    """Why the CPU engine cannot train ``spec`` (None if it can): conv nets need the torch
    engine (``nets.conv``)."""
    if spec.conv:
        return "conv layers (nets.conv) train on the torch engine"
    return None


class CpuEngine:
    """The batched run of ``spec`` on the CPU, for ``epochs`` epochs.

    ``evaluate(epoch, record)`` and ``train_epoch(epoch, record)`` (which ends in an
    evaluation) put the loss and accuracy per split into ``history[epoch]`` ``(R, 2, 2)``;
    with ``record`` they also take a snapshot (``snapshot``), and ``train_epoch`` the gradient
    moments of its batches (``gradient_norms``). The torch engine has the same interface.
    x ``(N, features)`` float32, y ``(N,)`` labels, train_mask ``(N,)``; seeds one per
    repetition; record_samples: indices of the samples a snapshot keeps (default all).
    """

    def __init__(self, spec: Experiment | dict, x: np.ndarray, y: np.ndarray,
                 train_mask: np.ndarray, seeds: list[int], epochs: int,
                 record_samples: np.ndarray | None = None):
        spec = Experiment.of(spec)
        from ibrepro.nets.mlp import BatchedMLP, check_hidden  # the initialisation's seeds

        classes = int(y.max()) + 1
        widths = [x.shape[1], *spec.hidden, classes]
        noise, dropout, weight_norm = spec.noise_std, spec.dropout, spec.weight_norm
        check_hidden(spec.activations, noise, dropout)
        self.layout = layout = Layout(widths, weight_norm)
        init = BatchedMLP(widths, spec.activations, seeds, spec.init,
                          weight_norm=weight_norm)
        repetitions = len(seeds)
        self.params = np.zeros((repetitions, layout.size), np.float32)
        for layer in range(len(layout.shapes)):
            layout.weights(self.params, layer)[:] = init.weights[layer].detach().numpy()
            if weight_norm:
                layout.gains(self.params, layer)[:] = init.gains[layer].detach().numpy()[:, 0]
        self.decay = np.full(layout.size, -1.0, np.float32)  # lambda at the weights
        weight_decay = spec.weight_decay
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        for layer, (fan_in, fan_out) in enumerate(layout.shapes):
            self.decay[layout.woff[layer]:layout.woff[layer] + fan_in * fan_out] = weight_decay
        self.parseval = spec.parseval
        if self.parseval and weight_norm:
            raise ValueError("parseval and weight_norm exclude each other: choose one")
        if self.parseval and not 0 < self.parseval < 0.5:
            raise ValueError(f"parseval rate b must be in (0, 0.5), got {self.parseval!r}")
        self.optimizer = kernels.ADAM if spec.optimizer == "adam" else kernels.SGD
        self.adam_m = np.zeros_like(self.params)
        self.adam_v = np.zeros_like(self.params)
        self.adam_steps = 0
        self.hp = np.zeros(kernels.HP_SIZE)
        self.hp[[kernels.HP_LR, kernels.HP_BETA1, kernels.HP_BETA2, kernels.HP_EPS,
                 kernels.HP_NOISE, kernels.HP_DROPOUT, kernels.HP_PARSEVAL]] = (
            spec.lr, *ADAM_BETAS, ADAM_EPS, noise, dropout, self.parseval)
        self.levels = 2**spec.bits - 1 if quantized(spec.bits) else 0
        rules = [range_rule(name) for name in [*spec.activations, "softmax"]]
        self.rules = np.array([["batch", "moving-average"].index(rule) for rule in rules],
                              np.int64)
        self.ranges = np.zeros((repetitions, len(layout.shapes), 2), np.float32)
        self.ranges[..., 0], self.ranges[..., 1] = -6.0, 6.0  # nets.quantize.INITIAL_RANGE
        self.acts = np.array([ACTIVATIONS[name] for name in spec.activations], np.int64)
        self.moments = np.zeros((repetitions, 1 + 2 * layout.size))
        self.gradient_stats = spec.gradient_stats
        self.batch_size = spec.batch_size
        self.seeds = np.array(seeds, dtype=np.uint64)
        self.x_train = np.ascontiguousarray(x[train_mask], dtype=np.float32)
        self.y_train = np.ascontiguousarray(y[train_mask], dtype=np.int64)
        self.xt = np.ascontiguousarray(np.asarray(x, dtype=np.float32).T)
        self.y = np.ascontiguousarray(y, dtype=np.int64)
        self.split = np.where(train_mask, 0, 1).astype(np.int64)
        self.counts = np.array([train_mask.sum(), (~train_mask).sum()], np.float64)
        self.record_samples = (np.arange(len(y)) if record_samples is None
                               else np.asarray(record_samples, np.int64))
        self.units = sum(widths[1:])
        self.chunk = len(y) if self.levels else EVAL_CHUNK  # a quantizer's range spans all
        self.orders = np.empty((repetitions, len(self.y_train)), np.int64)
        self.history = np.zeros((epochs + 1, repetitions, 2, 2))
        self.recorded: np.ndarray | None = None

    @property
    def repetitions(self) -> int:
        return len(self.seeds)

    def set_train_labels(self, labels: np.ndarray) -> None:
        """Labels of the training samples from now on (the random-label prefit's switch)."""
        self.y_train = np.ascontiguousarray(labels, dtype=np.int64)

    def train_epoch(self, epoch: int, record: bool) -> None:
        """Epoch ``epoch`` (1-based) of updates, then ``evaluate``; with ``record`` also the
        epoch's gradient moments and a snapshot."""
        over_repetitions(kernels.epoch_orders, self.repetitions, self.seeds, epoch - 1,
                         len(self.y_train), self.orders)
        accumulate = record and self.gradient_stats
        if accumulate:
            self.moments[:] = 0.0
        layout = self.layout
        over_repetitions(kernels.train_epoch, self.repetitions, self.params, self.adam_m,
                         self.adam_v, self.decay, self.ranges, self.moments, self.x_train,
                         self.y_train, self.orders, self.seeds, epoch, self.adam_steps,
                         layout.widths, self.acts, layout.woff, layout.boff, layout.goff,
                         self.hp, self.optimizer, self.batch_size, self.levels, self.rules,
                         accumulate)
        self.adam_steps += -(-len(self.y_train) // self.batch_size)
        self.evaluate(epoch, record)

    def evaluate(self, epoch: int, record: bool) -> None:
        """The nets after ``epoch`` epochs on all samples: loss and accuracy per split into
        ``history[epoch]``; with ``record``, a new snapshot (the record samples only)."""
        sums = np.zeros((self.repetitions, 2, 2))
        recorded = (np.empty((self.repetitions, len(self.y), self.units), np.float32) if record
                    else np.empty((1, 1, 1), np.float32))
        layout = self.layout
        over_repetitions(kernels.evaluate, self.repetitions, self.params, self.ranges, self.xt,
                         self.y, self.split, self.seeds, epoch, layout.widths, self.acts,
                         layout.woff, layout.boff, layout.goff, self.hp, self.levels, self.rules,
                         self.chunk, record, recorded, sums)
        with np.errstate(invalid="ignore", divide="ignore"):  # a split may be empty
            self.history[epoch] = sums / self.counts
        if record:
            self.recorded = (recorded if len(self.record_samples) == len(self.y)
                             else recorded[:, self.record_samples])

    def history_array(self) -> np.ndarray:
        """``(epoch, rep, metric, split)`` float64 of every evaluation."""
        return self.history

    def snapshot(self) -> np.ndarray:
        """The last recorded ``(R, samples, units)`` float32 activations; the caller owns it
        (the next snapshot is a new array)."""
        return self.recorded

    def quantization_ranges(self) -> np.ndarray | None:
        """``(R, layer, 2)`` each quantized layer's [low, high] of the last pass; None for a
        float net."""
        return self.ranges.copy() if self.levels else None

    def gradient_norms(self) -> np.ndarray:
        """``(R, statistic, layer)`` float64: ||mean||, ||std|| of the last recorded epoch's
        weight gradients over its batches and ||W|| of the weights (``train.gradients``)."""
        size = self.layout.size
        count = self.moments[:, :1]
        mean = self.moments[:, 1:1 + size]
        std = np.sqrt(self.moments[:, 1 + size:] / np.maximum(count, 1.0))
        weights = self.params.astype(np.float64)
        stats = [[np.linalg.norm(self.layout.weights(flat, layer).reshape(len(flat), -1), axis=1)
                  for flat in (mean, std, weights)] for layer in range(len(self.layout.shapes))]
        return np.transpose(np.array(stats), (2, 1, 0))

    def parameters(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Copies of each layer's effective weights ``(R, fan_in, fan_out)`` (g v / ||v||
        under weight normalisation) and biases ``(R, fan_out)``."""
        layout = self.layout
        weights, biases = [], []
        for layer in range(len(layout.shapes)):
            w = layout.weights(self.params, layer)
            if layout.goff[0] >= 0:
                w = layout.gains(self.params, layer)[:, None, :] * w / np.linalg.norm(
                    w, axis=1, keepdims=True)
            weights.append(np.array(w, dtype=np.float32))
            biases.append(layout.biases(self.params, layer).copy())
        return weights, biases
