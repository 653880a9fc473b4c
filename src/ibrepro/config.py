"""Load, validate and resolve ``config.yaml`` into the specs the rules pass to the package.

Validation happens before any job runs (the Snakefile calls ``load``): every violation is
reported at once, each with its path in the config and what is allowed there.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import yaml

from ibrepro import estimators, papers
from ibrepro.errors import ConfigError
from ibrepro.estimators import measures
from ibrepro.paths import CONFIG_SCHEMA
from ibrepro.report import configured
from ibrepro.spec import Experiment

EXPERIMENT_REQUIRED = ("dataset", "hidden", "activations", "init", "optimizer", "lr",
                       "batch_size", "epochs", "repetitions", "snapshots", "seed")


@dataclass(frozen=True)
class Spec:
    """The resolved configuration of one scale: plain JSON-able dicts, keyed by name."""

    scale: str
    device: str
    train_gpus: int  # GPUs each training job requests (resource ``gpu``); 0 = none
    datasets: dict[str, dict]  # kind defaults filled; `quick` applied as `subsample`
    experiments: dict[str, dict]  # with "name", defaults merged and the scale applied
    estimators: dict[str, dict]  # {"name", "method", "params"}
    figures: tuple[str, ...]  # every registered item unless the config lists some
    measures: dict[str, dict] = field(default_factory=dict)  # {"name", "method", "params"}
    estimates: tuple[str, ...] | None = None  # experiments estimated in full; None = all
    early_stopping: dict = field(default_factory=dict)  # {"patience"}, the scale applied
    pruning: dict = field(default_factory=dict)  # {"estimator", "threshold", "prunable_from"}
    skipped: tuple[str, ...] = ()  # experiments config.skip leaves out (not in experiments)
    keep_activations: bool = True  # False: activations.nc is temp(), deleted once read

    def applicable_pairs(self) -> list[tuple[str, str]]:
        """Every (experiment, estimator) pair whose estimator applies to the experiment."""
        return [(e, s) for e, exp in self.experiments.items()
                for s, est in self.estimators.items()
                if estimators.skip_reason(exp, est["method"]) is None]

    def _in_full(self) -> list[str]:
        return list(self.experiments) if self.estimates is None else list(self.estimates)

    def readers(self) -> list:
        """What the workflow reads results for: the configured figures and tables, and the
        claims of the reproduction report whose inputs the config builds (``Reads`` each)."""
        claims = configured(self.experiments, self.estimators, self.datasets, self.measures)
        return ([papers.ITEMS.lookup(item) for item in self.figures]
                + [papers.CLAIMS[c] for c in claims])

    def mi_pairs(self) -> list[tuple[str, str]]:
        """The (experiment, estimator) MI files to build: every applicable pair of the
        experiments ``estimates`` names (all by default), and every pair a figure or a claim
        reads."""
        read = {pair for reader in self.readers() for pair in reader.mi}
        full = set(self._in_full())
        return [(e, s) for e, s in self.applicable_pairs() if e in full or (e, s) in read]

    def measure_pairs(self) -> list[tuple[str, str]]:
        """The (experiment, measure) files to build: every measure of the experiments
        ``estimates`` names (all by default) that record float activations, and every pair a
        figure or a claim reads."""
        read = {pair for reader in self.readers() for pair in reader.measures}
        full = set(self._in_full())
        return [(e, m) for e in self.experiments for m in self.measures
                if "activations" in estimators.provides(self.experiments[e])
                and (e in full or (e, m) in read)]


def _schema() -> dict:
    return yaml.safe_load(CONFIG_SCHEMA.read_text())


def _where(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties" and "properties" in error.schema:
        unknown = sorted(set(error.instance) - set(error.schema["properties"]))
        allowed = ", ".join(sorted(error.schema["properties"]))
        return f"unknown key(s) {', '.join(map(repr, unknown))}; allowed keys: {allowed}"
    if error.validator == "oneOf":  # name the alternatives by their descriptions
        options = [sub.get("description", repr(sub.get("const"))) for sub in error.validator_value]
        return f"{error.instance!r} is not {' or '.join(options)}"
    return error.message


def _check(config: dict, schema: dict) -> list[str]:
    errors = jsonschema.Draft202012Validator(schema).iter_errors(config)
    return [f"config.{_where(e.absolute_path)}: {_describe(e)}"
            for e in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))]


def _fill_defaults(instance: dict, schema: dict) -> dict:
    """Return ``instance`` with the ``default`` of each absent property (recursively)."""
    out = copy.deepcopy(instance)
    for key, sub in schema.get("properties", {}).items():
        if key not in out and "default" in sub:
            out[key] = copy.deepcopy(sub["default"])
        if isinstance(out.get(key), dict) and "properties" in sub:
            out[key] = _fill_defaults(out[key], sub)
    return out


def load(config: dict) -> Spec:
    """Validate a config mapping (as Snakemake's ``config``) and resolve it; raise ConfigError."""
    root = _schema()
    problems = _check(config, root)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    config = _fill_defaults(config, root)
    datasets = {name: _dataset(d, root["$defs"], config["scale"])
                for name, d in config["datasets"].items()}
    experiments = {name: _experiment(name, config, problems) for name in config["experiments"]}
    estimator_specs = {name: _method("estimators", estimators, name, est, config["scale"],
                                     problems)
                       for name, est in config["estimators"].items()}
    measure_specs = {name: _method("measures", measures, name, entry, config["scale"], problems)
                     for name, entry in config["measures"].items()}
    for name, exp in experiments.items():
        if exp.get("dataset") not in datasets:
            problems.append(f"config.experiments.{name}.dataset: {exp.get('dataset')!r} is not "
                            f"a dataset; defined: {', '.join(sorted(datasets))}")
    skipped = _skipped(config, problems)
    experiments = {name: exp for name, exp in experiments.items() if name not in skipped}
    if config["figures"] == "all":
        items = [i for i, item in papers.ITEMS.items() if not item.experiments & skipped]
    else:
        items = config["figures"]
    for item_id in items:
        if item_id in papers.ITEMS and (left_out := papers.ITEMS[item_id].experiments & skipped):
            problems.append(f"config.figures: {item_id} reads {', '.join(sorted(left_out))}, "
                            f"which config.skip leaves out; drop it from one of the two")
            continue
        problems.extend(_figure_problems(item_id, experiments, estimator_specs, measure_specs,
                                         datasets))
    if config["pruning"]["estimator"] not in estimator_specs:
        problems.append(f"config.pruning.estimator: {config['pruning']['estimator']!r} is not an "
                        f"estimator; defined: {', '.join(sorted(estimator_specs))}")
    in_full = config["estimates"][config["scale"]]
    for e in [] if in_full == "all" else in_full:
        if e not in config["experiments"]:
            problems.append(f"config.estimates.{config['scale']}: {e!r} is not an experiment; "
                            f"defined: {', '.join(sorted(config['experiments']))}")
        elif e in skipped:
            problems.append(f"config.estimates.{config['scale']}: {e!r} is left out by "
                            f"config.skip")
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return Spec(scale=config["scale"], device=config["device"],
                train_gpus=config["train_gpus"], datasets=datasets,
                experiments=experiments, estimators=estimator_specs,
                figures=tuple(items), measures=measure_specs,
                estimates=None if in_full == "all" else tuple(in_full),
                early_stopping=_scaled(config["early_stopping"], config["scale"]),
                pruning=config["pruning"], skipped=tuple(sorted(skipped)),
                keep_activations=config["keep_activations"] in (True, config["scale"]))


def _skipped(config: dict, problems: list[str]) -> set[str]:
    """The experiments ``config.skip`` leaves out (``gpu-owed``: those of ``gpu_owed``); names
    that are not experiments are problems."""
    defined = config["experiments"]
    for e in config["gpu_owed"]:
        if e not in defined:
            problems.append(f"config.gpu_owed: {e!r} is not an experiment; defined: "
                            f"{', '.join(sorted(defined))}")
    skip = config["gpu_owed"] if config["skip"] == "gpu-owed" else config["skip"]
    for e in skip:
        if e not in defined:
            problems.append(f"config.skip: {e!r} is not an experiment; defined: "
                            f"{', '.join(sorted(defined))}")
    return set(skip) & set(defined)


def _scaled(entry: dict, scale: str) -> dict:
    """A settings entry without its ``quick`` key, which replaces its values at quick scale."""
    quick = entry.get("quick", {})
    return {k: v for k, v in entry.items() if k != "quick"} | (quick if scale == "quick" else {})


def _dataset(entry: dict, defs: dict, scale: str) -> dict:
    """A dataset entry with its kind's defaults (``$defs/dataset-<kind>``); its ``quick`` becomes
    ``subsample`` at quick scale and is dropped at paper scale, which never subsamples."""
    spec = _fill_defaults(entry, defs[f"dataset-{entry['kind']}"])
    quick = spec.pop("quick", None)
    if quick and scale == "quick":
        spec["subsample"] = quick
    return spec


def _experiment(name: str, config: dict, problems: list[str]) -> dict:
    exp = {**config.get("experiment_defaults", {}), **config["experiments"][name]}
    own_quick = exp.pop("quick", {})
    if config["scale"] == "quick":
        paper_epochs = exp.get("epochs")
        exp.update({**config["quick"], **own_quick})
        if "prefit" in exp and paper_epochs:  # the prefit shrinks with the epochs
            scaled = round(exp["prefit"]["epochs"] * exp["epochs"] / paper_epochs)
            exp["prefit"] = {**exp["prefit"], "epochs": max(1, scaled)}
        if exp.get("bad_fit") is False:  # quick: {bad_fit: false} drops the policy
            del exp["bad_fit"]
        if "bad_fit" in exp and "epochs" in exp:  # a check past the last epoch moves to it
            exp["bad_fit"] = {**exp["bad_fit"],
                              "epoch": min(exp["bad_fit"]["epoch"], exp["epochs"])}
    missing = [key for key in EXPERIMENT_REQUIRED if key not in exp]
    if missing:
        problems.append(f"config.experiments.{name}: missing {', '.join(missing)} (set them "
                        "there or in experiment_defaults)")
    elif len(exp["activations"]) != len(exp.get("conv", [])) + len(exp["hidden"]):
        layers = len(exp.get("conv", [])) + len(exp["hidden"])
        problems.append(f"config.experiments.{name}.activations: {len(exp['activations'])} "
                        f"given for {layers} hidden layers (conv, then hidden); give one per "
                        f"layer")
    else:
        typed = Experiment.of({"name": name, **exp})
        if max(typed.record_epochs or [0]) > typed.total_epochs:
            problems.append(f"config.experiments.{name}.record_epochs: {exp['record_epochs']} "
                            f"goes past the run's last epoch {typed.total_epochs}")
        return typed.to_dict()
    return {"name": name, **exp}


def _method(section: str, registry, name: str, entry: dict, scale: str,
            problems: list[str]) -> dict:
    """``{"name", "method", "params"}`` of an entry of ``estimators`` or ``measures``, checked by
    that registry's ``validate_params``; at quick scale the entry's ``quick`` parameters replace
    its own (at paper scale they are dropped)."""
    params = {k: v for k, v in entry.items() if k not in ("method", "quick")}
    if scale == "quick":
        params.update(entry.get("quick", {}))
    try:
        params = registry.validate_params(entry["method"], params)
    except (KeyError, ValueError) as error:
        problems.append(f"config.{section}.{name}: {error.args[0]}")
    return {"name": name, "method": entry["method"], "params": params}


def _figure_problems(item_id: str, experiments: dict, estimator_specs: dict,
                     measure_specs: dict, datasets: dict) -> list[str]:
    try:
        item = papers.ITEMS.lookup(item_id)
    except (KeyError, ValueError) as error:
        return [f"config.figures: {error.args[0]}"]
    where = f"config.figures: {item_id} reads"
    needed_experiments = item.experiments
    method = {s: spec["method"] for s, spec in estimator_specs.items()
              if spec["method"] in estimators.METHODS}
    inapplicable = [f"{where} ({e}, {s}), but {reason}" for e, s in sorted(item.mi)
                    if e in experiments and s in method
                    and (reason := estimators.skip_reason(experiments[e], method[s]))]
    return inapplicable + (
        [f"{where} experiment {e!r}, which config.experiments does not define"
         for e in sorted(needed_experiments - set(experiments))]
        + [f"{where} estimator {s!r}, which config.estimators does not define"
           for s in sorted({s for _, s in item.mi} - set(estimator_specs))]
        + [f"{where} measure {m!r}, which config.measures does not define"
           for m in sorted({m for _, m in item.measures} - set(measure_specs))]
        + [f"{where} ({e}, {m}), but a measure needs float activations, which {e!r} does "
           f"not record (a quantized net)" for e, m in sorted(item.measures)
           if e in experiments and m in measure_specs
           and "activations" not in estimators.provides(experiments[e])]
        + [f"{where} dataset {d!r}, which config.datasets does not define"
           for d in sorted(set(item.datasets) - set(datasets))]
    )


def load_file(path: str | Path = "config.yaml", **overrides) -> Spec:
    """``load`` of a YAML file with top-level overrides (as ``snakemake --config k=v``)."""
    return load({**yaml.safe_load(Path(path).read_text()), **overrides})
