"""Apply one configured estimator or measure to an ``activations.nc`` file.

Streams the activations one repetition and a block of epochs at a time (never the whole file,
:func:`blocks`). An estimator runs on each layer's units and gives ``mi/<exp>/<name>.nc``:
``I_XT(rep, epoch, layer)`` and ``I_TY(rep, epoch, layer)`` (plus the estimator's declared
``outputs``) with units, parameters and provenance. An estimator that needs an observed range
spanning epochs (``Estimator.observed_range``) gets it from a first pass over each repetition
(from the block in memory when the repetition is one block). A measure
(``estimators.measures``) gives its own variables in ``measures/<exp>/<name>.nc``, with the
same provenance.

On the CPU, blocks are numpy arrays and the estimators' numba kernels run without torch;
``workers`` > 1 processes split the repetitions, each reading (decompressing) and estimating its
own, which is what parallelises zlib: a paper-scale SZT repetition is 280 chunks of 0.5 MB.
Inputs below ``SMALL_INPUT_BYTES`` (quick scale) take one process: a worker's start costs more
than its share of the work.
On CUDA, blocks become tensors on the GPU and torch is imported.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xarray as xr

from ibrepro.atomic import write_netcdf
from ibrepro.device import resolve
from ibrepro.estimators import measures
from ibrepro.estimators.baseline import permuted_labels, split_shuffle
from ibrepro.estimators.mi import is_tensor
from ibrepro.estimators.registry import Estimator, get, validate_params
from ibrepro.estimators.sample_propagation import Snapshots
from ibrepro.provenance import provenance_attrs

BLOCK_BYTES = 256 << 20  # activations loaded per block
SCOPES = ("layer", "global")  # the observed ranges a first pass supplies


def observed_range(values, unit_layer: np.ndarray, layers: np.ndarray, step: int,
                   scope: str) -> np.ndarray:
    """``(layer, 2)``: the min and max of each layer's units over all epochs of one repetition's
    ``values(epoch, sample, unit)`` (an array, or a lazy ``xr.DataArray``), read ``step``
    epochs at a time; for scope ``global`` the min and max over all layers as well, repeated
    for each layer."""
    if scope not in SCOPES:
        raise ValueError(f"observed range scope must be one of {SCOPES}, got {scope!r}")
    unit_low = np.full(values.shape[-1], np.inf)
    unit_high = -unit_low
    for start in range(0, values.shape[0], step):
        block = np.asarray(values[start:start + step])  # (epoch, sample, unit)
        unit_low = np.minimum(unit_low, block.min(axis=(0, 1)))
        unit_high = np.maximum(unit_high, block.max(axis=(0, 1)))
    ranges = np.array([(unit_low[unit_layer == layer].min(), unit_high[unit_layer == layer].max())
                       for layer in layers])
    if scope == "global":
        ranges[:] = ranges[:, 0].min(), ranges[:, 1].max()
    return ranges


def layer_params(estimator: Estimator, params: dict, values, unit_layer: np.ndarray,
                 layers: np.ndarray, step: int) -> list[dict]:
    """Each layer's parameters for one repetition's ``values(epoch, sample, unit)``: ``params``,
    plus the observed ``low`` and ``high`` of a first pass if the estimator declares one."""
    scope = estimator.observed_range(params) if estimator.observed_range else None
    if scope is None:
        return [params] * len(layers)
    return [{**params, "low": float(low), "high": float(high)}
            for low, high in observed_range(values, unit_layer, layers, step, scope)]


def epoch_step(acts: xr.Dataset) -> int:
    """Epochs per block: ``BLOCK_BYTES`` of one repetition's activations (float32)."""
    return max(1, BLOCK_BYTES // (acts.sizes["sample"] * acts.sizes["unit"] * 4))


def on_device(array: np.ndarray, device: str):
    """``array`` as it computes on ``device``: itself on the CPU, a tensor on CUDA."""
    if device == "cpu":
        return array
    import torch

    return torch.as_tensor(array, device=device)


def as_numpy(array) -> np.ndarray:
    """An estimator's result (array or tensor) as a numpy array."""
    return array.cpu().numpy() if is_tensor(array) else np.asarray(array)


def rep_blocks(values, step: int, device: str,
               positions: np.ndarray | None = None) -> Iterator[tuple[slice, object]]:
    """``(where, block)`` over one repetition's ``values(epoch, sample, unit)``, ``step`` epochs
    at a time: ``block`` the epochs ``where`` (a slice of ``positions``, the epoch positions to
    read; default all) on ``device``."""
    count = values.shape[0] if positions is None else len(positions)
    for start in range(0, count, step):
        where = slice(start, start + step)
        read = where if positions is None else positions[where]  # a slice reads contiguously
        yield where, on_device(np.asarray(values[read]), device)


def blocks(acts: xr.Dataset, variable: str, device: str,
           epochs: np.ndarray | None = None) -> Iterator[tuple[int, slice, object]]:
    """``(rep, where, block)`` over an open activations file, ``BLOCK_BYTES`` at a time.

    block: ``acts[variable]`` of one repetition, ``(epoch, sample, unit)`` on ``device`` (a
    numpy array on the CPU), for the epochs ``where`` (a slice of ``epochs``, the epoch
    positions to read; default all).
    """
    for rep in range(acts.sizes["rep"]):
        for where, block in rep_blocks(acts[variable][rep], epoch_step(acts), device, epochs):
            yield rep, where, block


def layer_coords(acts: xr.Dataset) -> tuple[np.ndarray, dict]:
    """``(unit_layer, coords)``: the layer of each unit, and the ``layer`` and ``layer_name``
    coordinates (one per layer) of outputs with a ``layer`` dimension."""
    unit_layer = acts["layer"].values
    layers = np.unique(unit_layer)
    names = [str(acts["layer_name"].values[unit_layer == layer][0]) for layer in layers]
    return unit_layer, {"layer": layers, "layer_name": ("layer", names)}


def layer_units(unit_layer: np.ndarray, layer: int) -> slice | np.ndarray:
    """Index of ``layer``'s units on the unit axis: a slice (a view, no copy) when they are
    contiguous, as training writes them, else a boolean mask."""
    where = np.flatnonzero(unit_layer == layer)
    if len(where) and where[-1] - where[0] + 1 == len(where):
        return slice(int(where[0]), int(where[-1]) + 1)
    return unit_layer == layer


def estimate_layers(estimator: Estimator, acts, labels, units: Sequence,
                    params: Mapping | Sequence[Mapping], *,
                    network: Snapshots | None = None) -> dict[str, np.ndarray]:
    """Every result variable of ``estimator`` (``I_XT``, ``I_TY``, then its ``outputs``) for
    each layer of one block of activations, as numpy arrays ``(..., layer)``.

    acts: ``(..., sample, unit)`` (numpy, or a tensor), e.g. one repetition's epochs or one
    epoch's repetitions; labels: ``(sample,)`` alike; units: each layer's index on the unit
    axis (:func:`layer_units`, or slices); params: the estimator's parameters, one mapping for
    every layer or one per layer (e.g. :func:`layer_params`' observed ranges). An estimator
    that needs ``weights`` gets every layer in one call with ``network``, the block's
    parameters (:class:`~ibrepro.estimators.sample_propagation.Snapshots`), and returns
    ``(..., layer)`` itself; the others run on each layer's units in turn. The estimate rule
    (:func:`estimate_file`) and rip's pruning loop (``train.pruning``) both estimate so.
    """
    names = ("I_XT", "I_TY", *estimator.outputs)
    per_layer = [params] * len(units) if isinstance(params, Mapping) else list(params)
    if len(per_layer) != len(units):
        raise ValueError(f"{len(units)} layers but {len(per_layer)} sets of parameters")
    if "weights" in estimator.needs:
        if network is None:
            raise ValueError(f"estimator {estimator.method!r} needs the network's weights")
        if any(p != per_layer[0] for p in per_layer):
            raise ValueError(f"estimator {estimator.method!r} estimates every layer at once: "
                             "it takes one set of parameters")
        mi = estimator.fn([acts[..., u] for u in units], labels, network=network,
                          **per_layer[0])
        return {name: as_numpy(getattr(mi, name)) for name in names}
    layers = [estimator.fn(acts[..., u], labels, **p)
              for u, p in zip(units, per_layer, strict=True)]
    return {name: np.stack([as_numpy(getattr(mi, name)) for mi in layers], axis=-1)
            for name in names}


def network_snapshots(weights: xr.Dataset, rep: int, epochs: slice, device: str) -> Snapshots:
    """One repetition's parameters at a block of snapshot epochs, from ``weights.nc``."""
    activations = json.loads(weights.attrs["activations"])
    # hidden layers and the output, if any (a single-neuron run has only its noisy neuron)
    layers = range(1, sum(name.startswith("weight_") for name in weights.data_vars) + 1)
    return Snapshots(
        [on_device(weights[f"weight_{k}"][rep, epochs].values, device) for k in layers],
        [on_device(weights[f"bias_{k}"][rep, epochs].values[..., None, :], device)
         for k in layers],
        activations, float(weights.attrs["noise_std"]))


@dataclass(frozen=True)
class _Job:
    """One estimate, as each worker process needs it (picklable)."""

    spec: dict
    activations: str
    weights: str | None
    device: str
    nbytes: int  # the values it reads, uncompressed


def _rep_estimates(job: _Job, rep: int) -> dict[str, np.ndarray]:
    """Every result variable (``I_XT``, ``I_TY``, the outputs) of repetition ``rep``, each
    ``(epoch, layer)``."""
    estimator = get(job.spec["method"])
    params, shuffle_seed = split_shuffle(validate_params(job.spec["method"], job.spec["params"]))
    variable = "codes" if "codes" in estimator.needs else "activation"
    with (xr.open_dataset(job.activations, mask_and_scale=False) as acts,
          xr.open_dataset(job.weights) if job.weights else contextlib.nullcontext() as weights):
        labels = acts["y"].values
        if shuffle_seed is not None:
            labels = permuted_labels(labels, shuffle_seed)
        labels = on_device(labels, job.device)
        unit_layer, coords = layer_coords(acts)
        layers = coords["layer"]
        values, step = acts[variable][rep], epoch_step(acts)
        results = {name: np.empty((acts.sizes["epoch"], len(layers)))
                   for name in ("I_XT", "I_TY", *estimator.outputs)}
        chunks = rep_blocks(values, step, job.device)
        if step >= acts.sizes["epoch"]:  # one block: read it once, first pass included
            chunks = list(chunks)
            values = as_numpy(chunks[0][1])
        per_layer = layer_params(estimator, params, values, unit_layer, layers, step)
        units = [layer_units(unit_layer, layer) for layer in layers]
        for where, block in chunks:
            network = (network_snapshots(weights, rep, where, job.device)
                       if "weights" in estimator.needs else None)
            estimates = estimate_layers(estimator, block, labels, units, per_layer,
                                        network=network)
            for name, value in estimates.items():
                results[name][where] = value
    return results


# values read (uncompressed bytes) below which one process estimates every repetition: each
# forked worker loads the estimator's numba kernels again (~0.5 s of CPU), more than a quick-scale
# file's whole estimate takes
SMALL_INPUT_BYTES = 64 << 20


def _map_reps(job: _Job, reps: int, workers: int) -> list[dict[str, np.ndarray]]:
    """:func:`_rep_estimates` of every repetition, in ``workers`` processes on the CPU."""
    workers = min(workers, reps) if job.device == "cpu" and job.nbytes >= SMALL_INPUT_BYTES else 1
    if workers <= 1:
        return [_rep_estimates(job, rep) for rep in range(reps)]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(_rep_estimates, [job] * reps, range(reps)))


def estimate_file(spec: dict, activations_path: str | Path, out_path: str | Path, *,
                  device: str = "auto", weights_path: str | Path | None = None,
                  workers: int = 1) -> None:
    """Estimate I(X;T) and I(T;Y) for every layer, repetition and epoch of one run.

    spec: ``{"name", "method", "params"}`` of a configured estimator (``ibrepro.config``). With
    ``shuffle_labels_seed`` in its params, I(T;Y) is against permuted labels (the baseline).
    Estimators that need integer ``codes`` (quantized runs) read that variable, not
    ``activation``. Estimators that need ``weights`` (``weights_path``, the run's weights.nc)
    get every layer of a block at once plus the block's ``network`` and return ``(epoch,
    layer)`` estimates. ``workers``: processes sharing the repetitions on the CPU.
    """
    estimator = get(spec["method"])
    validate_params(spec["method"], spec["params"])
    variable = "codes" if "codes" in estimator.needs else "activation"
    device = resolve(device)
    if "weights" in estimator.needs and weights_path is None:
        raise ValueError(f"estimator {spec['name']} ({spec['method']}) needs the run's weights.nc")
    with xr.open_dataset(activations_path, mask_and_scale=False) as acts:
        if variable not in acts:
            raise ValueError(f"estimator {spec['name']} ({spec['method']}) needs {variable!r}, "
                             f"which {activations_path} does not have")
        _, coords = layer_coords(acts)
        coords = {"rep": acts["rep"].values, "epoch": acts["epoch"].values, **coords}
        experiment = acts.attrs.get("experiment", "")
        nbytes = acts[variable].size * acts[variable].dtype.itemsize
    job = _Job(spec, str(activations_path), str(weights_path) if weights_path else None, device,
               nbytes)
    per_rep = _map_reps(job, len(coords["rep"]), workers)
    dims = ("rep", "epoch", "layer")
    units = estimator.units
    attrs = {"I_XT": {"long_name": "I(X;T)", "units": units},
             "I_TY": {"long_name": "I(T;Y)", "units": units},
             **{name: dict(estimator.outputs[name]) for name in estimator.outputs}}
    result = xr.Dataset(
        {name: (dims, np.stack([rep[name] for rep in per_rep]), attrs[name]) for name in attrs},
        coords=coords,
        attrs=provenance_attrs(
            spec=spec, units=units,
            inputs={"activations": activations_path,
                    **({"weights": weights_path} if weights_path else {})},
            estimator=spec["name"], method=spec["method"], params=json.dumps(spec["params"]),
            experiment=experiment, device=device, reference=estimator.reference,
        ),
    )
    write_netcdf(result, out_path)


def apply_measure(spec: dict, activations_path: str | Path, out_path: str | Path, *,
                  device: str = "auto") -> None:
    """Compute one configured measure (``{"name", "method", "params"}``) of one run and write
    its variables (each with its ``units`` attr) and provenance to ``out_path``."""
    measure = measures.get(spec["method"])
    device = resolve(device)
    with xr.open_dataset(activations_path, mask_and_scale=False) as acts:
        params = measures.validate_params(spec["method"], spec["params"])
        result = measure.fn(acts, device, **params)
        experiment = acts.attrs.get("experiment", "")
    result.attrs.update(provenance_attrs(
        spec=spec, inputs={"activations": activations_path}, measure=spec["name"],
        method=spec["method"], params=json.dumps(spec["params"]), experiment=experiment,
        device=device, reference=measure.reference,
    ))
    write_netcdf(result, out_path)
