"""The figure/table registry and the rip items, rendered from a tiny fake results tree."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from ibrepro.config import load_file
from ibrepro.data import build as build_dataset
from ibrepro.figures import ItemInputs, get, input_paths, item_options, output_paths, render
from ibrepro.figures.plane import information_plane
from ibrepro.figures.registry import CODE_PACKAGES, code_modules
from ibrepro.figures.save import new_figure
from ibrepro.fingerprint import module_imports
from ibrepro.papers import CLAIMS, ITEMS
from ibrepro.papers.rip.data import input_information
from ibrepro.paths import run_file
from ibrepro.report import REPORT_MODULES
from ibrepro.train.writer import ActivationWriter

REPS, EPOCHS, MI_EPOCHS = 3, 10, [0, 1, 2, 5, 10]
LAYER_NAMES = ["tanh 1", "tanh 2", "tanh 3", "tanh 4", "tanh 5", "softmax"]


def _mi(experiment: str, estimator: str, rng) -> xr.Dataset:
    shape = (REPS, len(MI_EPOCHS), len(LAYER_NAMES))
    return xr.Dataset(
        {"I_XT": (("rep", "epoch", "layer"), rng.uniform(0, 12, shape)),
         "I_TY": (("rep", "epoch", "layer"), rng.uniform(0, 1, shape))},
        coords={"rep": np.arange(REPS), "epoch": MI_EPOCHS,
                "layer": np.arange(1, len(LAYER_NAMES) + 1),
                "layer_name": ("layer", LAYER_NAMES)},
        attrs={"units": "bits", "estimator": estimator, "params": "{}", "experiment": experiment},
    )


def _metrics(experiment: str, rng) -> xr.Dataset:
    """Loss and accuracy, and the gradient statistics of a ``gradient_stats`` run."""
    shape = (REPS, EPOCHS + 1, 2)
    gradients = (REPS, len(MI_EPOCHS), len(LAYER_NAMES))
    stats = ("gradient_mean_norm", "gradient_std_norm", "weight_norm")
    return xr.Dataset(
        {"loss": (("rep", "epoch", "split"), rng.uniform(0, 1, shape)),
         "accuracy": (("rep", "epoch", "split"), rng.uniform(0.5, 1, shape)),
         **{name: (("rep", "snapshot_epoch", "layer"), rng.uniform(0.1, 1, gradients))
            for name in stats}},
        coords={"rep": np.arange(REPS), "epoch": np.arange(EPOCHS + 1), "split": ["train", "test"],
                "snapshot_epoch": MI_EPOCHS, "layer": np.arange(1, len(LAYER_NAMES) + 1)},
        attrs={"experiment": experiment,
               "spec": json.dumps({"dataset": "szt", "batch_size": 256, "lr": 0.03})},
    )


def _pruning(experiment: str, rng) -> xr.Dataset:
    """Two rounds of the pruning loop (``train.pruning``): the 10-hidden-layer big net, then
    the net without layers 8-10."""
    layers, plane = 11, ("round", "rep", "epoch", "layer")
    origin = np.array([np.arange(1, 12), [1, 2, 3, 4, 5, 6, 7, 11, 0, 0, 0]])
    i_xt = rng.uniform(0, 12, (2, REPS, len(MI_EPOCHS), layers))
    i_xt[1, ..., 8:] = np.nan
    return xr.Dataset(
        {"I_XT": (plane, i_xt), "I_TY": (plane, i_xt / 12),
         "origin": (("round", "layer"), origin),
         "layer_name": (("round", "layer"), np.where(origin > 0, "l", "")),
         "hidden": ("round", ["10-7-5-4-3-3-3-3-3-3", "10-7-5-4-3-3-3"]),
         "stop_epoch": ("round", [4, 10]),
         "accuracy": (("round", "rep", "split"), rng.uniform(0.5, 1, (2, REPS, 2))),
         "distance": (("round", "pair"), rng.uniform(0, 0.1, (2, layers - 2))),
         "removed": (("round", "layer"), [(origin[0] >= 8) & (origin[0] <= 10), [False] * 11])},
        coords={"round": [0, 1], "rep": np.arange(REPS), "epoch": MI_EPOCHS,
                "layer": np.arange(1, layers + 1), "pair": np.arange(1, layers - 1),
                "split": ["train", "test"]},
        attrs={"units": "bits", "H_X": 12.0, "H_Y": 1.0, "estimator": "bin-size-0.07",
               "threshold": 0.05, "prunable_from": 6, "patience": 100, "experiment": experiment},
    )


def _activations(path, rng):
    """A tiny activations file of the SZT net's layer widths at the MI epochs (real writer)."""
    widths, samples = [10, 7, 5, 4, 3, 2], 32
    path.parent.mkdir(parents=True, exist_ok=True)
    with ActivationWriter.create(path, repetitions=REPS, epochs=MI_EPOCHS, layer_widths=widths,
                                 layer_names=LAYER_NAMES, labels=rng.integers(0, 2, samples),
                                 split=np.array(["train"] * samples), attrs={}) as writer:
        for epoch in MI_EPOCHS:
            writer.write(epoch, rng.uniform(-1, 1, (REPS, samples, sum(widths))).astype("f4"))


def _write(ds: xr.Dataset, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(path, engine="netcdf4")


def _dataset(x, y, split) -> xr.Dataset:
    return xr.Dataset({"x": (("sample", "feature"), np.asarray(x, np.uint8)),
                       "y": ("sample", np.asarray(y, np.int64)),
                       "split": ("sample", np.asarray(split, str))},
                      attrs={"name": "szt", "source": "test", "sha256_x": "", "sha256_y": ""})


@pytest.fixture(scope="module")
def results(tmp_path_factory, dataset_spec, write_measure):
    """A results root holding every input of every registered item (datasets for real, measure
    files by the measure stage's code from the fake activations)."""
    root = tmp_path_factory.mktemp("results")
    rng = np.random.default_rng(0)
    for item in ITEMS.values():
        paths = input_paths(item.id, root)
        for experiment, estimator in item.mi:
            _write(_mi(experiment, estimator, rng), paths[f"mi/{experiment}/{estimator}"])
        for experiment in item.activations:
            _activations(paths[f"activations/{experiment}"], rng)
        for experiment, measure in item.measures:
            acts = run_file(root, experiment, "activations")
            if not acts.is_file():
                _activations(acts, rng)
            write_measure(acts, paths[f"measures/{experiment}/{measure}"], measure)
        for experiment in item.metrics:
            _write(_metrics(experiment, rng), paths[f"metrics/{experiment}"])
        for name in item.datasets:
            _write(build_dataset(name, dataset_spec(name)), paths[f"data/{name}"])
        for experiment in item.pruning:
            _write(_pruning(experiment, rng), paths[f"pruning/{experiment}"])
    return root


PAPER = load_file(Path(__file__).parents[1] / "config.yaml")  # the items' options, paper scale


@pytest.mark.parametrize("item_id", sorted(ITEMS))
def test_declared_inputs_are_exactly_those_read(item_id, results):
    paths = input_paths(item_id, results)
    inputs = ItemInputs(item_id, paths, item_options(item_id, PAPER))
    get(item_id).build(inputs)
    assert inputs.used == set(paths)


@pytest.mark.parametrize("item_id", sorted(ITEMS))
def test_missing_input_is_named(item_id, results, tmp_path):
    paths = input_paths(item_id, results)
    if not paths:
        pytest.skip(f"{item_id} reads no inputs")
    name = sorted(paths)[0]
    for other, path in paths.items():
        if other != name:
            target = input_paths(item_id, tmp_path)[other]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    missing = input_paths(item_id, tmp_path)[name]
    with pytest.raises(FileNotFoundError, match=str(missing)):
        render(item_id, tmp_path, item_options(item_id, PAPER))
    assert not any(p.exists() for p in output_paths(item_id, tmp_path))


# modules whose edits need not rerun a figure: where things are, provenance, the registries
INFRASTRUCTURE = {"ibrepro", "ibrepro.atomic", "ibrepro.errors", "ibrepro.fingerprint",
                  "ibrepro.paths", "ibrepro.provenance", "ibrepro.registry"}


def _code(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in CODE_PACKAGES)


@pytest.mark.parametrize("reader", [*sorted(ITEMS), *sorted(CLAIMS)])
def test_uses_declare_the_package_modules_an_items_code_calls(reader):
    """Every module of the package that an item's (or a claim's) code imports, anywhere in its
    modules, is in its fingerprint: the papers, figures, ib and stopping modules by their
    imports, any other (an estimator called inside a function) declared in ``uses`` by it or
    by an item of the same module; infrastructure aside."""
    declared = ITEMS.get(reader) or CLAIMS[reader]
    if reader in CLAIMS and declared.not_measurable:
        pytest.skip("a claim not measurable here runs no code")
    module = declared.build.__module__ if reader in ITEMS else declared.ours.__module__
    siblings = [d for d in (*ITEMS.values(), *CLAIMS.values()) if getattr(
        d.build if hasattr(d, "build") else d.ours, "__module__", None) == module]
    uses = {m for d in siblings for m in d.uses}
    code = [m for m in code_modules(module, declared.uses) if _code(m)]
    imported = {m for c in code for m in module_imports(c) if m.startswith("ibrepro")}
    covered = INFRASTRUCTURE | (set() if reader in ITEMS else set(REPORT_MODULES))
    assert {m for m in imported if not _code(m)} - covered <= uses


def test_options_must_be_those_declared(results):
    with pytest.raises(ValueError, match=r"rip/fig7 takes options \['early_stopping'\], got \[\]"):
        render("rip/fig7", results)


def test_undeclared_read_is_refused(results):
    inputs = ItemInputs("rip/fig1", input_paths("rip/fig1", results))
    with pytest.raises(KeyError, match="does not declare"):
        inputs.mi("szt-relu", "bin-size-0.07")


def test_unknown_id_lists_valid_ids():
    with pytest.raises(ValueError, match="unknown figure/table ID 'rip/nope'") as info:
        get("rip/nope")
    assert all(item_id in str(info.value) for item_id in ITEMS)


def test_table1_distinct_rows_closed_form():
    """All 16 4-bit rows: H(X) = log2 16 = 4, and Y a function of X, so I(X;Y) = H(Y)."""
    x = np.array([[(i >> b) & 1 for b in range(4)] for i in range(16)])
    y = (x.sum(axis=1) >= 3).astype(int)  # 5 positives of 16
    p = 5 / 16
    h_x, i_xy = input_information(x, y)
    assert h_x == pytest.approx(4.0, abs=1e-12)
    assert i_xy == pytest.approx(-p * np.log2(p) - (1 - p) * np.log2(1 - p), abs=1e-12)


def test_table1_repeated_rows_closed_form():
    """x = 0,0,1,1 with y = 0,1,1,1: H(X) = 1, H(Y) = h(1/4), H(Y|X) = 1/2."""
    h_x, i_xy = input_information(np.array([[0], [0], [1], [1]]), np.array([0, 1, 1, 1]))
    h_y = -(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75))
    assert h_x == pytest.approx(1.0, abs=1e-12)
    assert i_xy == pytest.approx(h_y - 0.5, abs=1e-12)


def test_table1_szt_matches_paper_h_x(results):
    """rip's H(X) = log2 3276 for the SZT training set; I(X;Y) = H(Y) on each subset."""
    rows, _ = get("rip/table1").build(ItemInputs("rip/table1", input_paths("rip/table1", results)))
    train, everything = rows[:2]
    assert train["samples"] == 3276 and everything["samples"] == 4096
    assert train["H(X) [bits]"] == pytest.approx(train["paper H(X) [bits]"], abs=1e-9)
    assert everything["H(X) [bits]"] == pytest.approx(12.0, abs=1e-12)
    p = 2118 / 4096
    h_y = -p * np.log2(p) - (1 - p) * np.log2(1 - p)
    assert everything["I(X;Y) [bits]"] == pytest.approx(h_y, abs=1e-12)
    assert everything["paper H(X) [bits]"] is None


def test_table1_small_dataset_render(tmp_path):
    """A hand-made data file through render: the CSV holds the numbers at full precision."""
    x = np.array([[0], [0], [1], [1], [1], [0]])
    y = np.array([0, 1, 1, 1, 0, 0])
    split = ["train", "train", "train", "train", "test", "test"]
    for name in get("rip/table1").datasets:
        _write(_dataset(x, y, split), input_paths("rip/table1", tmp_path)[f"data/{name}"])
    csv = render("rip/table1", tmp_path)[0].read_text().splitlines()
    train = csv[1].split(",")
    h_y = -(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75))
    assert train[:2] == ["szt (train)", "4"]
    assert float(train[2]) == pytest.approx(h_y - 0.5, abs=1e-15)
    assert float(train[3]) == 1.0


def test_information_plane_checks_shapes():
    _, axes = new_figure()
    with pytest.raises(ValueError, match="must be \\(epoch, layer\\)"):
        information_plane(axes[0, 0], np.zeros((3, 2)), np.zeros((3, 2)), [0, 1, 2], ["a"])
    artists = information_plane(axes[0, 0], np.zeros((3, 2)), np.ones((3, 2)), [0, 1, 2],
                                ["a", "b"])
    assert len(artists) == 5  # line + points per layer, legend
    assert axes[0, 0].get_xlabel() == "I(X;T) [bits]"


def test_figure_and_report_jobs_do_not_import_torch(tmp_path):
    """Each figure job is its own Python process: importing torch (~2 s) in all of them would
    dominate the quick DAG's figure stage. The job's own path: the command line rendering a
    figure that needs no inputs (a schematic), and the report package."""
    argv = ["render", "rip/fig3", "--results", str(tmp_path), "--options", "{}"]
    code = (f"import sys; from ibrepro import cli, report; cli.main({argv!r}); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch')[:3])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (tmp_path / "figures" / "rip" / "fig3.png").exists()
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_dense_collections_go_into_the_pdf_as_images(tmp_path):
    """A mesh of 40 000 cells is one image in the PDF (as vectors: one path per cell, ~40 s
    for goldfeld/fig4's), a 10-point scatter stays vector; the PNG is unchanged."""
    from ibrepro.figures.save import save_figure

    fig, axes = new_figure(1, 2)
    mesh = axes[0, 0].pcolormesh(np.arange(201), np.arange(201), np.ones((200, 200)))
    marks = axes[0, 1].scatter(np.arange(10), np.arange(10))
    paths = save_figure(fig, tmp_path / "fig", title="t", caption="c", provenance={})
    assert mesh.get_rasterized() and not marks.get_rasterized()
    pdf = paths[1].read_bytes()
    assert paths[1].suffix == ".pdf" and b"/Subtype /Image" in pdf and len(pdf) < 100_000
