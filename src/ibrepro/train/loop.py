"""The training loop: all repetitions of an experiment train together, on one of two engines.

The CPU engine (``train.engine_cpu``: compiled per-repetition kernels) trains every MLP on the
CPU; the torch engine (``train.engine_torch``: one batched autograd network, a CUDA graph per
epoch) trains on CUDA and trains conv nets. Both start from the same initialisation, follow the
same mini-batch orders and draw the same noise and dropout, so a run's numbers do not depend on
the engine beyond float32 rounding (tests/test_engine_parity.py). After every epoch the nets
are evaluated on all samples: loss and accuracy per split at every epoch, and every layer's
output at the snapshot epochs. This module imports no torch; the torch engine does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from ibrepro.data.labels import shuffle_train_labels
from ibrepro.device import resolve_device  # noqa: F401  (re-exported for the trainer)
from ibrepro.spec import Experiment

if TYPE_CHECKING:
    import torch

SPLITS = ("train", "test")
ENGINES = ("auto", "cpu", "torch")


@dataclass(frozen=True)
class History:
    """Loss and accuracy of every repetition at every epoch 0..E, per split ``SPLITS``."""

    loss: np.ndarray  # (rep, epoch, split) float64, mean cross-entropy in nats
    accuracy: np.ndarray  # (rep, epoch, split) float64
    # with spec.gradient_stats: (rep, snapshot, statistic, layer) float64, the statistics of
    # train.gradients.STATISTICS over each snapshot epoch's mini-batches (NaN at epoch 0)
    gradients: np.ndarray | None = None


def repetition_seeds(seed: int, repetitions: int) -> list[int]:
    """Independent 63-bit seeds for repetitions 0..R-1; seed r does not depend on R."""
    return [int(np.random.SeedSequence([seed, r]).generate_state(2, np.uint64)[0] >> 1)
            for r in range(repetitions)]


def layer_widths(spec: Experiment | dict, classes: int,
                 image_shape: tuple[int, int, int] | None = None) -> list[int]:
    """Units of each recorded layer: C*H*W per conv layer (``spec.conv``, on inputs of
    ``image_shape``), then the dense hidden widths and the ``classes`` outputs."""
    spec = Experiment.of(spec)
    conv = []
    if spec.conv:
        from ibrepro.nets.conv import conv_shapes

        require_image_shape(spec, image_shape)
        conv = [c * h * w for c, h, w in conv_shapes(image_shape, [
            {"pool": layer.pool, "channels": layer.channels} for layer in spec.conv])]
    return [*conv, *spec.hidden, classes]


def require_image_shape(spec: Experiment, image_shape: tuple[int, int, int] | None) -> None:
    """Raise ValueError if conv layers lack the ``image_shape`` of their dataset."""
    if image_shape is None:
        raise ValueError(f"experiment {spec.name!r} has conv layers, but its dataset "
                         f"{spec.dataset!r} has no image shape (attr image_shape, as an "
                         f"mnist dataset's); use a dataset of images or remove conv")




def make_engine(spec: Experiment | dict, x: np.ndarray, y: np.ndarray, train_mask: np.ndarray,
                seeds: list[int], device: torch.device, *, engine: str = "auto",
                image_shape: tuple[int, int, int] | None = None,
                record_samples: np.ndarray | None = None):
    """The engine that trains ``spec``: ``auto`` takes the CPU engine on the CPU where it
    supports the spec (saying on stderr when it does not), the torch engine otherwise;
    ``cpu`` and ``torch`` force one."""
    from ibrepro.train.engine_cpu import CpuEngine, unsupported

    spec = Experiment.of(spec)
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    reason = unsupported(spec) if device.type == "cpu" else "it runs on the CPU only"
    if engine == "cpu" and reason:
        raise ValueError(f"the CPU engine cannot train {spec.name!r}: {reason}")
    if engine == "cpu" or (engine == "auto" and reason is None):
        return CpuEngine(spec, x, y, train_mask, seeds, spec.total_epochs, record_samples)
    if engine == "auto" and device.type == "cpu":
        print(f"{spec.name}: the torch engine trains on the CPU, slower than "
              f"the CPU engine ({reason})", file=sys.stderr)
    from ibrepro.train.engine_torch import TorchEngine

    return TorchEngine(spec, x, y, train_mask, seeds, device, spec.total_epochs, image_shape,
                       record_samples)


def train(spec: Experiment | dict, x: np.ndarray, y: np.ndarray, train_mask: np.ndarray, *,
          snapshot_epochs: np.ndarray, on_snapshot: Callable[[int, np.ndarray], None],
          device: torch.device, seeds: list[int] | None = None, progress: bool = True,
          on_weights: Callable[[int, list[np.ndarray], list[np.ndarray]], None] | None = None,
          image_shape: tuple[int, int, int] | None = None,
          record_samples: np.ndarray | None = None, engine: str = "auto") -> History:
    """Train ``spec.repetitions`` nets of ``spec`` (an ``Experiment``, or its mapping)
    together; return their history.

    x: ``(sample, feature)`` inputs, y: ``(sample,)`` int labels, train_mask: bool ``(sample,)``.
    Updates use the training samples only; evaluation uses all samples. ``on_snapshot(epoch,
    activations)`` receives float32 ``(rep, sample, unit)`` at each epoch of ``snapshot_epochs``
    (only the samples ``record_samples``, dataset indices, if given).
    seeds: per-repetition seeds, default ``repetition_seeds(spec.seed, spec.repetitions)``;
    a repetition's seed alone fixes its initialisation, mini-batch orders, noise and dropout.
    ``on_weights(epoch, weights, biases)``, if given, receives each layer's float32
    ``(rep, fan_in, fan_out)`` weights and ``(rep, fan_out)`` biases at the same epochs. Both
    get arrays they may keep. ``engine``: ``make_engine``'s choice.
    With ``spec.noise_std`` = beta > 0, every hidden layer's output gets N(0, beta^2) noise
    in training and evaluation (``nets.counter_rng``: a pure function of the repetition's seed,
    the epoch, the pass, the layer and the element); the snapshots hold the pre-noise outputs
    S_l. ``spec.weight_decay`` = lambda >= 0 is coupled L2 on the weights; the
    recorded loss is the cross-entropy alone.
    With ``spec.bits`` 4 or 8 the net is quantized: the snapshot is the level values and
    ``on_snapshot`` gets a third argument, float32 ``(rep, layer, 2)``, each layer's
    quantization range [low, high]. With ``spec.prefit`` = ``{epochs: P, label_seed: s}``
    (Lorenzen et al. 2022, App. D) epochs 1..P train on the training labels permuted among the
    training samples (``data.labels.shuffle_train_labels`` with seed s, the labels of a
    dataset's ``shuffle_train_labels: {seed: s}``), epochs P+1..P+E on the true ones, in the
    same optimizer; evaluation (loss, accuracy, snapshots) always uses the true labels.
    ``History`` then spans epochs 0..P+E (``spec.total_epochs``).
    Regularisers, per repetition: ``spec.parseval`` = b > 0 retracts every layer's weights
    towards orthonormal after each update (``nets.regularisation.parseval_retraction_``);
    ``spec.weight_norm`` trains W = g v / ||v|| (``on_weights`` gets the effective W);
    ``spec.dropout`` = p drops hidden outputs in the updates only, never in the evaluation.
    With ``spec.gradient_stats`` true, ``History.gradients`` holds the gradient statistics
    (``train.gradients``) of each snapshot epoch's mini-batches, in sorted snapshot order (the
    weights' parameters: v under weight_norm); other runs compute none.
    With ``spec.conv`` the nets are ``nets.conv.BatchedConvNet``s on x reshaped to
    ``image_shape`` (C, H, W); ``on_weights`` then gets each conv layer's weights in the
    matmul layout ``(rep, C_in*k*k, C_out)`` (``nets.conv``) and its ``(rep, C_out)`` biases.
    """
    spec = Experiment.of(spec)
    seeds = seeds or repetition_seeds(spec.seed, spec.repetitions)
    run = make_engine(spec, x, y, train_mask, seeds, device, engine=engine,
                      image_shape=image_shape, record_samples=record_samples)
    epochs, snapshots = spec.total_epochs, {int(e) for e in snapshot_epochs}
    snapshot_order = {e: i for i, e in enumerate(sorted(snapshots))}
    layers = len(spec.conv) + len(spec.hidden) + 1
    gradients = (np.full((len(seeds), len(snapshots), 3, layers), np.nan)
                 if spec.gradient_stats else None)
    prefit_epochs = spec.prefit.epochs if spec.prefit else 0
    true_labels = np.asarray(y)[train_mask]
    if spec.prefit:
        split = np.where(train_mask, "train", "test")
        shuffled = shuffle_train_labels(np.asarray(y), split, seed=spec.prefit.label_seed)
        run.set_train_labels(shuffled[train_mask])

    def record(epoch: int) -> None:
        if epoch not in snapshots:
            return
        ranges = run.quantization_ranges()
        on_snapshot(epoch, run.snapshot(), *([] if ranges is None else [ranges]))
        if gradients is not None and epoch > 0:
            gradients[:, snapshot_order[epoch]] = run.gradient_norms()
        if on_weights is not None:
            on_weights(epoch, *run.parameters())

    run.evaluate(0, 0 in snapshots)
    record(0)
    for epoch in tqdm(range(1, epochs + 1), desc=spec.name, unit="epoch", mininterval=2.0,
                      disable=not progress):
        if prefit_epochs and epoch == prefit_epochs + 1:
            run.set_train_labels(true_labels)
        run.train_epoch(epoch, epoch in snapshots)
        record(epoch)
    history = run.history_array()  # (epoch, rep, metric, split)
    return History(loss=history[:, :, 0].transpose(1, 0, 2),
                   accuracy=history[:, :, 1].transpose(1, 0, 2), gradients=gradients)
