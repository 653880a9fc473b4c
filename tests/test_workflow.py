"""The workflow end to end at quick scale, in a copy of the repository: it builds every target,
a second run does nothing, and a change reruns only what depends on it."""

import json
import re
from pathlib import Path

import pytest
import xarray as xr
from PIL import Image
from workflow_copy import QUICK, REPO, copy_workflow, snakemake

from ibrepro.config import load_file
from ibrepro.estimators import get
from ibrepro.figures import ItemInputs, input_paths, item_options, output_paths
from ibrepro.figures import get as get_item
from ibrepro.papers import ITEMS
from ibrepro.report import CLAIMS

pytestmark = pytest.mark.workflow

SPEC = load_file(REPO / "config.yaml", scale="quick")
BINNING = [name for name, est in SPEC.estimators.items()
           if get(est["method"]).module == "ibrepro.estimators.binning"]


def scheduled(root: Path, *args: str) -> dict[str, list[str]]:
    """Rule name -> outputs of the jobs a dry run would run."""
    out = snakemake(root, "--dry-run", "--cores", "2", *QUICK, *args).stdout
    jobs: dict[str, list[str]] = {}
    for rule, body in re.findall(r"^rule (\w+):\n((?:    .*\n)+)", out, flags=re.M):
        outputs = re.search(r"^    output: (.*)$", body, flags=re.M)
        if rule != "all":
            jobs.setdefault(rule, []).extend(outputs.group(1).split(", ") if outputs else [])
    return jobs


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = copy_workflow(tmp_path_factory.mktemp("workflow"))
    snakemake(root, "--cores", "2", *QUICK)
    return root


def test_quick_scale_builds_every_target(built):
    results = built / "results" / "quick"
    for item in ("figures/rip/fig1", "figures/rip/fig2", "figures/rip/fig17"):
        for suffix in (".png", ".pdf", ".txt"):
            assert (results / f"{item}{suffix}").stat().st_size > 0
    assert (results / "tables/rip/table1.csv").exists()
    assert "| rip/table1 |" in (results / "report/reproduction.md").read_text()
    mi_files = sorted(p.relative_to(results / "mi").as_posix()
                      for p in (results / "mi").glob("*/*.nc"))
    assert mi_files == sorted(f"{e}/{s}.nc" for e, s in SPEC.mi_pairs())
    # every configured estimator ran on some experiment (config.yaml: estimates)
    assert {s for _, s in SPEC.mi_pairs()} == set(SPEC.estimators)
    assert sorted(p.stem for p in (results / "data").glob("*.nc")) == sorted(SPEC.datasets)
    measure_files = list((results / "measures").glob("*/*.nc"))
    assert len(measure_files) == len(SPEC.measure_pairs()) >= len(SPEC.measures) > 0
    # the jobs ran in the build's job server (those started before it listened ran themselves)
    served = (results / "logs/job_server.log").read_text()
    assert served.count(": exit 0 in ") > 200 and "stopped" in served and " exit 1" not in served
    with xr.open_dataset(results / "mi/szt-tanh/bin-size-0.07.nc") as mi:
        assert mi["I_XT"].dims == ("rep", "epoch", "layer") and mi.attrs["units"] == "bits"
        quick = SPEC.experiments["szt-tanh"]
        assert mi.sizes == {"rep": quick["repetitions"], "epoch": quick["snapshots"], "layer": 6}
        assert float(mi["I_XT"].max()) <= 12 + 1e-9  # log2 4096
        assert float(mi["I_TY"].max()) <= float(mi["I_XT"].max()) + 1e-9


@pytest.mark.parametrize("item_id", sorted(ITEMS))
def test_every_item_carries_its_caption_and_provenance(built, item_id, rst_problems):
    """Each item as the build rendered it: its outputs, a caption the HTML report reads as
    plain text, and its provenance (PNG text chunks and PDF info, or the Markdown comment)
    naming exactly the inputs it declares, each with its checksum."""
    results = built / "results" / "quick"
    paths = output_paths(item_id, results)
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths)
    caption = paths[-1].read_text().strip()
    assert caption and rst_problems(paths[-1]) == []
    declared = input_paths(item_id, results)
    if get_item(item_id).kind == "figure":
        png, pdf = paths[0], paths[1]
        text = Image.open(png).text
        assert text["Title"] == item_id and text["Description"] == caption
        inputs = json.loads(text["Provenance"]).get("inputs", {})  # absent without inputs
        assert set(inputs) == set(declared)
        assert all(len(v["sha256"]) == 64 for v in inputs.values())
        assert b"ibrepro_version" in pdf.read_bytes()
    else:
        csv, md = paths[0], paths[1]
        rows = get_item(item_id).build(
            ItemInputs(item_id, declared, item_options(item_id, SPEC)))
        assert csv.read_text().count("\n") == len(rows[0]) + 1
        assert "<!-- provenance: " in md.read_text() and caption in md.read_text()


def test_second_run_does_nothing(built):
    assert scheduled(built) == {}


def test_deleting_one_mi_file_rebuilds_only_it_and_its_readers(built):
    target = built / "results/quick/mi/szt-tanh/bin-size-0.3.nc"  # one reader: a cheap rebuild
    target.unlink()
    jobs = scheduled(built)
    reports = report_jobs(lambda c: ("szt-tanh", "bin-size-0.3") in c.mi)
    assert reports["paper_report"] == ["results/quick/report/rip.md"]  # rip's bin-size claims
    assert {rule: [p for p in outputs if p.endswith(".md")] if rule in reports else outputs
            for rule, outputs in jobs.items()} == {
        "estimate": ["results/quick/mi/szt-tanh/bin-size-0.3.nc"],
        "figure": [f"results/quick/figures/rip/fig1{s}" for s in (".png", ".pdf", ".txt")],
        **reports}
    snakemake(built, "--cores", "2", *QUICK)
    assert target.exists() and scheduled(built) == {}


def report_jobs(reads) -> dict[str, list[str]]:
    """The report jobs that rerun when the claims for which ``reads(claim)`` holds see a changed
    input: the whole report and the report of each of their papers."""
    papers = sorted({c.paper_key for c in CLAIMS.values() if reads(c)})
    return {"reproduction": ["results/quick/report/reproduction.md"] if papers else [],
            "paper_report": [f"results/quick/report/{p}.md" for p in papers]}


def scheduled_after_editing(root: Path, module: str) -> dict[str, list[str]]:
    """``scheduled`` once the file ``module`` (under ``root``) has an edit, undone after."""
    path = root / module
    original = path.read_text()
    path.write_text(original + "\n# an edit\n")
    try:
        return scheduled(root)
    finally:
        path.write_text(original)


def test_editing_the_binning_module_reruns_only_binning_estimates_and_readers(built):
    jobs = scheduled_after_editing(built, "src/ibrepro/estimators/binning.py")
    pruned = SPEC.pruning["estimator"] in BINNING  # the pruning loop estimates by binning
    readers = {item for item in SPEC.figures if any(s in BINNING for _, s in get_item(item).mi)
               or (pruned and get_item(item).pruning)}
    reports = report_jobs(lambda c: any(s in BINNING for _, s in c.mi)
                          or (pruned and c.pruning))
    # no data or train job; figure and table jobs only for the items reading a binning
    # estimate, and the reports of the claims reading one
    assert set(jobs) == {"estimate", "reproduction", "paper_report",
                         *(["prune"] if pruned else []), *(get_item(i).kind for i in readers)}
    assert sorted(p for p in jobs["paper_report"] if p.endswith(".md")) == reports["paper_report"]
    # every built MI file of a binning estimator, and nothing else
    assert sorted(jobs["estimate"]) == sorted(
        f"results/quick/mi/{e}/{s}.nc" for e, s in SPEC.mi_pairs() if s in BINNING)
    assert 0 < len(BINNING) < len(SPEC.estimators)
    rendered = {re.sub(r"^results/quick/(figures|tables)/|\.(png|csv)$", "", p)
                for p in jobs.get("figure", []) + jobs.get("table", [])
                if p.endswith((".png", ".csv"))}
    assert rendered == readers and "rip/fig1" in readers
    assert "rip/fig17" not in rendered  # reads metrics only
    assert scheduled(built) == {}


def test_editing_the_clustering_module_reruns_only_the_measures_and_their_readers(built):
    """The measure files, the items and claims that read them, and the item that calls the
    module itself (goldfeld/fig8's input pixels, declared in its ``uses``): no estimate, no
    other item."""
    jobs = scheduled_after_editing(built, "src/ibrepro/estimators/clustering.py")
    readers = {item for item in SPEC.figures if get_item(item).measures
               or "ibrepro.estimators.clustering" in get_item(item).uses}
    reports = report_jobs(lambda c: c.measures
                          or "ibrepro.estimators.clustering" in c.uses)
    assert set(jobs) == {"measure", *(get_item(i).kind for i in readers),
                         *(rule for rule, outputs in reports.items() if outputs)}
    assert (sorted(p for p in jobs.get("paper_report", []) if p.endswith(".md"))
            == reports["paper_report"])
    assert sorted(jobs["measure"]) == sorted(
        f"results/quick/measures/{e}/{m}.nc" for e, m in SPEC.measure_pairs())
    rendered = {re.sub(r"^results/quick/(figures|tables)/|\.(png|csv)$", "", p)
                for p in jobs.get("figure", []) + jobs.get("table", [])
                if p.endswith((".png", ".csv"))}
    assert rendered == readers and {"goldfeld/fig5", "goldfeld/fig8"} <= readers


TEMP = "keep_activations=False"  # appended to QUICK's --config: activations are temp()
DEPTH_1_MI = sorted(f"results/quick/mi/szt-depth-1/{s}.nc" for e, s in SPEC.mi_pairs()
                    if e == "szt-depth-1")  # a small run's MI files, for the temp() tests


def test_temp_activations_once_gone_are_rebuilt_only_for_a_reader(built):
    """With temp() activations (paper scale's default): once deleted, an up-to-date build does
    nothing; a reader built anew retrains the run and rebuilds everything that reads it."""
    run = built / "results/quick/runs/szt-depth-1"
    saved = (run / "activations.nc").rename(built / "activations.saved")
    try:
        assert scheduled(built, TEMP) == {}
        (built / DEPTH_1_MI[0]).rename(built / "mi.saved")
        try:
            jobs = scheduled(built, TEMP)
        finally:
            (built / "mi.saved").rename(built / DEPTH_1_MI[0])
        assert len(jobs["train"]) == 3 and sorted(jobs["estimate"]) == DEPTH_1_MI
    finally:
        saved.rename(run / "activations.nc")
    assert scheduled(built) == {}


def test_a_changed_run_setting_reruns_its_readers_without_their_activations(built):
    """Every estimate and measure job carries its run's settings (``run_fingerprint``): after
    another build retrained a run under a changed setting (here recorded by ``--touch``) and
    deleted its activations, its MI files still rerun, though nothing they read is newer."""
    config, run = built / "config.yaml", built / "results/quick/runs/szt-depth-1"
    original = config.read_text()
    config.write_text(original.replace("szt-depth-1: {hidden: [12],",
                                       "szt-depth-1: {hidden: [12], lr: 0.02,"))
    saved = (run / "activations.nc").rename(built / "activations.saved")
    try:
        snakemake(built, "--touch", "--cores", "1", "results/quick/runs/szt-depth-1/metrics.nc",
                  *QUICK, TEMP)
        assert sorted(scheduled(built, TEMP)["estimate"]) == DEPTH_1_MI
    finally:
        config.write_text(original)
        saved.rename(run / "activations.nc")
        snakemake(built, "--touch", "--cores", "1", *QUICK)  # every record as before
    assert scheduled(built) == {}
