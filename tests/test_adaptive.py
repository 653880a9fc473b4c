"""Equal-mass (entropy-based) adaptive binning: reference, closed forms, ties, invariances."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import entropy as scipy_entropy
from scipy.stats import rankdata
from sklearn.metrics import mutual_info_score

from ibrepro.estimators.adaptive import adaptive_bins, equal_mass_symbols


def reference_mi(acts: np.ndarray, labels: np.ndarray, bins: int) -> tuple[float, float]:
    """(I_XT, I_TY) in bits: scipy min-ranks per unit, np.unique rows, scipy and sklearn."""
    n = acts.shape[0]
    ranks = np.stack([rankdata(acts[:, u], method="min") - 1 for u in range(acts.shape[1])], 1)
    symbols = ranks.astype(np.int64) * bins // n
    _, row_ids, counts = np.unique(symbols, axis=0, return_inverse=True, return_counts=True)
    return scipy_entropy(counts, base=2), mutual_info_score(labels, row_ids.ravel()) / math.log(2)


def layer(seed, shape, classes=3):
    generator = torch.Generator().manual_seed(seed)
    acts = torch.randn(shape, generator=generator)
    labels = torch.randint(0, classes, (shape[-2],), generator=generator)
    return acts, labels


@pytest.mark.parametrize(("n", "units", "bins", "ties"), [
    (200, 1, 10, False), (300, 3, 7, False), (500, 4, 30, True), (97, 6, 5, True),
    (4096, 5, 30, True),
])
def test_matches_reference(n, units, bins, ties):
    acts, labels = layer(n + units, (n, units))
    if ties:  # saturated tanh units and relu zeros
        acts = torch.cat([torch.tanh(3 * acts[:, :2]).round(decimals=1),
                          torch.relu(acts[:, 2:])], dim=1)
    mi = adaptive_bins(acts, labels, bins=bins)
    expected_i_xt, expected_i_ty = reference_mi(acts.numpy(), labels.numpy(), bins)
    assert mi.I_XT.dtype == torch.float64
    assert mi.I_XT.item() == pytest.approx(expected_i_xt, abs=1e-9)
    assert mi.I_TY.item() == pytest.approx(expected_i_ty, abs=1e-9)


@pytest.mark.parametrize(("n", "bins"), [(100, 10), (120, 30), (4096, 32), (90, 1)])
def test_distinct_values_fill_every_bin_equally(n, bins):
    acts, labels = layer(n, (n, 3))
    symbols = equal_mass_symbols(acts, bins)
    for unit in range(3):
        assert torch.equal(torch.bincount(symbols[:, unit], minlength=bins),
                           torch.full((bins,), n // bins))
    one_unit = adaptive_bins(acts[:, :1], labels, bins=bins)
    assert one_unit.I_XT.item() == pytest.approx(math.log2(bins), abs=1e-12)


def test_uneven_mass_when_bins_do_not_divide_n():
    # 10 values, 3 bins: ranks 0-3 -> 0, 4-6 -> 1, 7-9 -> 2 (floor(r * 3 / 10))
    acts = torch.arange(10.0).reshape(10, 1)
    assert equal_mass_symbols(acts, 3).ravel().tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    mi = adaptive_bins(acts, torch.zeros(10, dtype=torch.int64), bins=3)
    assert mi.I_XT.item() == pytest.approx(scipy_entropy([4, 3, 3], base=2), abs=1e-12)


def test_relu_zeros_share_one_bin():
    # 60 zeros and 40 distinct positives, 10 bins: zeros in bin 0, positives in bins 6..9
    acts = torch.cat([torch.zeros(60), torch.linspace(0.1, 4.0, 40)]).reshape(100, 1)
    symbols = equal_mass_symbols(acts, 10).ravel()
    assert torch.equal(torch.bincount(symbols, minlength=10),
                       torch.tensor([60, 0, 0, 0, 0, 0, 10, 10, 10, 10]))
    mi = adaptive_bins(acts, torch.zeros(100, dtype=torch.int64), bins=10)
    assert mi.I_XT.item() == pytest.approx(scipy_entropy([0.6] + [0.1] * 4, base=2), abs=1e-12)


def test_saturated_tanh_ties_at_both_ends():
    acts = torch.cat([-torch.ones(30), torch.linspace(-0.9, 0.9, 40), torch.ones(30)])
    symbols = equal_mass_symbols(acts.reshape(100, 1), 5).ravel()
    # -1 -> rank 0 -> bin 0; middles rank 30..69 -> bins 1..3; +1 -> rank 70 -> bin 3
    assert torch.equal(torch.bincount(symbols, minlength=5), torch.tensor([30, 10, 20, 40, 0]))


def test_constant_unit_gives_zero_and_labels_independent_give_zero():
    labels = torch.arange(80) % 4
    constant = adaptive_bins(torch.full((80, 2), 0.3), labels, bins=8)
    assert constant.I_XT.item() == pytest.approx(0.0, abs=1e-12)
    # each of 20 distinct values repeated once per label: bins by value, independent of label
    acts = torch.arange(20.0).repeat_interleave(4).reshape(80, 1)
    mi = adaptive_bins(acts, labels, bins=20)
    assert mi.I_XT.item() == pytest.approx(math.log2(20), abs=1e-12)
    assert mi.I_TY.item() == pytest.approx(0.0, abs=1e-12)


def test_invariant_under_increasing_per_unit_maps():
    acts, labels = layer(5, (2, 3, 300, 4))
    maps = [torch.exp, lambda t: t ** 3, lambda t: torch.tanh(0.2 * t) * 1e3 - 7,
            lambda t: torch.where(t > 0, 5 * t, t)]
    moved = torch.stack([f(acts[..., u].double()) for u, f in enumerate(maps)], dim=-1)
    reference = adaptive_bins(acts, labels, bins=12)
    mi = adaptive_bins(moved, labels, bins=12)
    assert torch.equal(mi.I_XT, reference.I_XT) and torch.equal(mi.I_TY, reference.I_TY)


def test_invariant_under_sample_unit_and_class_permutations():
    acts, labels = layer(6, (4, 250, 5))
    reference = adaptive_bins(acts, labels, bins=9)
    samples = torch.randperm(250, generator=torch.Generator().manual_seed(1))
    for moved, moved_labels in [(acts[..., samples, :], labels[samples]),
                                (acts[..., [4, 2, 0, 1, 3]], labels),
                                (acts, (labels + 2) % 3 + 10)]:
        mi = adaptive_bins(moved, moved_labels, bins=9)
        torch.testing.assert_close(mi.I_XT, reference.I_XT, rtol=0, atol=1e-12)
        torch.testing.assert_close(mi.I_TY, reference.I_TY, rtol=0, atol=1e-12)


def test_batch_equals_each_group_alone():
    acts, labels = layer(7, (2, 3, 200, 4))
    acts[1, 2] = acts[1, 2] * 100  # groups on very different scales get their own bins
    batched = adaptive_bins(acts, labels, bins=6)
    assert batched.I_XT.shape == (2, 3)
    for r in range(2):
        for e in range(3):
            alone = adaptive_bins(acts[r, e], labels, bins=6)
            assert batched.I_XT[r, e].item() == pytest.approx(alone.I_XT.item(), abs=1e-12)
            assert batched.I_TY[r, e].item() == pytest.approx(alone.I_TY.item(), abs=1e-12)


def test_bounds():
    acts, labels = layer(8, (5, 400, 3))
    mi = adaptive_bins(acts, labels, bins=5)
    assert (mi.I_XT <= 3 * math.log2(5) + 1e-12).all()
    assert (mi.I_TY >= -1e-12).all() and (mi.I_TY <= mi.I_XT + 1e-12).all()


@pytest.mark.parametrize("bins", [0, -3, 2.5, True])
def test_bad_bins(bins):
    with pytest.raises(ValueError, match="bins must be an int >= 1"):
        adaptive_bins(torch.zeros(3, 1), torch.zeros(3, dtype=torch.int64), bins=bins)

