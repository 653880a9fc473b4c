"""Shuffled-label baseline: any estimator run with the labels permuted by a fixed seed.

With Y replaced by a random permutation of itself, T and Y are independent in the population,
so whatever I(T;Y) an estimator reports on the permuted labels is its own bias at that sample
size and resolution (for plug-in binning up to H(Y) once every sample sits in its own bin).
I(X;T) does not depend on the labels and is unchanged. Plot the baseline next to I(T;Y).

The permutation is drawn on the CPU from ``torch.Generator().manual_seed(seed)``, so it is the
same on every device and every run; one seed gives one permutation for all reps and epochs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import torch

from .entropy import MI

SHUFFLE_PARAM = "shuffle_labels_seed"


def permuted_labels(labels: torch.Tensor, seed: int) -> torch.Tensor:
    """``labels`` (``(sample,)``) permuted by the permutation of ``seed``, on their device."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"{SHUFFLE_PARAM} must be an int >= 0, got {seed!r}")
    if labels.ndim != 1:
        raise ValueError(f"labels must be (sample,), got shape {tuple(labels.shape)}")
    order = torch.randperm(labels.shape[0], generator=torch.Generator().manual_seed(seed))
    return labels[order.to(labels.device)]


def shuffled(fn: Callable[..., MI], seed: int) -> Callable[..., MI]:
    """``fn`` with its labels argument replaced by :func:`permuted_labels` of ``seed``."""
    permuted_labels(torch.zeros(1, dtype=torch.int64), seed)  # validate the seed now

    @functools.wraps(fn)
    def estimate(acts: torch.Tensor, labels: torch.Tensor, **params) -> MI:
        return fn(acts, permuted_labels(labels, seed), **params)

    return estimate


def split_shuffle(params: Mapping[str, object]) -> tuple[dict[str, object], int | None]:
    """(``params`` without ``shuffle_labels_seed``, that seed or None when absent)."""
    rest = {name: value for name, value in params.items() if name != SHUFFLE_PARAM}
    seed = params.get(SHUFFLE_PARAM)
    if seed is not None:
        permuted_labels(torch.zeros(1, dtype=torch.int64), seed)  # type and range check
    return rest, seed
