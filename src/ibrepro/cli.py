"""``ibrepro``: the commands the workflow's rules call, one per stage.

    ibrepro data SPEC_JSON --out data/szt.nc
    ibrepro train SPEC_JSON --dataset D --activations A --metrics M --weights W [--device auto]
    ibrepro estimate SPEC_JSON --activations A [--weights W] --out MI [--device auto]
    ibrepro measure SPEC_JSON --activations A --out F [--device auto]
    ibrepro prune SPEC_JSON --dataset D --out F [--device auto]   (rip §2.5's pruning loop)
    ibrepro render ID --results results/quick
    ibrepro report --results results/quick CLAIM_ID ...   (the reproduction report)
    ibrepro provenance FILE               (the chain from a figure/table/NetCDF to its datasets)
    ibrepro check [--config config.yaml] [key=value ...]
    ibrepro serve DIRECTORY               (a local build's job server: ibrepro.job_server)
    ibrepro estimators | measures | figures   (list what is registered)

Specs are the resolved JSON the Snakefile passes (``ibrepro.config``), so a rule's command line
holds everything its output depends on.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

import yaml


def _data(args) -> None:
    from ibrepro import data
    from ibrepro.atomic import write_netcdf
    from ibrepro.provenance import provenance_attrs

    spec = json.loads(args.spec)
    dataset = data.build(spec["name"], spec)
    dataset.attrs.update(provenance_attrs(spec=spec))
    write_netcdf(dataset, args.out)


def _limit_threads(threads: int | None) -> None:
    """Keep torch's intra-op threads to what the scheduler gave the job."""
    if threads:
        import torch

        torch.set_num_threads(threads)


def _limit_engine_threads(threads: int | None) -> None:
    """The training engines' threads: the CPU engine's (numba's thread count; a share of the
    repetitions per thread) and torch's."""
    if threads:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    _limit_threads(threads)


def _train(args) -> None:
    from ibrepro.train import run_experiment

    _limit_engine_threads(args.threads)
    run_experiment(json.loads(args.spec), args.dataset, args.activations, args.metrics,
                   args.weights, device=args.device, progress=not args.no_progress)


def _estimate(args) -> None:
    from ibrepro.device import resolve
    from ibrepro.estimators.apply import estimate_file

    device = resolve(args.device)
    if device == "cuda":  # the CPU path never imports torch; its processes take the threads
        _limit_threads(args.threads)
    estimate_file(json.loads(args.spec), args.activations, args.out, device=device,
                  weights_path=args.weights, workers=args.threads or 1)


def _measure(args) -> None:
    from ibrepro.device import resolve
    from ibrepro.estimators.apply import apply_measure

    device = resolve(args.device)
    if device == "cuda":
        _limit_threads(args.threads)
    apply_measure(json.loads(args.spec), args.activations, args.out, device=device)


def _prune(args) -> None:
    from ibrepro.train.pruning import prune_file

    _limit_engine_threads(args.threads)
    prune_file(json.loads(args.spec), args.dataset, args.out, device=args.device,
               progress=not args.no_progress)


def _render(args) -> None:
    from ibrepro.figures import render

    # the item's paper registers it (an ID names its package): a figure job imports one paper
    importlib.import_module(f"ibrepro.papers.{args.id.split('/')[0]}")

    for path in render(args.id, args.results, json.loads(args.options)):
        print(path)


def _report(args) -> None:
    from ibrepro import papers, report  # noqa: F401  (papers registers every paper's claims)

    for path in report.write(args.claims, args.results, unbuilt=args.unbuilt, paper=args.paper):
        print(path)


def _gallery(args) -> None:
    from ibrepro import gallery, papers  # noqa: F401  (papers registers the items)

    for path in gallery.write(args.results, args.out):
        print(path)


def _provenance(args) -> None:
    from ibrepro.provenance import chain

    for line in chain(args.file):
        print(line)


def _serve(args) -> None:
    from ibrepro import SOURCE_KEY
    from ibrepro.job_server import serve

    job = serve(args.directory, SOURCE_KEY, idle_exit=args.idle_exit)
    if job is not None:  # a forked child: run the job's command, then exit as it would
        job.become()
        raise SystemExit(main(job.argv[1:]))


def _check(args) -> None:
    from ibrepro.config import load_file

    overrides = dict(item.split("=", 1) for item in args.overrides)
    spec = load_file(args.config, **{k: yaml.safe_load(v) for k, v in overrides.items()})
    print(f"config ok: scale {spec.scale}, {len(spec.experiments)} experiments, "
          f"{len(spec.estimators)} estimators, {len(spec.measures)} measures, "
          f"{len(spec.figures)} figures")


def _list_estimators(args) -> None:
    from ibrepro.estimators import METHODS

    for method, est in sorted(METHODS.items()):
        params = ", ".join(f"{k}: {t.__name__}" for k, t in est.params.items())
        print(f"{method:20} ({params}) [{est.units}] {est.description} — {est.reference}")


def _list_measures(args) -> None:
    from ibrepro.estimators.measures import MEASURES

    for method, measure in sorted(MEASURES.items()):
        params = ", ".join([*(f"{k}: {t.__name__}" for k, t in measure.params.items()),
                            *(f"{k}={v!r}" for k, v in measure.defaults.items())])
        print(f"{method:20} ({params}) -> {', '.join(measure.variables)}: "
              f"{measure.description} — {measure.reference}")


def _list_figures(args) -> None:
    from ibrepro.papers import ITEMS

    for item_id, item in sorted(ITEMS.items()):
        print(f"{item_id:40} {item.kind:6} {item.build.__module__:30} {item.description}")


def _list_claims(args) -> None:
    from ibrepro.papers import CLAIMS

    for claim_id, claim in sorted(CLAIMS.items()):
        how = f"not measurable: {claim.not_measurable}" if claim.not_measurable else claim.verdict
        print(f"{claim_id:56} {how}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="ibrepro", description=__doc__.split("\n")[0])
    sub = top.add_subparsers(required=True, metavar="COMMAND")

    def command(name, func, help):
        p = sub.add_parser(name, help=help)
        p.set_defaults(func=func)
        return p

    p = command("data", _data, "build one dataset file")
    p.add_argument("spec", help="resolved dataset spec (JSON)")
    p.add_argument("--out", required=True)
    p = command("train", _train, "train one experiment (all repetitions batched)")
    p.add_argument("spec", help="resolved experiment spec (JSON)")
    for name in ("--dataset", "--activations", "--metrics", "--weights"):
        p.add_argument(name, required=True)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: all)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (epochs, ETA)")
    p = command("prune", _prune, "rip's pruning loop: train, estimate, prune, retrain")
    p.add_argument("spec", help="JSON: experiment, estimator, threshold, prunable_from, patience")
    p.add_argument("--dataset", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: all)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    for name, func, what, help in (
        ("estimate", _estimate, "estimator", "apply one estimator to one run's activations"),
        ("measure", _measure, "measure", "compute one measure of one run's activations"),
    ):
        p = command(name, func, help)
        p.add_argument("spec", help=f"resolved {what} spec (JSON)")
        p.add_argument("--activations", required=True)
        p.add_argument("--out", required=True)
        p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
        p.add_argument("--threads", type=int,
                       help="CPU processes sharing the repetitions (estimate; default 1), "
                            "or torch's threads on CUDA")
        if name == "estimate":
            p.add_argument("--weights", help="the run's weights.nc (estimators that need it)")
    p = command("render", _render, "draw one figure or table from built results")
    p.add_argument("id", help="item ID, e.g. rip/fig1")
    p.add_argument("--results", required=True, help="results root, e.g. results/quick")
    p.add_argument("--options", default="{}",
                   help="JSON of the config sections the item reads, e.g. early_stopping")
    p = command("report", _report, "write the reproduction report (paper values vs ours)")
    p.add_argument("--results", required=True, help="results root, e.g. results/quick")
    p.add_argument("claims", nargs="*", metavar="CLAIM_ID", help="claims to evaluate")
    p.add_argument("--unbuilt", nargs="*", default=[], metavar="CLAIM_ID",
                   help="claims listed as not measured: the config builds not all their inputs")
    p.add_argument("--paper", help="write only this paper's report (<paper>.md, .csv) of its "
                                   "claims given: rip, survey, lorenzen, chelombiev, goldfeld or "
                                   "compare")
    p = command("gallery", _gallery, "copy built figures and paper reports into docs/gallery")
    p.add_argument("--results", required=True, help="results root, e.g. results/paper")
    p.add_argument("--out", default="docs/gallery", help="the gallery folder")
    p = command("provenance", _provenance, "print the chain from an output back to its datasets")
    p.add_argument("file", help="a .nc, figure (.png/.pdf/.txt) or table (.csv/.md/.txt)")
    p = command("serve", _serve, "run a local build's jobs in processes forked from one that "
                                 "has imported the libraries (the Snakefile starts it)")
    p.add_argument("directory", help="where the socket goes (the jobs' IBREPRO_JOB_SERVER)")
    p.add_argument("--idle-exit", type=float, help="stop after this many seconds without a job")
    p = command("check", _check, "validate a config file and print a summary")
    p.add_argument("--config", default="config.yaml")
    p.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    command("estimators", _list_estimators, "list the registered estimator methods")
    command("measures", _list_measures, "list the registered measure methods")
    command("figures", _list_figures, "list the registered figure and table IDs, each with its "
                                      "module")
    command("claims", _list_claims, "list the registered claims with their verdict rules")
    return top


def main(argv: list[str] | None = None) -> int:
    from ibrepro.errors import ConfigError

    args = parser().parse_args(argv)
    try:
        args.func(args)
    except ConfigError as error:  # the message names each field and what it allows
        print(f"ibrepro: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
