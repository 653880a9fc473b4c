"""The hidden activation zoo (Chelombiev et al. 2019): each activation against its closed form and
PyTorch's module, the config enum in step with the table, and the nets using every activation
(test_train.py trains with each)."""

import math

import numpy as np
import pytest
import torch
import yaml

from ibrepro.nets.mlp import HIDDEN_ACTIVATIONS, BatchedMLP, propagate
from ibrepro.paths import CONFIG_SCHEMA


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


# closed forms on Python floats, and PyTorch's modules as a second reference
CLOSED_FORMS = {
    "tanh": math.tanh,
    "relu": lambda x: max(x, 0.0),
    "linear": lambda x: x,
    "softplus": lambda x: math.log(1 + math.exp(x)),
    "centred-softplus": lambda x: math.log(1 + math.exp(x)) - math.log(2),
    "sigmoid": _sigmoid,
    "elu": lambda x: x if x > 0 else math.exp(x) - 1,
    "leaky-relu": lambda x: x if x > 0 else 0.01 * x,
    "swish": lambda x: x * _sigmoid(x),
}
MODULES = {
    "tanh": torch.nn.Tanh(), "relu": torch.nn.ReLU(), "linear": torch.nn.Identity(),
    "softplus": torch.nn.Softplus(), "centred-softplus": None, "sigmoid": torch.nn.Sigmoid(),
    "elu": torch.nn.ELU(), "leaky-relu": torch.nn.LeakyReLU(), "swish": torch.nn.SiLU(),
}
POINTS = [-4.0, -1.3, -0.2, 0.0, 0.5, 2.0, 6.0]
def test_table_and_config_enum_agree():
    assert set(CLOSED_FORMS) == set(HIDDEN_ACTIVATIONS)
    schema = yaml.safe_load(CONFIG_SCHEMA.read_text())
    enum = schema["$defs"]["experiment"]["properties"]["activations"]["items"]["enum"]
    assert enum == list(HIDDEN_ACTIVATIONS)


@pytest.mark.parametrize("name", CLOSED_FORMS)
def test_activation_matches_closed_form_and_torch(name):
    x = torch.tensor(POINTS, dtype=torch.float64)
    got = HIDDEN_ACTIVATIONS[name](x)
    np.testing.assert_allclose(got.numpy(), [CLOSED_FORMS[name](p) for p in POINTS],
                               rtol=1e-12, atol=1e-15)
    module = MODULES[name] or (lambda t: torch.nn.Softplus()(t) - math.log(2))
    wide = torch.linspace(-30, 30, 601, dtype=torch.float32)
    torch.testing.assert_close(HIDDEN_ACTIVATIONS[name](wide), module(wide))


def test_centred_softplus_is_zero_at_zero():
    for dtype in (torch.float32, torch.float64):
        assert HIDDEN_ACTIVATIONS["centred-softplus"](torch.zeros(1, dtype=dtype)).abs() < 1e-7


def test_propagate_composes_every_activation():
    """A net with one hidden layer per activation: every layer's output is the closed form of
    its activation applied to (previous output) W + b, computed in float64 independently."""
    names = list(HIDDEN_ACTIVATIONS)
    widths = [12, *[5] * len(names), 2]
    net = BatchedMLP(widths, names, [3], "glorot").double()
    with torch.no_grad():  # non-zero biases, so each activation sees shifted inputs
        for b in net.biases:
            b.uniform_(-0.5, 0.5, generator=torch.Generator().manual_seed(1))
    x = torch.rand(20, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(2)) * 4 - 2
    outputs = propagate(x, [w.detach() for w in net.weights], [b.detach() for b in net.biases],
                        names)
    previous = x.numpy()
    for layer, name in enumerate(names):
        w, b = net.weights[layer].detach().numpy()[0], net.biases[layer].detach().numpy()[0]
        pre = previous @ w + b
        want = np.vectorize(CLOSED_FORMS[name])(pre)
        np.testing.assert_allclose(outputs[layer][0].numpy(), want, rtol=1e-10, atol=1e-12,
                                   err_msg=name)
        previous = want


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match=r"unknown activation\(s\) 'gelu'; allowed: tanh"):
        BatchedMLP([12, 4, 2], ["gelu"], [0], "glorot")
