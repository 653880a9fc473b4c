"""The estimator registry: every method runs and is sane; parameters validate; fingerprints."""

import inspect
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import ibrepro
from ibrepro.estimators import (
    METHODS,
    MI,
    Estimator,
    fingerprint,
    get,
    register,
    validate_params,
)
from ibrepro.nets.mlp import Network

EXAMPLE_PARAMS = {
    "bin-size": {"size": 0.3},
    "bin-count": {"bins": 30},
    "kde-upper": {"noise_variance": 0.1},
    "kde-lower": {"noise_variance": 0.1},
    "adaptive-kde-upper": {"noise_fraction": 0.05},
    "adaptive-kde-lower": {"noise_fraction": 0.05},
    "adaptive-bins": {"bins": 30},
    "exact-discrete": {},
    "sample-propagation": {"mc_samples": 512, "propagations": 4, "conditional_mc_samples": 4},
}


def call(method, acts, labels, **params):
    """``fn`` of ``method`` on one layer ``acts``; a method that needs weights gets a noisy net
    (beta = 0.1) whose first hidden layer is ``acts``, and returns that layer's MI."""
    estimator = get(method)
    if "weights" not in estimator.needs:
        return estimator.fn(acts, labels, **params)
    d = acts.shape[-1]
    network = Network([torch.eye(d), torch.ones(d, 2)], [torch.zeros(1, d), torch.zeros(1, 2)],
                      ["linear"], 0.1)
    mi = estimator.fn([acts, acts[..., :2]], labels, network=network, **params)
    return MI(mi.I_XT[..., 0], mi.I_TY[..., 0])


def test_every_method_has_example_params():
    assert set(METHODS) == set(EXAMPLE_PARAMS)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_runs_and_is_sane(method):
    estimator = get(method)
    assert estimator.method == method
    assert estimator.units in {"bits", "nats"}
    assert estimator.reference and estimator.description
    assert estimator.needs and all(isinstance(need, str) for need in estimator.needs)
    generator = torch.Generator().manual_seed(0)
    n_samples = 256
    acts = torch.tanh(torch.randn(2, 3, n_samples, 5, generator=generator))
    if "codes" in estimator.needs:  # a quantized layer: its 8-bit integer codes
        acts = torch.round((acts + 1) * 127.5).to(torch.uint8)
    labels = torch.randint(0, 2, (n_samples,), generator=generator)
    mi = call(method, acts, labels, **validate_params(method, EXAMPLE_PARAMS[method]))
    assert isinstance(mi, MI) or mi._fields == (*MI._fields, *estimator.outputs)
    to_bits = 1.0 if estimator.units == "bits" else 1 / math.log(2)
    for value in mi:
        assert value.shape == (2, 3)
        assert torch.isfinite(value).all()
    i_xt, i_ty = mi.I_XT * to_bits, mi.I_TY * to_bits
    assert (i_ty >= -1e-12).all()
    assert (i_ty <= i_xt + 1e-12).all()
    assert (i_xt <= math.log2(n_samples) + 1e-12).all()


@pytest.mark.parametrize("method", sorted(METHODS))
def test_registered_params_match_the_signature(method):
    estimator = get(method)
    keyword_only = {
        name: parameter.default
        for name, parameter in inspect.signature(estimator.fn).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
        and name != "network"  # the run's weights: an input (needs "weights"), not a parameter
    }
    assert {name: inspect.Parameter.empty for name in estimator.params} == {
        name: default for name, default in keyword_only.items() if name not in estimator.defaults
    }
    assert dict(estimator.defaults) == {
        name: default for name, default in keyword_only.items() if name in estimator.defaults
    }


def test_module_is_where_fn_lives():
    assert get("bin-size").module == "ibrepro.estimators.binning"


def test_unknown_method_lists_registered_ones():
    with pytest.raises(ValueError, match=r"'kde'.*'bin-count'.*'bin-size'"):
        get("kde")


def test_duplicate_registration_is_an_error():
    with pytest.raises(ValueError, match="'bin-size' is already registered"):
        register(get("bin-size"))


def test_units_must_be_bits_or_nats():
    with pytest.raises(ValueError, match="units"):
        Estimator(method="x", fn=len, params={}, units="bans", reference="", description="")


def test_validate_fills_defaults_and_ignores_method_key():
    resolved = validate_params("bin-count", {"method": "bin-count", "bins": 30, "high": 2.0})
    assert resolved == {"bins": 30, "low": -1.0, "high": 2.0, "range": "fixed"}


def test_a_parameter_with_choices_names_the_allowed_values():
    message = (r"bin-count: parameter 'range' must be one of 'fixed', 'layer-epoch', 'layer', "
               r"'global'; got 'neuron'")
    with pytest.raises(ValueError, match=message):
        validate_params("bin-count", {"bins": 30, "range": "neuron"})
    assert validate_params("bin-count", {"bins": 30, "range": "global"})["range"] == "global"


@pytest.mark.parametrize(("choices", "message"), [
    ({"colour": ("red",)}, "choices for unknown parameters"),
    ({"mode": ("a", "b")}, "default of 'mode' is not one of"),
])
def test_choices_must_fit_the_parameters(choices, message):
    with pytest.raises(ValueError, match=message):
        Estimator(method="x", fn=len, params={}, defaults={"mode": "c"}, choices=choices,
                  units="bits", reference="", description="")


def test_validate_accepts_int_for_float():
    resolved = validate_params("bin-size", {"size": 1})
    assert resolved == {"size": 1.0} and isinstance(resolved["size"], float)


def test_missing_param():
    message = r"bin-size: missing required parameter 'size' \(required: \['size'\]\)"
    with pytest.raises(ValueError, match=message):
        validate_params("bin-size", {"method": "bin-size"})


def test_unknown_param():
    with pytest.raises(ValueError, match=r"unknown parameter 'size' \(allowed: \['bins', 'high'"):
        validate_params("bin-count", {"bins": 30, "size": 0.1})


@pytest.mark.parametrize(
    ("method", "params", "message"),
    [
        ("bin-size", {"size": "0.1"}, "'size' must be float, got str"),
        ("bin-count", {"bins": 30.0}, "'bins' must be int, got float"),
        ("bin-count", {"bins": True}, "'bins' must be int, got bool"),
        ("bin-count", {"bins": 30, "low": None}, "'low' must be float, got NoneType"),
    ],
)
def test_wrong_type(method, params, message):
    with pytest.raises(ValueError, match=message):
        validate_params(method, params)


def test_fingerprint_is_stable_and_follows_params():
    first = fingerprint("bin-size", {"size": 0.3})
    assert len(first) == 64
    assert first == fingerprint("bin-size", {"size": 0.3, "method": "bin-size"})
    assert first != fingerprint("bin-size", {"size": 0.15})
    assert fingerprint("bin-size", {"size": 1}) == fingerprint("bin-size", {"size": 1.0})
    assert fingerprint("bin-count", {"bins": 30}) == fingerprint(
        "bin-count", {"bins": 30, "low": -1.0, "high": 1.0})
    assert fingerprint("bin-count", {"bins": 30}) != fingerprint("bin-count", {"bins": 29})


PRINT_FINGERPRINTS = """
import ibrepro, ibrepro.estimators as e
print(ibrepro.__file__)
print(e.fingerprint("bin-size", {"size": 0.3}))
print(e.fingerprint("bin-count", {"bins": 30}))
print(e.fingerprint("sample-propagation",
                    {"mc_samples": 8, "propagations": 2, "conditional_mc_samples": 2}))
"""


def fingerprints_of(src: Path) -> list[str]:
    """ibrepro's file and the binning and sample-propagation fingerprints, computed by a fresh
    python on ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-c", PRINT_FINGERPRINTS], env=env,
                            capture_output=True, text=True, check=True)
    package_file, *prints = result.stdout.split()
    assert Path(package_file).is_relative_to(src)
    return prints


def test_fingerprint_follows_the_source_on_sys_path(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(Path(ibrepro.__file__).parent, src / "ibrepro",
                    ignore=shutil.ignore_patterns("__pycache__"))
    original = [fingerprint("bin-size", {"size": 0.3}), fingerprint("bin-count", {"bins": 30})]
    assert fingerprints_of(src)[:2] == original

    (src / "ibrepro/__init__.py").write_text("__version__ = 'unrelated edit'\n")
    assert fingerprints_of(src)[:2] == original

    # the network's forward pass: sample propagation re-propagates through it, binning does not
    before = fingerprints_of(src)
    mlp = src / "ibrepro/nets/mlp.py"
    mlp.write_text(mlp.read_text() + "\n# an edit\n")
    after = fingerprints_of(src)
    assert after[:2] == before[:2] and after[2] != before[2]
    original = after[:2]

    binning = src / "ibrepro/estimators/binning.py"
    binning.write_text(binning.read_text() + "\n# an edit\n")
    edited_binning = fingerprints_of(src)[:2]
    assert all(new != old for new, old in zip(edited_binning, original, strict=True))

    entropy = src / "ibrepro/estimators/entropy.py"
    entropy.write_text(entropy.read_text() + "\n# an edit\n")
    edited_entropy = fingerprints_of(src)[:2]
    assert all(new != old for new, old in zip(edited_entropy, edited_binning, strict=True))


def test_every_method_accepts_the_shuffled_label_baseline_seed():
    for method in METHODS:
        params = {**EXAMPLE_PARAMS[method], "shuffle_labels_seed": 3}
        assert validate_params(method, params)["shuffle_labels_seed"] == 3
    with pytest.raises(ValueError, match="shuffle_labels_seed must be an int >= 0"):
        validate_params("bin-size", {"size": 0.1, "shuffle_labels_seed": -1})


def test_shuffled_instance_has_its_own_fingerprint():
    plain = fingerprint("bin-size", {"size": 0.07})
    assert fingerprint("bin-size", {"size": 0.07, "shuffle_labels_seed": 0}) != plain
    assert fingerprint("bin-size", {"size": 0.07, "shuffle_labels_seed": 1}) != \
        fingerprint("bin-size", {"size": 0.07, "shuffle_labels_seed": 0})


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_checks_its_inputs(method):
    """The shared check (estimators/inputs.py): sample counts, and finite values."""
    estimator, params = get(method), validate_params(method, EXAMPLE_PARAMS[method])
    dtype = torch.uint8 if "codes" in estimator.needs else torch.float32
    labels = torch.zeros(4, dtype=torch.int64)
    with pytest.raises(ValueError, match=r"3 samples .* labels has shape \(4,\): the sample"):
        call(method, torch.zeros(2, 3, 1, dtype=dtype), labels, **params)
    if dtype.is_floating_point:
        with pytest.raises(ValueError, match="non-finite"):
            call(method, torch.tensor([[0.0], [float("nan")], [1.0], [2.0]]), labels, **params)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_gives_the_same_numbers_on_cuda(method):
    estimator, params = get(method), validate_params(method, EXAMPLE_PARAMS[method])
    if "noise" in estimator.needs:
        pytest.skip("Monte Carlo draws come from the device's own generator")
    generator = torch.Generator().manual_seed(1)
    acts = torch.tanh(torch.randn(2, 4096, 5, generator=generator, dtype=torch.float64))
    if "codes" in estimator.needs:
        acts = torch.round((acts + 1) * 127.5).to(torch.uint8)
    labels = torch.randint(0, 3, (4096,), generator=generator)
    cpu = call(method, acts, labels, **params)
    gpu = call(method, acts.cuda(), labels.cuda(), **params)
    assert gpu.I_XT.is_cuda
    torch.testing.assert_close(gpu.I_XT.cpu(), cpu.I_XT, rtol=0, atol=1e-9)
    torch.testing.assert_close(gpu.I_TY.cpu(), cpu.I_TY, rtol=0, atol=1e-9)
