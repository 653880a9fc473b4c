"""The CPU engine's float32 elementary functions (kernels.elementary) against float64 numpy,
on dense grids, in ulp of the float32 result; and the counter RNG's numba and torch twins."""

import numpy as np
import pytest
import torch
from numba import njit

from ibrepro.kernels import counter_rng as kernel_rng
from ibrepro.kernels import elementary
from ibrepro.nets import counter_rng


def vectorised(fn):
    @njit(fastmath=elementary.FASTMATH, error_model="numpy")
    def apply(x, out):
        for i in range(x.size):
            out[i] = fn(x[i])
    return apply


def grid(low, high, n=400_001):
    return np.linspace(low, high, n).astype(np.float32)


CASES = {  # name: (reference, grid, max ulp)
    "exp": (np.exp, grid(-87, 88), 1),
    "log": (np.log, np.exp(grid(-80, 80)).astype(np.float32), 2),
    "log1p": (np.log1p, np.concatenate([grid(-0.999, 10), grid(-1e-5, 1e-5)]), 3),
    "expm1": (np.expm1, np.concatenate([grid(-20, 20), grid(-1e-4, 1e-4)]), 4),
    "tanh": (np.tanh, np.concatenate([grid(-12, 12), grid(-1e-3, 1e-3)]), 5),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), grid(-30, 30), 3),  # exp (1 ulp), +, /
    "softplus": (lambda x: np.logaddexp(0, x), grid(-30, 30), 3),
}


@pytest.mark.parametrize("name", CASES)
def test_elementary_functions_within_a_few_ulp(name):
    reference, x, max_ulp = CASES[name]
    got = np.empty_like(x)
    vectorised(getattr(elementary, name))(x, got)
    want = reference(x.astype(np.float64))
    ulp = np.spacing(np.abs(want.astype(np.float32))).astype(np.float64)
    assert np.max(np.abs(got - want) / ulp) <= max_ulp


def test_cos_turns_is_cos_of_whole_turns():
    v = grid(0, 1)
    got = np.empty_like(v)
    vectorised(elementary.cos_turns)(v, got)
    np.testing.assert_allclose(got, np.cos(2 * np.pi * v.astype(np.float64)), atol=3e-7)


@njit
def _draw(seeds, epoch, pass_, layer, purpose, samples, units, words, normals, uniforms):
    for r in range(seeds.size):
        key = kernel_rng.stream(seeds[r], epoch, pass_, layer, purpose)
        for s in range(samples):
            for j in range(units):
                b = kernel_rng.element_bits(key, j * samples + s)
                words[r, s, j] = b
                normals[r, s, j] = kernel_rng.normal(b)
                uniforms[r, s, j] = kernel_rng.uniform(b)


def draw(seeds, epoch, pass_, layer, purpose, samples, units):
    shape = (len(seeds), samples, units)
    out = np.empty(shape, np.uint64), np.empty(shape, np.float32), np.empty(shape, np.float32)
    _draw(seeds, epoch, pass_, layer, purpose, samples, units, *out)
    return out


def test_counter_rng_twins_draw_the_same_bits():
    seeds = np.array([1, 2**62 + 12345, 7], dtype=np.uint64)
    words, normals, uniforms = draw(seeds, 5, counter_rng.EVALUATION, 2, counter_rng.NOISE,
                                    300, 7)
    keys = counter_rng.stream(torch.tensor(seeds.astype(np.int64)), torch.tensor(5),
                              counter_rng.EVALUATION, 2, counter_rng.NOISE)
    twin = counter_rng.bits(keys, 300, 7)
    np.testing.assert_array_equal(twin.numpy().view(np.uint64), words)
    np.testing.assert_array_equal(counter_rng.uniform(twin).numpy(), uniforms)
    np.testing.assert_allclose(counter_rng.normal(twin).numpy(), normals, atol=3e-6)
    # on the CPU, the torch engine's draws come from the kernels (compiled with fastmath:
    # within an ulp of the plain compile here)
    draws = counter_rng.Draws(torch.tensor(seeds.astype(np.int64)), 5, counter_rng.EVALUATION)
    np.testing.assert_allclose(draws.normal(2, 300, 7).numpy(), normals, rtol=3e-7, atol=3e-7)
    dropout = draws.keep(3, 300, 7, 0.3).numpy()
    np.testing.assert_array_equal(dropout, draw(seeds, 5, counter_rng.EVALUATION, 3,
                                                counter_rng.DROPOUT, 300, 7)[2] >= 0.3)


def test_counter_rng_draws_are_standard_normal_and_uniform():
    stats = pytest.importorskip("scipy.stats")
    _, normals, uniforms = draw(np.array([3], np.uint64), 1, 0, 1, counter_rng.NOISE,
                                100_000, 4)
    assert stats.kstest(normals.ravel(), "norm").pvalue > 1e-3
    assert stats.kstest(uniforms.ravel(), "uniform").pvalue > 1e-3
    other = draw(np.array([3], np.uint64), 1, 1, 1, counter_rng.NOISE, 1000, 4)[1]
    assert abs(np.corrcoef(normals[0, :1000].ravel(), other.ravel())[0, 1]) < 0.1
