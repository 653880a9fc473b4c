"""Shuffled-label baseline: any estimator run with the labels permuted by a fixed seed.

With Y replaced by a random permutation of itself, T and Y are independent in the population,
so whatever I(T;Y) an estimator reports on the permuted labels is its own bias at that sample
size and resolution (for plug-in binning up to H(Y) once every sample sits in its own bin).
I(X;T) does not depend on the labels and is unchanged. Plot the baseline next to I(T;Y).

The permutation is ``torch.randperm(N, generator=torch.Generator().manual_seed(seed))``, the
same on every device and every run, computed without torch (:func:`torch_randperm`); one seed
gives one permutation for all reps and epochs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import numpy as np

from .mi import MI, is_tensor

SHUFFLE_PARAM = "shuffle_labels_seed"


def torch_randperm(n: int, seed: int) -> np.ndarray:
    """int64 ``(n,)``: torch's CPU ``randperm(n)`` from a generator seeded with ``seed``.

    Torch seeds a Mersenne Twister with the seed's low 32 bits (numpy's legacy seeding does the
    same) and swaps r[i] with r[i + u_i mod (n - i)], i = 0..n-2, u_i its 32-bit outputs
    (``randperm_cpu``, n < 2^32 / 20); ``tests/test_baseline.py`` checks it against torch.
    """
    draws = np.random.RandomState(seed & 0xFFFFFFFF).randint(
        0, 1 << 32, size=max(n - 1, 0), dtype=np.uint64)
    order = np.arange(n)
    for i, draw in enumerate(draws.tolist()):
        j = i + draw % (n - i)
        order[i], order[j] = order[j], order[i]
    return order


def permuted_labels(labels, seed: int):
    """``labels`` (``(sample,)``, numpy or a tensor on any device) permuted by the permutation of
    ``seed``."""
    _check_seed(seed)
    if labels.ndim != 1:
        raise ValueError(f"labels must be (sample,), got shape {tuple(labels.shape)}")
    order = torch_randperm(labels.shape[0], seed)
    if is_tensor(labels):
        import torch

        return labels[torch.as_tensor(order, device=labels.device)]
    return labels[order]


def _check_seed(seed: int) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"{SHUFFLE_PARAM} must be an int >= 0, got {seed!r}")


def shuffled(fn: Callable[..., MI], seed: int) -> Callable[..., MI]:
    """``fn`` with its labels argument replaced by :func:`permuted_labels` of ``seed``."""
    _check_seed(seed)  # validate the seed now

    @functools.wraps(fn)
    def estimate(acts, labels, **params) -> MI:
        return fn(acts, permuted_labels(labels, seed), **params)

    return estimate


def split_shuffle(params: Mapping[str, object]) -> tuple[dict[str, object], int | None]:
    """(``params`` without ``shuffle_labels_seed``, that seed or None when absent)."""
    rest = {name: value for name, value in params.items() if name != SHUFFLE_PARAM}
    seed = params.get(SHUFFLE_PARAM)
    if seed is not None:
        _check_seed(seed)
    return rest, seed
