"""Streaming writers of ``activations.nc`` and ``weights.nc`` (DESIGN.md file contracts).

Snapshots are written one epoch at a time as training produces them, so a paper-scale run
never holds all activations (or weights) in memory, and off the training thread
(``BackgroundWriter``: netCDF releases the GIL while it compresses and writes). Each file is
written beside its target and renamed into place on close (``ibrepro.atomic``): a killed job
leaves no complete-looking file.

Codecs (``CODECS``), chosen by size and speed measured on trained SZT activations
(``benchmarks/codecs.py``; docs/performance.md). A run is written once and read by every
estimate and measure job of it (15-20 on an SZT run at paper scale), and at paper scale its
file is deleted once they are done (``temp()``), so read speed counts many times and size only
for a while. Lossless float32 is stored as it is: zstd level 1 (+ shuffle) saved 8% on
``szt-tanh`` (0.918 of raw) but wrote at 307 MB/s against 634 and read at 412 against 623.
Floats rounded to ``significant_bits`` compress: zstd level 1 with byte shuffle (level 6 saved
another 10% at a quarter of the write speed, which held up the training threads of 12-bit runs).
Integer codes: zstd level 1. blosc's codecs were faster still but fail on an incompressible
chunk (uint8 codes of random data: "Buffer is uncompressible", then an HDF error).
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import netCDF4
import numpy as np
import torch

from ibrepro.atomic import atomic_path
from ibrepro.nets.precision import quantized
from ibrepro.nets.quantize import to_codes

CODECS = {  # netCDF4 createVariable keywords by what is stored
    "lossless": {},
    "rounded": {"compression": "zstd", "complevel": 1, "shuffle": True},
    "codes": {"compression": "zstd", "complevel": 1},
}


class BackgroundWriter:
    """Runs the writes a training loop hands it (``wrap``) on one background thread, in order,
    at most ``pending`` behind; an error there stops the run at the next hand-over or on
    close. The arrays handed over must not change afterwards (the engines' snapshots and
    parameters are fresh copies)."""

    def __init__(self, pending: int = 2):
        self._queue: queue.Queue = queue.Queue(maxsize=pending)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="snapshot-writer", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                fn, args, kwargs = item
                try:
                    fn(*args, **kwargs)
                except BaseException as error:  # re-raised in the training thread
                    self._error = error

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def wrap(self, fn: Callable) -> Callable:
        """``fn`` as a callback that queues its call for the background thread."""
        def submit(*args, **kwargs) -> None:
            self._raise()
            self._queue.put((fn, args, kwargs))
        return submit

    def close(self) -> None:
        """Wait for every queued write; raise the first error of any."""
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is None:
            self.close()
            return
        self._error = self._error or error  # skip what is queued, then stop
        self._queue.put(None)
        self._thread.join()


class _SnapshotWriter:
    """An open netCDF file with one slot per snapshot epoch; knows which slots are written."""

    def __init__(self, dataset: netCDF4.Dataset, epochs: Sequence[int]):
        self._nc = dataset
        self._epoch_index = {int(e): i for i, e in enumerate(epochs)}
        self._written: set[int] = set()

    @classmethod
    @contextlib.contextmanager
    def _open(cls, target: str | Path, repetitions: int, epochs: Sequence[int],
              attrs: dict[str, str]) -> Iterator[_SnapshotWriter]:
        """The file at a temporary path with dims and coords ``rep`` and ``epoch``; renamed to
        ``target`` on success, after checking that every epoch was written."""
        with atomic_path(target) as tmp, netCDF4.Dataset(tmp, "w", format="NETCDF4") as nc:
            for name, size in (("rep", repetitions), ("epoch", len(epochs))):
                nc.createDimension(name, size)
            _put(nc, "rep", ("rep",), np.arange(repetitions))
            _put(nc, "epoch", ("epoch",), np.asarray(epochs, dtype=np.int64))
            nc.setncatts(attrs)
            writer = cls(nc, epochs)
            yield writer
            missing = set(writer._epoch_index) - writer._written
            if missing:
                raise RuntimeError(f"snapshots never written for epochs {sorted(missing)}")

    def annotate(self, attrs: dict[str, str]) -> None:
        """Add global attrs once they are known (e.g. the restarts after training)."""
        self._nc.setncatts(attrs)

    def _slot(self, epoch: int) -> int:
        self._written.add(epoch)
        return self._epoch_index[epoch]


class ActivationWriter(_SnapshotWriter):
    """Writes ``activation(rep, epoch, sample, unit)`` snapshot by snapshot.

    Coordinates: ``rep``, ``epoch`` (the snapshot epochs), ``sample``, ``unit``; on ``unit``,
    ``layer`` (1-based, the last is the output) and ``layer_name``; on ``sample``, the label ``y``
    and the ``split`` ("train"/"test"), so estimators need no second file. With ``samples`` (the
    indices of the dataset's samples to keep, e.g. its validation split) only those are stored,
    and the ``sample`` coordinate holds their dataset indices.

    ``significant_bits`` n rounds the stored float activations to n significand bits (netCDF
    BitRound: relative error <= 2^-(n+1), recorded in the variable's attrs), so the zeroed bits
    compress; None stores them losslessly.

    A quantized net (``bits`` 4 or 8) stores, instead of ``activation``, the integer ``codes(rep,
    epoch, sample, unit)`` (uint8) it computed with, and ``code_low``, ``code_high`` ``(rep,
    epoch, unit)``, its layer's range at that snapshot: the value of code c is
    ``code_low + c * (code_high - code_low) / (2^bits - 1)`` (``nets.quantize.from_codes``;
    attr ``bits``).
    """

    _bits: int | None = None  # quantization bits; None for a float net

    @classmethod
    @contextlib.contextmanager
    def create(cls, target: str | Path, *, repetitions: int, epochs: Sequence[int],
               layer_widths: Sequence[int], layer_names: Sequence[str], labels: np.ndarray,
               split: np.ndarray, attrs: dict[str, str], bits: int | None = None,
               significant_bits: int | None = None,
               samples: np.ndarray | None = None) -> Iterator[ActivationWriter]:
        index = np.arange(len(labels)) if samples is None else np.asarray(samples, np.int64)
        labels, split = np.asarray(labels)[index], np.asarray(split)[index]
        if quantized(bits):
            attrs = {**attrs, "bits": bits}
        with cls._open(target, repetitions, epochs, attrs) as writer:
            writer._bits = bits if quantized(bits) else None
            writer._unit_layer = np.repeat(np.arange(len(layer_widths)), layer_widths)
            nc = writer._nc
            n_units = sum(layer_widths)
            for name, size in (("sample", len(labels)), ("unit", n_units)):
                nc.createDimension(name, size)
            _put(nc, "sample", ("sample",), index)
            _put(nc, "unit", ("unit",), np.arange(n_units))
            _put(nc, "layer", ("unit",), np.repeat(np.arange(1, len(layer_widths) + 1),
                                                   layer_widths))
            _put(nc, "layer_name", ("unit",), np.repeat(np.asarray(layer_names, dtype=object),
                                                        layer_widths))
            _put(nc, "y", ("sample",), np.asarray(labels, dtype=np.int64))
            _put(nc, "split", ("sample",), np.asarray(split, dtype=object))
            dims = ("rep", "epoch", "sample", "unit")
            rounded = bool(significant_bits and not writer._bits)
            rounding = ({"quantize_mode": "BitRound", "significant_digits": significant_bits}
                        if rounded else {})
            codec = CODECS["codes" if writer._bits else "rounded" if rounded else "lossless"]
            variable = nc.createVariable(
                "codes" if writer._bits else "activation", "u1" if writer._bits else "f4", dims,
                chunksizes=(1, 1, len(labels), n_units), **codec, **rounding,
            )
            variable.coordinates = "layer layer_name y split"
            variable.long_name = ("layer output (softmax probabilities for the output layer; "
                                  "the pre-noise S_l of a noisy hidden layer)")
            if writer._bits:
                variable.long_name = f"{bits}-bit quantization level of the layer output"
                for name in ("code_low", "code_high"):
                    nc.createVariable(name, "f4", ("rep", "epoch", "unit")).long_name = (
                        f"{name[5:]} end of the unit's layer range (the value of code "
                        f"{0 if name == 'code_low' else 2**bits - 1})")
            yield writer

    def write(self, epoch: int, activation: np.ndarray, ranges: np.ndarray | None = None, *,
              reps: np.ndarray | slice = slice(None)) -> None:
        """Store the snapshot of ``epoch`` for repetitions ``reps`` (default all):
        ``activation`` is ``(rep, sample, unit)`` float32 of the writer's ``samples``; for a
        quantized net, the level values with ``ranges`` ``(rep, layer, 2)``, each layer's
        [low, high], and codes are stored."""
        slot = self._slot(epoch)
        if not self._bits:
            self._nc["activation"][reps, slot] = activation
            return
        bounds = torch.as_tensor(ranges)[:, self._unit_layer]  # (rep, unit, 2)
        low, high = bounds[..., 0], bounds[..., 1]
        codes = to_codes(torch.as_tensor(activation), low[:, None], high[:, None], self._bits)
        self._nc["codes"][reps, slot] = codes.numpy().astype(np.uint8)
        self._nc["code_low"][reps, slot] = low.numpy()
        self._nc["code_high"][reps, slot] = high.numpy()


class WeightWriter(_SnapshotWriter):
    """Writes ``weight_<l>(rep, epoch, in_<l>, out_<l>)`` and ``bias_<l>(rep, epoch, out_<l>)``
    for layers l = 1..L (L the output) snapshot by snapshot, float32, uncompressed (an SZT
    net has 294 parameters: 50 reps x 280 snapshots is 16 MB).

    Layer l maps T_{l-1} (T_0 = x) to S_l = act_l(T_{l-1} W_l + b_l); attrs ``activations``
    (JSON list of the hidden activations; the output is softmax) and ``noise_std`` (beta of
    the N(0, beta^2) noise added to each hidden S_l) say how to re-propagate inputs.
    A conv net's file also has attrs ``conv`` (JSON list of its conv layers' ``{channels,
    kernel, pool}``) and ``image_shape`` (JSON [C, H, W]); its conv layer l's weight is in the
    matmul layout of ``nets.conv``: in_l = C_in*k*k (input channel, kernel row, kernel column),
    out_l = C_out, and bias_l per output channel.
    """

    @classmethod
    @contextlib.contextmanager
    def create(cls, target: str | Path, *, repetitions: int, epochs: Sequence[int],
               shapes: Iterable[tuple[int, int]], activations: Sequence[str],
               noise_std: float, attrs: dict[str, str],
               conv: dict | None = None) -> Iterator[WeightWriter]:
        """shapes: each layer's (fan_in, fan_out), input to output, e.g. (12, 10), (10, 7), ...;
        conv: ``{"conv": [...], "image_shape": (C, H, W)}`` for a conv net."""
        attrs = {**attrs, "activations": json.dumps(list(activations)),
                 "noise_std": float(noise_std),
                 **{key: json.dumps(list(value)) for key, value in (conv or {}).items()}}
        with cls._open(target, repetitions, epochs, attrs) as writer:
            nc = writer._nc
            for layer, (fan_in, fan_out) in enumerate(shapes, 1):
                nc.createDimension(f"in_{layer}", fan_in)
                nc.createDimension(f"out_{layer}", fan_out)
                nc.createVariable(f"weight_{layer}", "f4",
                                  ("rep", "epoch", f"in_{layer}", f"out_{layer}"))
                nc.createVariable(f"bias_{layer}", "f4", ("rep", "epoch", f"out_{layer}"))
            yield writer

    def write(self, epoch: int, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray],
              *, reps: np.ndarray | slice = slice(None)) -> None:
        """Store ``epoch``'s parameters of repetitions ``reps`` (default all): per layer
        ``(rep, in, out)`` and ``(rep, out)``."""
        slot = self._slot(epoch)
        for layer, (w, b) in enumerate(zip(weights, biases, strict=True), 1):
            self._nc[f"weight_{layer}"][reps, slot] = w
            self._nc[f"bias_{layer}"][reps, slot] = b


def _put(nc: netCDF4.Dataset, name: str, dims: tuple[str, ...], values: np.ndarray) -> None:
    dtype = str if values.dtype == object else values.dtype
    nc.createVariable(name, dtype, dims)[:] = values
