"""Apply one configured estimator or measure to an ``activations.nc`` file.

Streams the activations one repetition and a block of epochs at a time (never the whole file,
:func:`blocks`). An estimator runs on each layer's units on the chosen device and gives
``mi/<exp>/<name>.nc``: ``I_XT(rep, epoch, layer)`` and ``I_TY(rep, epoch, layer)`` with units,
parameters and provenance. A measure (``estimators.measures``) gives its own variables in
``measures/<exp>/<name>.nc``, with the same provenance.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from ibrepro.atomic import write_netcdf
from ibrepro.estimators import measures
from ibrepro.estimators.baseline import permuted_labels, split_shuffle
from ibrepro.estimators.registry import get
from ibrepro.provenance import provenance_attrs
from ibrepro.train.loop import resolve_device

BLOCK_BYTES = 256 << 20  # activations loaded per block


def blocks(acts: xr.Dataset, variable: str, device: torch.device,
           epochs: np.ndarray | None = None) -> Iterator[tuple[int, slice, torch.Tensor]]:
    """``(rep, where, block)`` over an open activations file, ``BLOCK_BYTES`` at a time.

    block: ``acts[variable]`` of one repetition, ``(epoch, sample, unit)`` on ``device``, for
    the epochs ``where`` (a slice of ``epochs``, the epoch positions to read; default all).
    """
    positions = np.arange(acts.sizes["epoch"]) if epochs is None else np.asarray(epochs)
    step = max(1, BLOCK_BYTES // (acts.sizes["sample"] * acts.sizes["unit"] * 4))
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


def estimate_file(spec: dict, activations_path: str | Path, out_path: str | Path, *,
                  device: str = "auto") -> None:
    """Estimate I(X;T) and I(T;Y) for every layer, repetition and epoch of one run.

    spec: ``{"name", "method", "params"}`` of a configured estimator (``ibrepro.config``). With
    ``shuffle_labels_seed`` in its params, I(T;Y) is against permuted labels (the baseline).
    Estimators that need integer ``codes`` (quantized runs) read that variable, not
    ``activation``.
    """
    estimator = get(spec["method"])
    params, shuffle_seed = split_shuffle(spec["params"])
    variable = "codes" if "codes" in estimator.needs else "activation"
    torch_device = resolve_device(device)
    with xr.open_dataset(activations_path, mask_and_scale=False) as acts:
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
        for rep, where, block in blocks(acts, variable, torch_device):
            for k, layer in enumerate(layers):
                mi = estimator.fn(block[..., unit_layer == layer], labels, **params)
                i_xt[rep, where, k] = mi.I_XT.cpu().numpy()
                i_ty[rep, where, k] = mi.I_TY.cpu().numpy()
        coords = {"rep": acts["rep"].values, "epoch": acts["epoch"].values, **coords}
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
