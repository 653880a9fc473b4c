"""Sample propagation's cost per snapshot, in one process, on one repetition of a real run.

Times ``apply.estimate_layers`` (config.yaml's paper-scale sizes) on the snapshots named,
after one warm-up call; ``--profile`` prints cProfile's top functions instead.

    python benchmarks/sp_profile.py results/paper/runs/szt-tanh-noisy --epochs 10,50,99
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

import numpy as np
import xarray as xr

from ibrepro.estimators import get
from ibrepro.estimators.apply import (
    estimate_layers,
    layer_coords,
    layer_units,
    network_snapshots,
)

PARAMS = {"mc_samples": 4096, "propagations": 32, "conditional_mc_samples": 32, "seed": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path, help="a run's folder: activations.nc and weights.nc")
    parser.add_argument("--epochs", default="10,50,99", help="snapshot indices, comma-separated")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    epochs = [int(e) for e in args.epochs.split(",")]
    estimator = get("sample-propagation")
    with (xr.open_dataset(args.run / "activations.nc") as acts,
          xr.open_dataset(args.run / "weights.nc") as weights):
        labels = acts["y"].values
        unit_layer, coords = layer_coords(acts)
        units = [layer_units(unit_layer, layer) for layer in coords["layer"]]

        def one(epoch: int) -> dict[str, np.ndarray]:
            block = acts["activation"][0, epoch:epoch + 1].values
            network = network_snapshots(weights, 0, slice(epoch, epoch + 1), "cpu")
            return estimate_layers(estimator, block, labels, units, PARAMS, network=network)

        one(epochs[0])  # numba's kernels loaded
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(lambda: [one(e) for e in epochs])
            pstats.Stats(profile).sort_stats("tottime").print_stats(18)
            return
        for epoch in epochs:
            start = time.perf_counter()
            result = one(epoch)
            print(f"snapshot {epoch}: {time.perf_counter() - start:.3f} s, "
                  f"I(X;T) nats {np.round(result['I_XT'][0], 4)}")


if __name__ == "__main__":
    main()
