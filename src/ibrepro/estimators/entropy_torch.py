"""The torch implementation of :mod:`ibrepro.estimators.entropy`, for tensors (CUDA jobs, and
callers that hold tensors: the pruning loop, figures).

Rows become int64 keys (mixed radix, re-densified by rank whenever the radix product would
overflow), keys are sorted per group, and ``H = log2 N - (1/N) sum_runs c log2 c`` is computed
from the run lengths, all as tensor operations: no Python loop over groups. The runs are summed
in ascending key order, i.e. lexicographic order of the rows, as the numba kernel does, so on
the CPU both give the same bits (``tests/test_cpu_path.py``).
"""

from __future__ import annotations

import functools
import math

import torch

from .entropy import xlogx_table
from .mi import MI

_KEY_LIMIT = 1 << 62  # keys stay below this bound, far from int64 overflow


def _dense_rank(keys: torch.Tensor) -> torch.Tensor:
    """Rank of each key among the distinct keys of its group (last axis), 0-based."""
    sorted_keys, order = torch.sort(keys, dim=-1)
    is_new = torch.ones_like(sorted_keys, dtype=torch.bool)
    is_new[..., 1:] = sorted_keys[..., 1:] != sorted_keys[..., :-1]
    ranks_sorted = torch.cumsum(is_new, dim=-1) - 1
    return torch.empty_like(keys).scatter_(-1, order, ranks_sorted)


def row_keys(symbols: torch.Tensor) -> torch.Tensor:
    """One int64 key per row such that two rows of a group are equal iff their keys are.

    symbols: integer tensor ``(..., sample, unit)``. Returns ``(..., sample)``.
    """
    if symbols.dtype.is_floating_point:
        raise TypeError(f"symbols must be an integer tensor, got {symbols.dtype}")
    n_samples = symbols.shape[-2]
    # unit-major and contiguous: a column of a (sample, unit) array is strided, and reading
    # 70000 strided values per unit costs ~100x more than a contiguous column (392 conv units)
    columns = symbols.movedim(-1, 0).contiguous().to(torch.int64)  # (unit, ..., sample)
    columns -= columns.amin(dim=-1, keepdim=True)
    radices = (columns.flatten(1).amax(dim=1) + 1).tolist() if columns.numel() else [1] * len(
        columns)
    keys = torch.zeros(symbols.shape[:-1], dtype=torch.int64, device=symbols.device)
    bound = 1  # keys lie in [0, bound)
    for column, radix in zip(columns, radices, strict=True):
        if radix > n_samples:  # sparse symbols: densify so the radix is at most N
            column, radix = _dense_rank(column), n_samples
        if bound * radix >= _KEY_LIMIT:
            keys, bound = _dense_rank(keys), n_samples
        keys = keys * radix + column
        bound *= radix
    return keys


def entropy_of_keys(keys: torch.Tensor) -> torch.Tensor:
    """Plug-in entropy in bits of the keys of each group (last axis). Returns float64 ``(...)``."""
    n = keys.shape[-1]
    sorted_keys = torch.sort(keys.reshape(-1, n), dim=-1).values
    starts = torch.ones_like(sorted_keys, dtype=torch.bool)
    starts[:, 1:] = sorted_keys[:, 1:] != sorted_keys[:, :-1]
    # runs never cross groups (each group's first key starts one): a run's count is the gap to
    # the next run's start in the flattened order
    start = torch.nonzero(starts.reshape(-1)).squeeze(1)
    count = torch.diff(start, append=start.new_tensor([sorted_keys.numel()]))
    sum_c_log_c = torch.zeros(sorted_keys.shape[0], dtype=torch.float64, device=keys.device)
    sum_c_log_c.index_add_(0, start // n, _count_log_counts(n, keys.device)[count])
    return (math.log2(n) - sum_c_log_c / n).reshape(keys.shape[:-1])


@functools.lru_cache(maxsize=8)
def _count_log_counts(n: int, device: torch.device) -> torch.Tensor:
    """c log2 c for c = 0..n, float64 on ``device``: the numba kernels' table (libm's log2),
    so both paths sum the same values. torch's log2 differs from libm's by an ulp at a few
    counts on some CPUs (5 of the first 57802 on this project's AVX-512 machine)."""
    return torch.from_numpy(xlogx_table(n)).to(device)


def entropy(symbols: torch.Tensor) -> torch.Tensor:
    """Plug-in entropy in bits of the rows of each group of ``(..., sample, unit)``; ``(...)``."""
    return entropy_of_keys(row_keys(symbols))


def mutual_information(symbols: torch.Tensor, labels: torch.Tensor) -> MI:
    """I(X;T) and I(T;Y) in bits of a deterministic discrete representation T.

    symbols: integer ``(..., sample, unit)``, the discretised representation of each sample.
    labels: integer ``(sample,)``. Each sample is one equiprobable input x, so for distinct
    inputs I(X;T) = H(T) and I(T;Y) = H(T) - sum_y p(y) H(T | Y=y) (Shwartz-Ziv & Tishby 2017).
    """
    keys = row_keys(symbols)
    h_t = entropy_of_keys(keys)
    labels = labels.to(keys.device)
    h_t_given_y = torch.zeros_like(h_t)
    for label in torch.unique(labels):
        members = labels == label
        h_t_given_y += members.double().mean() * entropy_of_keys(keys[..., members])
    return MI(I_XT=h_t, I_TY=h_t - h_t_given_y)
