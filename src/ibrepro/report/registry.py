"""The claim registry: each number or qualitative claim a paper states, with how we measure ours.

A claim names its paper item (FIGURES.md ID), where the paper states it, the paper's value or
words, the files it reads (declared like figure items, ``Reads``, so the workflow builds them), a
function computing our value from those files (``ours``) and a verdict rule, fixed in code
before our numbers are seen. A claim that cannot be measured here is registered all the same,
with the reason (``not_measurable``): the report counts it, it is never dropped. Each paper's
package adds its claims with one ``register(Claim(...))`` line each
(``ibrepro.papers.<key>.claims``).

Our value is a number, or a ``Measured``: the number a rule compares (the mean over our
repetitions) with the values it summarises (one per repetition, or per draw), which the
distribution rule ``InRange`` needs and the report shows as a range.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ibrepro.figures.registry import ItemInputs, Reads
from ibrepro.registry import Registry

VERDICTS = ("reproduced", "not reproduced", "not measured", "not measurable")
RANGE = (2.5, 97.5)  # percentiles of our values that the distribution rule and the report use


@dataclass(frozen=True, eq=False)
class Measured:
    """Our value of a claim: ``value`` is what a rule compares, ``samples`` (when ours comes
    from several repetitions or draws, ``of`` says which) what it summarises."""

    value: float
    samples: np.ndarray | None = None
    of: str = "repetitions"

    @classmethod
    def over(cls, samples, of: str = "repetitions") -> Measured:
        """The mean of ``samples`` (NaNs left out; NaN if none is left), with the samples."""
        samples = np.asarray(samples, dtype=float).ravel()
        finite = samples[~np.isnan(samples)]
        return cls(float(finite.mean()) if finite.size else math.nan, samples, of)

    def __float__(self) -> float:
        return self.value

    def spread(self, low: float = RANGE[0], high: float = RANGE[1]) -> tuple[float, float] | None:
        """The ``low`` and ``high`` percentiles of the samples (NaNs left out; numpy's linear
        interpolation), or None without samples."""
        if self.samples is None:
            return None
        finite = self.samples[~np.isnan(self.samples)]
        if not finite.size:
            return None
        return tuple(float(v) for v in np.percentile(finite, [low, high]))


class Rule(Protocol):
    """A verdict rule: ``rule(ours, paper)`` is True when the claim is reproduced; ``str(rule)``
    says the rule in words (the report prints it)."""

    def __call__(self, ours: float | Measured, paper: float | str) -> bool: ...


@dataclass(frozen=True)
class Within:
    """Reproduced when ``|ours − paper| ≤ tolerance`` (same units as the value)."""

    tolerance: float

    def __call__(self, ours: float | Measured, paper: float | str) -> bool:
        return abs(float(ours) - paper) <= self.tolerance

    def __str__(self) -> str:
        return f"ours within ±{self.tolerance:g} of the paper's"


@dataclass(frozen=True)
class AtLeast:
    """Reproduced when ``ours ≥ bound``: a qualitative claim made measurable."""

    bound: float

    def __call__(self, ours: float | Measured, paper: float | str) -> bool:
        return float(ours) >= self.bound

    def __str__(self) -> str:
        return f"ours ≥ {self.bound:g}"


@dataclass(frozen=True)
class AtMost:
    """Reproduced when ``ours ≤ bound``."""

    bound: float

    def __call__(self, ours: float | Measured, paper: float | str) -> bool:
        return float(ours) <= self.bound

    def __str__(self) -> str:
        return f"ours ≤ {self.bound:g}"


@dataclass(frozen=True)
class InRange:
    """The distribution rule: reproduced when the paper's value lies inside the ``low``–``high``
    percentiles of our values (``Measured.samples``: our repetitions, or draws), ends included.
    For a paper's number of a single net (a score, an accuracy): our repetitions are other
    draws of that net, and a mean ± tolerance would test our mean, not the paper's net."""

    low: float = RANGE[0]
    high: float = RANGE[1]

    def __call__(self, ours: float | Measured, paper: float | str) -> bool:
        spread = ours.spread(self.low, self.high) if isinstance(ours, Measured) else None
        if spread is None:
            raise TypeError("the distribution rule needs our values: measure a Measured.over(...)")
        return spread[0] <= paper <= spread[1]

    def __str__(self) -> str:
        return f"paper's value inside the {self.low:g}–{self.high:g} percentiles of ours"


@dataclass(frozen=True)
class Claim(Reads):
    """One stated result of a paper and how ours is measured (``Reads``: the files it reads).

    id: ``<paper item>:<what>``, e.g. ``rip/table1:szt-train-ixy``.
    quantity: what is compared, with units, e.g. ``I(X;Y), SZT training split [bits]``.
    paper: the stated number, or the qualitative claim as the paper words it.
    ours: computes our value from the declared inputs (``ItemInputs``): a number, or a
    ``Measured``.
    verdict: the rule, ``verdict(ours, paper) -> bool``, with a ``str`` saying it.
    source: where the paper states it, e.g. ``Table 1``, ``§2.3``, ``Fig. 1 titles``.
    statements: the numbers of the statements of CLAIMS.md (the project's list of every
    checkable statement) that this claim checks; together the claims cover all of them.
    not_measurable: why it cannot be measured here (then no measure, rule or inputs): the
    report lists it as "not measurable" with this reason.
    note: what a reader should know to judge the verdict (how ours is made where that is not
    obvious), printed beside it.
    """

    id: str
    quantity: str
    paper: float | str
    ours: Callable[[ItemInputs], float | Measured] | None = None
    verdict: Rule | None = None
    source: str = ""
    statements: tuple[int, ...] = ()
    not_measurable: str = ""
    note: str = ""

    def __post_init__(self):
        if self.id.count(":") != 1 or self.item.count("/") != 1:
            raise ValueError(f"claim id must be '<paper>/<item>:<what>', got {self.id!r}")
        if self.not_measurable:
            if self.ours or self.verdict or self.input_paths("."):
                raise ValueError(f"{self.id}: a claim not measurable here has no ours, verdict "
                                 f"rule or inputs")
        elif self.ours is None or self.verdict is None:
            raise ValueError(f"{self.id}: give how ours is measured and a verdict rule (ours=, "
                             f"verdict=), or why it is not measurable here (not_measurable=)")

    @property
    def item(self) -> str:
        """The FIGURES.md ID of the paper item the claim is about."""
        return self.id.split(":", 1)[0]

    @property
    def paper_key(self) -> str:
        """The paper's key (FIGURES.md), e.g. ``rip``."""
        return self.item.split("/", 1)[0]


CLAIMS: Registry[Claim] = Registry("claim", empty="import ibrepro.papers to register the claims")


def register(claim: Claim) -> Claim:
    """Add ``claim`` to ``CLAIMS``; an ID may be registered only once."""
    return CLAIMS.add(claim.id, claim)


def configured(experiments, estimators, datasets, measures=()) -> list[str]:
    """IDs of the claims whose every input the config builds (names of experiments, estimators,
    datasets and measures), in registration order: those the report can measure. A claim not
    measurable here reads nothing, so it is always among them."""
    return [c.id for c in CLAIMS.values()
            if all(e in experiments and s in estimators for e, s in c.mi)
            and all(e in experiments and m in measures for e, m in c.measures)
            and all(e in experiments for e in (*c.activations, *c.metrics, *c.pruning))
            and all(d in datasets for d in c.datasets)]


def input_paths(claim_ids, results_root: str | Path) -> dict[str, Path]:
    """Name -> path of every file the given claims read (the report rule's inputs)."""
    paths: dict[str, Path] = {}
    for claim_id in claim_ids:
        paths |= CLAIMS.lookup(claim_id).input_paths(results_root)
    return paths


@dataclass(frozen=True)
class Result:
    """A claim against built results: ``measured`` is None where it was not measured, and
    ``note`` then says why."""

    claim: Claim
    measured: Measured | None = None
    note: str = ""

    @property
    def ours(self) -> float:
        """Our value (NaN where there is none)."""
        return math.nan if self.measured is None else self.measured.value

    @property
    def verdict(self) -> str:
        """One of ``VERDICTS``."""
        if self.claim.not_measurable:
            return "not measurable"
        if math.isnan(self.ours):
            return "not measured"
        return ("reproduced" if self.claim.verdict(self.measured, self.claim.paper)
                else "not reproduced")

    @property
    def why(self) -> str:
        """What the reader should know beside the verdict: the reason a claim is not
        measurable, or not measured, else the claim's note."""
        if self.claim.not_measurable:
            return self.claim.not_measurable
        if self.note:
            return self.note
        if math.isnan(self.ours):
            return "no value (NaN) from its inputs"
        return self.claim.note


NOT_BUILT = "its inputs are not built by this run's config"


def evaluate(claim_ids, results_root: str | Path, *, unbuilt=()) -> list[Result]:
    """Measure each of ``claim_ids`` on the files under ``results_root`` (each claim sees only
    its own declared inputs; raises ``FileNotFoundError`` naming every missing file first);
    the ``unbuilt`` claims (inputs not in the config) come back unmeasured, saying so."""
    claims = [CLAIMS.lookup(c) for c in claim_ids]
    missing = sorted({str(p) for c in claims for p in c.input_paths(results_root).values()
                      if not p.is_file()})
    if missing:
        raise FileNotFoundError(f"reproduction report: missing input file(s): {', '.join(missing)}")
    results = []
    for claim in claims:
        if claim.not_measurable:
            results.append(Result(claim))
            continue
        with ItemInputs(claim.id, claim.input_paths(results_root)) as inputs:
            ours = claim.ours(inputs)
        results.append(Result(claim, ours if isinstance(ours, Measured)
                              else Measured(float(ours))))
    return results + [Result(CLAIMS.lookup(c), note=NOT_BUILT) for c in unbuilt]
