"""Weight decay in the batched trainer: coupled L2 on the weights only, exactly per repetition,
lambda = 0 the plain optimizer bit for bit, checked against a closed form and an independent
loop that adds lambda/2 * ||W||^2 to each repetition's loss."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ibrepro import data
from ibrepro.nets.mlp import BatchedMLP
from ibrepro.train.loop import repetition_seeds, train
from ibrepro.train.shuffle import epoch_order

CPU = torch.device("cpu")


def spec(**changes):
    base = dict(name="wd", hidden=[10, 7, 5, 4, 3], activations=["relu"] * 5,
                init="truncated-normal-fan-in", optimizer="sgd", lr=0.05, batch_size=256,
                epochs=2, repetitions=3, snapshots=2, seed=7)
    return {**base, **changes}


@pytest.fixture(scope="module")
def szt_data():
    ds = data.build("szt", {"kind": "szt", "test_fraction": 0.2, "split_seed": 0})
    return ds["x"].values, ds["y"].values, ds["split"].values == "train"


def trained(s, szt_data, seeds=None):
    """Weights and biases of every layer at epochs 0 and ``s["epochs"]``: {epoch: (W, b)}."""
    params = {}
    train(s, *szt_data, snapshot_epochs=np.array([0, s["epochs"]]), on_snapshot=lambda e, a: None,
          on_weights=lambda e, w, b: params.__setitem__(e, (w, b)), device=CPU, seeds=seeds,
          progress=False)
    return params


def reference(s, szt_data):
    """An independent loop: the plain optimizer over all parameters (one group, no
    ``weight_decay``), and lambda/2 * sum_l ||W_lr||^2 per repetition added to the loss."""
    x, y, train_mask = (torch.as_tensor(a) for a in szt_data)
    x_train, y_train = x[train_mask].float(), y[train_mask]
    seeds = repetition_seeds(s["seed"], s["repetitions"])
    net = BatchedMLP([12, *s["hidden"], 2], s["activations"], seeds, s["init"])
    optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[s["optimizer"]](
        net.parameters(), lr=s["lr"])
    lam = s.get("weight_decay", 0.0)
    for epoch in range(s["epochs"]):
        order = epoch_order(torch.tensor(seeds), torch.tensor(epoch), len(y_train))
        for start in range(0, order.shape[1], s["batch_size"]):
            batch = order[:, start:start + s["batch_size"]]
            logits = net(x_train[batch])[-1]
            loss = F.cross_entropy(logits.transpose(1, 2), y_train[batch],
                                   reduction="none").mean(dim=1).sum()
            if lam:
                loss = loss + lam / 2 * sum((w ** 2).sum() for w in net.weights)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return [w.detach().numpy() for w in net.weights], [b.detach().numpy()[:, 0] for b in net.biases]


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.05), ("adam", 1e-3)])
def test_zero_decay_is_the_plain_optimizer_bit_for_bit(szt_data, optimizer, lr):
    s = spec(optimizer=optimizer, lr=lr, weight_decay=0.0)
    got = trained(s, szt_data)[s["epochs"]]
    want = reference(s, szt_data)
    for got_layers, want_layers in zip(got, want, strict=True):
        for g, w in zip(got_layers, want_layers, strict=True):
            np.testing.assert_array_equal(g, w)
    unset = trained({k: v for k, v in s.items() if k != "weight_decay"}, szt_data)[s["epochs"]]
    for g, w in zip(unset[0] + unset[1], got[0] + got[1], strict=True):
        np.testing.assert_array_equal(g, w)


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.05), ("adam", 1e-3)])
def test_decay_is_l2_on_the_weights_added_to_each_repetitions_loss(szt_data, optimizer, lr):
    s = spec(optimizer=optimizer, lr=lr, weight_decay=0.05)
    got = trained(s, szt_data)[s["epochs"]]
    want = reference(s, szt_data)
    for got_layers, want_layers in zip(got, want, strict=True):
        for g, w in zip(got_layers, want_layers, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.05), ("adam", 1e-3)])
def test_batched_decay_equals_each_repetition_alone(szt_data, optimizer, lr):
    s = spec(optimizer=optimizer, lr=lr, weight_decay=0.05)
    batched = trained(s, szt_data)[s["epochs"]]
    for r, seed in enumerate(repetition_seeds(s["seed"], 3)):
        alone = trained({**s, "repetitions": 1}, szt_data, seeds=[seed])[s["epochs"]]
        for g, w in zip(alone[0] + alone[1], batched[0] + batched[1], strict=True):
            np.testing.assert_allclose(g[0], w[r], rtol=1e-6, atol=1e-7)


def test_one_sgd_step_decays_weights_by_lr_lambda(szt_data):
    """Full-batch SGD, one step: W_lambda - W_0 = -lr * lambda * W(0) exactly; biases untouched
    by the decay."""
    s = spec(epochs=1, batch_size=4096, lr=0.1)
    lam = 0.3
    plain, decayed = trained(s, szt_data), trained({**s, "weight_decay": lam}, szt_data)
    init = BatchedMLP([12, *s["hidden"], 2], s["activations"], repetition_seeds(7, 3), s["init"])
    for w0, w_init in zip(plain[0][0], init.weights, strict=True):  # epoch 0 kept, not aliased
        np.testing.assert_array_equal(w0, w_init.detach().numpy())
    for w0, w_plain, w_decayed in zip(plain[0][0], plain[1][0], decayed[1][0], strict=True):
        np.testing.assert_allclose(w_decayed - w_plain, -s["lr"] * lam * w0, rtol=1e-4,
                                   atol=1e-7)
    for b_plain, b_decayed in zip(plain[1][1], decayed[1][1], strict=True):
        np.testing.assert_array_equal(b_plain, b_decayed)


def test_decay_shrinks_the_weights(szt_data):
    s = spec(epochs=3, optimizer="adam", lr=1e-2)
    plain = trained(s, szt_data)[3][0]
    decayed = trained({**s, "weight_decay": 0.1}, szt_data)[3][0]
    for w_plain, w_decayed in zip(plain, decayed, strict=True):
        assert (np.linalg.norm(w_decayed, axis=(1, 2))
                < 0.9 * np.linalg.norm(w_plain, axis=(1, 2))).all()


def test_negative_decay_is_refused(szt_data):
    with pytest.raises(ValueError, match="weight_decay must be >= 0, got -0.1"):
        trained(spec(weight_decay=-0.1), szt_data)
