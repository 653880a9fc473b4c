"""Sample propagation: exact 1-D integrals, closed forms, KDE bounds, convergence, invariances,
Goldfeld Sec. 4's single noisy neuron, and which experiments it applies to."""

import json
import math

import numpy as np
import pytest
import torch
from scipy.integrate import quad
from scipy.stats import norm

from ibrepro.estimators import provides, skip_reason
from ibrepro.estimators.kde import mixture_entropy_bounds
from ibrepro.estimators.sample_propagation import mixture_entropy, sample_propagation
from ibrepro.nets.mlp import Network


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def quad_mixture_entropy(centres, beta):
    """h in nats of (1/n) sum_j N(c_j, beta^2) on the line, by adaptive quadrature."""
    centres = np.asarray(centres, dtype=float)

    def integrand(t):
        p = norm.pdf(t, centres, beta).mean()
        return -p * math.log(p) if p > 0 else 0.0

    lo, hi = centres.min() - 12 * beta, centres.max() + 12 * beta
    return quad(integrand, lo, hi, points=list(centres), limit=500)[0]


def quad_awgn_information(points, beta):
    """I(S; S + Z) in nats, S uniform on ``points``, Z ~ N(0, beta^2): h(S + Z) - h(Z)."""
    return quad_mixture_entropy(points, beta) - 0.5 * math.log(2 * math.pi * math.e * beta**2)


@pytest.mark.parametrize("centres, beta", [([-1.0, 0.0, 0.3, 2.0], 0.4),
                                           ([0.0, 0.05, 0.1, 3.0, 3.2], 0.1)])
def test_mixture_entropy_matches_quadrature(centres, beta):
    mc = mixture_entropy(torch.tensor(centres)[:, None], beta, samples=400_000,
                         generator=generator())
    assert float(mc) == pytest.approx(quad_mixture_entropy(centres, beta), abs=5e-3)


def test_mixture_entropy_converges_as_samples_grow():
    centres, beta = [-1.0, -0.2, 0.5, 1.5], 0.5
    exact = quad_mixture_entropy(centres, beta)
    c = torch.tensor(centres)[:, None].expand(64, -1, -1)  # 64 independent estimates at once

    def rms(samples):
        h = mixture_entropy(c, beta, samples=samples, generator=generator(samples))
        return float(((h - exact) ** 2).mean().sqrt())

    errors = [rms(s) for s in (16, 256, 4096)]
    assert errors[0] > 2 * errors[1] > 4 * errors[2]  # ~ 1/sqrt(samples): 4x per step
    assert errors[2] < 0.02


@pytest.mark.parametrize("beta", [0.05, 0.3, 1.0])
def test_monte_carlo_lies_between_the_kde_bounds(beta):
    centres = torch.randn(40, 3, generator=generator(1), dtype=torch.float64) * 0.5
    lower, upper = mixture_entropy_bounds(centres, beta**2)
    mc = float(mixture_entropy(centres, beta, samples=30_000, generator=generator()))
    assert float(lower) - 0.01 <= mc <= float(upper) + 0.01
    assert float(upper) - float(lower) > 0.05  # the bounds are not trivially tight here


def test_translation_rotation_and_permutation_invariance():
    centres = torch.randn(20, 3, generator=generator(2), dtype=torch.float64) * 0.3
    beta, samples = 0.2, 100_000
    h = float(mixture_entropy(centres, beta, samples=samples, generator=generator()))
    shifted = mixture_entropy(centres + torch.tensor([5.0, -3.0, 100.0], dtype=torch.float64),
                              beta, samples=samples, generator=generator())
    assert float(shifted) == pytest.approx(h, abs=1e-9)  # same draws, exactly shifted
    rotation, _ = torch.linalg.qr(torch.randn(3, 3, generator=generator(3), dtype=torch.float64))
    permuted = centres[torch.randperm(20, generator=generator(4))]
    for other in (centres @ rotation.T, permuted):  # other draws: equal within MC error
        value = float(mixture_entropy(other, beta, samples=samples, generator=generator(9)))
        assert value == pytest.approx(h, abs=0.015)


def linear_net(d, layers, beta):
    """Identity layers on R^d (linear activations), then a 2-unit output."""
    eye = torch.eye(d, dtype=torch.float64)
    return Network([eye] * layers + [torch.ones(d, 2, dtype=torch.float64)],
                   [torch.zeros(1, d, dtype=torch.float64)] * layers
                   + [torch.zeros(1, 2, dtype=torch.float64)], ["linear"] * layers, beta)


def test_separated_inputs_give_log_n_and_label_entropy():
    """Inputs 1 apart, beta = 0.01: T_1 is n separated clusters, so I(X;T_1) = ln n exactly
    (conditional term (d/2) ln(2 pi e beta^2) in closed form) and I(T_1;Y) = H(Y)."""
    n, d, beta = 8, 2, 0.01
    s1 = torch.stack([torch.arange(n), torch.zeros(n)], dim=-1).double()
    labels = torch.tensor([0, 0, 0, 1, 1, 1, 1, 1])
    net = linear_net(d, 1, beta)
    layers = [s1, s1 @ net.weights[1]]
    mi = sample_propagation(layers, labels, network=net, mc_samples=800, propagations=4,
                            conditional_mc_samples=4, seed=0)
    h_y = -(3 / 8 * math.log(3 / 8) + 5 / 8 * math.log(5 / 8))
    assert float(mi.I_XT[0]) == pytest.approx(math.log(n), abs=1e-9)
    assert float(mi.I_TY[0]) == pytest.approx(h_y, abs=1e-9)
    assert math.isnan(mi.I_XT[1]) and math.isnan(mi.I_TY[1])  # the softmax output: no noise


def test_re_propagation_reaches_the_conditional_entropy_of_layer_two():
    """Identity layer 2: S_2 | x = s_1 + Z_1, so h(T_2 | x) = (d/2) ln(2 pi e 2 beta^2); the
    recorded S_2 (one draw per x) make h^(T_2) = ln n + (d/2) ln(2 pi e beta^2) when inputs
    are far apart, so I_SP(X;T_2) -> ln n - (d/2) ln 2 as n_x grows."""
    n, d, beta = 6, 1, 0.01
    s1 = torch.arange(n, dtype=torch.float64)[:, None]
    net = linear_net(d, 2, beta)
    s2 = s1 + beta * torch.randn(n, d, generator=generator(5), dtype=torch.float64)
    labels = torch.tensor([0, 1] * 3)
    mi = sample_propagation([s1, s2, s2 @ net.weights[2]], labels, network=net, mc_samples=600,
                            propagations=1024, conditional_mc_samples=1024, seed=0)
    assert float(mi.I_XT[1]) == pytest.approx(math.log(n) - 0.5 * d * math.log(2), abs=0.02)


def test_single_noisy_neuron_matches_the_awgn_integral():
    """Goldfeld Sec. 4: T = tanh(w x + b) + Z on X = {-3, -1, 1, 3}. I(X;T) = I(S; S + Z) by
    quadrature, for a batch of (rep, epoch) weights at once."""
    x = torch.tensor([[-3.0], [-1.0], [1.0], [3.0]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1])
    beta = 0.1
    w = torch.tensor([[0.05, 0.3, 1.0], [0.5, 2.0, 5.0]], dtype=torch.float64)  # (rep, epoch)
    b = -2.3 * w  # the learned bias of the paper's neuron
    weights = [w[..., None, None], torch.ones(2, 3, 1, 2, dtype=torch.float64)]
    biases = [b[..., None, None], torch.zeros(2, 3, 1, 2, dtype=torch.float64)]
    net = Network(weights, biases, ["tanh"], beta)
    s = torch.tanh(x * w[..., None, None] + b[..., None, None])  # (2, 3, 4, 1)
    mi = sample_propagation([s, s.expand(-1, -1, -1, 2)], labels, network=net,
                            mc_samples=50_000, propagations=1, conditional_mc_samples=1, seed=0)
    assert mi.I_XT.shape == (2, 3, 2)
    for r in range(2):
        for e in range(3):
            exact = quad_awgn_information(s[r, e, :, 0].numpy(), beta)
            assert float(mi.I_XT[r, e, 0]) == pytest.approx(exact, abs=0.01)
    assert float(mi.I_XT[1, 2, 0]) < float(mi.I_XT[1, 0, 0])  # {-3,-1,1} merge as w grows


def test_needs_noise_and_matching_layers():
    s = torch.zeros(4, 1, dtype=torch.float64)
    labels = torch.tensor([0, 1, 0, 1])
    with pytest.raises(ValueError, match="noise_std > 0"):
        sample_propagation([s, s], labels, network=linear_net(1, 1, 0.0), mc_samples=4,
                           propagations=2, conditional_mc_samples=2, seed=0)
    with pytest.raises(ValueError, match="layers of weights"):
        sample_propagation([s], labels, network=linear_net(1, 1, 0.1), mc_samples=4,
                           propagations=2, conditional_mc_samples=2, seed=0)


def test_applies_only_to_noisy_experiments():
    noisy, plain = {"name": "n", "noise_std": 0.005}, {"name": "p"}
    assert provides(noisy) == {"activations", "weights", "noise"}
    assert provides(plain) == {"activations", "weights"}
    assert skip_reason(noisy, "sample-propagation") is None
    assert skip_reason(plain, "bin-size") is None
    reason = skip_reason(plain, "sample-propagation")
    assert "noise_std > 0" in reason and "'p'" in reason
    assert "quantized" in skip_reason(plain, "exact-discrete")


def test_config_builds_only_applicable_pairs_and_rejects_a_figure_of_another(monkeypatch):
    from pathlib import Path

    import yaml

    from ibrepro import figures
    from ibrepro.config import ConfigError, load, load_file

    config_path = Path(__file__).resolve().parents[1] / "config.yaml"
    paper, quick = load_file(config_path), load_file(config_path, scale="quick")
    pairs = paper.applicable_pairs()
    assert ("szt-tanh-noisy", "sample-propagation") in pairs
    assert ("szt-tanh", "sample-propagation") not in pairs and ("szt-tanh", "kde-upper") in pairs
    params = (paper.estimators["sample-propagation"]["params"],
              quick.estimators["sample-propagation"]["params"])
    assert params[0]["mc_samples"] > params[1]["mc_samples"]  # quick: its own sample counts
    item = figures.Item(id="test/sp", kind="figure", build=lambda inputs: None,
                        mi=(("szt-tanh", "sample-propagation"),))
    monkeypatch.setitem(figures.ITEMS, item.id, item)
    config = yaml.safe_load(config_path.read_text())
    with pytest.raises(ConfigError, match=r"test/sp reads \(szt-tanh, sample-propagation\), "
                                          r"but .*noise \(a noisy network \(noise_std > 0\)\)"):
        load({**config, "figures": ["test/sp"]})


def test_estimate_file_runs_it_on_a_trained_noisy_run(tmp_path):
    import xarray as xr

    from ibrepro import data
    from ibrepro.estimators.apply import estimate_file
    from ibrepro.train import run_experiment

    dataset = tmp_path / "single-neuron.nc"
    data.build("single-neuron", {"kind": "single-neuron"}).to_netcdf(dataset)
    run = {"name": "neuron", "dataset": "single-neuron", "hidden": [2], "activations": ["tanh"],
           "init": "glorot", "optimizer": "sgd", "lr": 0.1, "batch_size": 4, "epochs": 3,
           "repetitions": 2, "snapshots": 3, "seed": 0, "noise_std": 0.1}
    paths = [tmp_path / f"{kind}.nc" for kind in ("activations", "metrics", "weights")]
    run_experiment(run, dataset, *paths, device="cpu", progress=False)
    spec = {"name": "sp", "method": "sample-propagation",
            "params": {"mc_samples": 2000, "propagations": 4, "conditional_mc_samples": 4,
                       "seed": 0}}
    with pytest.raises(ValueError, match="needs the run's weights.nc"):
        estimate_file(spec, paths[0], tmp_path / "mi.nc", device="cpu")
    estimate_file(spec, paths[0], tmp_path / "mi.nc", device="cpu", weights_path=paths[2])
    with xr.open_dataset(tmp_path / "mi.nc") as mi, xr.open_dataset(paths[0]) as acts:
        assert mi.attrs["units"] == "nats" and mi["I_XT"].shape == (2, 3, 2)
        assert set(json.loads(mi.attrs["inputs"])) == {"activations", "weights"}  # provenance
        assert np.isnan(mi["I_XT"][..., 1]).all()  # the softmax output
        hidden = torch.as_tensor(acts["activation"].values[..., :2], dtype=torch.float64)
        expected = mixture_entropy(hidden, 0.1, samples=2000, generator=generator())
        expected = expected - math.log(2 * math.pi * math.e * 0.01)  # d = 2: (2/2) ln(...)
        np.testing.assert_allclose(mi["I_XT"][..., 0], expected.numpy(), atol=0.05)
