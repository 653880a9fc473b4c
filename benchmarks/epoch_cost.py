"""What the items owed to a GPU would cost on this CPU: one epoch measured, the run extrapolated.

For every experiment the given items read (default: the items that read a run of
``config.yaml: gpu_owed``, those that need a GPU in practice: Lorenzen's MNIST nets and
Goldfeld's MNIST CNNs), the engine the workflow
would pick here (``train.loop.make_engine``, ``auto``) trains all its repetitions for
``--epochs`` epochs after one warm-up epoch (compiled code loaded, buffers touched), with the
evaluation on every sample that each epoch's metrics need. Printed per experiment: seconds per
epoch, and the run's total at that rate (``total_epochs`` epochs; bad-fit reruns, snapshot
writing and estimators not included), then the sum.

    python benchmarks/epoch_cost.py
    python benchmarks/epoch_cost.py --items goldfeld/table1 --epochs 1
    python benchmarks/epoch_cost.py --experiments goldfeld-cnn lorenzen-mnist-conv
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from ibrepro import data, papers
from ibrepro.config import load_file
from ibrepro.spec import Experiment
from ibrepro.train.experiment import TrainingInputs
from ibrepro.train.loop import make_engine, repetition_seeds, resolve_device


def seconds_per_epoch(spec: Experiment, dataset, epochs: int) -> tuple[float, str]:
    """Wall seconds per epoch of all repetitions of ``spec`` on the CPU, and the engine."""
    inputs = TrainingInputs.of(dataset, spec)
    run = make_engine(spec, inputs.x.astype(np.float32), inputs.y, inputs.split == "train",
                      repetition_seeds(spec.seed, spec.repetitions), resolve_device("cpu"),
                      image_shape=inputs.image_shape, record_samples=inputs.record_samples)
    run.evaluate(0, True)
    run.train_epoch(1, False)
    start = time.perf_counter()
    for epoch in range(2, epochs + 2):
        run.train_epoch(epoch, False)
    run.history_array()
    return (time.perf_counter() - start) / epochs, type(run).__name__


def gpu_owed_items() -> list[str]:
    """The items that read a run of ``config.yaml: gpu_owed``."""
    owed = set(load_file("config.yaml", scale="paper", skip="gpu-owed").skipped)
    return [item for item, reader in papers.ITEMS.items() if reader.experiments & owed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", nargs="+",
                        help="default: the items reading a run of config.yaml: gpu_owed")
    parser.add_argument("--experiments", nargs="+",
                        help="time only these of the items' experiments (the rest: not timed)")
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs per experiment")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    spec = load_file("config.yaml", scale="paper")
    readers = [papers.ITEMS.lookup(item) for item in args.items or gpu_owed_items()]
    experiments = list(dict.fromkeys(e for r in readers for e in sorted(r.experiments)))
    if args.experiments:
        experiments = [e for e in experiments if e in args.experiments]
    datasets: dict = {}
    total = 0.0
    print(f"{'experiment':30} {'engine':10} {'reps':>4} {'s/epoch':>8} {'epochs':>6} "
          f"{'run (h)':>8}  read by")
    for name in experiments:
        experiment = Experiment.of(spec.experiments[name])
        key = experiment.dataset
        if key not in datasets:
            datasets[key] = data.build(key, spec.datasets[key])
        per_epoch, engine = seconds_per_epoch(experiment, datasets[key], args.epochs)
        hours = per_epoch * experiment.total_epochs / 3600
        total += hours
        items = ", ".join(r.id for r in readers if name in r.experiments)
        print(f"{name:30} {engine:10} {experiment.repetitions:4d} {per_epoch:8.2f} "
              f"{experiment.total_epochs:6d} {hours:8.1f}  {items}", flush=True)
    print(f"total: {total:.1f} h of training on this CPU ({args.threads} threads) for "
          f"{len(experiments)} experiments")


if __name__ == "__main__":
    main()
