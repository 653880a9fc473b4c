"""The CPU engine's repetitions split over threads (kernels.threads): every repetition in
exactly one share, and each repetition's numbers the same whatever the thread count."""

import numba
import numpy as np
import pytest
import torch

from ibrepro.kernels import subnormals, threads
from ibrepro.kernels.threads import over_repetitions, shares
from ibrepro.train.loop import train


@pytest.mark.parametrize(("repetitions", "threads"), [(50, 2), (7, 3), (2, 8), (1, 1), (5, 1)])
def test_shares_cover_each_repetition_once_and_evenly(repetitions, threads):
    parts = shares(repetitions, threads)
    assert len(parts) == min(repetitions, threads)
    assert [r for a, b in parts for r in range(a, b)] == list(range(repetitions))
    sizes = [b - a for a, b in parts]
    assert max(sizes) - min(sizes) <= 1


def test_an_error_in_any_share_reaches_the_caller():
    def kernel(first, stop, fail_at):
        if first <= fail_at < stop:
            raise ValueError(f"repetition {fail_at}")

    threads = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    try:
        with pytest.raises(ValueError, match="repetition 9"):
            over_repetitions(kernel, 10, 9)  # in the last share: run by the pool
    finally:
        numba.set_num_threads(threads)


def _train(szt_data, threads):
    spec = dict(name="threads", dataset="szt", hidden=[10, 7, 5, 4, 3],
                activations=["tanh"] * 5, init="truncated-normal-fan-in", optimizer="sgd",
                lr=0.05, batch_size=256, epochs=6, repetitions=3, snapshots=2, seed=5,
                noise_std=0.05)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        snaps = {}
        history = train(spec, *szt_data, snapshot_epochs=np.array([0, 6]),
                        on_snapshot=lambda e, a, *_: snaps.__setitem__(e, a),
                        device=torch.device("cpu"), progress=False, engine="cpu")
    finally:
        numba.set_num_threads(before)
    return history, snaps


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two numba threads")
def test_repetitions_do_not_depend_on_the_thread_count(szt_data):
    one, two = _train(szt_data, 1), _train(szt_data, 2)
    np.testing.assert_allclose(one[0].loss, two[0].loss, rtol=1e-6)
    np.testing.assert_array_equal(one[0].accuracy, two[0].accuracy)
    assert sorted(one[1]) == [0, 6]
    for epoch in one[1]:
        np.testing.assert_allclose(one[1][epoch], two[1][epoch], rtol=1e-6, atol=1e-7)


@pytest.mark.skipif(not subnormals.X86, reason="MXCSR is x86's")
def test_kernels_run_with_subnormals_flushed_and_the_caller_gets_its_mode_back():
    """Subnormals cost a relu net's late epochs ~3x on x86 (docs/performance.md): each share of
    the repetitions runs flushed, and the calling thread keeps its own mode afterwards."""
    tiny = np.full(4, 1e-38, np.float32)
    halves = np.zeros(4, np.float32)

    def kernel(first, stop, out):
        out[first:stop] = tiny[first:stop] * np.float32(0.5)

    numba.set_num_threads(2)
    threads.over_repetitions(kernel, 4, halves)
    assert (halves == 0).all()  # both shares flushed: the caller's and the pool's
    assert tiny[0] * np.float32(0.5) > 0  # and this thread is back to gradual underflow
