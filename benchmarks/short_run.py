"""A short real run of one of config.yaml's experiments, for the benchmarks that check a setting
on trained activations (sp_convergence.py, storage_precision.py).

``short_run(name, out, repetitions=, epochs=, record_epochs=)`` trains the experiment as the
``train`` rule does (``train.experiment.run_experiment``: same writers, seeds, engine; on the
CPU), with fewer repetitions and epochs and the given snapshot epochs, into ``out``; returns
the paths of its activations.nc and weights.nc.
"""

from __future__ import annotations

from pathlib import Path

from ibrepro import data
from ibrepro.config import load_file
from ibrepro.train.experiment import run_experiment


def short_run(name: str, out: Path, *, repetitions: int, epochs: int,
              record_epochs: list[int], config: str = "config.yaml",
              **overrides) -> tuple[Path, Path]:
    """Train experiment ``name`` of ``config`` shortened; returns (activations, weights)."""
    spec = load_file(config)
    experiment = {**spec.experiments[name], "repetitions": repetitions, "epochs": epochs,
                  "snapshots": len(record_epochs), "record_epochs": record_epochs, **overrides}
    out.mkdir(parents=True, exist_ok=True)
    dataset = out / f"{experiment['dataset']}.nc"
    if not dataset.is_file():
        data.build(experiment["dataset"], spec.datasets[experiment["dataset"]]).to_netcdf(dataset)
    paths = {kind: out / f"{name}-{kind}.nc" for kind in ("activations", "metrics", "weights")}
    run_experiment(experiment, dataset, paths["activations"], paths["metrics"],
                   paths["weights"], device="cpu", progress=False)
    return paths["activations"], paths["weights"]
