"""Training: one experiment (a network variant x R repetitions) → activations.nc + metrics.nc."""

from ibrepro.train.experiment import run_experiment

__all__ = ["run_experiment"]
