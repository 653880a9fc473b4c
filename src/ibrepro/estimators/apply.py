"""Apply one configured estimator to an ``activations.nc`` file → ``mi/<exp>/<name>.nc``.

Streams the activations one repetition and a block of epochs at a time (never the whole file),
runs the estimator on each layer's units on the chosen device, and writes ``I_XT(rep, epoch,
layer)`` and ``I_TY(rep, epoch, layer)`` (plus the estimator's declared ``outputs``) with units,
parameters and provenance. An estimator that needs an observed range spanning epochs
(``Estimator.observed_range``) gets it from a first streaming pass over each repetition.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from ibrepro.atomic import write_netcdf
from ibrepro.estimators.baseline import permuted_labels, split_shuffle
from ibrepro.estimators.registry import Estimator, get, validate_params
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


def estimate_file(spec: dict, activations_path: str | Path, out_path: str | Path, *,
                  device: str = "auto") -> None:
    """Estimate I(X;T) and I(T;Y) for every layer, repetition and epoch of one run.

    spec: ``{"name", "method", "params"}`` of a configured estimator (``ibrepro.config``). With
    ``shuffle_labels_seed`` in its params, I(T;Y) is against permuted labels (the baseline).
    Estimators that need integer ``codes`` (quantized runs) read that variable, not
    ``activation``.
    """
    estimator = get(spec["method"])
    params, shuffle_seed = split_shuffle(validate_params(spec["method"], spec["params"]))
    variable = "codes" if "codes" in estimator.needs else "activation"
    torch_device = resolve_device(device)
    with xr.open_dataset(activations_path, mask_and_scale=False) as acts:
        if variable not in acts:
            raise ValueError(f"estimator {spec['name']} ({spec['method']}) needs {variable!r}, "
                             f"which {activations_path} does not have")
        labels = torch.as_tensor(acts["y"].values, device=torch_device)
        if shuffle_seed is not None:
            labels = permuted_labels(labels, shuffle_seed)
        unit_layer = acts["layer"].values
        layers = np.unique(unit_layer)
        shape = (acts.sizes["rep"], acts.sizes["epoch"], len(layers))
        i_xt, i_ty = np.empty(shape), np.empty(shape)
        outputs = {name: np.empty(shape) for name in estimator.outputs}
        per_epoch = acts.sizes["sample"] * acts.sizes["unit"] * 4
        step = max(1, BLOCK_BYTES // per_epoch)
        for rep in range(acts.sizes["rep"]):
            per_layer = layer_params(estimator, params, acts[variable][rep], unit_layer, layers,
                                     step)
            for start in range(0, acts.sizes["epoch"], step):
                block = acts[variable][rep, start:start + step].values  # (epoch, sample, unit)
                block = torch.as_tensor(block, device=torch_device)
                for k, layer in enumerate(layers):
                    mi = estimator.fn(block[..., unit_layer == layer], labels, **per_layer[k])
                    i_xt[rep, start:start + step, k] = mi.I_XT.cpu().numpy()
                    i_ty[rep, start:start + step, k] = mi.I_TY.cpu().numpy()
                    for name, values in outputs.items():
                        values[rep, start:start + step, k] = getattr(mi, name).cpu().numpy()
        layer_names = [str(acts["layer_name"].values[unit_layer == layer][0]) for layer in layers]
        coords = {"rep": acts["rep"].values, "epoch": acts["epoch"].values, "layer": layers,
                  "layer_name": ("layer", layer_names)}
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
            spec=spec, inputs={"activations": activations_path}, units=units,
            estimator=spec["name"], method=spec["method"], params=json.dumps(spec["params"]),
            experiment=experiment, device=str(torch_device), reference=estimator.reference,
        ),
    )
    write_netcdf(result, out_path)
