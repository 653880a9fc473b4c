"""Apply one configured estimator or measure to an ``activations.nc`` file.

Streams the activations one repetition and a block of epochs at a time (never the whole file,
:func:`blocks`). An estimator runs on each layer's units on the chosen device and gives
``mi/<exp>/<name>.nc``: ``I_XT(rep, epoch, layer)`` and ``I_TY(rep, epoch, layer)`` (plus the
estimator's declared ``outputs``) with units, parameters and provenance. An estimator that needs
an observed range spanning epochs (``Estimator.observed_range``) gets it from a first streaming
pass over each repetition. A measure (``estimators.measures``) gives its own variables in
``measures/<exp>/<name>.nc``, with the same provenance.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from ibrepro.atomic import write_netcdf
from ibrepro.estimators import measures
from ibrepro.estimators.baseline import permuted_labels, split_shuffle
from ibrepro.estimators.registry import Estimator, get, validate_params
from ibrepro.nets.mlp import Network
from ibrepro.provenance import provenance_attrs
from ibrepro.train.loop import resolve_device

BLOCK_BYTES = 256 << 20  # activations loaded per block
SCOPES = ("layer", "global")  # the observed ranges a first pass supplies


def observed_range(values: xr.DataArray, unit_layer: np.ndarray, layers: np.ndarray, step: int,
                   scope: str) -> np.ndarray:
    """``(layer, 2)``: the min and max of each layer's units over all epochs of one repetition's
    ``values(epoch, sample, unit)``, read ``step`` epochs at a time; for scope ``global`` the min
    and max over all layers as well, repeated for each layer."""
    if scope not in SCOPES:
        raise ValueError(f"observed range scope must be one of {SCOPES}, got {scope!r}")
    unit_low = np.full(values.sizes["unit"], np.inf)
    unit_high = -unit_low
    for start in range(0, values.sizes["epoch"], step):
        block = values[start:start + step].values  # (epoch, sample, unit)
        unit_low = np.minimum(unit_low, block.min(axis=(0, 1)))
        unit_high = np.maximum(unit_high, block.max(axis=(0, 1)))
    ranges = np.array([(unit_low[unit_layer == layer].min(), unit_high[unit_layer == layer].max())
                       for layer in layers])
    if scope == "global":
        ranges[:] = ranges[:, 0].min(), ranges[:, 1].max()
    return ranges


def layer_params(estimator: Estimator, params: dict, values: xr.DataArray,
                 unit_layer: np.ndarray, layers: np.ndarray, step: int) -> list[dict]:
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


def blocks(acts: xr.Dataset, variable: str, device: torch.device,
           epochs: np.ndarray | None = None) -> Iterator[tuple[int, slice, torch.Tensor]]:
    """``(rep, where, block)`` over an open activations file, ``BLOCK_BYTES`` at a time.

    block: ``acts[variable]`` of one repetition, ``(epoch, sample, unit)`` on ``device``, for
    the epochs ``where`` (a slice of ``epochs``, the epoch positions to read; default all).
    """
    positions = np.arange(acts.sizes["epoch"]) if epochs is None else np.asarray(epochs)
    step = epoch_step(acts)
    for rep in range(acts.sizes["rep"]):
        for start in range(0, len(positions), step):
            where = slice(start, start + step)
            read = where if epochs is None else positions[where]  # a slice reads contiguously
            yield rep, where, torch.as_tensor(acts[variable][rep, read].values, device=device)


def layer_coords(acts: xr.Dataset) -> tuple[np.ndarray, dict]:
    """``(unit_layer, coords)``: the layer of each unit, and the ``layer`` and ``layer_name``
    coordinates (one per layer) of outputs with a ``layer`` dimension."""
    unit_layer = acts["layer"].values
    layers = np.unique(unit_layer)
    names = [str(acts["layer_name"].values[unit_layer == layer][0]) for layer in layers]
    return unit_layer, {"layer": layers, "layer_name": ("layer", names)}


def _network(weights: xr.Dataset, rep: int, epochs: slice, device: torch.device) -> Network:
    """One repetition's parameters at a block of snapshot epochs, from ``weights.nc``."""
    activations = json.loads(weights.attrs["activations"])
    # hidden layers and the output, if any (a single-neuron run has only its noisy neuron)
    layers = range(1, sum(name.startswith("weight_") for name in weights.data_vars) + 1)
    return Network(
        [torch.as_tensor(weights[f"weight_{k}"][rep, epochs].values, device=device)
         for k in layers],
        [torch.as_tensor(weights[f"bias_{k}"][rep, epochs].values, device=device)[..., None, :]
         for k in layers],
        activations, float(weights.attrs["noise_std"]))


def estimate_file(spec: dict, activations_path: str | Path, out_path: str | Path, *,
                  device: str = "auto", weights_path: str | Path | None = None) -> None:
    """Estimate I(X;T) and I(T;Y) for every layer, repetition and epoch of one run.

    spec: ``{"name", "method", "params"}`` of a configured estimator (``ibrepro.config``). With
    ``shuffle_labels_seed`` in its params, I(T;Y) is against permuted labels (the baseline).
    Estimators that need integer ``codes`` (quantized runs) read that variable, not
    ``activation``. Estimators that need ``weights`` (``weights_path``, the run's weights.nc)
    get every layer of a block at once plus the block's ``network`` and return ``(epoch,
    layer)`` estimates.
    """
    estimator = get(spec["method"])
    params, shuffle_seed = split_shuffle(validate_params(spec["method"], spec["params"]))
    variable = "codes" if "codes" in estimator.needs else "activation"
    torch_device = resolve_device(device)
    if "weights" in estimator.needs and weights_path is None:
        raise ValueError(f"estimator {spec['name']} ({spec['method']}) needs the run's weights.nc")
    with (xr.open_dataset(activations_path, mask_and_scale=False) as acts,
          xr.open_dataset(weights_path) if weights_path else contextlib.nullcontext() as weights):
        if variable not in acts:
            raise ValueError(f"estimator {spec['name']} ({spec['method']}) needs {variable!r}, "
                             f"which {activations_path} does not have")
        labels = torch.as_tensor(acts["y"].values, device=torch_device)
        if shuffle_seed is not None:
            labels = permuted_labels(labels, shuffle_seed)
        unit_layer, coords = layer_coords(acts)
        layers = coords["layer"]
        shape = (acts.sizes["rep"], acts.sizes["epoch"], len(layers))
        i_xt, i_ty = np.empty(shape), np.empty(shape)
        outputs = {name: np.empty(shape) for name in estimator.outputs}
        per_rep = [layer_params(estimator, params, acts[variable][rep], unit_layer, layers,
                                epoch_step(acts)) for rep in range(acts.sizes["rep"])]
        for rep, where, block in blocks(acts, variable, torch_device):
            if "weights" in estimator.needs:  # every layer at once, with the block's network
                mi = estimator.fn([block[..., unit_layer == layer] for layer in layers], labels,
                                  network=_network(weights, rep, where, torch_device), **params)
                i_xt[rep, where], i_ty[rep, where] = mi.I_XT.cpu(), mi.I_TY.cpu()
                continue
            for k, layer in enumerate(layers):
                mi = estimator.fn(block[..., unit_layer == layer], labels, **per_rep[rep][k])
                i_xt[rep, where, k] = mi.I_XT.cpu().numpy()
                i_ty[rep, where, k] = mi.I_TY.cpu().numpy()
                for name, values in outputs.items():
                    values[rep, where, k] = getattr(mi, name).cpu().numpy()
        coords = {"rep": acts["rep"].values, "epoch": acts["epoch"].values, **coords}
        experiment = acts.attrs.get("experiment", "")
    dims = ("rep", "epoch", "layer")
    units = estimator.units
    result = xr.Dataset(
        {
            "I_XT": (dims, i_xt, {"long_name": "I(X;T)", "units": units}),
            "I_TY": (dims, i_ty, {"long_name": "I(T;Y)", "units": units}),
            **{name: (dims, values, dict(estimator.outputs[name]))
               for name, values in outputs.items()},
        },
        coords=coords,
        attrs=provenance_attrs(
            spec=spec, units=units,
            inputs={"activations": activations_path,
                    **({"weights": weights_path} if weights_path else {})},
            estimator=spec["name"], method=spec["method"], params=json.dumps(spec["params"]),
            experiment=experiment, device=str(torch_device), reference=estimator.reference,
        ),
    )
    write_netcdf(result, out_path)


def apply_measure(spec: dict, activations_path: str | Path, out_path: str | Path, *,
                  device: str = "auto") -> None:
    """Compute one configured measure (``{"name", "method", "params"}``) of one run and write
    its variables (each with its ``units`` attr) and provenance to ``out_path``."""
    measure = measures.get(spec["method"])
    torch_device = resolve_device(device)
    with xr.open_dataset(activations_path, mask_and_scale=False) as acts:
        params = measures.validate_params(spec["method"], spec["params"])
        result = measure.fn(acts, torch_device, **params)
        experiment = acts.attrs.get("experiment", "")
    result.attrs.update(provenance_attrs(
        spec=spec, inputs={"activations": activations_path}, measure=spec["name"],
        method=spec["method"], params=json.dumps(spec["params"]), experiment=experiment,
        device=str(torch_device), reference=measure.reference,
    ))
    write_netcdf(result, out_path)
