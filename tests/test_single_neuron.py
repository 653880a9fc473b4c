"""Goldfeld §4: the single noisy neuron's trainer, I(X;T) by quadrature, sample propagation."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from ibrepro.estimators.quadrature import awgn_information
from ibrepro.estimators.sample_propagation import sample_propagation
from ibrepro.nets.mlp import Network
from ibrepro.train.single_neuron import neuron_trajectory, train_neuron

X = np.array([-3.0, -1.0, 1.0, 3.0])
TARGET = np.array([-1.0, -1.0, -1.0, 1.0])


def test_quadrature_limits():
    distinct = torch.tensor([-0.9, -0.3, 0.2, 0.8], dtype=torch.float64)
    assert awgn_information(distinct, 1e-3).item() == pytest.approx(math.log(4), abs=1e-9)
    assert awgn_information(torch.full((4,), 0.4), 0.01).item() == pytest.approx(0, abs=1e-12)
    pairs = torch.tensor([-0.5, -0.5, 0.5, 0.5])
    assert awgn_information(pairs, 1e-3).item() == pytest.approx(math.log(2), abs=1e-9)
    assert awgn_information(distinct, 100.0).item() == pytest.approx(0, abs=1e-4)
    batched = awgn_information(torch.stack([distinct, pairs.double()]), 1e-3)
    torch.testing.assert_close(batched, torch.tensor([math.log(4), math.log(2)],
                                                     dtype=torch.float64), atol=1e-9, rtol=0)


def _scipy_information(points, beta):
    """I = h(T) - h(Z) by adaptive quadrature of -p ln p (independent of Gauss–Hermite)."""
    def density(t):
        return np.mean(stats.norm.pdf(t, loc=points, scale=beta))

    def integrand(t):
        p = density(t)
        return -p * np.log(p) if p > 0 else 0.0

    low, high = min(points) - 10 * beta, max(points) + 10 * beta
    h, _ = integrate.quad(integrand, low, high, points=list(points), limit=500)
    return h - 0.5 * math.log(2 * math.pi * math.e * beta**2)


@pytest.mark.parametrize("beta", [0.05, 0.2, 0.6])
def test_quadrature_matches_adaptive_integration(beta):
    points = np.array([-0.3, 0.0, 0.1, 0.5])
    ours = awgn_information(torch.as_tensor(points), beta).item()
    assert ours == pytest.approx(_scipy_information(points, beta), abs=1e-6)


@pytest.mark.parametrize("w, b", [(0.3, -0.6), (1.2, -2.5), (2.5, -5.0)])
def test_sample_propagation_matches_quadrature_for_the_neuron(w, b):
    beta = 0.01 if w > 1 else 0.05
    s = torch.tanh(torch.tensor(w * X + b))[:, None]  # (sample, unit) pre-noise S
    net = Network([torch.tensor([[w]])], [torch.tensor([[b]])], ["tanh"], beta)
    mi = sample_propagation([s], torch.tensor([0, 0, 0, 1]), network=net, mc_samples=40000,
                            propagations=4, conditional_mc_samples=4, seed=1)
    exact = awgn_information(s[:, 0], beta).item()
    assert mi.I_XT[0].item() == pytest.approx(exact, abs=0.01)


def test_first_step_and_trajectory():
    w, b = neuron_trajectory(X, TARGET, lr=0.01, epochs=3000)
    # at w = b = 0: dL/dw = -mean(t x) * 2 / ... = -(2/4) sum(t x), dL/db = -(2/4) sum(t)
    assert w[1] == pytest.approx(0.01 * 0.5 * (TARGET @ X))
    assert b[1] == pytest.approx(0.01 * 0.5 * TARGET.sum())
    loss = ((np.tanh(w[:, None] * X + b[:, None]) - TARGET) ** 2).mean(-1)
    assert (np.diff(loss) < 0).all()
    assert (np.sign(np.tanh(w[-1] * X + b[-1])) == TARGET).all()
    assert -2.5 < b[-1] / w[-1] < -1.5  # the boundary -b/w between x = 1 and x = 3


def test_train_neuron_records_pre_noise_output_and_parameters():
    spec = {"name": "n", "dataset": "single-neuron", "hidden": [1], "activations": ["tanh"],
            "repetitions": 1, "lr": 0.01, "epochs": 50, "trainer": "single-neuron",
            "init": "glorot", "optimizer": "sgd", "batch_size": 4, "snapshots": 10, "seed": 0}
    snaps, params = {}, {}
    history = train_neuron(spec, X[:, None], (TARGET > 0).astype(int), np.ones(4, bool),
                           snapshot_epochs=np.array([0, 7, 50]),
                           on_snapshot=snaps.__setitem__, device=torch.device("cpu"),
                           on_weights=lambda e, w, b: params.__setitem__(e, (w, b)),
                           progress=False)
    w, b = params[7][0][0][0, 0, 0], params[7][1][0][0, 0]
    np.testing.assert_allclose(snaps[7][0, :, 0], np.tanh(w * X + b), rtol=1e-6)
    assert snaps[0].shape == (1, 4, 1) and not snaps[0].any()
    assert history.loss.shape == (1, 51, 2) and np.isnan(history.loss[0, :, 1]).all()
    assert history.loss[0, 0, 0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="hidden \\[1\\]"):
        train_neuron({**spec, "repetitions": 2}, X[:, None], TARGET > 0, np.ones(4, bool),
                     snapshot_epochs=np.array([0]), on_snapshot=print,
                     device=torch.device("cpu"))
