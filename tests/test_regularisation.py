"""Parseval retraction, weight normalisation and dropout in the batched trainer."""

import numpy as np
import pytest
import torch
from test_train import spec

from ibrepro.nets.mlp import BatchedMLP, propagate
from ibrepro.nets.regularisation import parseval_retraction_, weight_normalised
from ibrepro.train.loop import repetition_seeds, train

CPU = torch.device("cpu")


def run(s, szt_data, seeds=None, epochs=(0, 4)):
    snaps, weights = {}, {}
    history = train(s, *szt_data, snapshot_epochs=np.array(epochs),
                    on_snapshot=lambda e, a: snaps.__setitem__(e, a), device=CPU, seeds=seeds,
                    progress=False, on_weights=lambda e, w, b: weights.__setitem__(e, (w, b)))
    return history, snaps, weights


def test_parseval_step_maps_singular_values_and_converges_to_orthonormal():
    w = 0.7 * torch.randn(2, 12, 10, generator=torch.Generator().manual_seed(0),
                          dtype=torch.float64)
    before = torch.linalg.svdvals(w)
    step = w.clone()
    parseval_retraction_([step], 0.01)
    expected = before + 0.01 * (before - before**3)  # s -> s + b (s - s^3), same vectors
    torch.testing.assert_close(torch.linalg.svdvals(step), expected.sort(descending=True).values)
    w = w / 3  # singular values below ~1.5: the retraction with b = 0.1 converges
    for _ in range(300):
        parseval_retraction_([w], 0.1)
    # Cisse's W W^T = I is our W^T W = I (weights stored fan_in x fan_out)
    torch.testing.assert_close(w.transpose(-1, -2) @ w, torch.eye(10, dtype=torch.float64)
                               .expand(2, 10, 10), atol=1e-8, rtol=0)


def test_parseval_rate_is_checked():
    with pytest.raises(ValueError, match="parseval rate"):
        parseval_retraction_([torch.ones(2, 2)], 0.7)


def test_parseval_training_makes_weights_orthonormal(szt_data):
    _, _, weights = run(spec(parseval=0.1, lr=0.01, epochs=5), szt_data, epochs=(0, 5))
    for w in weights[5][0]:  # every layer, every repetition
        gram = np.einsum("rio,rip->rop", w, w)
        np.testing.assert_allclose(gram, np.broadcast_to(np.eye(w.shape[-1]), gram.shape),
                                   atol=0.02)
    w0 = weights[0][0][0]
    assert not np.allclose(np.einsum("rio,rip->rop", w0, w0), np.eye(10), atol=0.2)


@pytest.mark.parametrize("changes", [{"parseval": 0.01}, {"weight_norm": True}])
def test_batched_repetition_equals_training_it_alone(szt_data, changes):
    s = spec(**changes)
    batched, snaps, weights = run(s, szt_data)
    seeds = repetition_seeds(s["seed"], 3)
    alone, alone_snaps, alone_weights = run({**s, "repetitions": 1}, szt_data, seeds[1:2])
    np.testing.assert_allclose(alone.loss[0], batched.loss[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(alone_snaps[4][0], snaps[4][1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(alone_weights[4][0][2][0], weights[4][0][2][1], rtol=1e-4,
                               atol=1e-6)
    assert not np.allclose(batched.loss[0], batched.loss[1])


def test_regularisers_change_training(szt_data):
    quick = {"epochs": 2, "repetitions": 1}  # test_train's spec: 6 epochs, 3 repetitions
    plain, _, _ = run(spec(**quick), szt_data, epochs=(0,))
    for changes in ({"parseval": 0.01}, {"weight_norm": True}, {"dropout": 0.3}):
        other, _, _ = run(spec(**quick, **changes), szt_data, epochs=(0,))
        assert not np.allclose(plain.loss[:, -1], other.loss[:, -1]), changes


@pytest.mark.parametrize("changes", [{"weight_norm": True}, {"dropout": 0.5}])
def test_saved_weights_reproduce_the_recorded_outputs(szt_data, changes):
    """weights.nc's W (weight norm: the effective g v / ||v||) re-propagated without dropout
    gives the recorded activations: evaluation uses the effective weights and no dropout."""
    s = spec(**changes)
    _, snaps, weights = run(s, szt_data)
    w, b = weights[4]
    x = torch.as_tensor(szt_data[0], dtype=torch.float32)
    outputs = propagate(x, [torch.as_tensor(v) for v in w],
                        [torch.as_tensor(v)[:, None] for v in b], s["activations"])
    hidden = torch.cat(outputs[:-1], dim=-1).numpy()
    np.testing.assert_allclose(snaps[4][..., :hidden.shape[-1]], hidden, atol=1e-5)
    np.testing.assert_allclose(snaps[4][..., hidden.shape[-1]:],
                               torch.softmax(outputs[-1], -1).numpy(), atol=1e-5)


def test_weight_norm_starts_at_the_initial_weights_with_unit_norms_g():
    plain = BatchedMLP([12, 10, 2], ["tanh"], [1, 2], "glorot")
    normed = BatchedMLP([12, 10, 2], ["tanh"], [1, 2], "glorot", weight_norm=True)
    for w, v in zip(plain.weights, normed.effective_weights(), strict=True):
        torch.testing.assert_close(w.detach(), v.detach())
    v, g = torch.randn(3, 5, 4), torch.randn(3, 1, 4)
    torch.testing.assert_close(weight_normalised(v, g).norm(dim=-2, keepdim=True), g.abs())
    torch.testing.assert_close(weight_normalised(2.5 * v, g), weight_normalised(v, g))


def test_dropout_only_in_training_forward():
    torch.manual_seed(0)
    net = BatchedMLP([12, 200, 2], ["relu"], [1, 2], "glorot", dropout=0.25)
    x = torch.rand(64, 12)
    evaluation = net(x)[0]
    torch.testing.assert_close(net(x)[0], evaluation)  # deterministic, no dropout
    training = net(x, train=True)[0]
    dropped = (training == 0) & (evaluation != 0)
    assert 0.2 < dropped.sum() / (evaluation != 0).sum() < 0.3
    kept = training != 0
    torch.testing.assert_close(training[kept], evaluation[kept] / 0.75)
    assert not torch.equal(dropped[0], dropped[1])  # each repetition its own mask
    with pytest.raises(ValueError, match="dropout"):
        BatchedMLP([12, 3, 2], ["relu"], [1], "glorot", dropout=1.0)


def test_parseval_and_weight_norm_exclude_each_other(szt_data):
    with pytest.raises(ValueError, match="parseval and weight_norm"):
        run(spec(parseval=0.01, weight_norm=True), szt_data)
