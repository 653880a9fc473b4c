"""Codecs for activations.nc, measured on a real run's activations: size on disk over raw,
and the MB/s of writing and of reading back a repetition's snapshots as the writer and the
estimators do (one chunk per rep and epoch). Prints one row per codec, all measured in one run.

    python benchmarks/codecs.py results/paper/runs/szt-tanh/activations.nc --reps 4

What it weighs: a run is written once but read by every estimate and measure job of it
(``config.yaml: estimates``: 15-20 on an SZT run at paper scale), so a codec's read cost counts
that many times, while its space is held only until those readers end (``temp()``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import netCDF4
import numpy as np

CODECS = {
    "none": {},
    "zstd-1 + shuffle": {"compression": "zstd", "complevel": 1, "shuffle": True},
    "zstd-1": {"compression": "zstd", "complevel": 1},
    "zstd-3 + shuffle": {"compression": "zstd", "complevel": 3, "shuffle": True},
    "zlib-1 + shuffle": {"compression": "zlib", "complevel": 1, "shuffle": True},
}


def measure(values: np.ndarray, codec: dict, folder: Path) -> tuple[float, float, float]:
    """(size / raw, write MB/s, read MB/s) of ``values`` ``(rep, epoch, sample, unit)``."""
    path = folder / "codec.nc"
    reps, epochs, samples, units = values.shape
    start = time.perf_counter()
    with netCDF4.Dataset(path, "w") as ds:
        for name, size in zip(("rep", "epoch", "sample", "unit"), values.shape, strict=True):
            ds.createDimension(name, size)
        var = ds.createVariable("activation", "f4", ("rep", "epoch", "sample", "unit"),
                                chunksizes=(1, 1, samples, units), **codec)
        for epoch in range(epochs):  # as training writes: one snapshot of every rep at a time
            var[:, epoch] = values[:, epoch]
    written = time.perf_counter() - start
    start = time.perf_counter()
    with netCDF4.Dataset(path) as ds:
        var = ds["activation"]
        var.set_auto_mask(False)
        for rep in range(reps):  # as an estimate job reads: one repetition's epochs at a time
            var[rep]
    read = time.perf_counter() - start
    size = path.stat().st_size / values.nbytes
    path.unlink()
    return size, values.nbytes / written / 1e6, values.nbytes / read / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("activations", type=Path, help="a run's activations.nc")
    parser.add_argument("--reps", type=int, default=4, help="repetitions copied (default 4)")
    args = parser.parse_args()
    with netCDF4.Dataset(args.activations) as ds:
        var = ds["activation"]
        var.set_auto_mask(False)
        values = np.ascontiguousarray(var[:args.reps])
    print(f"{args.activations}: {values.shape} float32, {values.nbytes / 1e6:.0f} MB raw")
    print(f"{'codec':<18} {'size/raw':>9} {'write MB/s':>11} {'read MB/s':>10}")
    with tempfile.TemporaryDirectory(dir=args.activations.parent) as folder:
        for name, codec in CODECS.items():
            size, write, read = measure(values, codec, Path(folder))
            print(f"{name:<18} {size:>9.3f} {write:>11.0f} {read:>10.0f}")


if __name__ == "__main__":
    main()
