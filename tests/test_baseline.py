"""Shuffled-label baseline: a fixed permutation, same I(X;T), and the plug-in bias it shows."""

import math

import pytest
import torch

from ibrepro.estimators import get
from ibrepro.estimators.baseline import (
    SHUFFLE_PARAM,
    permuted_labels,
    shuffled,
    split_shuffle,
    torch_randperm,
)
from ibrepro.estimators.binning import bin_size


def test_permutation_is_fixed_by_the_seed():
    labels = torch.arange(1000) % 3
    first = permuted_labels(labels, 0)
    assert torch.equal(torch.bincount(first), torch.bincount(labels))
    assert torch.equal(first, permuted_labels(labels, 0))
    assert not torch.equal(first, permuted_labels(labels, 1))
    assert not torch.equal(first, labels)


@pytest.mark.parametrize("n", [1, 2, 7, 4096, 70000])
@pytest.mark.parametrize("seed", [0, 4, 123456789, 2**32 + 5])
def test_the_permutation_is_torchs_randperm(n, seed):
    expected = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    assert torch.equal(torch.from_numpy(torch_randperm(n, seed)), expected)


@pytest.mark.parametrize("method,params", [("bin-size", {"size": 0.3}),
                                           ("kde-upper", {"noise_variance": 0.1}),
                                           ("adaptive-bins", {"bins": 10})])
def test_shuffled_is_fn_on_permuted_labels(method, params):
    generator = torch.Generator().manual_seed(0)
    acts = torch.tanh(torch.randn(2, 300, 3, generator=generator))
    labels = torch.randint(0, 2, (300,), generator=generator)
    fn = get(method).fn
    baseline = shuffled(fn, 5)(acts, labels, **params)
    expected = fn(acts, permuted_labels(labels, 5), **params)
    original = fn(acts, labels, **params)
    assert torch.equal(baseline.I_TY, expected.I_TY)
    # I(X;T) ignores the labels; the KDE sums its rows in class order, so permuted labels
    # change the float64 summation order: equal to rounding, not bit for bit
    torch.testing.assert_close(baseline.I_XT, original.I_XT, rtol=1e-12, atol=0)
    assert shuffled(fn, 5).__name__ == fn.__name__


def test_baseline_shows_the_plug_in_bias():
    # labels = sign of the unit: I(T;Y) = 1 bit; shuffled it should be 0, but with one
    # sample per bin the plug-in estimate is H(Y) = 1 bit anyway, with coarse bins ~0
    n = 2048
    acts = torch.linspace(-1, 1, n).reshape(n, 1)
    labels = (acts[:, 0] > 0).long()
    fine, coarse = {"size": 1e-4}, {"size": 0.5}
    assert bin_size(acts, labels, **fine).I_TY.item() == pytest.approx(1.0, abs=1e-12)
    assert shuffled(bin_size, 0)(acts, labels, **fine).I_TY.item() == pytest.approx(
        1.0, abs=1e-12)
    assert bin_size(acts, labels, **coarse).I_TY.item() == pytest.approx(1.0, abs=1e-12)
    assert shuffled(bin_size, 0)(acts, labels, **coarse).I_TY.item() < 10 / (n * math.log(2))


def test_split_shuffle():
    assert split_shuffle({"size": 0.3}) == ({"size": 0.3}, None)
    assert split_shuffle({"size": 0.3, SHUFFLE_PARAM: 7}) == ({"size": 0.3}, 7)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="shuffle_labels_seed must be an int >= 0"):
        split_shuffle({SHUFFLE_PARAM: seed})
    with pytest.raises(ValueError, match="shuffle_labels_seed must be an int >= 0"):
        shuffled(bin_size, seed)
