"""Run one configured experiment and write its files (DESIGN.md file contracts)."""

from __future__ import annotations

import dataclasses
import json
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

import numpy as np
import xarray as xr

from ibrepro.atomic import write_netcdf
from ibrepro.nets.conv import parameter_shapes
from ibrepro.provenance import provenance_attrs, sha256_file
from ibrepro.spec import Experiment
from ibrepro.train.engine_torch import pin_float32
from ibrepro.train.gradients import STATISTICS
from ibrepro.train.loop import SPLITS, layer_widths, resolve_device
from ibrepro.train.restart import train_with_restarts
from ibrepro.train.schedule import recorded_epochs
from ibrepro.train.single_neuron import train_neuron
from ibrepro.train.writer import ActivationWriter, BackgroundWriter, WeightWriter


class TrainingInputs(NamedTuple):
    """What a run reads from its dataset file."""

    x: np.ndarray  # [sample, feature] (images flattened)
    y: np.ndarray  # [sample] class labels
    split: np.ndarray  # [sample] "train" or "test"
    image_shape: list[int] | None  # [C, H, W] of image datasets, else None
    record_samples: np.ndarray | None  # indices of the samples recorded; None = all

    @classmethod
    def of(cls, data: xr.Dataset, spec: Experiment) -> TrainingInputs:
        split = data["split"].values.astype(str)
        return cls(data["x"].values, data["y"].values, split,
                   json.loads(data.attrs.get("image_shape", "null")),
                   np.flatnonzero(split == spec.record_split) if spec.record_split else None)


def layer_names(spec: Experiment | dict) -> list[str]:
    """Display names of the recorded layers: ``"tanh 1"``, ..., ``"softmax"``; conv layers are
    ``"conv 1"``, ... (then e.g. ``"relu 3"``)."""
    spec = Experiment.of(spec)
    return [f"{'conv' if i <= len(spec.conv) else name} {i}"
            for i, name in enumerate(spec.activations, 1)] + ["softmax"]


def run_experiment(spec: Experiment | dict, dataset_path: str | Path, activations_path: str | Path,
                   metrics_path: str | Path, weights_path: str | Path, *,
                   device: str = "auto", progress: bool = True) -> None:
    """Train the experiment ``spec`` (resolved, see ``ibrepro.config``) on its dataset file.

    Writes ``activations.nc`` (at ``schedule.recorded_epochs``; only the samples of split
    ``spec.record_split`` if given) and ``weights.nc`` while training (streamed by a
    background thread, atomic),
    then ``metrics.nc``; all carry the provenance attrs (spec, code version, torch version,
    device, dataset checksum); with ``spec.gradient_stats`` metrics.nc also holds the
    gradient statistics of the snapshot epochs (``gradient_statistics``). Under a bad-fit policy
    (``train.restart``) all three also carry ``restarts`` and ``seed_index``, JSON lists with
    one entry per repetition.
    """
    spec = Experiment.of(spec)
    x, y, split, image_shape, samples = TrainingInputs.of(xr.load_dataset(dataset_path), spec)
    torch_device = resolve_device(device)
    precision = "IEEE float32"
    if torch_device.type == "cuda":
        precision += f" ({json.dumps(pin_float32())})"
    attrs = provenance_attrs(
        spec=spec.to_dict(), inputs={"dataset": dataset_path}, experiment=spec.name,
        device=str(torch_device), dataset_sha256=sha256_file(dataset_path),
        float_precision=precision,
    )
    epochs = recorded_epochs(spec.total_epochs, snapshots=spec.snapshots,
                             record_epochs=spec.record_epochs)
    neuron = spec.trainer == "single-neuron"  # the neuron is its only (noisy) layer
    widths = list(spec.hidden) if neuron else layer_widths(spec, int(y.max()) + 1, image_shape)
    conv = [dataclasses.asdict(layer) for layer in spec.conv]
    shapes = (parameter_shapes(image_shape, conv, spec.hidden, widths[-1])
              if conv else pairwise([x.shape[1], *widths]))
    with ActivationWriter.create(
        activations_path, repetitions=spec.repetitions, epochs=epochs,
        layer_widths=widths, layer_names=layer_names(spec)[:len(widths)],
        labels=y, split=split, attrs=attrs, bits=spec.bits,
        significant_bits=spec.significant_bits, samples=samples,
    ) as writer, WeightWriter.create(
        weights_path, repetitions=spec.repetitions, epochs=epochs,
        shapes=shapes, activations=spec.activations, noise_std=spec.noise_std, attrs=attrs,
        conv={"conv": conv, "image_shape": image_shape} if conv else None,
    ) as weights:
        with BackgroundWriter() as background:  # writes beside training, in order
            callbacks = dict(on_snapshot=background.wrap(writer.write),
                             on_weights=background.wrap(weights.write))
            if neuron:
                history = train_neuron(spec, x, y, split == "train", snapshot_epochs=epochs,
                                       device=torch_device, progress=progress, **callbacks)
            else:
                history, restarts, seed_index = train_with_restarts(
                    spec, x, y, split == "train", snapshot_epochs=epochs, device=torch_device,
                    progress=progress, image_shape=image_shape, record_samples=samples,
                    **callbacks)
        if spec.bad_fit:
            attrs = {**attrs, "restarts": json.dumps(restarts.tolist()),
                     "seed_index": json.dumps(seed_index.tolist())}
            writer.annotate(attrs)
            weights.annotate(attrs)
    coords = {"rep": np.arange(spec.repetitions), "epoch": np.arange(spec.total_epochs + 1),
              "split": list(SPLITS)}
    dims = ("rep", "epoch", "split")
    metrics = xr.Dataset(
        {
            "loss": (dims, history.loss, {"long_name": "mean squared error" if neuron else
                                          "mean cross-entropy", "units": "" if neuron else "nats"}),
            "accuracy": (dims, history.accuracy, {"long_name": "fraction correct"}),
        },
        coords=coords, attrs=attrs,
    )
    if history.gradients is not None:
        metrics = metrics.merge(gradient_statistics(history.gradients, epochs))
    write_netcdf(metrics, metrics_path)


def gradient_statistics(gradients: np.ndarray, epochs: np.ndarray) -> xr.Dataset:
    """``History.gradients`` ``(rep, snapshot, statistic, layer)`` as metrics.nc variables
    ``(rep, snapshot_epoch, layer)``, one per ``train.gradients.STATISTICS`` (layer 1-based,
    the last the output; NaN at epoch 0, before any update)."""
    coords = {"snapshot_epoch": np.asarray(epochs), "layer": np.arange(1, gradients.shape[-1] + 1)}
    dims = ("rep", "snapshot_epoch", "layer")
    return xr.Dataset({name: (dims, gradients[:, :, i], {"long_name": description})
                       for i, (name, description) in enumerate(STATISTICS.items())},
                      coords=coords)
