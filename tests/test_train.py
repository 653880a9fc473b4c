"""The batched trainer: repetitions are independent, runs are deterministic, files keep the
DESIGN.md contract and appear atomically."""

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import xarray as xr

from ibrepro.nets.mlp import HIDDEN_ACTIVATIONS, INITS, BatchedMLP, propagate
from ibrepro.spec import Experiment
from ibrepro.train import run_experiment
from ibrepro.train.loop import repetition_seeds, train
from ibrepro.train.schedule import snapshot_epochs
from ibrepro.train.shuffle import epoch_order

CPU = torch.device("cpu")


def spec(**changes):
    base = dict(name="t", dataset="szt", hidden=[10, 7, 5, 4, 3], activations=["tanh"] * 5,
                init="truncated-normal-fan-in", optimizer="sgd", lr=0.05, batch_size=256,
                epochs=6, repetitions=3, snapshots=4, seed=7)
    return {**base, **changes}


def run(s, szt_data, epochs_to_record=(0,), seeds=None):
    snaps = {}
    history = train(s, *szt_data, snapshot_epochs=np.array(epochs_to_record),
                    on_snapshot=lambda e, a: snaps.__setitem__(e, a), device=CPU, seeds=seeds,
                    progress=False)
    return history, snaps


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_batched_repetition_equals_training_it_alone(szt_data, optimizer):
    s = spec(optimizer=optimizer, lr=0.05 if optimizer == "sgd" else 1e-3,
             activations=["tanh", "relu", "tanh", "relu", "linear"])
    batched, snaps = run(s, szt_data, (0, 6))
    seeds = repetition_seeds(s["seed"], 3)
    alone_history, alone_snaps = run({**s, "repetitions": 1}, szt_data, (0, 6), seeds[2:])
    np.testing.assert_allclose(alone_history.loss[0], batched.loss[2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(alone_snaps[6][0], snaps[6][2], rtol=1e-4, atol=1e-5)
    assert not np.allclose(batched.loss[0], batched.loss[2])  # repetitions differ


def test_same_seed_same_numbers_other_seed_other_numbers(szt_data):
    a, snaps_a = run(spec(), szt_data, (0, 6))
    b, snaps_b = run(spec(), szt_data, (0, 6))
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(snaps_a[6], snaps_b[6])
    c, _ = run(spec(seed=8), szt_data)
    assert not np.array_equal(a.loss, c.loss)


def test_training_learns(szt_data):
    history, _ = run(spec(epochs=30, lr=0.5), szt_data)
    assert history.loss.shape == (3, 31, 2)
    assert (history.loss[:, -1, 0] < history.loss[:, 0, 0]).all()
    assert history.accuracy[:, -1, 0].mean() > 0.75


def test_repetition_seeds_do_not_depend_on_count():
    assert repetition_seeds(3, 5)[:2] == repetition_seeds(3, 2)
    assert len(set(repetition_seeds(3, 50))) == 50


def test_epoch_order_is_a_permutation_per_repetition_and_epoch():
    seeds = torch.tensor(repetition_seeds(0, 4))
    order = epoch_order(seeds, 3, 100)
    assert (order.sort(dim=1).values == torch.arange(100)).all()
    assert not torch.equal(order[0], order[1])
    assert not torch.equal(order, epoch_order(seeds, 4, 100))
    assert torch.equal(order[2:3], epoch_order(seeds[2:3], torch.tensor(3), 100))


@pytest.mark.parametrize("init, std", [
    ("truncated-normal-fan-in", 1 / math.sqrt(400)),
    ("truncated-normal-fan-out", 1 / math.sqrt(300)),
    ("glorot", math.sqrt(6 / 700) / math.sqrt(3)),
])
def test_init_scales(init, std):
    w = INITS[init](400, 300, torch.Generator().manual_seed(0))
    truncation = 0.8796 if init.startswith("truncated") else 1.0  # std of N(0,1) cut at ±2
    assert w.std().item() == pytest.approx(std * truncation, rel=0.02)
    if init.startswith("truncated"):
        assert w.abs().max() <= 2 * std


def test_mlp_checks_activation_count():
    with pytest.raises(ValueError, match="hidden layers need as many activations"):
        BatchedMLP([12, 10, 2], ["tanh", "tanh"], [0], "glorot")


def test_schedule():
    epochs = snapshot_epochs(8000, 280)
    assert len(epochs) == 280 and epochs[0] == 0 and epochs[-1] == 8000
    assert (np.diff(epochs) > 0).all()
    assert list(epochs[:20]) == list(range(20))  # dense early
    np.testing.assert_array_equal(snapshot_epochs(10, 50), np.arange(11))


def test_files_keep_the_contract(tmp_path, szt_file):
    s = spec(name="szt-test")
    acts, metrics = tmp_path / "run" / "activations.nc", tmp_path / "run" / "metrics.nc"
    weights = tmp_path / "run" / "weights.nc"
    run_experiment(s, szt_file, acts, metrics, weights, device="cpu", progress=False)
    with xr.open_dataset(acts) as a:
        assert a["activation"].dims == ("rep", "epoch", "sample", "unit")
        assert a["activation"].shape == (3, 4, 4096, 31)
        assert list(a["epoch"].values) == list(snapshot_epochs(6, 4))
        assert list(np.unique(a["layer"].values)) == [1, 2, 3, 4, 5, 6]
        assert a["layer_name"].values[-1] == "softmax"
        softmax = a["activation"].values[..., a["layer"].values == 6]
        np.testing.assert_allclose(softmax.sum(-1), 1, rtol=1e-5)
        tanh = a["activation"].values[..., a["layer"].values < 6]
        assert np.abs(tanh).max() <= 1
        assert json.loads(a.attrs["spec"]) == Experiment.of(s).to_dict()  # defaults filled
        for key in ("experiment", "ibrepro_version", "git_commit", "torch_version", "device",
                    "dataset_sha256", "created"):
            assert a.attrs[key]
    with xr.open_dataset(metrics) as m:
        assert m["loss"].dims == ("rep", "epoch", "split")
        assert m["accuracy"].shape == (3, 7, 2) and list(m["split"].values) == ["train", "test"]
    assert sorted(p.name for p in acts.parent.iterdir()) == ["activations.nc", "metrics.nc",
                                                             "weights.nc"]
    # weights.nc round trip: x through the saved weights reproduces every recorded layer
    x = torch.as_tensor(xr.load_dataset(szt_file)["x"].values, dtype=torch.float32)
    with xr.open_dataset(weights) as w, xr.open_dataset(acts) as a:
        assert w["weight_1"].dims == ("rep", "epoch", "in_1", "out_1")
        assert w["weight_6"].shape == (3, 4, 3, 2) and w["bias_6"].shape == (3, 4, 2)
        assert json.loads(w.attrs["activations"]) == ["tanh"] * 5 and w.attrs["noise_std"] == 0
        assert json.loads(w.attrs["spec"]) == Experiment.of(s).to_dict() and w.attrs["git_commit"]
        outputs = propagate(x, [torch.as_tensor(w[f"weight_{k}"].values) for k in range(1, 7)],
                            [torch.as_tensor(w[f"bias_{k}"].values)[..., None, :]
                             for k in range(1, 7)], ["tanh"] * 5)
        outputs[-1] = torch.softmax(outputs[-1], -1)
        np.testing.assert_allclose(torch.cat(outputs, -1).numpy(), a["activation"].values,
                                   rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("bits", [8, 12])
def test_significant_bits_round_the_stored_activations_within_their_bound(tmp_path, szt_file,
                                                                          bits):
    """The same run stored losslessly and with n significant bits: every value within relative
    2^-(n+1) of the lossless one, some values changed (the rounding happened), a smaller file."""
    paths = {}
    for stored in (None, bits):
        out = tmp_path / str(stored)
        s = spec(name="szt-test", **({"significant_bits": stored} if stored else {}))
        run_experiment(s, szt_file, out / "activations.nc", out / "metrics.nc",
                       out / "weights.nc", device="cpu", progress=False)
        paths[stored] = out / "activations.nc"
    exact = xr.load_dataset(paths[None])["activation"].values
    rounded = xr.load_dataset(paths[bits])["activation"].values
    assert np.all(np.abs(rounded - exact) <= np.abs(exact) * 2.0 ** -(bits + 1))
    assert np.mean(rounded != exact) > 0.5
    assert paths[bits].stat().st_size < 0.8 * paths[None].stat().st_size


def test_interrupted_training_leaves_no_file(tmp_path, szt_file, monkeypatch):
    import ibrepro.train.experiment as experiment

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(experiment, "train_with_restarts", crash)
    acts = tmp_path / "activations.nc"
    with pytest.raises(KeyboardInterrupt):
        run_experiment(spec(), szt_file, acts, tmp_path / "metrics.nc", tmp_path / "weights.nc",
                       device="cpu")
    assert list(tmp_path.iterdir()) == []


def test_zero_noise_changes_nothing(szt_data):
    """noise_std 0 runs the same program as no noise at all, bit for bit, and the forward pass
    is the plain composition act(x W + b) (an independent implementation)."""
    plain, plain_snaps = run(spec(epochs=2), szt_data, (0, 2))
    zero, zero_snaps = run(spec(epochs=2, noise_std=0.0), szt_data, (0, 2))
    np.testing.assert_array_equal(plain.loss, zero.loss)
    np.testing.assert_array_equal(plain_snaps[2], zero_snaps[2])
    net = BatchedMLP([12, 10, 7, 2], ["tanh", "relu"], [1, 2], "glorot")
    x = torch.as_tensor(szt_data[0][:50], dtype=torch.float32)
    w, b = net.weights, net.biases
    h1 = torch.tanh(x @ w[0] + b[0])
    h2 = torch.relu(h1 @ w[1] + b[1])
    expected = [h1, h2, h2 @ w[2] + b[2]]
    for got, want in zip(net(x), expected, strict=True):
        assert torch.equal(got, want)


def test_noise_is_fixed_by_the_repetition_seed_alone(szt_data):
    """Counter-based noise (nets.counter_rng): the same config and seeds give the same
    numbers; a repetition's noise follows its own seed, whatever trains beside it (alone or in
    a batch, at any position: float32 tolerance only), and other seeds draw other noise."""
    noisy = spec(noise_std=0.1, epochs=2)
    first, first_snaps = run(noisy, szt_data, (0, 2))
    again, again_snaps = run(noisy, szt_data, (0, 2))
    np.testing.assert_array_equal(first.loss, again.loss)
    np.testing.assert_array_equal(first_snaps[2], again_snaps[2])
    seeds = repetition_seeds(noisy["seed"], 3)
    alone, alone_snaps = run({**noisy, "repetitions": 1}, szt_data, (0, 2), seeds=seeds[1:2])
    np.testing.assert_allclose(alone.loss[0], first.loss[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(alone_snaps[2][0], first_snaps[2][1], rtol=1e-4, atol=1e-5)
    plain, _ = run(spec(epochs=2), szt_data, (0, 2))
    assert not np.allclose(first.loss, plain.loss)
    # twins (the same seed) share their noise; without it they are the same nets too
    twins = [11, 11]
    _, loud = run(spec(repetitions=2, epochs=1, noise_std=0.1), szt_data, (1,), seeds=twins)
    np.testing.assert_allclose(loud[1][0], loud[1][1], rtol=1e-5, atol=1e-6)
    _, other = run(spec(repetitions=2, epochs=1, noise_std=0.1), szt_data, (1,),
                   seeds=[11, 12])
    assert not np.allclose(loud[1][0], other[1][1], rtol=1e-3, atol=1e-3)


def test_recorded_activations_are_pre_noise(szt_data):
    """At epoch 0 layer 1 is act(x W_1 + b_1) exactly (no noise on S_1); layer 2 is not the
    noiseless act(S_1 W_2 + b_2): it reads the noisy T_1 = S_1 + Z_1."""
    s = spec(noise_std=0.1, epochs=1)
    _, snaps = run(s, szt_data, (0,))
    net = BatchedMLP([12, *s["hidden"], 2], s["activations"], repetition_seeds(7, 3), s["init"])
    clean = [t.detach().numpy() for t in net(torch.as_tensor(szt_data[0], dtype=torch.float32))]
    np.testing.assert_allclose(snaps[0][..., :10], clean[0], rtol=1e-6, atol=1e-6)
    deviation = np.abs(snaps[0][..., 10:17] - clean[1])
    assert 0.005 < deviation.mean() < 0.2  # noise of std 0.1 through one tanh layer


@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_trainer_runs_every_activation(szt_data, name):
    """One epoch with the activation in all five hidden layers: finite losses, and the recorded
    hidden outputs lie in its range (open bounds), so the trainer applies the configured one."""
    history, snaps = run(spec(activations=[name] * 5, init="glorot", optimizer="adam", lr=1e-3,
                              batch_size=1024, epochs=1, repetitions=1), szt_data, (1,))
    assert np.isfinite(history.loss).all()
    hidden = snaps[1][..., :29]
    low, high = {"tanh": (-1, 1), "sigmoid": (0, 1), "softplus": (0, None), "relu": (0, None),
                 "centred-softplus": (-math.log(2), None), "elu": (-1, None),
                 "swish": (-0.2785, None)}.get(name, (None, None))  # swish's minimum -0.27846
    assert low is None or hidden.min() > low or name == "relu" and hidden.min() == 0
    assert high is None or hidden.max() < high
    assert (hidden.min() < 0) == (name in ("linear", "leaky-relu", "swish", "elu",
                                           "centred-softplus", "tanh"))


# Weight decay: coupled L2 on the weights only, exactly per repetition, lambda = 0 the plain
# optimizer bit for bit; checked against a closed form and an independent loop that adds
# lambda/2 * ||W||^2 to each repetition's loss.


def decay_spec(**changes):
    return spec(**{"activations": ["relu"] * 5, "epochs": 2, "snapshots": 2, **changes})


def assert_same_params(got, want, **tolerance):
    """``(weights, biases)`` lists of arrays agree, layer by layer."""
    for g, w in zip(got[0] + got[1], want[0] + want[1], strict=True):
        np.testing.assert_allclose(g, w, **tolerance)


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
    """weight_decay 0 is no weight decay, bit for bit; and the plain optimizer of an
    independent autograd loop (to float32 rounding: the CPU engine is compiled code)."""
    s = decay_spec(optimizer=optimizer, lr=lr, weight_decay=0.0)
    got = trained(s, szt_data)[s["epochs"]]
    assert_same_params(got, reference(s, szt_data), rtol=1e-5, atol=1e-6)
    unset = trained({k: v for k, v in s.items() if k != "weight_decay"}, szt_data)[s["epochs"]]
    assert_same_params(unset, got, rtol=0, atol=0)


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.05), ("adam", 1e-3)])
def test_decay_is_l2_on_the_weights_added_to_each_repetitions_loss(szt_data, optimizer, lr):
    s = decay_spec(optimizer=optimizer, lr=lr, weight_decay=0.05)
    got = trained(s, szt_data)[s["epochs"]]
    assert_same_params(got, reference(s, szt_data), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.05), ("adam", 1e-3)])
def test_batched_decay_equals_each_repetition_alone(szt_data, optimizer, lr):
    s = decay_spec(optimizer=optimizer, lr=lr, weight_decay=0.05)
    batched = trained(s, szt_data)[s["epochs"]]
    for r, seed in enumerate(repetition_seeds(s["seed"], 3)):
        alone = trained({**s, "repetitions": 1}, szt_data, seeds=[seed])[s["epochs"]]
        for g, w in zip(alone[0] + alone[1], batched[0] + batched[1], strict=True):
            np.testing.assert_allclose(g[0], w[r], rtol=1e-6, atol=1e-7)


def test_one_sgd_step_decays_weights_by_lr_lambda(szt_data):
    """Full-batch SGD, one step: W_lambda - W_0 = -lr * lambda * W(0) (up to float32 rounding);
    the biases are not decayed."""
    s = decay_spec(epochs=1, batch_size=4096, lr=0.1)
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
    s = decay_spec(epochs=3, optimizer="adam", lr=1e-2)
    plain = trained(s, szt_data)[3][0]
    decayed = trained({**s, "weight_decay": 0.1}, szt_data)[3][0]
    for w_plain, w_decayed in zip(plain, decayed, strict=True):
        assert (np.linalg.norm(w_decayed, axis=(1, 2))
                < 0.9 * np.linalg.norm(w_plain, axis=(1, 2))).all()


def test_negative_decay_is_refused(szt_data):
    with pytest.raises(ValueError, match="weight_decay must be >= 0, got -0.1"):
        trained(decay_spec(weight_decay=-0.1), szt_data)


def test_background_writer_keeps_order_and_raises_errors():
    from ibrepro.train.writer import BackgroundWriter

    seen = []
    with BackgroundWriter() as background:
        write = background.wrap(lambda epoch, value, reps=None: seen.append((epoch, reps)))
        for epoch in range(20):
            write(epoch, np.zeros(3), reps=epoch % 2)
    assert seen == [(epoch, epoch % 2) for epoch in range(20)]

    def broken(epoch):
        raise OSError(f"disk full at {epoch}")

    with pytest.raises(OSError, match="disk full at 0"), BackgroundWriter() as background:
        write = background.wrap(broken)
        for epoch in range(5):
            write(epoch)


@pytest.mark.parametrize("engine", ["cpu", "torch"])
def test_record_samples_are_the_full_snapshot_sliced(szt_data, engine):
    s = spec(epochs=2, noise_std=0.05)
    chosen = np.flatnonzero(~szt_data[2])  # the test split
    every, some = {}, {}
    for kept, out in ((None, every), (chosen, some)):
        train(s, *szt_data, snapshot_epochs=np.array([0, 2]), device=CPU, progress=False,
              on_snapshot=lambda e, a, out=out: out.__setitem__(e, a), record_samples=kept,
              engine=engine)
    for epoch in (0, 2):
        np.testing.assert_array_equal(some[epoch], every[epoch][:, chosen])
