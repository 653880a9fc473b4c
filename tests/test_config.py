"""Config validation: the shipped config resolves at both scales, and every kind of mistake
stops with a message naming the field and what it allows."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ibrepro.config import ConfigError, load, load_file

REPO = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())


def broken(**path_values):
    """The shipped config with ``a.b.c=value`` entries set (``None`` deletes the key)."""
    config = copy.deepcopy(CONFIG)
    for path, value in path_values.items():
        *parents, key = path.split("__")
        node = config
        for parent in parents:
            node = node[parent]
        if value is None:
            del node[key]
        else:
            node[key] = value
    return config


def test_shipped_config_resolves_at_both_scales():
    paper = load_file(REPO / "config.yaml")
    quick = load_file(REPO / "config.yaml", scale="quick")
    tanh = paper.experiments["szt-tanh"]
    assert (tanh["epochs"], tanh["repetitions"], tanh["batch_size"]) == (8000, 50, 256)
    assert tanh["optimizer"] == "sgd" and tanh["name"] == "szt-tanh"
    assert quick.experiments["szt-tanh"]["epochs"] == CONFIG["quick"]["epochs"]
    assert quick.experiments["szt-tanh"]["repetitions"] == CONFIG["quick"]["repetitions"]
    assert paper.estimators["bin-size-0.07"] == {
        "name": "bin-size-0.07", "method": "bin-size", "params": {"size": 0.07}}
    assert paper.datasets["szt"] == {"kind": "szt", "test_fraction": 0.2, "split_seed": 0}


def test_an_experiments_own_quick_settings_win_at_quick_scale_only():
    own = {**CONFIG["experiments"]["szt-tanh"], "quick": {"epochs": 50, "snapshots": 5}}
    config = copy.deepcopy(CONFIG)
    config["experiments"]["szt-tanh"] = own
    quick = load({**config, "scale": "quick"}).experiments["szt-tanh"]
    assert (quick["epochs"], quick["snapshots"]) == (50, 5)
    assert quick["repetitions"] == CONFIG["quick"]["repetitions"] and "quick" not in quick
    paper = load(config).experiments["szt-tanh"]
    assert (paper["epochs"], paper["snapshots"]) == (8000, 280) and "quick" not in paper
    with pytest.raises(ConfigError, match=r"config\.experiments\.szt-tanh\.quick: unknown key\(s\) "
                                          r"'lr'; allowed keys: bad_fit, epochs, record_epochs, "
                                          r"repetitions, snapshots"):
        load({**config, "experiments": {**config["experiments"],
                                        "szt-tanh": {**own, "quick": {"lr": 1.0}}}})


def test_defaults_are_filled_from_the_schema():
    config = broken(datasets__szt={"kind": "szt"})
    del config["device"]
    spec = load(config)
    assert spec.device == "auto"
    assert spec.datasets["szt"] == {"kind": "szt", "test_fraction": 0.2, "split_seed": 0}


@pytest.mark.parametrize("changes, message", [
    ({"scale": "huge"}, r"config\.scale: 'huge' is not one of \['paper', 'quick'\]"),
    ({"experiments__szt-tanh__optimizer": "adamw"},
     r"config\.experiments\.szt-tanh\.optimizer: 'adamw' is not one of \['sgd', 'adam'\]"),
    ({"experiments__szt-tanh__activations": ["tanh", "gelu"] + ["tanh"] * 3},
     r"config\.experiments\.szt-tanh\.activations\.1: 'gelu' is not one of "
     r"\['tanh', 'relu', 'linear', 'softplus', 'centred-softplus', 'sigmoid', 'elu', "
     r"'leaky-relu', 'swish'\]"),
    ({"experiments__szt-tanh__weight_decay": -0.1},
     r"config\.experiments\.szt-tanh\.weight_decay: -0\.1 is less than the minimum of 0"),
    ({"experiments__szt-tanh__lrr": 0.1},
     r"config\.experiments\.szt-tanh: unknown key\(s\) 'lrr'; allowed keys: activations, "
     r"(\w+, )*batch_size, (\w+, )*dataset"),
    ({"experiment_defaults__epochs": "many"},
     r"config\.experiment_defaults\.epochs: 'many' is not of type 'integer'"),
    ({"experiment_defaults__lr": 0}, r"config\.experiment_defaults\.lr: 0 is less than or "
                                     r"equal to the minimum of 0"),
    ({"colour": "red"}, r"config\.<top level>: unknown key\(s\) 'colour'; allowed keys:"),
    ({"figures": ["rip/fig99"]}, r"config\.figures: unknown figure/table ID 'rip/fig99'; "
                                 r"registered: .*'rip/fig1'"),
    ({"estimators__x": {"method": "magic"}}, r"config\.estimators\.x: .*magic.*bin-count.*"
                                            r"bin-size"),
    ({"estimators__bin-size-0.07": {"method": "bin-size"}},
     r"config\.estimators\.bin-size-0\.07: .*size"),
    ({"experiments__szt-tanh__dataset": "cifar"},
     r"config\.experiments\.szt-tanh\.dataset: 'cifar' is not a dataset; defined: boolean4, "
     r"mnist, .*szt"),
    ({"experiments__szt-tanh__activations": ["tanh"]},
     r"config\.experiments\.szt-tanh\.activations: 1 given for 5 hidden layers"),
    ({"experiments__szt-tanh__conv": [{"channels": 2, "kernel": 3, "pool": 2}]},
     r"config\.experiments\.szt-tanh\.activations: 5 given for 6 hidden layers \(conv, then "
     r"hidden\)"),
    ({"experiments__szt-tanh__conv": [{"channels": 2, "kernel": 3}]},
     r"config\.experiments\.szt-tanh\.conv\.0: 'pool' is a required property"),
    ({"experiment_defaults__seed": None}, r"config\.experiments\.szt-tanh: missing seed"),
    ({"experiments__szt-relu": None},
     r"config\.figures: rip/fig17 reads experiment 'szt-relu', which config\.experiments "
     r"does not define"),
    ({"estimators__bin-size-0.3": None},
     r"config\.figures: rip/fig1 reads estimator 'bin-size-0\.3'"),
])
def test_errors_name_the_field_and_the_allowed_values(changes, message):
    with pytest.raises(ConfigError, match=message):
        load(broken(**changes))


def test_activation_zoo_and_weight_decay_reach_the_spec():
    spec = load(broken(**{"experiments__szt-tanh__activations": ["swish", "centred-softplus",
                                                                 "leaky-relu", "elu", "sigmoid"],
                          "experiments__szt-tanh__weight_decay": 1e-4}))
    assert spec.experiments["szt-tanh"]["activations"][1] == "centred-softplus"
    assert spec.experiments["szt-tanh"]["weight_decay"] == 1e-4
    assert spec.experiments["szt-relu"]["weight_decay"] == 0  # unset: the schema's default


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as error:
        load(broken(scale="huge", device="tpu"))
    assert "config.scale" in str(error.value) and "config.device" in str(error.value)


def test_cli_check_exits_2_with_the_message(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(broken(scale="huge")))
    result = subprocess.run([sys.executable, "-m", "ibrepro", "check", "--config", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "config.scale: 'huge' is not one of ['paper', 'quick']" in result.stderr


def test_estimates_all_builds_every_applicable_pair_and_every_measure():
    spec = load({**CONFIG, "estimates": {"paper": "all"}})
    assert spec.mi_pairs() == spec.applicable_pairs()
    float_runs = [e for e, exp in spec.experiments.items() if exp.get("bits", 32) == 32]
    assert spec.measure_pairs() == [(e, m) for e in float_runs for m in spec.measures]


def test_estimates_list_keeps_its_experiments_in_full_plus_what_the_figures_read():
    """... and what the claims of the reproduction report read (its rule builds them too)."""
    from ibrepro.papers import CLAIMS

    spec = load({**CONFIG, "scale": "quick", "estimates": {"quick": ["szt-tanh-relu"]},
                 "figures": ["rip/fig2"]})  # reads szt-relu-tanh and szt-tanh-relu, bin 0.07
    pairs = set(spec.mi_pairs())
    full = {(e, s) for e, s in spec.applicable_pairs() if e == "szt-tanh-relu"}
    claims = {pair for c in CLAIMS.values() for pair in c.mi}
    assert pairs == full | {("szt-relu-tanh", "bin-size-0.07")} | claims
    claimed = {pair for c in CLAIMS.values() for pair in c.measures}
    assert set(spec.measure_pairs()) == {("szt-tanh-relu", m) for m in spec.measures} | claimed
    assert ("szt-tanh", "kde-upper") not in pairs  # no figure or claim reads it


@pytest.mark.parametrize("value, message", [
    (["szt-tahn"], r"config\.estimates\.paper: 'szt-tahn' is not an experiment; defined: "),
    ("some", r"config\.estimates\.paper: 'some' is not 'all' or a list of experiment names"),
])
def test_estimates_names_the_bad_value(value, message):
    with pytest.raises(ConfigError, match=message):
        load({**CONFIG, "estimates": {"paper": value}})


def test_skip_gpu_owed_leaves_out_those_runs_and_everything_that_reads_them():
    """What a CPU-only machine builds: no item and no claim reads a skipped experiment; the
    claims left out are the report's not-measured ones (``report_options`` in the workflow)."""
    from ibrepro.papers import CLAIMS, ITEMS
    from ibrepro.report import configured

    full, cpu = load(CONFIG), load({**CONFIG, "skip": "gpu-owed"})
    owed = set(CONFIG["gpu_owed"])
    assert set(cpu.skipped) == owed and not owed & set(cpu.experiments)
    assert set(full.experiments) - set(cpu.experiments) == owed
    assert set(cpu.figures) == {i for i in full.figures if not ITEMS[i].experiments & owed}
    assert {"lorenzen/fig4", "goldfeld/table1"} <= set(full.figures) - set(cpu.figures)
    claims = set(configured(cpu.experiments, cpu.estimators, cpu.datasets, cpu.measures))
    assert claims and all(not set(CLAIMS[c].experiments) & owed for c in claims)
    assert {e for e, _ in cpu.mi_pairs()} <= set(cpu.experiments)


@pytest.mark.parametrize("changes, message", [
    ({"skip": ["szt-tahn"]}, r"config\.skip: 'szt-tahn' is not an experiment; defined: "),
    ({"skip": "gpu"}, r"config\.skip: 'gpu' is not 'gpu-owed' or a list of experiment names"),
    ({"gpu_owed": ["cnn"]}, r"config\.gpu_owed: 'cnn' is not an experiment"),
    ({"skip": ["szt-relu-tanh"], "figures": ["rip/fig2"]},
     r"config\.figures: rip/fig2 reads szt-relu-tanh, which config\.skip leaves out"),
    ({"skip": ["szt-relu"], "estimates": {"paper": ["szt-relu"]}},
     r"config\.estimates\.paper: 'szt-relu' is left out by config\.skip"),
    ({"skip": ["szt-relu"], "estimates": {"paper": ["szt-rleu"]}},
     r"config\.estimates\.paper: 'szt-rleu' is not an experiment; defined: .*szt-relu,"),
])
def test_skip_names_the_bad_value(changes, message):
    with pytest.raises(ConfigError, match=message):
        load({**CONFIG, **changes})


def test_activations_are_temp_at_paper_scale_and_kept_at_quick_scale_by_default():
    config = {k: v for k, v in CONFIG.items() if k != "keep_activations"}
    assert not load(config).keep_activations
    assert load({**config, "scale": "quick"}).keep_activations
    assert load({**config, "keep_activations": True}).keep_activations
    assert not load({**config, "scale": "quick", "keep_activations": False}).keep_activations
    with pytest.raises(ConfigError, match=r"config\.keep_activations: 'false' is not True or "
                                          r"False or 'quick'"):
        load({**config, "keep_activations": "false"})  # --config keep_activations=false
