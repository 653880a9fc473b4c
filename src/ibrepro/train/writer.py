"""Streaming writer of ``activations.nc`` (DESIGN.md file contract).

Snapshots are written one epoch at a time as training produces them, so a paper-scale run
never holds all activations in memory. The file is written beside its target and renamed into
place on close (``ibrepro.atomic``): a killed job leaves no complete-looking file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import netCDF4
import numpy as np

from ibrepro.atomic import atomic_path


class ActivationWriter:
    """Writes ``activation(rep, epoch, sample, unit)`` snapshot by snapshot.

    Coordinates: ``rep``, ``epoch`` (the snapshot epochs), ``sample``, ``unit``; on ``unit``,
    ``layer`` (1-based, the last is the output) and ``layer_name``; on ``sample``, the label ``y``
    and the ``split`` ("train"/"test"), so estimators need no second file.
    """

    def __init__(self, dataset: netCDF4.Dataset, epochs: Sequence[int]):
        self._nc = dataset
        self._epoch_index = {int(e): i for i, e in enumerate(epochs)}
        self._written: set[int] = set()

    @classmethod
    @contextlib.contextmanager
    def create(cls, target: str | Path, *, repetitions: int, epochs: Sequence[int],
               layer_widths: Sequence[int], layer_names: Sequence[str], labels: np.ndarray,
               split: np.ndarray, attrs: dict[str, str]) -> Iterator[ActivationWriter]:
        with atomic_path(target) as tmp, netCDF4.Dataset(tmp, "w", format="NETCDF4") as nc:
            n_units = sum(layer_widths)
            for name, size in (("rep", repetitions), ("epoch", len(epochs)),
                               ("sample", len(labels)), ("unit", n_units)):
                nc.createDimension(name, size)
            _put(nc, "rep", ("rep",), np.arange(repetitions))
            _put(nc, "epoch", ("epoch",), np.asarray(epochs, dtype=np.int64))
            _put(nc, "sample", ("sample",), np.arange(len(labels)))
            _put(nc, "unit", ("unit",), np.arange(n_units))
            _put(nc, "layer", ("unit",), np.repeat(np.arange(1, len(layer_widths) + 1),
                                                   layer_widths))
            _put(nc, "layer_name", ("unit",), np.repeat(np.asarray(layer_names, dtype=object),
                                                        layer_widths))
            _put(nc, "y", ("sample",), np.asarray(labels, dtype=np.int64))
            _put(nc, "split", ("sample",), np.asarray(split, dtype=object))
            variable = nc.createVariable(
                "activation", "f4", ("rep", "epoch", "sample", "unit"), zlib=True, complevel=1,
                shuffle=True, chunksizes=(1, 1, len(labels), n_units),
            )
            variable.coordinates = "layer layer_name y split"
            variable.long_name = "layer output (softmax probabilities for the output layer)"
            nc.setncatts(attrs)
            writer = cls(nc, epochs)
            yield writer
            missing = set(writer._epoch_index) - writer._written
            if missing:
                raise RuntimeError(f"snapshots never written for epochs {sorted(missing)}")

    def write(self, epoch: int, activation: np.ndarray) -> None:
        """Store the snapshot of ``epoch``: ``activation`` is ``(rep, sample, unit)`` float32."""
        self._nc["activation"][:, self._epoch_index[epoch]] = activation
        self._written.add(epoch)


def _put(nc: netCDF4.Dataset, name: str, dims: tuple[str, ...], values: np.ndarray) -> None:
    dtype = str if values.dtype == object else values.dtype
    nc.createVariable(name, dtype, dims)[:] = values
