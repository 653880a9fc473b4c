"""The claim registry: each number or qualitative claim a paper states, with how we measure ours.

A claim names its paper item (FIGURES.md ID), the paper's value, the files it reads (declared
like figure items, so the workflow knows them), a function computing our value from those files,
and a verdict rule. Each paper module adds a claim with one ``register(Claim(...))`` line.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ibrepro.figures.registry import ItemInputs, declared_paths
from ibrepro.registry import Registry


@dataclass(frozen=True)
class Within:
    """Reproduced when ``|ours − paper| ≤ tolerance`` (same units as the value)."""

    tolerance: float

    def __call__(self, ours: float, paper: float | str) -> bool:
        return abs(ours - paper) <= self.tolerance

    def __str__(self) -> str:
        return f"ours within ±{self.tolerance:g} of the paper's"


@dataclass(frozen=True)
class AtLeast:
    """Reproduced when ``ours ≥ bound``: a qualitative claim made measurable."""

    bound: float

    def __call__(self, ours: float, paper: float | str) -> bool:
        return ours >= self.bound

    def __str__(self) -> str:
        return f"ours ≥ {self.bound:g}"


@dataclass(frozen=True)
class Claim:
    """One stated result of a paper and how ours is measured.

    id: ``<paper item>:<what>``, e.g. ``rip/table1:szt-train-ixy``.
    quantity: what is compared, with units, e.g. ``I(X;Y), SZT training split [bits]``.
    paper: the stated number, or the qualitative claim as the paper words it.
    measure: our value from the declared inputs (``ItemInputs``: ``mi``, ``metrics``,
    ``dataset``, ``pruning``).
    verdict: ``verdict(ours, paper) -> bool`` with a ``str`` saying the rule.
    mi, metrics, datasets, pruning: the (experiment, estimator) pairs, experiments, datasets
    and pruning loops (their big-net experiments) read.
    """

    id: str
    quantity: str
    paper: float | str
    measure: Callable[[ItemInputs], float]
    verdict: Within | AtLeast
    mi: tuple[tuple[str, str], ...] = ()
    metrics: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    pruning: tuple[str, ...] = ()

    @property
    def item(self) -> str:
        """The FIGURES.md ID of the paper item the claim is about."""
        return self.id.split(":", 1)[0]

    def input_paths(self, results_root: str | Path) -> dict[str, Path]:
        return declared_paths(results_root, mi=self.mi, metrics=self.metrics,
                              datasets=self.datasets, pruning=self.pruning)


CLAIMS: Registry[Claim] = Registry("claim")


def register(claim: Claim) -> Claim:
    """Add ``claim`` to ``CLAIMS``; an ID may be registered only once."""
    return CLAIMS.add(claim.id, claim)


def configured(experiments, estimators, datasets) -> list[str]:
    """IDs of the claims whose every input the config builds (names of experiments, estimators
    and datasets), in registration order: the report covers what the workflow computes."""
    return [c.id for c in CLAIMS.values()
            if all(e in experiments and s in estimators for e, s in c.mi)
            and all(e in experiments for e in (*c.metrics, *c.pruning))
            and all(d in datasets for d in c.datasets)]


def input_paths(claim_ids, results_root: str | Path) -> dict[str, Path]:
    """Name -> path of every file the given claims read (the report rule's inputs)."""
    paths: dict[str, Path] = {}
    for claim_id in claim_ids:
        paths |= CLAIMS.lookup(claim_id).input_paths(results_root)
    return paths


@dataclass(frozen=True)
class Result:
    """A claim evaluated on built results: ours is NaN when it could not be measured."""

    claim: Claim
    ours: float

    @property
    def verdict(self) -> str:
        if math.isnan(self.ours):
            return "not measured"
        return "reproduced" if self.claim.verdict(self.ours, self.claim.paper) else "not reproduced"


def evaluate(claim_ids, results_root: str | Path) -> list[Result]:
    """Measure each claim on the files under ``results_root`` (each claim sees only its own
    declared inputs); raises ``FileNotFoundError`` naming every missing file first."""
    claims = [CLAIMS.lookup(c) for c in claim_ids]
    missing = sorted({str(p) for c in claims for p in c.input_paths(results_root).values()
                      if not p.is_file()})
    if missing:
        raise FileNotFoundError(f"reproduction report: missing input file(s): {', '.join(missing)}")
    return [Result(c, float(c.measure(ItemInputs(c.id, c.input_paths(results_root)))))
            for c in claims]
