"""Adaptive (entropy-based) binning, both schemes: Chelombiev et al.'s pooled quantiles of a
layer's distinct values against their code's procedure written out in numpy, and equal-mass
bins per unit against scipy ranks; closed forms, ties, zeros, invariances."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import entropy as scipy_entropy
from scipy.stats import rankdata
from sklearn.metrics import mutual_info_score

from ibrepro.estimators.adaptive import (
    adaptive_bins,
    equal_mass_symbols,
    pooled_quantile_symbols,
)


def reference_mi(acts: np.ndarray, labels: np.ndarray, bins: int) -> tuple[float, float]:
    """(I_XT, I_TY) in bits: scipy min-ranks per unit, np.unique rows, scipy and sklearn."""
    n = acts.shape[0]
    ranks = np.stack([rankdata(acts[:, u], method="min") - 1 for u in range(acts.shape[1])], 1)
    symbols = ranks.astype(np.int64) * bins // n
    _, row_ids, counts = np.unique(symbols, axis=0, return_inverse=True, return_counts=True)
    return scipy_entropy(counts, base=2), mutual_info_score(labels, row_ids.ravel()) / math.log(2)


UNIT = "unit-ranks"


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
    mi = adaptive_bins(acts, labels, bins=bins, scheme=UNIT)
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
    one_unit = adaptive_bins(acts[:, :1], labels, bins=bins, scheme=UNIT)
    assert one_unit.I_XT.item() == pytest.approx(math.log2(bins), abs=1e-12)


def test_uneven_mass_when_bins_do_not_divide_n():
    # 10 values, 3 bins: ranks 0-3 -> 0, 4-6 -> 1, 7-9 -> 2 (floor(r * 3 / 10))
    acts = torch.arange(10.0).reshape(10, 1)
    assert equal_mass_symbols(acts, 3).ravel().tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    mi = adaptive_bins(acts, torch.zeros(10, dtype=torch.int64), bins=3, scheme=UNIT)
    assert mi.I_XT.item() == pytest.approx(scipy_entropy([4, 3, 3], base=2), abs=1e-12)


def test_relu_zeros_share_one_bin():
    # 60 zeros and 40 distinct positives, 10 bins: zeros in bin 0, positives in bins 6..9
    acts = torch.cat([torch.zeros(60), torch.linspace(0.1, 4.0, 40)]).reshape(100, 1)
    symbols = equal_mass_symbols(acts, 10).ravel()
    assert torch.equal(torch.bincount(symbols, minlength=10),
                       torch.tensor([60, 0, 0, 0, 0, 0, 10, 10, 10, 10]))
    mi = adaptive_bins(acts, torch.zeros(100, dtype=torch.int64), bins=10, scheme=UNIT)
    assert mi.I_XT.item() == pytest.approx(scipy_entropy([0.6] + [0.1] * 4, base=2), abs=1e-12)


def test_saturated_tanh_ties_at_both_ends():
    acts = torch.cat([-torch.ones(30), torch.linspace(-0.9, 0.9, 40), torch.ones(30)])
    symbols = equal_mass_symbols(acts.reshape(100, 1), 5).ravel()
    # -1 -> rank 0 -> bin 0; middles rank 30..69 -> bins 1..3; +1 -> rank 70 -> bin 3
    assert torch.equal(torch.bincount(symbols, minlength=5), torch.tensor([30, 10, 20, 40, 0]))


SCHEMES = ["pooled-quantiles", UNIT]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_constant_unit_gives_zero_and_labels_independent_give_zero(scheme):
    labels = torch.arange(80) % 4
    for value in (0.3, 0.0):  # a constant layer; all zeros (the zero bin alone)
        constant = adaptive_bins(torch.full((80, 2), value), labels, bins=8, scheme=scheme)
        assert constant.I_XT.item() == pytest.approx(0.0, abs=1e-12)
    # each of 20 distinct values repeated once per label: bins by value, independent of label
    acts = torch.arange(1.0, 21.0).repeat_interleave(4).reshape(80, 1)
    mi = adaptive_bins(acts, labels, bins=20, scheme=scheme)
    assert mi.I_XT.item() == pytest.approx(math.log2(20), abs=1e-12)
    assert mi.I_TY.item() == pytest.approx(0.0, abs=1e-12)


def test_invariant_under_increasing_per_unit_maps():
    acts, labels = layer(5, (2, 3, 300, 4))
    maps = [torch.exp, lambda t: t ** 3, lambda t: torch.tanh(0.2 * t) * 1e3 - 7,
            lambda t: torch.where(t > 0, 5 * t, t)]
    moved = torch.stack([f(acts[..., u].double()) for u, f in enumerate(maps)], dim=-1)
    reference = adaptive_bins(acts, labels, bins=12, scheme=UNIT)
    mi = adaptive_bins(moved, labels, bins=12, scheme=UNIT)
    assert torch.equal(mi.I_XT, reference.I_XT) and torch.equal(mi.I_TY, reference.I_TY)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_invariant_under_sample_unit_and_class_permutations(scheme):
    acts, labels = layer(6, (4, 250, 5))
    acts[1] = torch.relu(acts[1])  # a layer with the zero bin
    reference = adaptive_bins(acts, labels, bins=9, scheme=scheme)
    samples = torch.randperm(250, generator=torch.Generator().manual_seed(1))
    for moved, moved_labels in [(acts[..., samples, :], labels[samples]),
                                (acts[..., [4, 2, 0, 1, 3]], labels),
                                (acts, (labels + 2) % 3 + 10)]:
        mi = adaptive_bins(moved, moved_labels, bins=9, scheme=scheme)
        torch.testing.assert_close(mi.I_XT, reference.I_XT, rtol=0, atol=1e-12)
        torch.testing.assert_close(mi.I_TY, reference.I_TY, rtol=0, atol=1e-12)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_batch_equals_each_group_alone(scheme):
    acts, labels = layer(7, (2, 3, 200, 4))
    acts[1, 2] = acts[1, 2] * 100  # groups on very different scales get their own bins
    acts[0, 1] = torch.relu(acts[0, 1])
    for values in (acts, acts.numpy()):
        batched = adaptive_bins(values, labels.numpy() if isinstance(values, np.ndarray)
                                else labels, bins=6, scheme=scheme)
        assert batched.I_XT.shape == (2, 3)
        for r in range(2):
            for e in range(3):
                alone = adaptive_bins(acts[r, e], labels, bins=6, scheme=scheme)
                assert batched.I_XT[r, e].item() == pytest.approx(alone.I_XT.item(), abs=1e-12)
                assert batched.I_TY[r, e].item() == pytest.approx(alone.I_TY.item(), abs=1e-12)


@pytest.mark.parametrize(("scheme", "symbols_per_unit"), [(UNIT, 5), ("pooled-quantiles", 7)])
def test_bounds(scheme, symbols_per_unit):
    acts, labels = layer(8, (5, 400, 3))
    mi = adaptive_bins(acts, labels, bins=5, scheme=scheme)
    assert (mi.I_XT <= 3 * math.log2(symbols_per_unit) + 1e-12).all()
    assert (mi.I_TY >= -1e-12).all() and (mi.I_TY <= mi.I_XT + 1e-12).all()


@pytest.mark.parametrize("bins", [0, -3, 2.5, True])
def test_bad_bins(bins):
    with pytest.raises(ValueError, match="bins must be an int >= 1"):
        adaptive_bins(torch.zeros(3, 1), torch.zeros(3, dtype=torch.int64), bins=bins)


def test_bad_scheme():
    with pytest.raises(ValueError, match="scheme must be one of"):
        adaptive_bins(torch.zeros(3, 1), torch.zeros(3, dtype=torch.int64), bins=3,
                      scheme="per-unit")


# Chelombiev et al.'s pooled quantiles of the layer's distinct values


def chelombiev_reference(acts: np.ndarray, labels: np.ndarray, bins: int,
                         low: float) -> tuple[float, float]:
    """(I_XT, I_TY) in bits by their code's procedure, written out in numpy: ``set_up_bins``
    (maxentropy, per layer: ``low``, then the distinct values at int(k * (U / bins)) and the
    maximum), ``np.digitize`` to each value's left edge, rows counted by np.unique; scipy and
    sklearn for the entropies. ``low``: their 0 (ReLU-like nets) or -1.000001 (tanh, ELU)."""
    edges = [low]
    distinct = np.sort(np.setdiff1d(np.unique(acts.reshape(-1)), edges))
    if distinct.size:
        edges += [distinct[int(k * (distinct.size / bins))] for k in range(bins)]
        edges.append(distinct[-1])
    edges = np.asarray(edges).astype(np.float32)
    digitized = edges[np.digitize(acts.reshape(-1), edges) - 1].reshape(acts.shape)
    _, row_ids, counts = np.unique(digitized, axis=0, return_inverse=True, return_counts=True)
    return scipy_entropy(counts, base=2), mutual_info_score(labels, row_ids.ravel()) / math.log(2)


TANH_LOW, RELU_LOW = -1.000001, 0.0  # their low edges (information_process.py:270-273)


def _net_layer(seed: int, n: int, units: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """float32 ``(n, units)`` like one layer of a net of ``kind`` and labels ``(n,)``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, units)) * rng.uniform(0.5, 6.0, units)
    values = {"tanh": np.tanh(z),  # saturated units tie at exactly +-1 in float32
              "relu": np.maximum(z, 0.0),
              "softplus": np.log1p(np.exp(z)),
              "elu": np.where(z > 0, z, np.expm1(z)),
              "softmax": np.exp(z) / np.exp(z).sum(1, keepdims=True)}[kind]
    return values.astype(np.float32), rng.integers(0, 2, n)


@pytest.mark.parametrize(("kind", "n", "units", "bins"), [
    ("tanh", 4096, 10, 30), ("tanh", 300, 4, 7), ("relu", 4096, 7, 30), ("relu", 97, 3, 30),
    ("softplus", 500, 5, 30), ("elu", 400, 4, 12), ("softmax", 4096, 2, 30), ("tanh", 50, 1, 1),
])
def test_pooled_quantiles_equal_their_code(kind, n, units, bins):
    acts, labels = _net_layer(n + units, n, units, kind)
    low = TANH_LOW if kind in ("tanh", "elu") else RELU_LOW
    expected = chelombiev_reference(acts, labels, bins, low)
    for values, y in ((acts, labels), (torch.from_numpy(acts), torch.from_numpy(labels))):
        mi = adaptive_bins(values, y, bins=bins)
        assert float(mi.I_XT) == pytest.approx(expected[0], abs=1e-9)
        assert float(mi.I_TY) == pytest.approx(expected[1], abs=1e-9)
    as_float64 = adaptive_bins(acts.astype(np.float64), labels, bins=bins)  # comparison sort
    assert float(as_float64.I_XT) == pytest.approx(expected[0], abs=1e-9)


def test_pooled_distinct_values_closed_form():
    # one unit, U = 120 distinct values, 10 bins: edges at positions 0, 12, ..., 108 and 119;
    # nine bins of 12 values, [108, 119) holds 11 and the maximum is alone
    acts = torch.arange(1.0, 121.0).reshape(120, 1)
    symbols = pooled_quantile_symbols(acts, 10).ravel()
    assert torch.bincount(symbols).tolist() == [0] + [12] * 9 + [11, 1]
    mi = adaptive_bins(acts, torch.zeros(120, dtype=torch.int64), bins=10)
    assert mi.I_XT.item() == pytest.approx(scipy_entropy([12] * 9 + [11, 1], base=2), abs=1e-12)


def test_pooled_relu_zeros_get_their_own_bin():
    # 60 zeros and 40 distinct positives, 10 bins: the zeros alone, then bins of 4 positives
    # (edges at positions 0, 4, ..., 36 and 39: [36, 39) holds 3, the maximum 1)
    acts = torch.cat([torch.zeros(60), torch.linspace(0.1, 4.0, 40)]).reshape(100, 1)
    assert torch.bincount(pooled_quantile_symbols(acts, 10).ravel()).tolist() == (
        [60] + [4] * 9 + [3, 1])
    mi = adaptive_bins(acts, torch.zeros(100, dtype=torch.int64), bins=10)
    assert mi.I_XT.item() == pytest.approx(scipy_entropy([60] + [4] * 9 + [3, 1], base=2),
                                           abs=1e-12)
    # a value below 0 (a leaky relu): nothing set apart, the zeros are the minimum's bin
    acts[0] = -0.5
    assert torch.bincount(pooled_quantile_symbols(acts, 10).ravel())[:2].tolist() == [0, 62]


def test_pooled_saturated_tanh_ties_count_once():
    # 30 x -1, 40 distinct middles, 30 x +1: U = 42 distinct, 5 bins, edges at positions
    # int(k * 8.4) = 0, 8, 16, 25, 33 and 41: -1 with 7 middles, 8, 9, 8, 8 middles, +1 alone
    acts = torch.cat([-torch.ones(30), torch.linspace(-0.9, 0.9, 40), torch.ones(30)])
    symbols = pooled_quantile_symbols(acts.reshape(100, 1), 5).ravel()
    assert torch.bincount(symbols).tolist() == [0, 37, 8, 9, 8, 8, 30]


def test_pooled_units_share_the_layer_edges():
    # unit 2 = unit 1 + 1000: U = 240 distinct values, 10 bins of 24; unit 1 fills the lower
    # five bins, unit 2 the upper five (and the maximum's), so rows are unit 1's five bins
    # (the last split 23 + 1 by the maximum): H = entropy(24, 24, 24, 24, 23, 1), where
    # per-unit bins would give log2 10
    first = torch.arange(1.0, 121.0)
    acts = torch.stack([first, first + 1000], dim=1)
    labels = torch.zeros(120, dtype=torch.int64)
    symbols = pooled_quantile_symbols(acts, 10)
    assert symbols[:, 0].unique().tolist() == [1, 2, 3, 4, 5]
    assert symbols[:, 1].unique().tolist() == [6, 7, 8, 9, 10, 11]
    mi = adaptive_bins(acts, labels, bins=10)
    assert mi.I_XT.item() == pytest.approx(scipy_entropy([24] * 4 + [23, 1], base=2), abs=1e-12)
    assert adaptive_bins(acts, labels, bins=10, scheme=UNIT).I_XT.item() == pytest.approx(
        math.log2(10), abs=1e-12)


def test_pooled_edges_follow_their_float_arithmetic():
    # U = 130, 30 bins: int(k * (130 / 30)) is one below floor(k * 130 / 30) at k = 3, 6, 9,
    # ... wherever k * 130 / 30 is an integer rounded down in float64; their edges, not exact
    exact = [k * 130 // 30 for k in range(30)]
    theirs = [int(k * (130 / 30)) for k in range(30)]
    assert exact != theirs
    acts = torch.arange(1.0, 131.0).reshape(130, 1)
    symbols = pooled_quantile_symbols(acts, 30).ravel()
    edges = [*theirs, 129]
    expected = [max(k for k in range(31) if edges[k] <= p) + 1 for p in range(130)]
    assert symbols.tolist() == expected
    counts = np.bincount(expected)[1:]
    mi = adaptive_bins(acts.numpy(), np.zeros(130, np.int64), bins=30)
    assert float(mi.I_XT) == pytest.approx(scipy_entropy(counts[counts > 0], base=2), abs=1e-12)


def test_pooled_invariant_under_one_increasing_map_of_the_layer():
    acts, labels = _net_layer(9, 600, 4, "relu")
    acts = torch.from_numpy(acts)
    labels = torch.from_numpy(labels)
    reference = adaptive_bins(acts, labels, bins=30)
    for f in (lambda t: t ** 3, lambda t: 7 * torch.sinh(t), lambda t: 1e4 * t):  # f(0) = 0
        mi = adaptive_bins(f(acts.double()), labels, bins=30)
        assert torch.equal(mi.I_XT, reference.I_XT) and torch.equal(mi.I_TY, reference.I_TY)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_negative_zero_is_zero(scheme):
    rng = np.random.default_rng(3)
    acts = np.maximum(rng.normal(size=(2, 64, 3)), 0).astype(np.float32)
    signed = acts.copy()
    signed[:, ::2][signed[:, ::2] == 0] = -0.0  # relu of a negative float can give -0.0
    assert np.signbit(signed).any()
    labels = rng.integers(0, 2, size=64)
    plain = adaptive_bins(acts, labels, bins=5, scheme=scheme)
    mixed = adaptive_bins(signed, labels, bins=5, scheme=scheme)
    np.testing.assert_array_equal(mixed.I_XT, plain.I_XT)
    np.testing.assert_array_equal(mixed.I_TY, plain.I_TY)
    tensor = adaptive_bins(torch.from_numpy(signed), torch.from_numpy(labels), bins=5,
                           scheme=scheme)
    np.testing.assert_allclose(tensor.I_XT.numpy(), plain.I_XT, rtol=0, atol=1e-12)
