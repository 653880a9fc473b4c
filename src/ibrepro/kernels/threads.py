"""Repetitions split over threads: ``over_repetitions(kernel, R, *args)`` runs
``kernel(first, stop, *args)`` on contiguous shares of the R repetitions at once.

The kernels are compiled with ``nogil``, so plain Python threads run them in parallel. numba's
own ``parallel=True`` (``prange``) did the same but doubled the kernels' cold-cache compile
time (training and evaluation: 39 s of CPU without it, 70 s with it and the helpers inlined at
numba's level), which every fresh checkout and CI run pays. The thread count is numba's
(``numba.set_num_threads``, which the CLI sets from the job's threads). Every thread flushes
subnormal floats to zero while it runs a kernel (``subnormals``): the pool's threads for good,
the calling thread until the call returns.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from ibrepro.kernels.subnormals import flush_subnormals, restore

_pools: dict[int, ThreadPoolExecutor] = {}


def _pool(workers: int) -> ThreadPoolExecutor:
    if workers not in _pools:
        _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="repetitions",
                                             initializer=flush_subnormals)
    return _pools[workers]


def shares(repetitions: int, threads: int) -> list[tuple[int, int]]:
    """``(first, stop)`` of each thread's contiguous share, as even as possible."""
    bounds = np.linspace(0, repetitions, min(threads, repetitions) + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def over_repetitions(kernel: Callable, repetitions: int, *args) -> None:
    """``kernel(first, stop, *args)`` for every share of ``repetitions``: this thread takes the
    first, the pool the others; returns when all are done (re-raising the first error)."""
    parts = shares(repetitions, numba.get_num_threads())
    futures = [_pool(len(parts) - 1).submit(kernel, *part, *args) for part in parts[1:]]
    control = flush_subnormals()
    try:
        kernel(*parts[0], *args)
    finally:
        restore(control)
    for future in futures:
        future.result()
