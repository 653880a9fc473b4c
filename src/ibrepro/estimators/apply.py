"""Apply one configured estimator to an ``activations.nc`` file → ``mi/<exp>/<name>.nc``.

Streams the activations one repetition and a block of epochs at a time (never the whole file),
runs the estimator on each layer's units on the chosen device, and writes ``I_XT(rep, epoch,
layer)`` and ``I_TY(rep, epoch, layer)`` with units, parameters and provenance.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from ibrepro.atomic import write_netcdf
from ibrepro.estimators.baseline import permuted_labels, split_shuffle
from ibrepro.estimators.registry import get
from ibrepro.nets.mlp import Network
from ibrepro.provenance import provenance_attrs
from ibrepro.train.loop import resolve_device

BLOCK_BYTES = 256 << 20  # activations loaded per block


def _network(weights: xr.Dataset, rep: int, epochs: slice, device: torch.device) -> Network:
    """One repetition's parameters at a block of snapshot epochs, from ``weights.nc``."""
    layers = range(1, len(json.loads(weights.attrs["activations"])) + 2)
    return Network(
        [torch.as_tensor(weights[f"weight_{k}"][rep, epochs].values, device=device)
         for k in layers],
        [torch.as_tensor(weights[f"bias_{k}"][rep, epochs].values, device=device)[..., None, :]
         for k in layers],
        json.loads(weights.attrs["activations"]), float(weights.attrs["noise_std"]))


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
    params, shuffle_seed = split_shuffle(spec["params"])
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
        unit_layer = acts["layer"].values
        layers = np.unique(unit_layer)
        shape = (acts.sizes["rep"], acts.sizes["epoch"], len(layers))
        i_xt, i_ty = np.empty(shape), np.empty(shape)
        per_epoch = acts.sizes["sample"] * acts.sizes["unit"] * 4
        step = max(1, BLOCK_BYTES // per_epoch)
        for rep in range(acts.sizes["rep"]):
            for start in range(0, acts.sizes["epoch"], step):
                block = acts[variable][rep, start:start + step].values  # (epoch, sample, unit)
                block = torch.as_tensor(block, device=torch_device)
                if "weights" in estimator.needs:
                    epochs = slice(start, start + step)
                    mi = estimator.fn([block[..., unit_layer == layer] for layer in layers],
                                      labels, network=_network(weights, rep, epochs, torch_device),
                                      **params)
                    i_xt[rep, epochs], i_ty[rep, epochs] = mi.I_XT.cpu(), mi.I_TY.cpu()
                    continue
                for k, layer in enumerate(layers):
                    mi = estimator.fn(block[..., unit_layer == layer], labels, **params)
                    i_xt[rep, start:start + step, k] = mi.I_XT.cpu().numpy()
                    i_ty[rep, start:start + step, k] = mi.I_TY.cpu().numpy()
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
        },
        coords=coords,
        attrs=provenance_attrs(
            spec=spec, inputs={"activations": activations_path}, units=units,
            estimator=spec["name"], method=spec["method"], params=json.dumps(spec["params"]),
            experiment=experiment, device=str(torch_device), reference=estimator.reference,
        ),
    )
    write_netcdf(result, out_path)
