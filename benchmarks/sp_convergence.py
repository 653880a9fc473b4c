"""Does sample propagation converge at config.yaml's sizes? One late snapshot of a short real run.

Goldfeld et al. (2019, Sec. 3.2) lowered their sample count n from Theorem 1's 4e9 "until the
overall computation cost became reasonable" and found "good accuracy is achieved for n = 4e6";
ours (config ``sample-propagation``) estimates each entropy from far fewer. Three tables, each
I(X;T_l) in nats per hidden layer (layer 1 is exact: ln n when its points are apart), the mean
of ``--seeds`` estimator seeds, their largest spread, the largest change from the row above,
and the seconds of one estimate (the fastest seed; one process):

1. ``settings``: config's three sizes (MC draws for h(T), re-propagations n_x per input, MC
   draws per h(T|X=x)) doubled together, until the change is below ``--tolerance`` (0.01 nats:
   goldfeld/fig5's axis spans 0-8.3 nats, so 0.01 is ~1/800 of it, below a line's width) or the
   next row would take more than ``--max-seconds``.
2. n_x raised and the draws per conditional entropy lowered, their product (the number of
   pair terms) fixed: which of the two sizes the estimate depends on.
3. ``centres``: h(T)'s Gaussian mixture has one centre per input, the recorded pre-noise S_l
   (n = 4096 here, the paper's n = 4e6). Here each input is fed ``r`` times with fresh noise
   (S_1 is deterministic; S_l re-propagated through the saved weights, numpy, as the estimator
   re-propagates), so h(T) has r x 4096 centres and as many MC draws; the conditional terms
   are unchanged in expectation (each copy of an input re-propagates its own n_x paths).
   Last, how far apart the inputs' clouds S_l | X = x lie (n_x passes each).

Each row's cost at paper scale: its seconds x 50 repetitions x 100 snapshots / 2 processes
(the estimate rule on the 2-core CPU), at the machine's load average (1 min, after the row;
docs/performance.md's Estimators table measured the config's job at 1186 s under load 5-7).
The run: ``szt-tanh-noisy`` trained by ``short_run.py``, one repetition, ``--epochs`` epochs,
the last one recorded.

    nice -n 10 python benchmarks/sp_convergence.py --epochs 1500 --out /tmp/sp-convergence
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import xarray as xr

sys.path.insert(0, str(Path(__file__).parent))
from short_run import short_run  # noqa: E402

from ibrepro.config import load_file  # noqa: E402
from ibrepro.estimators.apply import layer_coords, layer_units, network_snapshots  # noqa: E402
from ibrepro.estimators.sample_propagation import (  # noqa: E402
    ACTIVATIONS,
    Snapshots,
    sample_propagation,
)

EXPERIMENT = "szt-tanh-noisy"
PAPER_SNAPSHOTS = 50 * 100  # repetitions x snapshots of the paper-scale experiment
PROCESSES = 2


def load(out: Path, epochs: int, retrain: bool):
    """The run's recorded layers (float64 ``(1, sample, d_l)`` each), labels and network."""
    paths = [out / f"{EXPERIMENT}-{kind}.nc" for kind in ("activations", "weights")]
    if retrain or not all(p.is_file() for p in paths):
        paths = short_run(EXPERIMENT, out, repetitions=1, epochs=epochs,
                          record_epochs=[epochs - 1])
    with xr.open_dataset(paths[0], mask_and_scale=False) as acts, \
            xr.open_dataset(paths[1]) as weights:
        epoch = int(acts["epoch"].values[-1])
        block = acts["activation"].values[0, -1:].astype(np.float64)  # (1, sample, unit)
        unit_layer, coords = layer_coords(acts)
        layers = [block[..., layer_units(unit_layer, k)] for k in coords["layer"]]
        labels = acts["y"].values
        network = network_snapshots(weights, 0, slice(-1, None), "cpu")
    return epoch, layers, labels, network


def propagated_centres(layers: list[np.ndarray], network: Snapshots, passes: int,
                       seed: int) -> list[np.ndarray]:
    """Each input's S_l from ``passes`` noisy forward passes, ``(1, passes x sample, d_l)``
    (an input's copies adjacent): S_1 repeated, S_l = f_l(S_{l-1} + beta Z); the output layer
    (no noise, not estimated) repeated."""
    rng = np.random.default_rng([seed, passes])
    beta = network.noise_std
    centres = [np.repeat(layers[0], passes, axis=-2)]
    for k, activation in enumerate(network.activations[1:], start=1):
        noisy = centres[-1] + beta * rng.standard_normal(centres[-1].shape)
        centres.append(ACTIVATIONS[activation](noisy @ network.weights[k] + network.biases[k]))
    return [*centres, np.repeat(layers[-1], passes, axis=-2)]


def clouds(layers: list[np.ndarray], network: Snapshots, passes: int) -> None:
    """Print, per hidden layer l >= 2, how far apart the inputs' clouds S_l | X = x are: the
    median rms radius of ``passes`` noisy passes around each input's mean, and the median
    distance between nearest means (clouds apart: I(X;T_l) = ln n)."""
    from scipy.spatial import cKDTree

    centres = propagated_centres(layers, network, passes, seed=0)
    print(f"\nclouds of S_l | X = x over {passes} passes (beta = {network.noise_std:g}):")
    for k, values in enumerate(centres[1:-1], start=2):
        paths = values[0].reshape(layers[0].shape[-2], passes, -1)
        means = paths.mean(axis=1)
        radius = np.sqrt(((paths - means[:, None]) ** 2).sum(-1).mean(-1))
        nearest = cKDTree(means).query(means, k=2)[0][:, 1]
        print(f"  layer {k} (d = {paths.shape[-1]}): median rms radius {np.median(radius):.4f}, "
              f"median distance between nearest means {np.median(nearest):.4f}")


def ladder(title: str, rows: list[tuple[str, Callable[[int], tuple]]], *, seeds: int,
           tolerance: float | None, max_seconds: float, growth: float) -> None:
    """Print one table; ``rows``: (label, seed -> (layers, labels, sizes, network)). Stops
    when the change is below ``tolerance`` or the next row would pass ``max_seconds`` (this
    row's seconds x ``growth``)."""
    print(f"\n{title}\n")
    print("| sizes | I(X;T_l), l = 1.. [nats] | seed spread | change | s / estimate | "
          "load | paper scale [min] |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    previous = None
    for label, make in rows:
        values, seconds = [], []
        for seed in range(seeds):
            layers, labels, sizes, network = make(seed)
            start = time.perf_counter()
            mi = sample_propagation(layers, labels, network=network, **sizes, seed=seed)
            seconds.append(time.perf_counter() - start)
            values.append(mi.I_XT[0, :-1])  # the hidden layers; the output is NaN
        values = np.array(values)
        mean, spread = values.mean(0), np.ptp(values, axis=0).max()
        change = None if previous is None else float(np.abs(mean - previous).max())
        best = min(seconds)
        print(f"| {label} | {', '.join(f'{v:.3f}' for v in mean)} | {spread:.3f} | "
              f"{'' if change is None else f'{change:.3f}'} | {best:.2f} | "
              f"{os.getloadavg()[0]:.1f} | {best * PAPER_SNAPSHOTS / PROCESSES / 60:.1f} |",
              flush=True)
        previous = mean
        if tolerance is not None and change is not None and change < tolerance:
            print(f"\nconverged: change {change:.3f} < {tolerance} nats")
            return
        if best * growth > max_seconds:
            print(f"\nstopped: the next row would take ~{best * growth:.0f} s per estimate")
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=1500)
    parser.add_argument("--out", type=Path, default=Path("/tmp/sp-convergence"))
    parser.add_argument("--retrain", action="store_true", help="train again even if files exist")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--tolerance", type=float, default=0.01, help="nats")
    parser.add_argument("--steps", type=int, default=8, help="rows per ladder at most")
    parser.add_argument("--max-seconds", type=float, default=60.0,
                        help="longest estimate a ladder may go on to")
    args = parser.parse_args()
    common = {"seeds": args.seeds, "max_seconds": args.max_seconds}

    spec = load_file("config.yaml").estimators["sample-propagation"]["params"]
    base = {key: spec[key] for key in ("mc_samples", "propagations", "conditional_mc_samples")}
    epoch, layers, labels, network = load(args.out, args.epochs, args.retrain)
    print(f"{EXPERIMENT}: 1 repetition, {args.epochs} epochs, the snapshot of epoch {epoch}; "
          f"config sizes {base}; {args.seeds} estimator seeds per row")

    def sizes_label(sizes: dict) -> str:
        return "{mc_samples} / {propagations} / {conditional_mc_samples}".format(**sizes)

    def doubled(k: int) -> dict:
        return {key: value * 2**k for key, value in base.items()}

    ladder("1. settings doubled (MC draws for h(T) / n_x / MC draws per h(T|X=x))",
           [(sizes_label(doubled(k)), lambda seed, k=k: (layers, labels, doubled(k), network))
            for k in range(args.steps)],
           tolerance=args.tolerance, growth=4, **common)

    product = base["propagations"] * base["conditional_mc_samples"]

    def shifted(k: int) -> dict:
        return {**base, "propagations": base["propagations"] * 2**k,
                "conditional_mc_samples": max(1, product // (base["propagations"] * 2**k))}

    ladder(f"2. n_x up, MC draws per h(T|X=x) down: their product {product} (the pairs' cost)",
           [(sizes_label(shifted(k)), lambda seed, k=k: (layers, labels, shifted(k), network))
            for k in range(int(np.log2(product // base["propagations"])) + 1)],
           tolerance=None, growth=2, **common)

    def with_centres(passes: int, seed: int):
        centres = layers if passes == 1 else propagated_centres(layers, network, passes, seed)
        sizes = {**base, "mc_samples": base["mc_samples"] * passes}
        return centres, np.repeat(labels, passes), sizes, network

    ladder("3. centres of h(T): r noisy passes per input (r x 4096 centres and MC draws; "
           "n_x and its draws as config)",
           [(f"r = {2**k}: {len(labels) * 2**k} centres",
             lambda seed, k=k: with_centres(2**k, seed)) for k in range(args.steps)],
           tolerance=args.tolerance, growth=4, **common)
    clouds(layers, network, base["propagations"])


if __name__ == "__main__":
    main()
