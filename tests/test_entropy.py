"""Plug-in entropy of integer rows: closed forms, an independent reference, batching."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import entropy as scipy_entropy
from sklearn.metrics import mutual_info_score

from ibrepro.estimators.entropy import (
    _MAX_DIGITS,
    BUCKETS,
    _dense_rank,
    entropy,
    index_bits,
    mutual_information,
    row_keys,
    sort_keys,
)


def reference_entropy(rows: np.ndarray) -> float:
    _, counts = np.unique(rows, axis=0, return_counts=True)
    return scipy_entropy(counts, base=2)


def reference_i_ty(rows: np.ndarray, labels: np.ndarray) -> float:
    _, row_ids = np.unique(rows, axis=0, return_inverse=True)
    return mutual_info_score(labels, row_ids.ravel()) / math.log(2)


def prototype_rows(rng, n_samples, n_units, n_prototypes, spread):
    """Rows drawn with repetition from a few random prototypes with values in [-spread, spread]."""
    prototypes = rng.integers(-spread, spread + 1, size=(n_prototypes, n_units))
    return prototypes[rng.integers(0, n_prototypes, size=n_samples)]


CASES = [  # n_samples, n_units, n_prototypes, spread
    (50, 1, 5, 3),
    (200, 3, 40, 2),
    (257, 12, 100, 10**6),  # sparse columns and a radix product past 2**62: re-densified
    (1000, 20, 300, 499),  # dense columns whose radix product overflows: keys re-densified
    (64, 40, 64, 1),
]


@pytest.mark.parametrize(("n_samples", "n_units", "n_prototypes", "spread"), CASES)
def test_matches_scipy_and_sklearn(n_samples, n_units, n_prototypes, spread):
    rng = np.random.default_rng(n_samples + n_units)
    rows = prototype_rows(rng, n_samples, n_units, n_prototypes, spread)
    labels = rng.integers(0, 7, size=n_samples)
    mi = mutual_information(torch.from_numpy(rows), torch.from_numpy(labels))
    assert mi.I_XT.item() == pytest.approx(reference_entropy(rows), abs=1e-9)
    assert mi.I_TY.item() == pytest.approx(reference_i_ty(rows, labels), abs=1e-9)


@pytest.mark.parametrize(("n_samples", "n_units", "n_prototypes", "spread"), CASES)
def test_row_keys_equal_iff_rows_equal(n_samples, n_units, n_prototypes, spread):
    rows = prototype_rows(np.random.default_rng(0), n_samples, n_units, n_prototypes, spread)
    keys = row_keys(torch.from_numpy(rows)).numpy()
    same_row = (rows[:, None, :] == rows[None, :, :]).all(axis=-1)
    np.testing.assert_array_equal(keys[:, None] == keys[None, :], same_row)


def test_keys_do_not_wrap_around():
    # 70 binary units: a plain base-2 key would shift the first unit out of int64
    rows = np.zeros((4, 70), dtype=np.int64)
    rows[1, 0] = 1
    rows[2:] = 1
    assert entropy(torch.from_numpy(rows)).item() == pytest.approx(1.5, abs=1e-12)


def test_batch_equals_each_group_alone():
    rng = np.random.default_rng(2)
    rows = rng.integers(-3, 4, size=(3, 4, 120, 5))
    rows[1, 2] = rng.integers(-(10**7), 10**7, size=(120, 5))  # one group with a huge radix
    labels = torch.from_numpy(rng.integers(0, 4, size=120))
    batched = mutual_information(torch.from_numpy(rows), labels)
    assert batched.I_XT.shape == batched.I_TY.shape == (3, 4)
    for r in range(3):
        for e in range(4):
            alone = mutual_information(torch.from_numpy(rows[r, e]), labels)
            assert batched.I_XT[r, e].item() == pytest.approx(alone.I_XT.item(), abs=1e-12)
            assert batched.I_TY[r, e].item() == pytest.approx(alone.I_TY.item(), abs=1e-12)


def test_distinct_rows_give_log2_n_and_label_entropy():
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])
    rows = torch.arange(10).reshape(10, 1)
    mi = mutual_information(rows, labels)
    assert mi.I_XT.item() == math.log2(10)
    assert mi.I_TY.item() == pytest.approx(scipy_entropy([3, 2, 4, 1], base=2), abs=1e-12)


def test_equal_rows_give_zero():
    mi = mutual_information(torch.full((37, 4), -5), torch.arange(37) % 3)
    assert mi.I_XT.item() == pytest.approx(0.0, abs=1e-12)
    assert mi.I_TY.item() == pytest.approx(0.0, abs=1e-12)


def test_float_symbols_are_rejected():
    with pytest.raises(TypeError, match="integer"):
        row_keys(torch.zeros(4, 2))


@pytest.mark.parametrize("bound", [1, 2, 1 << 11, 3000, 1 << 33, 1 << 49])
def test_radix_argsort_of_packed_positions_is_a_stable_argsort(bound):
    rng = np.random.default_rng(bound % 1000)
    n = 3001
    values = rng.integers(0, min(bound, 50) if bound < 1 << 20 else bound, size=n)
    values[::7] = values[0]  # ties
    bits = index_bits(n)
    keys = (values << bits) | np.arange(n)
    hists = np.empty((_MAX_DIGITS, BUCKETS), np.int64)
    ordered = sort_keys(keys.copy(), bound << bits, np.empty(n, np.int64), hists, bits)
    np.testing.assert_array_equal(ordered & ((1 << bits) - 1),
                                  np.argsort(values, kind="stable"))
    np.testing.assert_array_equal(ordered >> bits, np.sort(values))


@pytest.mark.parametrize("bound", [5, 1 << 40, 1 << 61])  # the last is too wide to pack
def test_dense_rank_is_the_rank_among_distinct_values(bound):
    rng = np.random.default_rng(7)
    values = rng.integers(0, bound, size=1000)
    values[::3] = values[1]
    distinct, expected = np.unique(values, return_inverse=True)
    hists = np.empty((_MAX_DIGITS, BUCKETS), np.int64)
    count = _dense_rank(values, bound, np.empty((2, 1000), np.int64), hists)
    assert count == len(distinct)
    np.testing.assert_array_equal(values, expected.ravel())
