"""The figure/table registry: one entry per item of FIGURES.md, with the inputs it reads.

The workflow asks ``input_paths``/``output_paths`` for an item's files and calls ``render``;
each paper's package (``ibrepro.papers.<key>``) registers its items with one
``register(Item(...))`` line per item, so importing ``ibrepro.papers`` fills the registry (this
module imports no paper).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import xarray as xr

from ibrepro.figures.save import STYLE, rst_safe, save_figure, save_table
from ibrepro.fingerprint import imported_modules, source_fingerprint
from ibrepro.paths import dataset_file, measure_file, mi_file, pruning_file, run_file
from ibrepro.provenance import provenance_attrs
from ibrepro.registry import Registry

KINDS = ("figure", "table")
OUTPUT_SUFFIXES = {"figure": (".png", ".pdf", ".txt"), "table": (".csv", ".md", ".txt")}
OUTPUT_DIRS = {"figure": "figures", "table": "tables"}


class ItemInputs:
    """Lazy, declared-only access to an item's input files (each opened once).

    paths: the name -> path mapping of ``input_paths``. Reading a file the item did not declare
    raises ``KeyError``; ``used`` records the names read, so tests can check the declaration.
    options: the config sections the item declares (``Item.options``), name -> resolved entry.
    MI, measure, metrics and data files are loaded into memory; activation files are only
    opened (a paper-scale one is gigabytes): select what you need, then read it. A context manager:
    leaving it closes the opened files.
    """

    def __init__(self, item_id: str, paths: dict[str, Path], options: dict | None = None):
        self.item_id = item_id
        self.paths = paths
        self.options = options or {}
        self.used: set[str] = set()
        self._cache: dict[str, xr.Dataset] = {}

    def __enter__(self) -> ItemInputs:
        return self

    def __exit__(self, *exc) -> None:
        for ds in self._cache.values():
            ds.close()

    def _load(self, name: str, *, lazy: bool = False) -> xr.Dataset:
        if name not in self.paths:
            raise KeyError(f"{self.item_id} reads {name!r} but does not declare it; "
                           f"declared: {sorted(self.paths)}")
        self.used.add(name)
        if name not in self._cache:
            open_ = xr.open_dataset if lazy else xr.load_dataset
            self._cache[name] = open_(self.paths[name], engine="netcdf4")
        return self._cache[name]

    def mi(self, experiment: str, estimator: str) -> xr.Dataset:
        """``mi/<experiment>/<estimator>.nc``: I_XT, I_TY ``(rep, epoch, layer)``."""
        return self._load(f"mi/{experiment}/{estimator}")

    def measure(self, experiment: str, measure: str) -> xr.Dataset:
        """``measures/<experiment>/<measure>.nc``: the measure's variables (README: Measures),
        e.g. ``H_bin(rep, epoch, layer)``, with its ``params`` attr (JSON)."""
        return self._load(f"measures/{experiment}/{measure}")

    def activations(self, experiment: str) -> xr.Dataset:
        """``runs/<experiment>/activations.nc``, opened lazily: ``activation(rep, epoch, sample,
        unit)`` is read from disk only for what is selected (one chunk per rep and epoch)."""
        return self._load(f"activations/{experiment}", lazy=True)

    def metrics(self, experiment: str) -> xr.Dataset:
        """``runs/<experiment>/metrics.nc``: loss, accuracy ``(rep, epoch, split)``."""
        return self._load(f"metrics/{experiment}")

    def pruning(self, experiment: str) -> xr.Dataset:
        """``pruning/<experiment>.nc``: the pruning loop's rounds (``train.pruning.prune``)."""
        return self._load(f"pruning/{experiment}")

    def option(self, name: str) -> dict:
        """The resolved config section ``name`` (e.g. ``early_stopping``) the item declares."""
        if name not in self.options:
            raise KeyError(f"{self.item_id} reads option {name!r}, which was not passed; "
                           f"passed: {sorted(self.options)}")
        return self.options[name]

    def dataset(self, name: str) -> xr.Dataset:
        """``data/<name>.nc``: x ``(sample, feature)``, y ``(sample,)``, split ``(sample,)``."""
        return self._load(f"data/{name}")


@dataclass(frozen=True, kw_only=True)
class Reads:
    """What a figure, a table or a claim reads, declared so the workflow builds it first.

    mi, measures: the (experiment, estimator) and (experiment, measure) pairs read; activations,
    metrics, pruning: the experiments whose run files or pruning loop are read; datasets: the
    data files read. uses: modules outside the papers, ``figures`` and ``ib`` whose code the
    result depends on (e.g. ``ibrepro.estimators.entropy``, imported inside a function): its
    fingerprint covers them, so editing one reruns exactly its readers.
    """

    mi: tuple[tuple[str, str], ...] = ()
    measures: tuple[tuple[str, str], ...] = ()
    activations: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    pruning: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()

    def input_paths(self, results_root: str | Path) -> dict[str, Path]:
        """Name -> path of every file it reads (``declared_paths``)."""
        return declared_paths(results_root, mi=self.mi, measures=self.measures,
                              activations=self.activations, metrics=self.metrics,
                              datasets=self.datasets, pruning=self.pruning)

    @property
    def experiments(self) -> set[str]:
        """Every experiment whose files (runs, MI, measures, pruning) it reads."""
        return ({e for e, _ in (*self.mi, *self.measures)} | set(self.activations)
                | set(self.metrics) | set(self.pruning))


@dataclass(frozen=True)
class Item(Reads):
    """One figure or table of FIGURES.md, and what it reads (``Reads``).

    build: draws/computes from the loaded inputs; a figure returns ``(Figure, caption)``, a
    table ``(rows, caption)`` with rows a list of dicts (column name -> value).
    options: top-level config sections the item reads (``Spec`` fields, e.g. ``early_stopping``),
    passed by the render rule as JSON (``ibrepro render --options``).
    """

    id: str
    kind: str
    build: Callable[[ItemInputs], tuple[Any, str]]
    description: str = ""
    options: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.id.count("/") != 1 or "." in self.id:
            raise ValueError(f"item id must be '<paper>/<item>' without dots, got {self.id!r}")


ITEMS: Registry[Item] = Registry("figure/table ID",
                               empty="import ibrepro.papers to register the papers' items")


def register(item: Item) -> Item:
    """Add ``item`` to ``ITEMS``; an ID may be registered only once."""
    return ITEMS.add(item.id, item)


def get(item_id: str) -> Item:
    """The registered item ``item_id``; an unknown ID raises ``ValueError`` listing valid IDs."""
    return ITEMS.lookup(item_id)


def declared_paths(results_root: str | Path, *, mi=(), measures=(), activations=(), metrics=(),
                   datasets=(), pruning=()) -> dict[str, Path]:
    """Name -> path of declared inputs, as ``ItemInputs`` names them: ``mi/<experiment>/
    <estimator>``, ``measures/<experiment>/<measure>``, ``activations/<experiment>``,
    ``metrics/<experiment>``, ``data/<dataset>``, ``pruning/<experiment>``."""
    paths = {f"mi/{e}/{s}": mi_file(results_root, e, s) for e, s in mi}
    paths |= {f"measures/{e}/{m}": measure_file(results_root, e, m) for e, m in measures}
    paths |= {f"activations/{e}": run_file(results_root, e, "activations") for e in activations}
    paths |= {f"metrics/{e}": run_file(results_root, e, "metrics") for e in metrics}
    paths |= {f"data/{d}": dataset_file(results_root, d) for d in datasets}
    paths |= {f"pruning/{e}": pruning_file(results_root, e) for e in pruning}
    return paths


def input_paths(item_id: str, results_root: str | Path) -> dict[str, Path]:
    """Name -> path of every file the item reads, e.g. ``{"mi/szt-tanh/bin-size-0.07": ...}``."""
    return get(item_id).input_paths(results_root)


# the packages whose modules an item's code imports are followed (read from their source):
# the papers, the shared drawing helpers, the theory and the stopping rules rip's figures apply
CODE_PACKAGES = ("ibrepro.papers", "ibrepro.figures", "ibrepro.ib", "ibrepro.stopping")
SHARED_MODULES = ("ibrepro.figures.plane", "ibrepro.figures.compression",
                  "ibrepro.figures.save", "ibrepro.figures.registry")


def code_modules(module: str, uses=()) -> list[str]:
    """The modules whose source makes a result of ``module``'s code: it, the shared drawing
    modules, what it imports from ``CODE_PACKAGES`` (transitively) and the declared ``uses``."""
    return list(dict.fromkeys([module, *SHARED_MODULES, *imported_modules(module, CODE_PACKAGES),
                               *uses]))


def item_modules(item_id: str) -> list[str]:
    """The modules whose source draws the item (``code_modules`` of its module and ``uses``)."""
    item = get(item_id)
    return code_modules(item.build.__module__, item.uses)


def fingerprint(item_id: str) -> str:
    """Hash of the code that draws the item (``item_modules``), for the render rules' params:
    editing ``papers/rip/planes.py`` reruns the items of that module and of the modules that
    import it; editing ``estimators/clustering.py`` the items that declare it in ``uses``."""
    return source_fingerprint(item_modules(item_id))


def item_options(item_id: str, spec) -> dict:
    """The config sections the item reads (``Item.options``), name -> entry, from a resolved
    config (``ibrepro.config.Spec``): what ``render`` takes as ``options``."""
    return {name: getattr(spec, name) for name in get(item_id).options}


def output_paths(item_id: str, results_root: str | Path) -> list[Path]:
    """``figures/<paper>/<item>.{png,pdf,txt}`` or ``tables/<paper>/<item>.{csv,md,txt}``."""
    item = get(item_id)
    stem = Path(results_root) / OUTPUT_DIRS[item.kind] / item.id
    return [stem.with_suffix(s) for s in OUTPUT_SUFFIXES[item.kind]]


def render(item_id: str, results_root: str | Path, options: dict | None = None) -> list[Path]:
    """Load the item's inputs, build it, write its outputs atomically; returns their paths.

    options: the resolved config sections ``Item.options`` names (``ValueError`` unless exactly
    those). Raises ``FileNotFoundError`` naming every missing input before anything is built.
    """
    item = get(item_id)
    options = options or {}
    if set(options) != set(item.options):
        raise ValueError(f"{item_id} takes options {sorted(item.options)}, got {sorted(options)}")
    paths = input_paths(item_id, results_root)
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"{item_id}: missing input file(s): {', '.join(missing)}")
    stem = output_paths(item_id, results_root)[0].with_suffix("")
    spec = {"item": item_id, "mi": item.mi, "measures": item.measures, "metrics": item.metrics,
            "datasets": item.datasets, "pruning": item.pruning, "options": options}
    provenance = provenance_attrs(spec=spec, inputs=paths, item=item_id)
    with matplotlib.rc_context(STYLE):
        with ItemInputs(item_id, paths, options) as inputs:
            result, caption = item.build(inputs)
        caption = rst_safe(caption)  # the HTML report reads it as reStructuredText
        if item.kind == "figure":
            return save_figure(result, stem, title=item_id, caption=caption,
                               provenance=provenance)
    return save_table(result, stem, caption=caption, provenance=provenance)
