"""Beyond the papers: the claims table of the debate, each claim under every estimator.

Rows are claims the papers make or refute; columns the estimators of ``compare/estimators``;
each cell is our verdict from the runs the claim is about, with its uncertainty:

- "<layers> compress": a repetition shows it when its layers compress (``figures.compression``:
  I(X;T) ends at least 5% below its peak; for the hidden layers, at least half of those with an
  estimate). The cell gives the fraction k / n of repetitions (pooled over the claim's runs)
  with its 95% Wilson interval; the claim *holds* when the interval lies above 1/2, *fails*
  when below, and is *unclear* otherwise.
- "compression needs SGD noise" (Shwartz-Ziv & Tishby 2017; Saxe et al. 2018 refute it): the
  same fraction, of the repetitions of the tanh net trained by full-batch gradient descent
  (szt-tanh-bgd, no SGD noise) whose hidden layers do *not* compress; a cell where that holds
  is still *unclear* unless the SGD runs (the tanh row's) compress under the same estimator.
- "compression correlates with generalisation": Spearman rho, over every repetition of the
  zoo and weight-decay runs (``papers.chelombiev.runs.RUNS``), between a run's compression
  (the drop of I(X;T) from its peak, in bits; mean over hidden layers, or the softmax layer's)
  and its final test accuracy, with a 95% bootstrap interval: *holds* above 0, *fails*
  below, else *unclear*.

An estimator applies to the runs it can read: sample propagation only to noisy nets
(``estimators.skip_reason``), and each estimator uses the claim's runs it applies to; a cell
with none says why. The tanh run is szt-tanh-noisy (the tanh SZT net with beta = 0.005 noise,
the run every estimator applies to; the others read its pre-noise activations, as in
``compare/estimators``), the relu run szt-relu, and the softmax claim pools both. The
correlation claims use the adaptive estimators only (the zoo's MI files): every estimator on
the 12 zoo and sweep runs would multiply the quick DAG's cost.
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib
import numpy as np

from ibrepro.figures.compression import of_reps
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.figures.stats import Interval, bootstrap_correlation, wilson_interval
from ibrepro.papers.chelombiev.runs import ADAPTIVE_NAMES, RUNS
from ibrepro.papers.compare.estimators import ESTIMATORS

NOISE_ONLY = ("sample-propagation",)  # estimators that need a noisy net (skip_reason)
NOISY = ("szt-tanh-noisy",)
VERDICTS = {"holds": 1, "unclear": 0, "fails": -1}  # heatmap codes; "n/a": no estimate


class Claim(NamedTuple):
    """One row: its wording, who says what, the runs, the layers ("hidden" or "softmax"),
    and the test ("fraction" of repetitions that show compression, "absent": that do not, or
    "correlation" with test accuracy); control: for "absent", the runs that must compress
    for the claim to hold (the compression it attributes to what ``runs`` lack)."""

    text: str
    papers: str
    runs: tuple[str, ...]
    layers: str
    test: str
    control: tuple[str, ...] = ()


CLAIMS = (
    Claim("tanh hidden layers compress", "rip, Saxe: yes", NOISY, "hidden", "fraction"),
    Claim("relu hidden layers compress", "Saxe: no; Chelombiev: can, by init",
          ("szt-relu",), "hidden", "fraction"),
    Claim("the softmax layer compresses", "rip: yes", (*NOISY, "szt-relu"), "softmax",
          "fraction"),
    Claim("compression needs SGD noise", "SZT: yes; Saxe: no", ("szt-tanh-bgd",), "hidden",
          "absent", control=NOISY),
    Claim("hidden-layer compression correlates with generalisation", "Chelombiev: no", RUNS,
          "hidden", "correlation"),
    Claim("softmax compression correlates with generalisation", "Chelombiev: yes", RUNS,
          "softmax", "correlation"),
)


def runs_of(claim: Claim, estimator: str) -> tuple[str, ...]:
    """The runs of ``claim`` that ``estimator`` is applied to."""
    if claim.test == "correlation":
        return claim.runs if estimator in ADAPTIVE_NAMES else ()
    if estimator in NOISE_ONLY:
        return tuple(e for e in claim.runs if e in NOISY)
    return claim.runs


def claim_verdict(ci: Interval, null: float) -> str:
    """"holds" when the interval lies above ``null``, "fails" below, "unclear" when it
    contains it, "n/a" without an estimate."""
    if np.isnan(ci.value):
        return "n/a"
    return "holds" if ci.low > null else "fails" if ci.high < null else "unclear"


def shows(compresses: np.ndarray, estimated: np.ndarray, layers: str) -> np.ndarray:
    """Per repetition, whether it shows the claim (float, NaN without an estimate):
    ``compresses``, ``estimated`` bool ``(rep, layer)``, the last layer the softmax."""
    if layers == "softmax":
        return np.where(estimated[:, -1], compresses[:, -1], np.nan)
    counted = estimated[:, :-1].sum(axis=1)
    share = np.divide((compresses & estimated)[:, :-1].sum(axis=1), counted,
                      out=np.full(len(counted), np.nan), where=counted > 0)
    return np.where(np.isnan(share), np.nan, share >= 0.5)


def _fraction(results: list, layers: str, *, absent: bool = False) -> Interval:
    """Wilson interval of the fraction of repetitions (pooled over ``results``, each
    ``of_reps``) whose ``layers`` compress (``shows``), or with ``absent``, do not."""
    shown = np.concatenate([shows(r.compresses, ~np.isnan(r.peak), layers) for r in results])
    shown = shown[~np.isnan(shown)]
    if absent:
        shown = 1 - shown
    return wilson_interval(int(shown.sum()), len(shown))


class Cell(NamedTuple):
    verdict: str
    interval: Interval
    note: str  # what the value is, or why there is none


def _cell(inputs: ItemInputs, claim: Claim, estimator: str) -> Cell:
    runs = runs_of(claim, estimator)
    if not runs:
        why = ("needs a noisy net" if estimator in NOISE_ONLY
               else "zoo runs estimated adaptively only")
        return Cell("n/a", Interval(np.nan, np.nan, np.nan, 0), why)
    results = [of_reps(inputs.mi(e, estimator)) for e in runs]
    if claim.test in ("fraction", "absent"):
        ci = _fraction(results, claim.layers, absent=claim.test == "absent")
        note = "fraction of repetitions" if ci.n else "no estimate of these layers"
        verdict = claim_verdict(ci, 0.5)
        if verdict == "holds" and claim.control:
            control = _fraction([of_reps(inputs.mi(e, estimator)) for e in claim.control],
                                claim.layers)
            if claim_verdict(control, 0.5) != "holds":
                return Cell("unclear", ci, "the control runs do not compress either")
        return Cell(verdict, ci, note)
    drops = np.concatenate([r.drop for r in results])
    drop = drops[:, -1] if claim.layers == "softmax" else drops[:, :-1].mean(axis=1)
    accuracy = np.concatenate([inputs.metrics(e)["accuracy"].sel(split="test")
                               .isel(epoch=-1).values for e in runs])
    ci = bootstrap_correlation(drop, accuracy, method="spearman")
    return Cell(claim_verdict(ci, 0.0), ci, "Spearman rho with test accuracy")


def cells(inputs: ItemInputs) -> list[list[Cell]]:
    """``[claim][estimator]`` cells in ``CLAIMS`` × ``ESTIMATORS`` order."""
    return [[_cell(inputs, claim, s) for s in ESTIMATORS] for claim in CLAIMS]


def describe(cell: Cell) -> str:
    """"holds 0.83 [0.55, 0.95] n=6", or "n/a (why)"."""
    ci = cell.interval
    if np.isnan(ci.value):
        return f"n/a ({cell.note})"
    return f"{cell.verdict} {ci.value:.2f} [{ci.low:.2f}, {ci.high:.2f}] n={ci.n}"


CAPTION = (
    "Per claim and estimator: fractions of repetitions that show the claim (a layer compresses "
    "when its I(X;T) ends at least 5% below its peak; hidden layers: at least half of them) "
    "with 95% Wilson intervals, pooled over the claim's runs (sample propagation: noisy runs "
    "only); 'compression needs SGD noise': the fraction of the full-batch gradient descent tanh"
    " runs whose hidden layers do not compress (holds only where the tanh SGD runs compress); "
    "correlation claims: Spearman rho between "
    "compression (drop of I(X;T) from its peak, bits; mean over hidden layers or the softmax "
    "layer) and final test accuracy over every repetition of the activation zoo and weight-"
    "decay runs, with 95% bootstrap intervals (adaptive estimators only). A claim holds when "
    "its interval lies above 1/2 (fractions) or 0 (correlations), fails when below, is unclear "
    "otherwise."
)


def table(inputs: ItemInputs):
    """Rows: claims; columns: who claims what, the runs, then one verdict per estimator."""
    rows = [{"claim": claim.text, "papers": claim.papers, "runs": " ".join(claim.runs),
             **{s: describe(c) for s, c in zip(ESTIMATORS, row, strict=True)}}
            for claim, row in zip(CLAIMS, cells(inputs), strict=True)]
    return rows, f"compare/claims: the claims of the debate under every estimator. {CAPTION}"


def heatmap(inputs: ItemInputs):
    """The claims table as a grid coloured by verdict, each cell with value and interval."""
    grid = cells(inputs)
    codes = np.array([[VERDICTS.get(c.verdict, np.nan) for c in row] for row in grid])
    fig, axes = new_figure(1, 1, height=0.9 * len(CLAIMS) + 1.5)
    fig.set_figwidth(1.3 * len(ESTIMATORS) + 3.5)
    ax = axes[0, 0]
    cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="white")
    ax.imshow(np.ma.masked_invalid(codes), cmap=cmap, vmin=-1.5, vmax=1.5, aspect="auto")
    for i, row in enumerate(grid):
        for j, cell in enumerate(row):
            ci = cell.interval
            text = ("n/a" if np.isnan(ci.value) else
                    f"{cell.verdict}\n{ci.value:.2f}\n[{ci.low:.2f}, {ci.high:.2f}]")
            ax.text(j, i, text, ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(ESTIMATORS)), ESTIMATORS, rotation=30, ha="right")
    ax.set_yticks(range(len(CLAIMS)), [f"{c.text}\n({c.papers})" for c in CLAIMS])
    caption = (f"compare/claims-heatmap: the claims table (compare/claims) coloured by verdict: "
               f"green holds, yellow unclear, red fails, white n/a. {CAPTION}")
    return fig, caption


_MI = tuple(dict.fromkeys((e, s) for claim in CLAIMS for s in ESTIMATORS
                          for e in (*runs_of(claim, s), *(claim.control if runs_of(claim, s)
                                                           else ()))))
_METRICS = tuple(dict.fromkeys(e for claim in CLAIMS if claim.test == "correlation"
                               for e in claim.runs))
register(Item("compare/claims", "table", table, mi=_MI, metrics=_METRICS,
              description="the debate's claims x estimators: verdicts with intervals"))
register(Item("compare/claims-heatmap", "figure", heatmap, mi=_MI, metrics=_METRICS,
              description="the claims table as a verdict heatmap"))
