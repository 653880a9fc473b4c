"""The batched training loop: all repetitions of an experiment train as one tensor program.

The loss is the sum over repetitions of each repetition's mean cross-entropy, so gradients,
SGD and Adam (both element-wise) stay exactly per-repetition. Weight decay lambda is coupled L2
on the weights, not the biases (Chelombiev et al. 2019's L2 penalty), as the optimizers'
``weight_decay``: it adds lambda * W_r to W_r's gradient, i.e. lambda/2 * sum_l ||W_lr||^2 added
to repetition r's loss, so it stays per-repetition too (with Adam it goes through the moments,
unlike AdamW's decoupled decay; Keras' ``l2(c)`` is lambda = 2c). Each repetition has its own
initialisation (``BatchedMLP``) and its own mini-batch order (``epoch_order``). After every
epoch the network is evaluated on all samples: loss and accuracy per split at every epoch, and
every layer's output at the snapshot epochs. On CUDA one whole epoch (all mini-batch steps and
the evaluation) is captured in a CUDA graph and replayed, which removes the launch overhead
that dominates such small networks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ibrepro.data.labels import shuffle_train_labels
from ibrepro.device import resolve_device  # noqa: F401  (re-exported for the trainer)
from ibrepro.nets.conv import BatchedConvNet, conv_shapes
from ibrepro.nets.mlp import BatchedMLP
from ibrepro.nets.regularisation import parseval_retraction_
from ibrepro.train.gradients import STATISTICS, GradientMoments
from ibrepro.train.shuffle import epoch_order

WARMUP_EPOCHS = 3  # eager epochs on a side stream before CUDA graph capture (PyTorch's recipe)
SPLITS = ("train", "test")


@dataclass(frozen=True)
class History:
    """Loss and accuracy of every repetition at every epoch 0..E, per split ``SPLITS``."""

    loss: np.ndarray  # (rep, epoch, split) float64, mean cross-entropy in nats
    accuracy: np.ndarray  # (rep, epoch, split) float64
    # with spec["gradient_stats"]: (rep, snapshot, statistic, layer) float64, the statistics of
    # train.gradients.STATISTICS over each snapshot epoch's mini-batches (NaN at epoch 0)
    gradients: np.ndarray | None = None


def repetition_seeds(seed: int, repetitions: int) -> list[int]:
    """Independent 63-bit seeds for repetitions 0..R-1; seed r does not depend on R."""
    return [int(np.random.SeedSequence([seed, r]).generate_state(2, np.uint64)[0] >> 1)
            for r in range(repetitions)]


def total_epochs(spec: dict) -> int:
    """Epochs a run of ``spec`` trains, numbered 1.. continuously: the random-label prefit's
    (``spec["prefit"]["epochs"]``, if any) and then ``spec["epochs"]`` on the true labels."""
    return spec.get("prefit", {}).get("epochs", 0) + spec["epochs"]


def layer_widths(spec: dict, classes: int,
                 image_shape: tuple[int, int, int] | None = None) -> list[int]:
    """Units of each recorded layer: C*H*W per conv layer (``spec["conv"]``, on inputs of
    ``image_shape``), then the dense hidden widths and the ``classes`` outputs."""
    conv = []
    if spec.get("conv"):
        _require_image_shape(spec, image_shape)
        conv = [c * h * w for c, h, w in conv_shapes(image_shape, spec["conv"])]
    return [*conv, *spec["hidden"], classes]


def _require_image_shape(spec: dict, image_shape: tuple[int, int, int] | None) -> None:
    if image_shape is None:
        raise ValueError(f"experiment {spec.get('name')!r} has conv layers, but its dataset "
                         f"{spec.get('dataset')!r} has no image shape (attr image_shape, as an "
                         f"mnist dataset's); use a dataset of images or remove conv")


def build_model(spec: dict, features: int, classes: int, seeds: list[int],
                image_shape: tuple[int, int, int] | None = None) -> BatchedMLP | BatchedConvNet:
    """The batched net of ``spec``: a ``BatchedConvNet`` on inputs of ``image_shape`` (C, H, W)
    when ``spec["conv"]`` lists conv layers, else a ``BatchedMLP`` on ``features`` inputs."""
    options = dict(noise_std=spec.get("noise_std", 0.0), bits=spec.get("bits"),
                   dropout=spec.get("dropout", 0.0))
    if not spec.get("conv"):
        return BatchedMLP([features, *spec["hidden"], classes], spec["activations"], seeds,
                          spec["init"], weight_norm=spec.get("weight_norm", False), **options)
    _require_image_shape(spec, image_shape)
    if spec.get("weight_norm"):
        raise ValueError(f"experiment {spec.get('name')!r}: weight_norm applies to MLPs only, "
                         f"not to conv nets")
    return BatchedConvNet(image_shape, spec["conv"], spec["hidden"], classes,
                          spec["activations"], seeds, spec["init"], **options)


class _BatchedRun:
    """Model, optimizer and static buffers of one batched training run."""

    def __init__(self, spec: dict, x: torch.Tensor, y: torch.Tensor, train: torch.Tensor,
                 seeds: list[int], image_shape: tuple[int, int, int] | None = None):
        device = x.device
        self.model = build_model(spec, x.shape[1], int(y.max()) + 1, seeds,
                                 image_shape).to(device)
        self.parseval = spec.get("parseval", 0.0)
        if self.parseval and self.model.gains:
            raise ValueError("parseval and weight_norm exclude each other: choose one")
        weight_decay = spec.get("weight_decay", 0.0)
        if not weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        # coupled L2 on the weights only: torch adds weight_decay * W to W's gradient
        params = [{"params": list(self.model.weights), "weight_decay": weight_decay},
                  {"params": [*self.model.biases, *self.model.gains]}]
        if spec["optimizer"] == "sgd":
            self.optimizer = torch.optim.SGD(params, lr=spec["lr"])
        else:
            self.optimizer = torch.optim.Adam(params, lr=spec["lr"],
                                              capturable=device.type == "cuda")
        self.x, self.y = x, y
        self.masks = torch.stack([train, ~train]).to(x.dtype)  # (split, sample)
        self.x_train, self.y_train = x[train], y[train]
        self.seeds = torch.tensor(seeds, dtype=torch.int64, device=device)
        self.batch_size = spec["batch_size"]
        repetitions = len(seeds)
        n_units = sum(layer_widths(spec, int(y.max()) + 1, image_shape))
        self.activations = torch.zeros(repetitions, len(y), n_units, device=device)
        self.metrics = torch.zeros(repetitions, 2, len(SPLITS), device=device)  # loss, accuracy
        self.epoch = torch.zeros((), dtype=torch.int64, device=device)
        self.moments = (GradientMoments(self.model.weights) if spec.get("gradient_stats")
                        else None)

    def train_epoch(self, record: bool = True) -> None:
        """One epoch of mini-batch updates in each repetition's own order, then ``evaluate``."""
        order = epoch_order(self.seeds, self.epoch, len(self.y_train))
        moments = self.moments if record else None
        if moments is not None:
            moments.reset()
        for start in range(0, order.shape[1], self.batch_size):
            batch = order[:, start:start + self.batch_size]  # (R, B)
            logits = self.model.logits(self.model(self.x_train[batch], train=True)[-1])
            loss = F.cross_entropy(logits.transpose(1, 2), self.y_train[batch],
                                   reduction="none").mean(dim=1).sum()
            self.optimizer.zero_grad(set_to_none=False)
            loss.backward()
            if moments is not None:
                moments.add([w.grad for w in self.model.weights])
            self.optimizer.step()
            if self.parseval:
                parseval_retraction_(self.model.weights, self.parseval)
        self.evaluate(record)

    @torch.no_grad()
    def evaluate(self, record: bool = True) -> None:
        """Loss and accuracy per split on all samples, and (if ``record``) every layer's
        output, into the run's buffers."""
        outputs = self.model(self.x)
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


def train(spec: dict, x: np.ndarray, y: np.ndarray, train_mask: np.ndarray, *,
          snapshot_epochs: np.ndarray, on_snapshot: Callable[[int, np.ndarray], None],
          device: torch.device, seeds: list[int] | None = None, progress: bool = True,
          on_weights: Callable[[int, list[np.ndarray], list[np.ndarray]], None] | None = None,
          image_shape: tuple[int, int, int] | None = None) -> History:
    """Train ``spec["repetitions"]`` nets of ``spec`` together; return their history.

    x: ``(sample, feature)`` inputs, y: ``(sample,)`` int labels, train_mask: bool ``(sample,)``.
    Updates use the training samples only; evaluation uses all samples. ``on_snapshot(epoch,
    activations)`` receives float32 ``(rep, sample, unit)`` at each epoch of ``snapshot_epochs``.
    seeds: per-repetition seeds, default ``repetition_seeds(spec["seed"], spec["repetitions"])``;
    a repetition's seed alone fixes its initialisation and mini-batch orders.
    ``on_weights(epoch, weights, biases)``, if given, receives each layer's float32
    ``(rep, fan_in, fan_out)`` weights and ``(rep, fan_out)`` biases at the same epochs. Both
    get copies they may keep.
    With ``spec["noise_std"]`` = beta > 0, every hidden layer's output gets N(0, beta^2) noise
    (``BatchedMLP``) from the default generator seeded here with ``spec["seed"]``: the same
    config and seeds give the same noise on the same device, a fresh draw per repetition
    (repetition r's noise, unlike its initialisation, depends on R); the snapshots hold the
    pre-noise outputs S_l. ``spec["weight_decay"]`` = lambda >= 0 (default 0) is coupled L2 on
    the weights (see above); the recorded loss is the cross-entropy alone.
    With ``spec["bits"]`` 4 or 8 the net is quantized (``BatchedMLP``): the snapshot is the
    level values and ``on_snapshot`` gets a third argument, float32 ``(rep, layer, 2)``, each
    layer's quantization range [low, high]. With ``spec["prefit"]`` = ``{epochs: P,
    label_seed: s}`` (Lorenzen et al. 2022, App. D) epochs 1..P train on the training labels
    permuted among the training samples (``data.labels.shuffle_train_labels`` with seed s, the
    labels of a dataset's ``shuffle_train_labels: {seed: s}``), epochs P+1..P+E on the true
    ones, in the same optimizer; evaluation (loss, accuracy, snapshots) always uses the true
    labels. ``History`` then spans epochs 0..P+E (``total_epochs``).
    Regularisers, per repetition: ``spec["parseval"]`` = b > 0 retracts every layer's weights
    towards orthonormal after each update (``parseval_retraction_``); ``spec["weight_norm"]``
    trains W = g v / ||v|| (``on_weights`` gets the effective W); ``spec["dropout"]`` = p
    drops hidden outputs in the updates only, never in the evaluation.
    With ``spec["gradient_stats"]`` true, ``History.gradients`` holds the gradient statistics
    (``train.gradients``) of each snapshot epoch's mini-batches, in sorted snapshot order (the
    weights' parameters: v under weight_norm); other runs compute none.
    With ``spec["conv"]`` the nets are ``BatchedConvNet``s on x reshaped to ``image_shape``
    (C, H, W) (``build_model``); ``on_weights`` then gets each conv layer's weights in the
    matmul layout ``(rep, C_in*k*k, C_out)`` (``nets.conv``) and its ``(rep, C_out)`` biases.
    """
    torch.manual_seed(spec["seed"])  # the hidden-layer noise (if any) draws from it
    run = _BatchedRun(
        spec,
        torch.as_tensor(x, dtype=torch.float32, device=device),
        torch.as_tensor(y, dtype=torch.int64, device=device),
        torch.as_tensor(train_mask, device=device),
        seeds or repetition_seeds(spec["seed"], spec["repetitions"]),
        image_shape,
    )
    epochs, snapshots = total_epochs(spec), {int(e) for e in snapshot_epochs}
    history = torch.zeros(epochs + 1, *run.metrics.shape, device=device)
    snapshot_order = {e: i for i, e in enumerate(sorted(snapshots))}
    gradients = (np.full((len(run.seeds), len(snapshots), len(STATISTICS),
                          len(run.model.weights)), np.nan) if run.moments else None)
    prefit = spec.get("prefit", {"epochs": 0})
    true_labels = run.y_train.clone()
    if prefit["epochs"]:
        split = np.where(train_mask, "train", "test")
        shuffled = shuffle_train_labels(np.asarray(y), split, seed=prefit["label_seed"])
        run.y_train.copy_(torch.as_tensor(shuffled[train_mask], device=device))

    def record(epoch: int) -> None:
        history[epoch].copy_(run.metrics)
        if epoch in snapshots:
            ranges = run.model.quantization_ranges()
            on_snapshot(epoch, _host_copy(run.activations),
                        *([] if ranges is None else [_host_copy(ranges)]))
            if gradients is not None and epoch > 0:
                gradients[:, snapshot_order[epoch]] = _host_copy(
                    run.moments.norms(run.model.weights))
            if on_weights is not None:
                on_weights(epoch, [_host_copy(w) for w in run.model.effective_weights()],
                           [_host_copy(b)[:, 0] for b in run.model.biases])

    run.evaluate()
    record(0)
    step = _graph_step(run) if device.type == "cuda" else run.train_epoch
    for epoch in tqdm(range(1, epochs + 1), desc=spec.get("name", "train"), unit="epoch",
                      mininterval=2.0, disable=not progress):
        run.epoch.fill_(epoch - 1)
        if epoch == prefit["epochs"] + 1:  # in place: a captured CUDA graph reads this buffer
            run.y_train.copy_(true_labels)
        step(epoch in snapshots)
        record(epoch)
    history = history.double().cpu().numpy()  # (epoch, rep, metric, split)
    return History(loss=history[:, :, 0].transpose(1, 0, 2),
                   accuracy=history[:, :, 1].transpose(1, 0, 2), gradients=gradients)


def _host_copy(t: torch.Tensor) -> np.ndarray:
    """A copy on the host that later updates leave alone (``.cpu()`` of a CPU tensor is the
    tensor itself, and training updates it in place)."""
    return t.detach().to("cpu", copy=True).numpy()


def _graph_step(run: _BatchedRun) -> Callable[[bool], None]:
    """A callable that trains one epoch: eager warm-up epochs on a side stream, then the
    replay of one CUDA graph holding a whole epoch (``torch.cuda.graphs``' whole-network
    capture). Warm-up epochs are real epochs, counted like all others. The graph always
    records the layer outputs (cheap on the GPU), so ``record`` is ignored. Hidden-layer noise
    draws from the default CUDA generator, which capture supports: each replay advances its
    Philox offset, so every epoch gets fresh noise."""
    graph: torch.cuda.CUDAGraph | None = None
    warmup = torch.cuda.Stream()
    calls = 0

    def step(record: bool) -> None:
        nonlocal graph, calls
        calls += 1
        if calls <= WARMUP_EPOCHS:
            warmup.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(warmup):
                run.train_epoch(record=True)
            torch.cuda.current_stream().wait_stream(warmup)
            return
        if graph is None:
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):  # records only; the replay below runs it
                run.train_epoch(record=True)
        graph.replay()

    return step
