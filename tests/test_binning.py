"""Binning estimators: closed forms, bounds, an independent reference, edges, errors."""

import math

import numpy as np
import pytest
import torch
from scipy.stats import entropy as scipy_entropy
from sklearn.metrics import mutual_info_score

from ibrepro.estimators.binning import bin_count, bin_size


def reference_mi(symbols: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(I_XT, I_TY) in bits from np.unique + scipy + sklearn."""
    _, row_ids, counts = np.unique(symbols, axis=0, return_inverse=True, return_counts=True)
    return scipy_entropy(counts, base=2), mutual_info_score(labels, row_ids.ravel()) / math.log(2)


def label_entropy(labels: torch.Tensor) -> float:
    return scipy_entropy(torch.bincount(labels).numpy(), base=2)


def random_layer(seed, shape, scale=1.0):
    generator = torch.Generator().manual_seed(seed)
    acts = scale * torch.randn(shape, generator=generator)
    labels = torch.randint(0, 10, (shape[-2],), generator=generator)
    return acts, labels


@pytest.mark.parametrize(
    ("n_samples", "n_units", "scale", "size"),
    [
        (100, 1, 1.0, 0.3),
        (500, 3, 1.0, 0.15),
        (500, 7, 2.0, 0.07),
        (300, 12, 1e4, 0.01),  # symbols within about +-10**6: rows need re-densification
        (1000, 10, 0.5, 0.3),
    ],
)
def test_bin_size_matches_reference(n_samples, n_units, scale, size):
    acts, labels = random_layer(n_units, (n_samples, n_units), scale)
    symbols = np.floor(acts.numpy().astype(np.float64) / size).astype(np.int64)
    assert (symbols < 0).any()
    mi = bin_size(acts, labels, size=size)
    expected_i_xt, expected_i_ty = reference_mi(symbols, labels.numpy())
    assert mi.I_XT.dtype == mi.I_TY.dtype == torch.float64
    assert mi.I_XT.item() == pytest.approx(expected_i_xt, abs=1e-9)
    assert mi.I_TY.item() == pytest.approx(expected_i_ty, abs=1e-9)


@pytest.mark.parametrize("size", [0.01, 0.07, 0.15, 0.3])
def test_bin_size_on_bin_edges_matches_float64_reference(size):
    # bin edges and bin middles: float32 division would floor many edges differently
    steps = torch.arange(-300, 300)
    acts = torch.cat([steps * size, (steps + 0.5) * size]).float().reshape(-1, 1)
    labels = torch.arange(1200) % 3
    symbols = np.floor(acts.numpy().astype(np.float64) / size).astype(np.int64)
    mi = bin_size(acts, labels, size=size)
    expected_i_xt, expected_i_ty = reference_mi(symbols, labels.numpy())
    assert mi.I_XT.item() == pytest.approx(expected_i_xt, abs=1e-9)
    assert mi.I_TY.item() == pytest.approx(expected_i_ty, abs=1e-9)


@pytest.mark.parametrize(("bins", "low", "high"), [(30, -1.0, 1.0), (5, -1.0, 1.0), (8, 0.0, 3.0)])
def test_bin_count_matches_reference(bins, low, high):
    acts, labels = random_layer(bins, (400, 4), scale=1.5)
    scaled = (acts.numpy().astype(np.float64) - low) / (high - low) * bins
    symbols = np.clip(np.floor(scaled), 0, bins - 1).astype(np.int64)
    mi = bin_count(acts, labels, bins=bins, low=low, high=high)
    expected_i_xt, expected_i_ty = reference_mi(symbols, labels.numpy())
    assert mi.I_XT.item() == pytest.approx(expected_i_xt, abs=1e-9)
    assert mi.I_TY.item() == pytest.approx(expected_i_ty, abs=1e-9)


def test_floor_of_negative_activations():
    # truncation towards zero would put both in bin 0 and give 0 bits
    mi = bin_size(torch.tensor([[-0.05], [0.05]]), torch.tensor([0, 1]), size=0.1)
    assert mi.I_XT.item() == 1.0


@pytest.mark.parametrize("estimate", [
    lambda acts, labels: bin_size(acts, labels, size=0.2),
    lambda acts, labels: bin_count(acts, labels, bins=7),
])
def test_batch_equals_each_group_alone(estimate):
    acts, labels = random_layer(3, (2, 3, 150, 4), scale=0.6)
    batched = estimate(acts, labels)
    assert batched.I_XT.shape == batched.I_TY.shape == (2, 3)
    for r in range(2):
        for e in range(3):
            alone = estimate(acts[r, e], labels)
            assert batched.I_XT[r, e].item() == pytest.approx(alone.I_XT.item(), abs=1e-12)
            assert batched.I_TY[r, e].item() == pytest.approx(alone.I_TY.item(), abs=1e-12)


def test_injective_binning_gives_log2_n_and_label_entropy():
    n = 90
    acts = torch.arange(n, dtype=torch.float32).reshape(n, 1) * 0.5 - 20.0
    labels = torch.arange(n) % 4
    mi = bin_size(acts, labels, size=0.5)
    assert mi.I_XT.item() == math.log2(n)
    assert mi.I_TY.item() == pytest.approx(label_entropy(labels), abs=1e-12)


def test_one_bin_gives_zero():
    acts, labels = random_layer(4, (200, 3), scale=0.01)
    mi = bin_count(acts.abs() + 0.5, labels, bins=2)  # everything in the upper bin
    assert mi.I_XT.item() == pytest.approx(0.0, abs=1e-12)
    assert mi.I_TY.item() == pytest.approx(0.0, abs=1e-12)


def test_labels_independent_by_construction_give_zero_i_ty():
    # every one of 6 bin patterns occurs once with every one of 4 labels
    patterns = torch.tensor([[0.1, 0.1], [0.1, 1.1], [1.1, 0.1], [2.1, 2.1], [-0.9, 0.1], [5, -3]])
    acts = patterns.repeat_interleave(4, dim=0)
    labels = torch.arange(4).repeat(6)
    mi = bin_size(acts, labels, size=1.0)
    assert mi.I_XT.item() == pytest.approx(math.log2(6), abs=1e-12)
    assert mi.I_TY.item() == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("size", [1.0, 0.3, 0.15, 0.07, 0.01])
def test_halving_bin_size_never_lowers_information(size):
    # bins of size/2 nest in bins of size, so T_size is a function of T_{size/2}
    acts, labels = random_layer(5, (10, 300, 3))
    coarse, fine = bin_size(acts, labels, size=size), bin_size(acts, labels, size=size / 2)
    assert (fine.I_XT >= coarse.I_XT - 1e-12).all()
    assert (fine.I_TY >= coarse.I_TY - 1e-12).all()


@pytest.mark.parametrize(("n_units", "size"), [(1, 0.3), (2, 0.5), (3, 1.5), (6, 0.07)])
def test_bounds(n_units, size):
    acts, labels = random_layer(6, (400, n_units))
    mi = bin_size(acts, labels, size=size)
    symbols = torch.floor(acts.double() / size)
    occupied = [len(torch.unique(symbols[:, unit])) for unit in range(n_units)]
    assert mi.I_XT.item() <= min(math.log2(400), sum(map(math.log2, occupied))) + 1e-12
    assert mi.I_XT.item() <= n_units * math.log2(max(occupied)) + 1e-12
    assert 0.0 <= mi.I_TY.item() + 1e-12
    assert mi.I_TY.item() <= min(mi.I_XT.item(), label_entropy(labels)) + 1e-12


def test_bin_count_edges_by_hand():
    # 4 bins over [-1, 1]: [-1, -0.5) [-0.5, 0) [0, 0.5) [0.5, 1], outside clipped to the ends
    values = [-3.0, -1.0, -0.75, -0.5, -0.25, 0.0, 0.49, 0.5, 0.999, 1.0, 1.5]
    expected_bin = [0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 3]
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            acts = torch.tensor([[values[i]], [values[j]]])
            mi = bin_count(acts, torch.tensor([0, 1]), bins=4)
            assert mi.I_XT.item() == (0.0 if expected_bin[i] == expected_bin[j] else 1.0), (
                values[i], values[j])


def test_thirty_bins_are_thirty_not_idnns_thirty_one():
    centres = -1.0 + (np.arange(30) + 0.5) * 2 / 30
    t = np.concatenate([centres, [-2.0, -1.0, 1.0, 1.7]]).astype(np.float32)
    assert len(np.unique(np.digitize(t, np.linspace(-1, 1, 30)))) == 31  # IDNNs' convention
    mi = bin_count(torch.from_numpy(t).reshape(-1, 1), torch.zeros(len(t), dtype=torch.int64),
                   bins=30)
    # ours: the end points and beyond join the first and last of exactly 30 bins
    assert mi.I_XT.item() == pytest.approx(scipy_entropy([3] + [1] * 28 + [3], base=2), abs=1e-12)
    wide = torch.linspace(-3, 3, 5001).reshape(-1, 1)
    assert bin_count(wide, torch.zeros(5001, dtype=torch.int64), bins=30).I_XT.item() <= (
        math.log2(30) + 1e-12)


@pytest.mark.parametrize("size", [0.0, -0.1, float("nan")])
def test_bad_size(size):
    with pytest.raises(ValueError, match="size must be > 0"):
        bin_size(torch.zeros(3, 1), torch.zeros(3, dtype=torch.int64), size=size)


def test_bad_bins():
    with pytest.raises(ValueError, match="bins must be >= 1"):
        bin_count(torch.zeros(3, 1), torch.zeros(3, dtype=torch.int64), bins=0)


@pytest.mark.parametrize(("low", "high"), [(1.0, 1.0), (1.0, -1.0)])
def test_bad_range(low, high):
    with pytest.raises(ValueError, match="low must be < high"):
        bin_count(torch.zeros(3, 1), torch.zeros(3, dtype=torch.int64), bins=3, low=low, high=high)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("where", [(0, 0, 0), (1, 3, 1), (2, 7, 2)])  # first, a middle, last
@pytest.mark.parametrize("estimate", [
    lambda a, y: bin_size(a, y, size=0.1),
    *[lambda a, y, r=r: bin_count(a, y, bins=30, low=-5.0, high=5.0, range=r)
      for r in ("fixed", "layer-epoch", "layer", "global")],
], ids=["bin-size", "bin-count-fixed", "bin-count-layer-epoch", "bin-count-layer",
        "bin-count-global"])
def test_numpy_input_with_a_non_finite_value_is_refused(estimate, where, bad):
    """On numpy input (the CPU path's kernels) a NaN or an infinity anywhere in any group is
    refused before binning, as on tensors."""
    acts = np.random.default_rng(0).uniform(-1, 1, (3, 8, 3)).astype(np.float32)
    acts[where] = bad
    with pytest.raises(ValueError, match="non-finite"):
        estimate(acts, np.arange(8) % 2)
