"""The estimate stage: one estimator over one activations file, streamed, into the MI contract."""

import json

import numpy as np
import pytest
import torch
import xarray as xr

from ibrepro.estimators import binning, get
from ibrepro.estimators.apply import estimate_file, estimate_layers
from ibrepro.estimators.baseline import permuted_labels
from ibrepro.estimators.mi import MI
from ibrepro.estimators.registry import Estimator

LAYERS = (3, 2)  # units per layer; the last is the "output"


@pytest.fixture(scope="module")
def activations(tmp_path_factory, write_activations):
    rng = np.random.default_rng(0)
    epochs, n = [0, 1, 5], 64
    labels = rng.integers(0, 2, n)
    data = np.tanh(rng.normal(size=(2, len(epochs), n, sum(LAYERS)))).astype(np.float32)
    path = write_activations(tmp_path_factory.mktemp("run") / "activations.nc", data, labels,
                             epochs)
    return path, data, labels


def spec(**params):
    return {"name": "test-estimator", "method": "bin-size", "params": {"size": 0.3, **params}}


def test_matches_the_estimator_on_each_layer(tmp_path, activations, monkeypatch):
    import ibrepro.estimators.apply as apply

    monkeypatch.setattr(apply, "BLOCK_BYTES", 1)  # one epoch per block: exercise streaming
    path, data, labels = activations
    out = tmp_path / "mi.nc"
    estimate_file(spec(), path, out, device="cpu")
    with xr.open_dataset(out) as mi:
        assert mi["I_XT"].dims == ("rep", "epoch", "layer")
        assert list(mi["layer"].values) == [1, 2]
        assert list(mi["layer_name"].values) == ["tanh 1", "softmax"]
        assert mi.attrs["units"] == "bits" and mi.attrs["estimator"] == "test-estimator"
        assert json.loads(mi.attrs["params"]) == {"size": 0.3}
        assert mi.attrs["experiment"] == "toy" and mi.attrs["git_commit"]
        for layer, units in ((1, slice(0, 3)), (2, slice(3, 5))):
            expected = binning.bin_size(torch.from_numpy(data[..., units]),
                                        torch.from_numpy(labels), size=0.3)
            np.testing.assert_allclose(mi["I_XT"].sel(layer=layer), expected.I_XT, atol=1e-12)
            np.testing.assert_allclose(mi["I_TY"].sel(layer=layer), expected.I_TY, atol=1e-12)


def test_shuffled_labels_change_only_i_ty(tmp_path, activations):
    path, data, labels = activations
    estimate_file(spec(), path, tmp_path / "plain.nc", device="cpu")
    estimate_file(spec(shuffle_labels_seed=4), path, tmp_path / "shuffled.nc", device="cpu")
    with xr.open_dataset(tmp_path / "plain.nc") as plain, \
            xr.open_dataset(tmp_path / "shuffled.nc") as shuffled:
        np.testing.assert_array_equal(plain["I_XT"], shuffled["I_XT"])
        assert not np.allclose(plain["I_TY"], shuffled["I_TY"])
        permuted = permuted_labels(torch.from_numpy(labels), 4)
        expected = binning.bin_size(torch.from_numpy(data[..., :3]), permuted, size=0.3)
        np.testing.assert_allclose(shuffled["I_TY"].sel(layer=1), expected.I_TY, atol=1e-12)


def test_an_estimator_needing_codes_names_what_is_missing(tmp_path, activations):
    path = activations[0]
    with pytest.raises(ValueError, match="needs 'codes', which .* does not have"):
        estimate_file({"name": "exact", "method": "exact-discrete", "params": {}}, path,
                      tmp_path / "mi.nc", device="cpu")
    assert not (tmp_path / "mi.nc").exists()


def test_estimate_layers_runs_each_layer_with_its_parameters(activations):
    _, data, labels = activations
    units = [slice(0, 3), np.array([False, False, False, True, True])]  # a slice and a mask
    per_layer = [{"size": 0.3}, {"size": 0.07}]
    for block, y in ((data[0], labels), (torch.from_numpy(data[0]), torch.from_numpy(labels))):
        out = estimate_layers(get("bin-size"), block, y, units, per_layer)
        assert set(out) == {"I_XT", "I_TY"} and out["I_XT"].shape == (3, 2)  # (epoch, layer)
        assert isinstance(out["I_XT"], np.ndarray)
        for k, (unit, params) in enumerate(zip(units, per_layer, strict=True)):
            expected = binning.bin_size(torch.from_numpy(data[0][..., unit]),
                                        torch.from_numpy(labels), **params)
            np.testing.assert_allclose(out["I_XT"][:, k], expected.I_XT, atol=1e-12)
            np.testing.assert_allclose(out["I_TY"][:, k], expected.I_TY, atol=1e-12)
    same = estimate_layers(get("bin-size"), data[0], labels, units, {"size": 0.3})
    np.testing.assert_array_equal(same["I_XT"][:, 0], out["I_XT"][:, 0])
    with pytest.raises(ValueError, match="2 layers but 1 sets of parameters"):
        estimate_layers(get("bin-size"), data[0], labels, units, per_layer[:1])


def test_estimate_layers_gives_a_network_estimator_every_layer_at_once(activations):
    _, data, labels = activations
    calls = []

    def fn(layers, labels, *, network, scale):
        calls.append(([layer.shape for layer in layers], network))
        value = np.stack([scale * layer.sum(axis=(-2, -1)) for layer in layers], axis=-1)
        return MI(I_XT=value, I_TY=-value)

    toy = Estimator(method="toy-network", fn=fn, params={"scale": float}, units="nats",
                    reference="", description="", needs=("activations", "weights"))
    units = [slice(0, 3), slice(3, 5)]
    out = estimate_layers(toy, data[0], labels, units, [{"scale": 2.0}] * 2, network="net")
    assert calls == [([(3, 64, 3), (3, 64, 2)], "net")]
    np.testing.assert_allclose(out["I_XT"][:, 1], 2.0 * data[0][..., 3:].sum(axis=(-2, -1)))
    with pytest.raises(ValueError, match="needs the network's weights"):
        estimate_layers(toy, data[0], labels, units, {"scale": 2.0})
    with pytest.raises(ValueError, match="one set of parameters"):
        estimate_layers(toy, data[0], labels, units, [{"scale": 1.0}, {"scale": 2.0}],
                        network="net")
