"""Accuracy of a run's repetitions from its metrics file (``runs/<experiment>/metrics.nc``): what
figure captions and claims quote as a net's score."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr


def final_test_accuracies(metrics: xr.Dataset) -> np.ndarray:
    """The last epoch's test accuracy of each repetition ``(rep,)``."""
    return metrics["accuracy"].sel(split="test").isel(epoch=-1).values


def final_test_accuracy(metrics: xr.Dataset) -> tuple[float, float, int]:
    """Mean and std (ddof 0) over repetitions of the last epoch's test accuracy, and R."""
    acc = final_test_accuracies(metrics)
    return float(acc.mean()), float(acc.std()), acc.size


def mean_std(values: xr.DataArray) -> str:
    """"mean ± std" (ddof 0) of all values, 4 decimals."""
    return f"{float(values.mean()):.4f} ± {float(values.std()):.4f}"


def fit_summary(nets: Mapping[str, xr.Dataset]) -> str:
    """The caption sentence on how well each net fits (label -> its metrics): the final test
    accuracy, mean over repetitions, and the lowest repetition's. A plane of a net that does
    not fit, or a repetition at chance level, is not the plane a paper shows: the reader sees
    it here instead of guessing it from the I(T;Y) axis."""
    parts = []
    for label, metrics in nets.items():
        acc = final_test_accuracies(metrics)
        low = int(acc.argmin())
        parts.append(f"{label} {acc.mean():.3f} (rep {int(metrics['rep'].values[low])}: "
                     f"{acc[low]:.3f})")
    return ("Final test accuracy, mean over repetitions (lowest repetition): "
            + "; ".join(parts) + ".")
