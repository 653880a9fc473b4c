"""Estimator cost on the CPU: today's torch path against the numba path, per estimator, in one run.

Reads a real ``activations.nc`` (and ``weights.nc`` for sample propagation), so reading and
decompressing the file is part of the cost. ``--tile FROM`` first writes that file from a real
run of fewer repetitions (e.g. 2 reps of ``szt-tanh`` trained at paper scale), cycling its
repetitions to ``--reps`` with the trainer's own writers (zlib level 1, byte shuffle, one chunk
per (rep, epoch), the source's significant bits): a paper-scale SZT experiment is 50 reps x 280
snapshots x 6 layers (10-7-5-4-3-2) x 4096 samples.

- new: ``apply.estimate_file(..., device="cpu", workers=threads)``, the whole file, as the
  ``estimate`` rule runs it (numba kernels, one process per repetition at a time).
- old: today's path, the torch implementation on CPU tensors (``--threads`` torch threads), read
  as today's ``apply.blocks`` read (xarray, one repetition's block), on ``--old-reps``
  repetitions x ``--old-epochs`` epochs, extrapolated linearly (every (rep, epoch, layer) is an
  independent group), and said so.
- read: the file's blocks alone (xarray), serially: the decompression floor of the old path.

    python benchmarks/estimators.py --tile runs/szt-tanh/activations.nc --reps 50 \\
        --activations /tmp/szt-tanh-50.nc --threads 2 --methods bin-size,kde-upper
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from ibrepro.estimators import get, validate_params
from ibrepro.estimators.apply import epoch_step, estimate_file, layer_coords, layer_params
from ibrepro.estimators.baseline import permuted_labels, split_shuffle
from ibrepro.nets.mlp import Network
from ibrepro.train.writer import ActivationWriter, WeightWriter

# case -> estimator spec as config.yaml has it (Saxe's SZT noise, rip's 0.07, Lorenzen's 256
# bins over the global range, Chelombiev's adaptive noise, Goldfeld's SP samples)
CASES = {
    "bin-size": ("bin-size", {"size": 0.07}),
    "bin-size-0.0001": ("bin-size", {"size": 0.0001}),
    "bin-count": ("bin-count", {"bins": 30, "low": -1.0, "high": 1.0}),
    "bin-count-layer-epoch": ("bin-count", {"bins": 30, "range": "layer-epoch"}),
    "bin-count-layer": ("bin-count", {"bins": 30, "range": "layer"}),
    "bin-count-global": ("bin-count", {"bins": 30, "range": "global"}),
    "bin-count-256-global": ("bin-count", {"bins": 256, "range": "global"}),
    "adaptive-bins": ("adaptive-bins", {"bins": 30}),
    "exact-quantized": ("exact-discrete", {}),
    "kde-upper": ("kde-upper", {"noise_variance": 1e-3}),
    "kde-lower": ("kde-lower", {"noise_variance": 1e-3}),
    "adaptive-kde-upper": ("adaptive-kde-upper", {"noise_fraction": 0.0158}),
    "adaptive-kde-lower": ("adaptive-kde-lower", {"noise_fraction": 0.0158}),
    "sample-propagation": ("sample-propagation",
                           {"mc_samples": 4096, "propagations": 32, "conditional_mc_samples": 32,
                            "seed": 0}),
}


def tile(source: Path, target: Path, reps: int, codes: bool = False) -> None:
    """Write ``target`` (and its weights.nc beside it, if ``source`` has one) with ``reps``
    repetitions cycling those of ``source``, as the trainer writes them; ``codes``: 8-bit codes
    of the activations instead (a quantized run's file, for exact-quantized)."""
    with xr.open_dataset(source, mask_and_scale=False) as acts:
        unit_layer, coords = layer_coords(acts)
        widths = [int((unit_layer == layer).sum()) for layer in coords["layer"]]
        bits = acts["activation"].attrs.get("_QuantizeBitRoundNumberOfSignificantBits")
        with ActivationWriter.create(
            target, repetitions=reps, epochs=acts["epoch"].values, layer_widths=widths,
            layer_names=coords["layer_name"][1], labels=acts["y"].values,
            split=acts["split"].values, attrs={"experiment": f"tiled {source}"},
            significant_bits=None if bits is None else int(bits), bits=8 if codes else None,
        ) as writer:
            for k, epoch in enumerate(acts["epoch"].values):
                block = acts["activation"][:, k].values  # (source rep, sample, unit)
                values = block[np.arange(reps) % len(block)]
                ranges = np.stack([np.stack([values[..., unit_layer == layer].min((1, 2)),
                                             values[..., unit_layer == layer].max((1, 2))], -1)
                                   for layer in coords["layer"]], 1) if codes else None
                writer.write(int(epoch), values, ranges)
    weights_source = source.with_name("weights.nc")
    if not weights_source.exists() or codes:
        return
    with xr.open_dataset(weights_source) as weights:
        layers = sum(name.startswith("weight_") for name in weights.data_vars)
        cycle = np.arange(reps) % weights.sizes["rep"]
        with WeightWriter.create(
            target.with_name(target.stem + "-weights.nc"), repetitions=reps,
            epochs=weights["epoch"].values,
            shapes=[weights[f"weight_{k}"].shape[-2:] for k in range(1, layers + 1)],
            activations=json.loads(weights.attrs["activations"]),
            noise_std=float(weights.attrs["noise_std"]), attrs={},
        ) as writer:
            for k, epoch in enumerate(weights["epoch"].values):
                writer.write(int(epoch),
                             [weights[f"weight_{j}"][:, k].values[cycle]
                              for j in range(1, layers + 1)],
                             [weights[f"bias_{j}"][:, k].values[cycle]
                              for j in range(1, layers + 1)])


def weights_of(activations: Path) -> Path:
    return activations.with_name(activations.stem + "-weights.nc")


def warm_up(spec: dict, activations: Path) -> None:
    """Compile (or load from numba's cache) the kernels for these arrays, in this process, so
    that the forked workers of :func:`time_new` start with them: a job on a machine that ran
    the estimator before pays ~0.1 s for this, the first one once a few seconds."""
    with tempfile.TemporaryDirectory() as tmp, \
            xr.open_dataset(activations, mask_and_scale=False) as acts:
        small = acts.isel(rep=slice(0, 1), epoch=slice(0, 2), sample=slice(0, 64))
        small.to_netcdf(Path(tmp) / "activations.nc")
        weights = None
        if "weights" in get(spec["method"]).needs:
            with xr.open_dataset(weights_of(activations)) as full:
                full.isel(rep=slice(0, 1), epoch=slice(0, 2)).to_netcdf(
                    Path(tmp) / "activations-weights.nc")
            weights = Path(tmp) / "activations-weights.nc"
        estimate_file(spec, Path(tmp) / "activations.nc", Path(tmp) / "mi.nc", device="cpu",
                      weights_path=weights)


def time_new(spec: dict, activations: Path, threads: int) -> float:
    """Seconds of the estimate job's work: the whole file, read, estimated and written."""
    estimator = get(spec["method"])
    weights = weights_of(activations) if "weights" in estimator.needs else None
    warm_up(spec, activations)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        estimate_file(spec, activations, Path(tmp) / "mi.nc", device="cpu", weights_path=weights,
                      workers=threads)
        return time.perf_counter() - start


def time_old(spec: dict, activations: Path, reps: int, epochs: int) -> float:
    """Seconds of today's path (torch on the CPU) for ``reps`` x ``epochs`` of the file."""
    estimator = get(spec["method"])
    params, seed = split_shuffle(validate_params(spec["method"], spec["params"]))
    variable = "codes" if "codes" in estimator.needs else "activation"
    start = time.perf_counter()
    with xr.open_dataset(activations, mask_and_scale=False) as acts:
        weights = (xr.open_dataset(weights_of(activations)) if "weights" in estimator.needs
                   else None)
        labels = torch.as_tensor(acts["y"].values)
        if seed is not None:
            labels = permuted_labels(labels, seed)
        unit_layer, coords = layer_coords(acts)
        for rep in range(reps):
            per_layer = layer_params(estimator, params, acts[variable][rep], unit_layer,
                                     coords["layer"], epoch_step(acts))
            block = torch.as_tensor(acts[variable][rep, :epochs].values)
            if weights is not None:
                network = Network(
                    [torch.as_tensor(weights[f"weight_{k}"][rep, :epochs].values)
                     for k in range(1, len(coords["layer"]) + 1)],
                    [torch.as_tensor(weights[f"bias_{k}"][rep, :epochs].values)[..., None, :]
                     for k in range(1, len(coords["layer"]) + 1)],
                    json.loads(weights.attrs["activations"]), float(weights.attrs["noise_std"]))
                estimator.fn([block[..., unit_layer == layer] for layer in coords["layer"]],
                             labels, network=network, **params)
                continue
            for k, layer in enumerate(coords["layer"]):
                estimator.fn(block[..., unit_layer == layer], labels, **per_layer[k])
    return time.perf_counter() - start


def time_read(activations: Path, variable: str) -> float:
    """Seconds to read every repetition's block, as the old path reads them."""
    start = time.perf_counter()
    with xr.open_dataset(activations, mask_and_scale=False) as acts:
        for rep in range(acts.sizes["rep"]):
            acts[variable][rep].values  # noqa: B018  (the read is the point)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--activations", type=Path, required=True,
                        help="the activations file to estimate (written first with --tile)")
    parser.add_argument("--tile", type=Path, help="a real run's activations.nc to tile from")
    parser.add_argument("--reps", type=int, default=50, help="repetitions to tile to")
    parser.add_argument("--codes", action="store_true", help="tile 8-bit codes (exact-quantized)")
    parser.add_argument("--threads", type=int, default=2,
                        help="worker processes of the new path, torch threads of the old")
    parser.add_argument("--old-reps", type=int, default=1, help="repetitions the old path times")
    parser.add_argument("--old-epochs", type=int, default=None,
                        help="epochs per repetition the old path times (default: all)")
    parser.add_argument("--methods", default="bin-size",
                        help=f"comma-separated cases: {', '.join(CASES)}")
    parser.add_argument("--skip-old", action="store_true", help="time the new path only")
    args = parser.parse_args()
    if args.tile:
        start = time.perf_counter()
        tile(args.tile, args.activations, args.reps, args.codes)
        print(f"tiled {args.tile} to {args.reps} reps: {time.perf_counter() - start:.0f} s")
    torch.set_num_threads(args.threads)
    with xr.open_dataset(args.activations) as acts:
        sizes = dict(acts.sizes)
    variable = "codes" if args.codes else "activation"
    print(f"{args.activations}: {sizes['rep']} reps x {sizes['epoch']} epochs x "
          f"{sizes['sample']} samples x {sizes['unit']} units, "
          f"{args.activations.stat().st_size / 2**30:.2f} GiB on disk; {args.threads} threads")
    print(f"read every block (xarray, 1 process): {time_read(args.activations, variable):.1f} s",
          flush=True)
    print(f"{'case':<24} {'old (torch)':>28} {'new (numba)':>12} {'old/new':>8}")
    for case in args.methods.split(","):
        method, params = CASES[case]
        spec = {"name": case, "method": method, "params": params}
        new = time_new(spec, args.activations, args.threads)
        if args.skip_old:
            print(f"{case:<24} {'-':>28} {new:10.1f} s", flush=True)
            continue
        epochs = min(args.old_epochs or sizes["epoch"], sizes["epoch"])
        measured = time_old(spec, args.activations, args.old_reps, epochs)
        old = measured * sizes["rep"] / args.old_reps * sizes["epoch"] / epochs
        label = f"{old:.0f} s ({measured:.1f} s x{old / measured:.0f})"
        print(f"{case:<24} {label:>28} {new:10.1f} s {old / new:7.1f}x", flush=True)


if __name__ == "__main__":
    main()
