"""Goldfeld et al. (ICML 2019) §2, Table 1: validation errors of the six MNIST CNNs.

Validation errors = the number of misclassified validation samples after the last epoch (the
paper's 50 ± 4.6 ... 2200 ± 520 are counts out of 10 000: MNIST's test split, which the runs
record), mean ± standard deviation (ddof 1) over the seeds. The nets are inferred
(``runs.describe``): the paper's supplement is not available.
"""

from __future__ import annotations

import math

import numpy as np

from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.papers.goldfeld.runs import CNNS, DATASET, DETERMINISTIC, describe

# Table 1: experiment -> (label, the paper's errors mean, std)
PAPER_ERRORS = dict(zip(CNNS, (
    ("deterministic", 50, 4.6), ("noisy beta = 0.05", 50, 5.0), ("noisy beta = 0.1", 51, 6.9),
    ("noisy beta = 0.2", 86, 9.8), ("noisy beta = 0.5", 2200, 520),
    ("dropout p = 0.2", 39, 3.9)), strict=True))


def validation_errors(accuracy: np.ndarray, samples: int) -> np.ndarray:
    """Misclassified samples out of ``samples`` from fractions correct (rounded to counts)."""
    return np.rint((1 - np.asarray(accuracy)) * samples).astype(np.int64)


def validation_samples(inputs: ItemInputs) -> int:
    """Size of the validation set: the test split of ``DATASET``."""
    return int(np.sum(inputs.dataset(DATASET)["split"].values.astype(str) == "test"))


def errors_per_seed(inputs: ItemInputs, experiment: str) -> np.ndarray:
    """Validation errors of each repetition of ``experiment`` after its last epoch."""
    accuracy = inputs.metrics(experiment)["accuracy"].sel(split="test").isel(epoch=-1).values
    return validation_errors(accuracy, validation_samples(inputs))


def table1(inputs: ItemInputs):
    """Validation errors per model, ours (mean ± std over repetitions) beside the paper's."""
    samples = validation_samples(inputs)
    rows = []
    for experiment, (label, paper_mean, paper_std) in PAPER_ERRORS.items():
        errors = errors_per_seed(inputs, experiment)
        rows.append({
            "model": label, "experiment": experiment, "seeds": len(errors),
            "epochs": int(inputs.metrics(experiment)["epoch"].values[-1]),
            "errors mean": round(float(errors.mean()), 1),
            "errors std": round(float(errors.std(ddof=1)), 1) if len(errors) > 1 else math.nan,
            "paper mean": paper_mean, "paper std": paper_std,
            "error rate [%]": round(100 * float(errors.mean()) / samples, 2),
        })
    ours = "; ".join(f"{r['model']} {r['errors mean']:g} ± {r['errors std']:g}" for r in rows)
    caption = (
        f"goldfeld Table 1: MNIST validation errors, the number of misclassified samples among "
        f"the {samples} validation samples (MNIST's test split; the paper's counts are out of "
        f"10 000, as its ln(10000) implies) after the last epoch, mean ± standard deviation "
        f"(ddof 1) over the seeds, per model: {ours}. Paper: "
        + "; ".join(f"{label} {m:g} ± {s:g}" for label, m, s in PAPER_ERRORS.values())
        + f". Nets: {describe(inputs.metrics(DETERMINISTIC))}. goldfeld: small noise (beta < "
        "0.1) barely changes the errors, beta = 0.5 ruins the net, dropout improves it."
    )
    return rows, caption


register(Item("goldfeld/table1", "table", table1, metrics=CNNS, datasets=(DATASET,),
              description="MNIST CNN validation errors, six models, ours beside the paper's"))
