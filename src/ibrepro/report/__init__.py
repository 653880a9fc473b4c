"""The reproduction report: each paper's stated numbers and claims against ours.

Importing registers the claims of every paper module; ``write`` evaluates a set of claims on
built results and writes ``report/reproduction.{csv,md,txt}``.
"""

from __future__ import annotations

from pathlib import Path

from ibrepro.figures import ITEMS
from ibrepro.figures.save import save_table
from ibrepro.fingerprint import source_fingerprint
from ibrepro.provenance import provenance_attrs
from ibrepro.report import goldfeld, lorenzen, rip  # noqa: F401  (register the claims)
from ibrepro.report.registry import CLAIMS, Claim, configured, evaluate, input_paths, register

# FIGURES.md's paper order; the HTML report sorts its categories by name, hence the numbers
PAPERS = ("rip", "survey", "lorenzen", "chelombiev", "goldfeld", "compare")


def category(item_id: str) -> str:
    """The HTML report category of an item: its paper key, numbered in FIGURES.md's order."""
    paper = item_id.split("/", 1)[0]
    return f"{PAPERS.index(paper) + 1}. {paper}" if paper in PAPERS else paper


def report_file(results_root: str | Path) -> Path:
    """``<results>/report/reproduction.md`` (beside it: ``.csv`` and the ``.txt`` summary)."""
    return Path(results_root) / "report" / "reproduction.md"


def fingerprint(claim_ids) -> str:
    """Hash of the code behind the claims (the report modules, each claim's module and its
    item's figure module), for the report rule's params: editing a claim reruns the report."""
    claims = [CLAIMS.lookup(c) for c in claim_ids]
    modules = {"ibrepro.report", "ibrepro.report.registry", "ibrepro.figures.save"}
    modules |= {c.measure.__module__ for c in claims}
    modules |= {ITEMS[c.item].build.__module__ for c in claims if c.item in ITEMS}
    return source_fingerprint(modules)


def write(claim_ids, results_root: str | Path) -> list[Path]:
    """Evaluate ``claim_ids`` on ``results_root`` and write the report's CSV, Markdown and
    summary text (atomically, with provenance: the claims and their input checksums); rows
    are grouped by paper in FIGURES.md's order, claims of one paper in registration order."""
    results = sorted(evaluate(claim_ids, results_root), key=lambda r: category(r.claim.item))
    rows = [{"item": r.claim.item, "quantity": r.claim.quantity, "paper": r.claim.paper,
             "ours": r.ours, "rule": str(r.claim.verdict), "verdict": r.verdict}
            for r in results]
    counts = {v: sum(r.verdict == v for r in results)
              for v in ("reproduced", "not reproduced", "not measured")}
    summary = (f"Reproduction report of {Path(results_root).name} scale: {len(results)} claims "
               f"of the papers against ours, {'; '.join(f'{n} {v}' for v, n in counts.items())}. "
               "Paper values are as stated (Table 1: exact values in bits); ours are means over "
               "repetitions where the papers report one net.")
    provenance = provenance_attrs(spec={"claims": list(claim_ids)},
                                  inputs=input_paths(claim_ids, results_root))
    return save_table(rows, report_file(results_root).with_suffix(""), caption=summary,
                      provenance=provenance)


__all__ = ["CLAIMS", "PAPERS", "Claim", "category", "configured", "evaluate", "fingerprint",
           "input_paths", "register", "report_file", "write"]
