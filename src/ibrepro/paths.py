"""Where things are: the checkout this code runs from and the result layout (DESIGN.md)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG_SCHEMA = REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml"


def dataset_file(results: str | Path, dataset: str) -> Path:
    return Path(results) / "data" / f"{dataset}.nc"


def run_file(results: str | Path, experiment: str, kind: str) -> Path:
    """``kind``: activations, metrics or weights."""
    return Path(results) / "runs" / experiment / f"{kind}.nc"


def mi_file(results: str | Path, experiment: str, estimator: str) -> Path:
    return Path(results) / "mi" / experiment / f"{estimator}.nc"


def measure_file(results: str | Path, experiment: str, measure: str) -> Path:
    return Path(results) / "measures" / experiment / f"{measure}.nc"


def pruning_file(results: str | Path, experiment: str) -> Path:
    """The pruning loop's rounds from the big net ``experiment`` (``train.pruning``)."""
    return Path(results) / "pruning" / f"{experiment}.nc"
