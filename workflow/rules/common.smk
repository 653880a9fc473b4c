"""Adapters from the ibrepro package's registries to wildcards, inputs and params.

The config is validated and resolved here, before any job runs (``ibrepro.config.load``).
The workflow imports (and fingerprints) the package from its own ``src/``; the jobs run the
installed ``ibrepro`` (``pip install -e .`` of this checkout, so the same code).
"""

import hashlib
import json
import re
import sys
from pathlib import Path

from snakemake.settings.types import DeploymentMethod

sys.path.insert(0, str(Path(workflow.basedir) / "src"))

import ibrepro.config  # noqa: E402
from ibrepro import estimators, figures, job_server, papers, paths  # noqa: E402  (papers: the registries)
from ibrepro.estimators import measures  # noqa: E402
from ibrepro import report as reproduction  # noqa: E402  (`report` is Snakemake's flag)

SPEC = ibrepro.config.load(config)
RESULTS = f"results/{SPEC.scale}"
# Threads of each train, estimate and measure job. Quick-scale jobs are tiny: a 3-repetition
# quick training took the same wall time on 1 thread as on 2 (18 s vs 27 s CPU), so there one
# thread each lets two jobs share a 2-core machine; paper-scale CPU jobs get 2.
JOB_THREADS = 1 if SPEC.scale == "quick" else 2
# GPUs an estimate or measure job takes (resource `gpu`, as training's `train_gpus`): on CUDA
# (device auto or cuda) it computes there and must not share the GPU with a training job; with
# device cpu it needs none (the CPU path never imports torch).
ESTIMATE_GPUS = 0 if SPEC.device == "cpu" else SPEC.train_gpus
CONDA = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
# Estimate and measure jobs run before the next training job (whose priority is 0), so a
# run's activations are read, and deleted where they are temp(), before the next run's are
# written: a build holds few activations files at once.
READER_PRIORITY = 1


_job_servers = []


def start_job_server():
    """When the jobs run on this machine, a job server runs them (ibrepro.job_server): each
    skips the 2-6 s of imports a fresh interpreter pays. IBREPRO_JOB_SERVER=off: no server."""
    if workflow.local_exec and not (workflow.remote_exec or workflow.subprocess_exec
                                    or workflow.touch):
        server = job_server.start(f"{RESULTS}/logs/job_server.log")
        if server is not None:
            _job_servers.append(server)


def stop_job_server():
    while _job_servers:
        _job_servers.pop().stop()


def keep_or_temp(path):
    """A run's activations.nc, as Snakemake temp() where config.keep_activations is false."""
    return path if SPEC.keep_activations else temp(path)


def rule_env(wildcards):
    """Every rule's conda environment, in effect when deploying with conda (--sdm conda): then
    --archive packs its packages. Otherwise None: the rules run in the current environment
    (pip install -e .) and --archive packs the code, config and external inputs, no conda
    needed. A function, so the rules always declare it (snakemake --lint, run plainly)."""
    return "../envs/ibrepro.yaml" if CONDA else None


ENV = rule_env  # each rule's `conda:`


def alternatives(names):
    """A wildcard constraint matching exactly the given names."""
    return "|".join(sorted(re.escape(name) for name in names))


def item_ids(kind):
    return [item_id for item_id, item in papers.ITEMS.items() if item.kind == kind]


def final_outputs():
    """The targets of the workflow: the configured items, the MI and measure files that
    ``config.yaml: estimates`` selects (``Spec.mi_pairs``, ``Spec.measure_pairs``), every
    dataset, the reproduction report and each paper's."""
    items = [str(p) for item in SPEC.figures for p in figures.output_paths(item, RESULTS)]
    mi = [str(paths.mi_file(RESULTS, e, s)) for e, s in SPEC.mi_pairs()]
    measured = [str(paths.measure_file(RESULTS, e, m)) for e, m in SPEC.measure_pairs()]
    data = [str(paths.dataset_file(RESULTS, d)) for d in SPEC.datasets]
    papers_ = [str(p) for paper in reproduction.PAPERS
               for p in reproduction.paper_files(RESULTS, paper)]
    return (items + mi + measured + data + papers_
            + [str(p) for p in reproduction.report_files(RESULTS)])


def dataset_spec(wildcards):
    return json.dumps({"name": wildcards.dataset, **SPEC.datasets[wildcards.dataset]},
                      sort_keys=True)


def experiment_spec(wildcards):
    return json.dumps(SPEC.experiments[wildcards.experiment], sort_keys=True)


def run_fingerprint(wildcards):
    """Hash of the experiment's resolved spec, a param of the estimate and measure jobs on its
    run: a changed setting reruns them though the run's activations are gone (temp()) and its
    weights are read as ancient()."""
    return hashlib.sha256(experiment_spec(wildcards).encode()).hexdigest()[:16]


def experiment_dataset(wildcards):
    return str(paths.dataset_file(RESULTS, SPEC.experiments[wildcards.experiment]["dataset"]))


def pruning_spec(wildcards):
    """The pruning loop's JSON: the big net, the estimator, the config's pruning and early
    stopping settings (``ibrepro prune``)."""
    settings = SPEC.pruning
    return json.dumps({"experiment": SPEC.experiments[wildcards.experiment],
                       "estimator": SPEC.estimators[settings["estimator"]],
                       "threshold": settings["threshold"],
                       "prunable_from": settings["prunable_from"],
                       "patience": SPEC.early_stopping["patience"]}, sort_keys=True)


def pruning_fingerprint(wildcards):
    """Hash of the pruning estimator's source and parameters (``estimator_fingerprint``):
    editing binning.py reruns the pruning loops that estimate by binning."""
    spec = SPEC.estimators[SPEC.pruning["estimator"]]
    return estimators.fingerprint(spec["method"], spec["params"])


def estimator_spec(wildcards):
    return json.dumps(SPEC.estimators[wildcards.estimator], sort_keys=True)


def estimator_inputs(wildcards):
    """The run's activations.nc, and its weights.nc for estimators that need weights. The
    weights are ancient(): a run retrained only to remake its deleted activations (temp())
    writes the same weights anew, which must not make this MI file stale in a later build
    (``run_fingerprint`` reruns it when the run's settings change)."""
    needs = estimators.get(SPEC.estimators[wildcards.estimator]["method"]).needs
    inputs = {"activations": str(paths.run_file(RESULTS, wildcards.experiment, "activations"))}
    if "weights" in needs:
        inputs["weights"] = ancient(str(paths.run_file(RESULTS, wildcards.experiment, "weights")))
    return inputs


def estimator_options(wildcards, input):
    """The estimate command's options for the optional inputs of ``estimator_inputs``."""
    return f"--weights {input.weights}" if "weights" in input.keys() else ""


def estimator_fingerprint(wildcards):
    """Hash of the estimator's module source and parameters: editing binning.py reruns only
    the MI files of binning estimators (and what reads them)."""
    spec = SPEC.estimators[wildcards.estimator]
    return estimators.fingerprint(spec["method"], spec["params"])


def measure_spec(wildcards):
    return json.dumps(SPEC.measures[wildcards.measure], sort_keys=True)


def measure_fingerprint(wildcards):
    """Hash of the measure's module source and parameters, as ``estimator_fingerprint``."""
    spec = SPEC.measures[wildcards.measure]
    return measures.fingerprint(spec["method"], spec["params"])


def item_inputs(wildcards):
    item = wildcards.get("figure") or wildcards.get("table")
    return {name: str(p) for name, p in figures.input_paths(item, RESULTS).items()}


def results_root(wildcards, output):
    """The results root of a render job: its output is <root>/<figures|tables>/<paper>/<item>."""
    return str(Path(output[0]).parents[2])


def item_fingerprint(wildcards):
    return figures.fingerprint(wildcards.get("figure") or wildcards.get("table"))


def item_options(wildcards):
    """The config sections the item reads (``Item.options``), as JSON for its render job."""
    item_id = wildcards.get("figure") or wildcards.get("table")
    return json.dumps(figures.item_options(item_id, SPEC), sort_keys=True)


def report_category(wildcards):
    """The HTML report category of a render job: its paper, numbered in FIGURES.md's order."""
    return reproduction.category(wildcards.get("figure") or wildcards.get("table"))


# the claims whose inputs the config builds; the report lists the others as not measured
CLAIMS = reproduction.configured(SPEC.experiments, SPEC.estimators, SPEC.datasets, SPEC.measures)


def of_paper(ids, paper=None):
    """The item or claim IDs (``<paper>/...``) of ``paper``; all of them for None."""
    return [i for i in ids if paper is None or i.split("/", 1)[0] == paper]


def claim_inputs(claims):
    """Every file the claims read (``ibrepro.report.input_paths``), by name."""
    return {name: str(p) for name, p in reproduction.input_paths(claims, RESULTS).items()}


def report_inputs(wildcards):
    """Every file the configured claims read."""
    return claim_inputs(CLAIMS)


def paper_report_inputs(wildcards):
    """Every file one paper's configured claims read."""
    return claim_inputs(of_paper(CLAIMS, wildcards.paper))


def report_options(paper=None):
    """``--unbuilt`` and the claims (of ``paper``, or all) whose inputs the config does not
    build, if any."""
    unbuilt = [c for c in of_paper(papers.CLAIMS, paper) if c not in CLAIMS]
    return f"--unbuilt {' '.join(unbuilt)}" if unbuilt else ""


def paper_outputs(paper):
    """A paper's target (``snakemake <paper>``): its configured items and its report."""
    items = [str(p) for item in of_paper(SPEC.figures, paper)
             for p in figures.output_paths(item, RESULTS)]
    return items + [str(p) for p in reproduction.paper_files(RESULTS, paper)]


def report_root(wildcards, output):
    """The results root of the report job: its output is <root>/report/reproduction.md."""
    return str(Path(output.md).parents[1])
