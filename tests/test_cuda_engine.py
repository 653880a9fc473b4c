"""The torch engine on CUDA (skipped without a GPU; benchmarks/gpu_smoke.sh runs these first
on a GPU machine): the CUDA-graph epoch replays what the eager epoch computes, the CUDA run
trains the nets the CPU engine trains, and record_split is sliced on the device."""

import numpy as np
import pytest
import torch

from ibrepro.train.engine_torch import TorchEngine
from ibrepro.train.loop import repetition_seeds, train

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
CUDA = torch.device("cuda")


def spec(**changes):
    base = dict(name="cuda", dataset="szt", snapshots=2, hidden=[10, 7, 5, 4, 3],
                activations=["tanh"] * 5,
                init="truncated-normal-fan-in", optimizer="adam", lr=1e-3, batch_size=256,
                epochs=12, repetitions=4, seed=2, noise_std=0.01, dropout=0.1,
                gradient_stats=True)
    return {**base, **changes}


def test_cuda_graph_epochs_equal_eager_epochs(szt_data):
    s = spec()
    x, y, train_mask = szt_data
    seeds = repetition_seeds(s["seed"], s["repetitions"])
    graphed = TorchEngine(s, x, y, train_mask, seeds, CUDA, s["epochs"])
    eager = TorchEngine(s, x, y, train_mask, seeds, CUDA, s["epochs"])
    eager._step = eager._epoch
    for run in (graphed, eager):
        run.evaluate(0, True)
        for epoch in range(1, s["epochs"] + 1):
            run.train_epoch(epoch, True)
    np.testing.assert_allclose(graphed.history_array(), eager.history_array(), rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(graphed.snapshot(), eager.snapshot(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("changes", [{}, {"bits": 8, "dropout": 0.0, "noise_std": 0.0},
                                     {"activations": ["relu"] * 5, "weight_decay": 1e-3}])
def test_cuda_run_trains_the_cpu_engines_nets(szt_data, changes):
    s = spec(**changes)
    results = {}
    for device in ("cuda", "cpu"):
        snaps = {}
        history = train(s, *szt_data, snapshot_epochs=np.array([0, s["epochs"]]),
                        on_snapshot=lambda e, a, *r, snaps=snaps: snaps.__setitem__(e, a),
                        device=torch.device(device), progress=False)
        results[device] = history, snaps
    (gpu, gpu_snaps), (cpu, cpu_snaps) = results["cuda"], results["cpu"]
    rtol = 1e-2 if s.get("bits") else 1e-4  # 8 bits: level flips (tests/test_engine_parity)
    np.testing.assert_allclose(gpu.loss, cpu.loss, rtol=rtol, atol=1e-6)
    np.testing.assert_allclose(gpu_snaps[0], cpu_snaps[0], rtol=1e-3, atol=1e-4)


def test_cuda_record_samples_are_sliced_on_the_device(szt_data):
    s = spec(epochs=2)
    chosen = np.flatnonzero(~szt_data[2])
    every, some = {}, {}
    for kept, out in ((None, every), (chosen, some)):
        train(s, *szt_data, snapshot_epochs=np.array([2]), device=CUDA, progress=False,
              on_snapshot=lambda e, a, out=out: out.__setitem__(e, a), record_samples=kept)
    assert some[2].shape[1] == len(chosen)
    np.testing.assert_array_equal(some[2], every[2][:, chosen])
