"""The batched conv net: each repetition is the plain torch conv net with its weights, initialised
on its own; noise, dropout and quantization act on every hidden layer; it trains end to end
through ``run_experiment`` on MNIST."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import xarray as xr

from ibrepro.data import build
from ibrepro.nets.conv import BatchedConvNet, conv_shapes, parameter_shapes
from ibrepro.train import run_experiment
from ibrepro.train.engine_torch import build_model
from ibrepro.train.experiment import layer_names

IMAGE = (1, 12, 12)
CONV = [{"channels": 3, "kernel": 3, "pool": 2}, {"channels": 2, "kernel": 5, "pool": 3}]
ACTS = ["relu", "tanh", "relu"]


# the plain nets' activations, written out (swish does not commute with the max-pool)
PLAIN = {"relu": torch.relu, "tanh": torch.tanh, "swish": lambda t: t / (1 + torch.exp(-t))}


def net(seeds=(11, 12, 13), acts=ACTS, **options):
    return BatchedConvNet(IMAGE, CONV, [5], 4, acts, list(seeds), "glorot", **options)


def plain_forward(model, r, x, acts=ACTS):
    """Repetition r of ``model`` as ordinary torch layers (Conv2d, activation, then max-pool,
    Linear), with its weights converted from the matmul layout: an independent implementation.
    The layers use the model's weights themselves, so gradients reach them."""
    t = x.reshape(-1, *IMAGE)
    outputs = []
    for layer, spec in enumerate(CONV):
        w = model.weights[layer][r]  # (C_in*k*k, C_out)
        kernel = w.T.reshape(w.shape[1], t.shape[1], spec["kernel"], spec["kernel"])
        t = F.conv2d(t, kernel, model.biases[layer][r, 0], padding=spec["kernel"] // 2)
        t = torch.nn.MaxPool2d(spec["pool"])(PLAIN[acts[layer]](t))
        outputs.append(t.flatten(1))
    h = t.flatten(1)
    for layer in (2, 3):
        h = h @ model.weights[layer][r] + model.biases[layer][r, 0]
        h = PLAIN[acts[layer]](h) if layer == 2 else h
        outputs.append(h)
    return outputs


def test_shapes():
    assert conv_shapes(IMAGE, CONV) == [(3, 6, 6), (2, 2, 2)]
    assert parameter_shapes(IMAGE, CONV, [5], 4) == [(9, 3), (75, 2), (8, 5), (5, 4)]
    assert conv_shapes((1, 28, 28), [{"channels": 2, "kernel": 3, "pool": 2}] * 2) == [
        (2, 14, 14), (2, 7, 7)]
    with pytest.raises(ValueError, match="leaves no pixels"):
        conv_shapes((1, 4, 4), [{"channels": 1, "kernel": 3, "pool": 5}])


@pytest.mark.parametrize("acts", [ACTS, ["swish", "swish", "tanh"]])
@pytest.mark.parametrize("shared", [True, False])
def test_grouped_equals_plain_conv_net_per_repetition(shared, acts):
    model = net(acts=acts)
    x = 4 * torch.randn(3, 7, 144)  # pre-activations on both sides of swish's minimum (-1.28)
    outputs = model(x[0] if shared else x)
    assert [o.shape for o in outputs] == [(3, 7, 108), (3, 7, 8), (3, 7, 5), (3, 7, 4)]
    for r in range(3):
        expected = plain_forward(model, r, x[0] if shared else x[r], acts)
        for got, want in zip(outputs, expected, strict=True):
            torch.testing.assert_close(got[r], want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("acts", [ACTS, ["swish", "swish", "tanh"]])
def test_gradients_equal_the_plain_conv_nets(acts):
    """The max-pool before a monotone activation, and channels-last maps, change no gradient
    beyond float32 rounding of sums of terms as large as the largest gradient (a CI run saw
    1.8e-6 on an element near zero: the two convolutions sum in different orders)."""
    generator = torch.Generator().manual_seed(5)
    model, x = net(acts=acts), 4 * torch.randn(3, 9, 144, generator=generator)
    y = torch.randint(0, 4, (3, 9), generator=generator)
    loss = F.cross_entropy(model.logits(model(x)[-1]).transpose(1, 2), y, reduction="sum")
    grads = torch.autograd.grad(loss, list(model.parameters()))
    plain = sum(F.cross_entropy(plain_forward(model, r, x[r], acts)[-1], y[r], reduction="sum")
                for r in range(3))
    for got, want in zip(grads, torch.autograd.grad(plain, list(model.parameters())),
                         strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5 * float(want.abs().max()))


def test_a_repetition_is_initialised_alone_as_among_others():
    together, alone = net((11, 12, 13)), net((13,))
    for w, w_alone in zip(together.weights, alone.weights, strict=True):
        torch.testing.assert_close(w[2:], w_alone, rtol=0, atol=0)
    assert not torch.equal(together.weights[0][0], together.weights[0][1])
    x = torch.rand(5, 144)
    torch.testing.assert_close(together(x)[-1][2:], alone(x)[-1])


def test_conv_init_uses_the_kernel_fans():
    """glorot bound sqrt(6 / (fan_in + fan_out)) with fans C_in k^2 and C_out k^2 (Keras)."""
    model = BatchedConvNet((4, 8, 8), [{"channels": 50, "kernel": 5, "pool": 1}], [3], 2,
                           ["relu", "relu"], [0], "glorot")
    w = model.weights[0]
    assert w.shape == (1, 100, 50)
    bound = np.sqrt(6 / (4 * 25 + 50 * 25))
    assert w.abs().max() <= bound and w.abs().max() > 0.95 * bound


def test_noise_goes_into_the_next_layer_only():
    x = torch.rand(6, 144)
    clean, noisy = net()(x), net(noise_std=0.5)(x)
    torch.testing.assert_close(noisy[0], clean[0])  # recorded S_1 is pre-noise
    assert all(not torch.allclose(n, c) for n, c in zip(noisy[1:], clean[1:], strict=True))
    again = net(noise_std=0.5)(x)
    assert not torch.allclose(again[1], noisy[1])  # fresh draws every pass


def test_dropout_only_in_training():
    model, x = net(dropout=0.5), torch.rand(40, 144)
    torch.testing.assert_close(model(x)[0], net()(x)[0])
    train = model(x, train=True)[0]
    positive = net()(x)[0] > 0  # relu conv layer: dropped units are exact zeros
    dropped = (train == 0) & positive
    assert 0.4 < dropped.sum() / positive.sum() < 0.6
    kept = (train != 0) & positive
    torch.testing.assert_close(train[kept], 2 * net()(x)[0][kept])


def test_quantized_layers_hold_levels():
    model, x = net(bits=4), torch.rand(30, 144)
    outputs = model(x, train=True)
    ranges = model.quantization_ranges()
    assert ranges.shape == (3, 4, 2)
    for layer, output in enumerate(outputs):
        for r in range(3):
            low, high = ranges[r, layer]
            codes = (output[r] - low) / ((high - low) / 15)
            torch.testing.assert_close(codes, codes.round(), rtol=0, atol=1e-3)
            assert output[r].unique().numel() <= 16
    torch.testing.assert_close(model.probabilities(outputs[-1]), outputs[-1])
    assert net().quantization_ranges() is None


def test_gradients_reach_every_parameter():
    for options in ({}, {"bits": 8}, {"noise_std": 0.1, "dropout": 0.2}):
        model = net(**options)
        x, y = torch.rand(3, 16, 144), torch.randint(0, 4, (3, 16))
        logits = model.logits(model(x, train=True)[-1])
        F.cross_entropy(logits.transpose(1, 2), y).backward()
        for p in model.parameters():
            assert p.grad is not None and p.grad.abs().sum() > 0, options


def test_build_model_needs_an_image_shape():
    spec = {"name": "c", "dataset": "szt", "conv": CONV, "hidden": [5], "activations": ACTS,
            "init": "glorot", "optimizer": "sgd", "lr": 0.1, "batch_size": 8, "epochs": 1,
            "repetitions": 1, "snapshots": 2, "seed": 0}
    with pytest.raises(ValueError, match="no image shape"):
        build_model(spec, 144, 4, [0])
    assert isinstance(build_model(spec, 144, 4, [0], IMAGE), BatchedConvNet)
    assert layer_names(spec) == ["conv 1", "conv 2", "relu 3", "softmax"]


def test_mnist_conv_experiment_writes_valid_files(tmp_path, dataset_spec, one_thread):
    data = build("mnist", {**dataset_spec("mnist", "quick"),
                           "subsample": {"samples": 200, "seed": 0}})
    data_path = tmp_path / "mnist.nc"
    data.to_netcdf(data_path)
    conv = [{"channels": 2, "kernel": 3, "pool": 2}] * 2
    spec = dict(name="conv-test", dataset="mnist", conv=conv, hidden=[20],
                activations=["relu"] * 3, init="glorot", optimizer="adam", lr=1e-2,
                batch_size=20, epochs=4, repetitions=2, snapshots=3, seed=1, bits=8)
    files = [tmp_path / f"{name}.nc" for name in ("activations", "metrics", "weights")]
    run_experiment(spec, data_path, *files, device="cpu", progress=False)
    with xr.open_dataset(files[0]) as a:
        assert a["codes"].shape == (2, 3, 200, 392 + 98 + 20 + 10)
        names = a["layer_name"].values
        assert [names[a["layer"].values == k][0] for k in (1, 2, 3, 4)] == [
            "conv 1", "conv 2", "relu 3", "softmax"]
    with xr.open_dataset(files[1]) as m:
        accuracy = m["accuracy"].values  # (rep, epoch, split)
        assert (accuracy[:, -1, 0] > accuracy[:, 0, 0] + 0.2).all()  # it learns
    with xr.open_dataset(files[2]) as w:
        assert w["weight_1"].shape == (2, 3, 9, 2) and w["bias_2"].shape == (2, 3, 2)
        assert w["weight_3"].shape == (2, 3, 98, 20) and w["weight_4"].shape == (2, 3, 20, 10)
        assert json.loads(w.attrs["conv"]) == conv
        assert json.loads(w.attrs["image_shape"]) == [1, 28, 28]
