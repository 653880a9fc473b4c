"""Statistics over repetitions (Lorenzen et al. 2022, App. B and F): mean and variance of the MI
trajectories, the median-deviating repetition, and confidence intervals of accuracies."""

from __future__ import annotations

import numpy as np

Z_95 = 1.959963984540054  # the standard normal's 0.975 quantile


def mean_variance(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance (ddof 0) over the repetitions (axis 0) of ``(rep, ...)``."""
    values = np.asarray(values, dtype=float)
    return values.mean(axis=0), values.var(axis=0)


def median_deviating(i_xt: np.ndarray, i_ty: np.ndarray) -> int:
    """The repetition whose trajectory is the median distance from the mean (Lorenzen App. B).

    i_xt, i_ty: ``(rep, epoch, layer)``. A repetition's distance is the L2 norm of its I(X;T)
    and I(T;Y) values minus their means over repetitions, all epochs and layers together.
    Returns the index of the lower median when the count is even (ties: the first).
    """
    points = np.concatenate([np.asarray(i_xt, float), np.asarray(i_ty, float)], axis=-1)
    distance = np.linalg.norm((points - points.mean(axis=0)).reshape(len(points), -1), axis=1)
    return int(np.argsort(distance, kind="stable")[(len(distance) - 1) // 2])


def mean_ci95(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over repetitions (axis 0) and the half-width of its 95% confidence interval, by the
    normal approximation: 1.96 x the standard error (sample std, ddof 1, over sqrt(R)); 0 for
    a single repetition."""
    values = np.asarray(values, dtype=float)
    reps = len(values)
    if reps < 2:
        return values.mean(axis=0), np.zeros(values.shape[1:])
    return values.mean(axis=0), Z_95 * values.std(axis=0, ddof=1) / np.sqrt(reps)
