"""The torch engine: R nets (``nets.mlp.BatchedMLP`` or ``nets.conv.BatchedConvNet``) trained
by autograd as one batched network, on CUDA or the CPU.

It is the engine of CUDA runs and conv nets, and the reference the CPU engine is tested
against. The loss is the sum over repetitions of each repetition's mean cross-entropy, so
gradients, SGD and Adam (both element-wise) stay exactly per repetition. Weight decay lambda
is coupled L2 on the weights, not the biases (Chelombiev et al. 2019's L2 penalty), as the
optimizers' ``weight_decay``: lambda/2 * sum_l ||W_lr||^2 added to repetition r's loss (with
Adam it goes through the moments, unlike AdamW's decoupled decay; Keras' ``l2(c)`` is lambda =
2c). Noise and dropout are the counter draws of ``nets.counter_rng``, the CPU engine's.
On CUDA one whole epoch (all mini-batch steps and the evaluation) is captured in a CUDA graph
and replayed, which removes the launch overhead that dominates such small networks; matmuls
and convolutions run in IEEE float32 (no TF32), as on the CPU.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from ibrepro.nets.conv import BatchedConvNet
from ibrepro.nets.counter_rng import EVALUATION, Draws
from ibrepro.nets.mlp import BatchedMLP
from ibrepro.nets.regularisation import parseval_retraction_
from ibrepro.spec import Experiment
from ibrepro.train.gradients import GradientMoments
from ibrepro.train.loop import layer_widths, require_image_shape
from ibrepro.train.shuffle import epoch_order

WARMUP_EPOCHS = 3  # eager epochs on a side stream before CUDA graph capture (PyTorch's recipe)


def pin_float32() -> dict[str, bool]:
    """Switch TF32 off for CUDA matmuls and cuDNN convolutions (IEEE float32, as the CPU
    computes), and return the settings for the provenance."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return {"cuda_matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
            "cudnn_allow_tf32": torch.backends.cudnn.allow_tf32}


def build_model(spec: Experiment | dict, features: int, classes: int, seeds: list[int],
                image_shape: tuple[int, int, int] | None = None) -> BatchedMLP | BatchedConvNet:
    """The batched net of ``spec``: a ``BatchedConvNet`` on inputs of ``image_shape`` (C, H, W)
    when ``spec.conv`` lists conv layers, else a ``BatchedMLP`` on ``features`` inputs."""
    spec = Experiment.of(spec)
    options = dict(noise_std=spec.noise_std, bits=spec.bits, dropout=spec.dropout)
    if not spec.conv:
        return BatchedMLP([features, *spec.hidden, classes], spec.activations, seeds,
                          spec.init, weight_norm=spec.weight_norm, **options)
    require_image_shape(spec, image_shape)
    if spec.weight_norm:
        raise ValueError(f"experiment {spec.name!r}: weight_norm applies to MLPs only, "
                         f"not to conv nets")
    return BatchedConvNet(image_shape, [dataclasses.asdict(c) for c in spec.conv], spec.hidden,
                          classes, spec.activations, seeds, spec.init, **options)


class TorchEngine:
    """The batched run of ``spec`` (see ``engine_cpu.CpuEngine`` for the interface): model,
    optimizer and static device buffers; ``history`` holds every evaluation's metrics on the
    device (no host sync per epoch)."""

    def __init__(self, spec: Experiment | dict, x: np.ndarray, y: np.ndarray,
                 train_mask: np.ndarray, seeds: list[int], device: torch.device, epochs: int,
                 image_shape: tuple[int, int, int] | None = None,
                 record_samples: np.ndarray | None = None):
        spec = Experiment.of(spec)
        self.device = device
        x = torch.as_tensor(x, dtype=torch.float32, device=device)
        y = torch.as_tensor(y, dtype=torch.int64, device=device)
        train = torch.as_tensor(train_mask, device=device)
        self.model = build_model(spec, x.shape[1], int(y.max()) + 1, seeds,
                                 image_shape).to(device)
        self.parseval = spec.parseval
        if self.parseval and self.model.gains:
            raise ValueError("parseval and weight_norm exclude each other: choose one")
        weight_decay = spec.weight_decay
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        # coupled L2 on the weights only: torch adds weight_decay * W to W's gradient
        params = [{"params": list(self.model.weights), "weight_decay": weight_decay},
                  {"params": [*self.model.biases, *self.model.gains]}]
        if spec.optimizer == "sgd":
            self.optimizer = torch.optim.SGD(params, lr=spec.lr)
        else:
            self.optimizer = torch.optim.Adam(params, lr=spec.lr,
                                              capturable=device.type == "cuda")
        self.x, self.y = x, y
        self.masks = torch.stack([train, ~train]).to(x.dtype)  # (split, sample)
        self.x_train, self.y_train = x[train], y[train]
        self.seeds = torch.tensor(seeds, dtype=torch.int64, device=device)
        self.batch_size = spec.batch_size
        self.record_samples = (None if record_samples is None else
                               torch.as_tensor(record_samples, dtype=torch.int64, device=device))
        units = sum(layer_widths(spec, int(y.max()) + 1, image_shape))
        self.activations = torch.zeros(len(seeds), len(y), units, device=device)
        self.metrics = torch.zeros(len(seeds), 2, 2, device=device)  # (loss, accuracy), split
        self.history = torch.zeros(epochs + 1, len(seeds), 2, 2, device=device)
        self.epoch = torch.zeros((), dtype=torch.int64, device=device)  # 1-based, on device
        self.moments = (GradientMoments(self.model.weights) if spec.gradient_stats
                        else None)
        self._step = _graph_step(self) if device.type == "cuda" else self._epoch

    @property
    def repetitions(self) -> int:
        return len(self.seeds)

    def set_train_labels(self, labels: np.ndarray) -> None:
        """Labels of the training samples from now on (in place: a CUDA graph reads them)."""
        self.y_train.copy_(torch.as_tensor(labels, device=self.device))

    def train_epoch(self, epoch: int, record: bool) -> None:
        """Epoch ``epoch`` (1-based) of updates, then the evaluation into ``history[epoch]``;
        with ``record`` (always, in a CUDA graph) the gradient moments and activations."""
        self.epoch.fill_(epoch)
        self._step(record)
        self.history[epoch].copy_(self.metrics)

    def _epoch(self, record: bool = True) -> None:
        """One epoch of mini-batch updates in each repetition's own order, then
        ``_evaluate``; the epoch number is the device tensor ``self.epoch``."""
        order = epoch_order(self.seeds, self.epoch - 1, len(self.y_train))
        moments = self.moments if record else None
        if moments is not None:
            moments.reset()
        for step, start in enumerate(range(0, order.shape[1], self.batch_size)):
            batch = order[:, start:start + self.batch_size]  # (R, B)
            draws = Draws(self.seeds, self.epoch, step)
            logits = self.model.logits(self.model(self.x_train[batch], train=True,
                                                  draws=draws)[-1])
            loss = F.cross_entropy(logits.transpose(1, 2), self.y_train[batch],
                                   reduction="none").mean(dim=1).sum()
            self.optimizer.zero_grad(set_to_none=False)
            loss.backward()
            if moments is not None:
                moments.add([w.grad for w in self.model.weights])
            self.optimizer.step()
            if self.parseval:
                parseval_retraction_(self.model.weights, self.parseval)
        self._evaluate(self.epoch, record)

    def evaluate(self, epoch: int, record: bool) -> None:
        """The nets after ``epoch`` epochs on all samples: metrics into ``history[epoch]``,
        and (if ``record``) every layer's output into ``activations``."""
        self._evaluate(epoch, record)
        self.history[epoch].copy_(self.metrics)

    @torch.no_grad()
    def _evaluate(self, epoch: torch.Tensor | int, record: bool) -> None:
        outputs = self.model(self.x, draws=Draws(self.seeds, epoch, EVALUATION))
        logits = self.model.logits(outputs[-1])
        if record:
            start = 0
            for output in [*outputs[:-1], self.model.probabilities(outputs[-1])]:
                self.activations[..., start:start + output.shape[-1]] = output
                start += output.shape[-1]
        loss = F.cross_entropy(logits.transpose(1, 2), self.y.expand(len(logits), -1),
                               reduction="none")  # (R, sample)
        correct = (logits.argmax(-1) == self.y).to(loss.dtype)
        counts = self.masks.sum(dim=1)
        self.metrics[:, 0].copy_(loss @ self.masks.T / counts)
        self.metrics[:, 1].copy_(correct @ self.masks.T / counts)

    def history_array(self) -> np.ndarray:
        """``(epoch, rep, metric, split)`` float64 of every evaluation."""
        return self.history.double().cpu().numpy()

    def snapshot(self) -> np.ndarray:
        """The recorded ``(R, samples, units)`` activations of the record samples, sliced on
        the device and copied to the host (through pinned memory on CUDA); a fresh array."""
        values = self.activations
        if self.record_samples is not None:
            values = values.index_select(1, self.record_samples)
        return _host_copy(values)

    def quantization_ranges(self) -> np.ndarray | None:
        ranges = self.model.quantization_ranges()
        return None if ranges is None else _host_copy(ranges)

    def gradient_norms(self) -> np.ndarray:
        return _host_copy(self.moments.norms(self.model.weights))

    def parameters(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return ([_host_copy(w) for w in self.model.effective_weights()],
                [_host_copy(b)[:, 0] for b in self.model.biases])


def _host_copy(t: torch.Tensor) -> np.ndarray:
    """A host copy that later updates leave alone (``.cpu()`` of a CPU tensor is the tensor
    itself, and training updates it in place); from CUDA through a pinned buffer (torch's
    caching host allocator reuses it once the array is dropped)."""
    t = t.detach()
    if t.device.type != "cuda":
        return t.to("cpu", copy=True).numpy()
    host = torch.empty(t.shape, dtype=t.dtype, pin_memory=True)
    host.copy_(t, non_blocking=True)
    torch.cuda.current_stream().synchronize()
    return host.numpy()


@contextlib.contextmanager
def _cuda_side_stream() -> Iterator[None]:
    """Run the body on a side stream that waits for, and is waited for by, the current one
    (the warm-up before a capture, as ``torch.cuda.graphs`` recommends)."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        yield
    torch.cuda.current_stream().wait_stream(side)


def _capture_cuda_graph(epoch: Callable[[], None]) -> Callable[[], None]:
    """Record ``epoch``'s kernels in a CUDA graph (recording runs nothing); return its
    replay."""
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        epoch()
    return graph.replay


def _graph_step(engine: TorchEngine, capture=_capture_cuda_graph,
                side_stream=_cuda_side_stream) -> Callable[[bool], None]:
    """A callable that trains one epoch: ``WARMUP_EPOCHS`` eager epochs on a side stream, then
    one capture of a whole epoch and its replay from then on. Warm-up epochs are real epochs,
    counted like all others. The graph always records the layer outputs (cheap on the GPU),
    so ``record`` is ignored; the counter draws and the batch orders read the epoch from the
    device tensor ``engine.epoch``, so every replay draws anew. ``capture`` and
    ``side_stream`` are CUDA's; tests pass stand-ins to drive this control flow on the CPU."""
    replay = None
    calls = 0

    def epoch() -> None:
        engine._epoch(record=True)

    def step(record: bool) -> None:
        nonlocal replay, calls
        calls += 1
        if calls <= WARMUP_EPOCHS:
            with side_stream():
                epoch()
            return
        if replay is None:
            replay = capture(epoch)
        replay()

    return step
