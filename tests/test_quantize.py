"""Quantization-aware training (Lorenzen et al. 2022): the k-bit quantizer against closed forms,
its range rules and straight-through gradient, quantized nets in the trainer, the integer codes
in activations.nc, and exact MI on them (data-processing inequality through a trained QNN)."""

import json

import numpy as np
import pytest
import torch
import xarray as xr

from ibrepro.estimators.apply import estimate_file
from ibrepro.nets.mlp import BatchedMLP
from ibrepro.nets.quantize import (
    EMA_DECAY,
    INITIAL_RANGE,
    Quantizer,
    from_codes,
    quantized,
    range_rule,
    to_codes,
)
from ibrepro.train import run_experiment
from ibrepro.train.loop import train

CPU = torch.device("cpu")


def spec(**changes):
    base = dict(name="q", dataset="szt", hidden=[10, 7, 5, 4, 3], activations=["tanh"] * 5,
                init="truncated-normal-fan-out", optimizer="adam", lr=1e-3, batch_size=256,
                epochs=8, repetitions=2, snapshots=4, seed=3, bits=8)
    return {**base, **changes}


@pytest.mark.parametrize("bits", [4, 8])
def test_levels_closed_form(bits):
    low, high = torch.tensor(-0.5), torch.tensor(1.5)
    step = 2.0 / (2**bits - 1)
    codes = torch.arange(2**bits)
    levels = from_codes(codes, low, high, bits)
    np.testing.assert_allclose(levels.numpy(), -0.5 + step * np.arange(2**bits), atol=1e-6)
    assert torch.equal(to_codes(levels, low, high, bits), codes)
    x = torch.linspace(-2, 3, 1001)
    c = to_codes(x, low, high, bits)
    assert c.min() == 0 and c.max() == 2**bits - 1  # clamped outside the range
    inside = (x >= low) & (x <= high)
    error = (from_codes(c, low, high, bits) - x)[inside].abs()
    assert error.max() <= step / 2 + 1e-6  # nearest level


def test_zero_width_range_is_one_level():
    zero = torch.zeros(3)
    codes = to_codes(zero, torch.tensor(0.0), torch.tensor(0.0), 8)
    assert torch.equal(codes, torch.zeros(3, dtype=torch.int64))


def test_bits_and_rules():
    assert not quantized(None) and not quantized(32) and quantized(4) and quantized(8)
    with pytest.raises(ValueError, match="bits must be one of"):
        quantized(16)
    assert [range_rule(a) for a in ("tanh", "relu", "softmax")] == [
        "batch", "moving-average", "moving-average"]


def test_batch_rule_each_repetition_its_own_range():
    x = torch.stack([torch.linspace(-0.3, 0.9, 400).reshape(100, 4),
                     torch.linspace(0.2, 0.25, 400).reshape(100, 4)])  # (R=2, B, width)
    q = Quantizer(4, 2, "batch")
    out = q(x)
    np.testing.assert_allclose(q.low.numpy(), [-0.3, 0.0])  # the range always holds 0
    np.testing.assert_allclose(q.high.numpy(), [0.9, 0.25])
    for r in range(2):
        step = (q.high[r] - q.low[r]) / 15
        levels = torch.round((out[r] - q.low[r]) / step)
        np.testing.assert_allclose(out[r].numpy(), (q.low[r] + levels * step).numpy(), atol=1e-6)
        assert len(torch.unique(out[r])) <= 16
        assert (out[r] - x[r]).abs().max() <= step / 2 + 1e-6


def test_moving_average_rule_trains_range_and_freezes_it_in_evaluation():
    q = Quantizer(8, 1, "moving-average")
    x = torch.tensor([[[-1.0, 2.0], [0.5, 3.0]]])
    q(x)  # grad enabled: a training pass
    low = EMA_DECAY * INITIAL_RANGE[0] + (1 - EMA_DECAY) * -1.0
    high = EMA_DECAY * INITIAL_RANGE[1] + (1 - EMA_DECAY) * 3.0
    np.testing.assert_allclose([q.low.item(), q.high.item()], [low, high], rtol=1e-6)
    with torch.no_grad():
        q(100 * x)  # evaluation: the range stays
    np.testing.assert_allclose([q.low.item(), q.high.item()], [low, high], rtol=1e-6)


def test_straight_through_inside_range_zero_outside():
    q = Quantizer(8, 1, "moving-average")  # range about [-6, 6]
    x = torch.tensor([[[-7.0, -1.3, 0.4, 5.0, 8.0]]], requires_grad=True)
    weights = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    (q(x) * weights).sum().backward()
    np.testing.assert_array_equal(x.grad[0, 0].numpy(), [0.0, 2.0, 3.0, 4.0, 0.0])


def test_quantized_net_outputs_lie_on_levels():
    model = BatchedMLP([12, 6, 2], ["relu"], seeds=[1, 2], init="glorot", bits=4)
    x = torch.rand(2, 50, 12)
    with torch.no_grad():
        outputs = model(x)
    ranges = model.quantization_ranges()
    assert ranges.shape == (2, 2, 2)
    for layer, out in enumerate(outputs):
        low, high = ranges[:, layer, 0, None, None], ranges[:, layer, 1, None, None]
        on_levels = from_codes(to_codes(out, low, high, 4), low, high, 4)
        np.testing.assert_allclose(out.numpy(), on_levels.numpy(), atol=1e-6)
    assert torch.equal(model.probabilities(outputs[-1]), outputs[-1])  # the quantized softmax
    assert BatchedMLP([12, 6, 2], ["relu"], [1], "glorot", bits=32).quantization_ranges() is None


@pytest.fixture(scope="module", params=["tanh", "relu"])
def qnn_run(request, tmp_path_factory, szt_file, szt_data):
    """A real small trained 8-bit SZT net (20 epochs, 2 repetitions), its files and the level
    values ``train`` handed to the snapshot callback."""
    s = spec(activations=[request.param] * 5, epochs=20, snapshots=5, lr=3e-3)
    out = tmp_path_factory.mktemp(f"run-{request.param}")
    paths = [out / f"{k}.nc" for k in ("activations", "metrics", "weights")]
    run_experiment(s, szt_file, *paths, device="cpu", progress=False)
    snaps = {}
    train(s, *szt_data, snapshot_epochs=np.array([20]),
          on_snapshot=lambda e, *a: snaps.__setitem__(e, a), device=CPU, progress=False)
    return s, paths, snaps[20]


def test_quantized_training_learns(qnn_run):
    _, (_, metrics_path, _), _ = qnn_run
    accuracy = xr.load_dataset(metrics_path)["accuracy"].sel(split="train")
    assert (accuracy.isel(epoch=-1) > accuracy.isel(epoch=0) + 0.2).all()


def test_activations_file_holds_codes_and_their_values(qnn_run):
    s, (acts_path, *_), (values, ranges) = qnn_run
    with xr.open_dataset(acts_path, mask_and_scale=False) as acts:
        assert "activation" not in acts and acts.attrs["bits"] == 8
        codes = acts["codes"]
        assert codes.dtype == np.uint8 and codes.dims == ("rep", "epoch", "sample", "unit")
        assert json.loads(acts.attrs["spec"])["bits"] == 8
        last = acts.sel(epoch=20)
        low, high = last["code_low"].values, last["code_high"].values  # (rep, unit)
        unit_layer = acts["layer"].values - 1
        np.testing.assert_array_equal(low, ranges[:, unit_layer, 0])
        np.testing.assert_array_equal(high, ranges[:, unit_layer, 1])
        decoded = from_codes(torch.as_tensor(last["codes"].values.astype(np.int64)),
                             torch.as_tensor(low[:, None]), torch.as_tensor(high[:, None]), 8)
    np.testing.assert_allclose(decoded.numpy(), values, atol=1e-6)


def test_exact_mi_obeys_data_processing_through_the_layers(qnn_run, tmp_path):
    s, (acts_path, *_), _ = qnn_run
    out = tmp_path / "mi.nc"
    estimate_file({"name": "exact-quantized", "method": "exact-discrete", "params": {}},
                  acts_path, out, device="cpu")
    mi = xr.load_dataset(out)
    assert mi.attrs["units"] == "bits"
    i_xt, i_ty = mi["I_XT"].values, mi["I_TY"].values  # (rep, epoch, layer)
    assert i_xt.max() <= 12 + 1e-9 and i_ty.max() <= 1 + 1e-9
    assert (np.diff(i_xt, axis=-1) <= 1e-9).all()
    assert (np.diff(i_ty, axis=-1) <= 1e-9).all()
    assert i_xt[:, -1, 0].min() > 6  # the first layer keeps much of X: not a trivial pass
