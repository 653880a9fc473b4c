"""Exact discrete MI of integer codes: independent reference, closed forms, errors."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import entropy as scipy_entropy
from sklearn.metrics import mutual_info_score

from ibrepro.estimators.discrete import exact_discrete


def reference_mi(codes: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(I_XT, I_TY) in bits: rows as tuples counted by a dict, scipy entropy, sklearn MI."""
    rows: dict[tuple, int] = {}
    ids = np.array([rows.setdefault(tuple(row), len(rows)) for row in codes.tolist()])
    counts = np.bincount(ids)
    return scipy_entropy(counts, base=2), mutual_info_score(labels, ids) / math.log(2)


def random_codes(seed, shape, levels, dtype=torch.int64, low=0):
    generator = torch.Generator().manual_seed(seed)
    codes = torch.randint(low, low + levels, shape, generator=generator).to(dtype)
    labels = torch.randint(0, 2, (shape[-2],), generator=generator)
    return codes, labels


@pytest.mark.parametrize(("n", "units", "levels", "dtype", "low"), [
    (4096, 3, 256, torch.uint8, 0),  # 8-bit codes, full range
    (4096, 10, 16, torch.uint8, 0),  # 4-bit codes of a 10-unit layer
    (1000, 2, 3, torch.int8, -1),  # ternary, negative codes
    (500, 5, 1 << 20, torch.int64, -(1 << 19)),  # 20-bit codes
    (300, 1, 2, torch.bool, 0),  # binary units
])
def test_matches_reference(n, units, levels, dtype, low):
    codes, labels = random_codes(units, (n, units), levels, dtype, low)
    mi = exact_discrete(codes, labels)
    expected_i_xt, expected_i_ty = reference_mi(codes.to(torch.int64).numpy(), labels.numpy())
    assert mi.I_XT.dtype == mi.I_TY.dtype == torch.float64
    assert mi.I_XT.item() == pytest.approx(expected_i_xt, abs=1e-9)
    assert mi.I_TY.item() == pytest.approx(expected_i_ty, abs=1e-9)


def test_closed_forms():
    n = 256
    labels = torch.arange(n) % 2
    injective = torch.arange(n).reshape(n, 1).to(torch.uint8)
    mi = exact_discrete(injective, labels)
    assert mi.I_XT.item() == pytest.approx(8.0, abs=1e-12)  # log2 256
    assert mi.I_TY.item() == pytest.approx(1.0, abs=1e-12)  # H(Y)
    constant = exact_discrete(torch.full((n, 4), 7, dtype=torch.uint8), labels)
    assert constant.I_XT.item() == pytest.approx(0.0, abs=1e-12)
    assert constant.I_TY.item() == pytest.approx(0.0, abs=1e-12)
    # code = label: T is Y
    as_label = exact_discrete(labels.reshape(n, 1), labels)
    assert as_label.I_XT.item() == pytest.approx(1.0, abs=1e-12)
    assert as_label.I_TY.item() == pytest.approx(1.0, abs=1e-12)


def test_rows_not_units_are_the_symbols():
    # each unit alone is balanced, but the rows (0,0) and (1,1) are the only ones: 1 bit
    codes = torch.tensor([[0, 0], [1, 1]] * 50, dtype=torch.uint8)
    assert exact_discrete(codes, torch.zeros(100, dtype=torch.int64)).I_XT.item() == (
        pytest.approx(1.0, abs=1e-12))


def test_invariant_under_relabelling_code_values_and_permutations():
    codes, labels = random_codes(3, (2, 3, 600, 3), 5)
    reference = exact_discrete(codes, labels)
    relabel = torch.tensor([[4, 0, 2, 1, 3], [0, 1, 2, 3, 4], [9, -5, 100, 7, 8]])
    renamed = torch.stack([relabel[u][codes[..., u]] for u in range(3)], dim=-1)
    samples = torch.randperm(600, generator=torch.Generator().manual_seed(0))
    for moved, moved_labels in [(renamed, labels), (codes[..., samples, :], labels[samples]),
                                (codes[..., [2, 0, 1]], labels), (codes, 1 - labels)]:
        mi = exact_discrete(moved, moved_labels)
        torch.testing.assert_close(mi.I_XT, reference.I_XT, rtol=0, atol=1e-12)
        torch.testing.assert_close(mi.I_TY, reference.I_TY, rtol=0, atol=1e-12)


def test_batch_equals_each_group_alone():
    codes, labels = random_codes(4, (2, 3, 300, 4), 4, torch.uint8)
    batched = exact_discrete(codes, labels)
    assert batched.I_XT.shape == (2, 3)
    for r in range(2):
        for e in range(3):
            alone = exact_discrete(codes[r, e], labels)
            assert batched.I_XT[r, e].item() == pytest.approx(alone.I_XT.item(), abs=1e-12)
            assert batched.I_TY[r, e].item() == pytest.approx(alone.I_TY.item(), abs=1e-12)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_float_input_is_rejected(dtype):
    with pytest.raises(TypeError, match="codes must be an integer tensor .* got torch.float"):
        exact_discrete(torch.zeros(4, 2, dtype=dtype), torch.zeros(4, dtype=torch.int64))

