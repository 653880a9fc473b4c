"""The reproduction report: each paper's stated numbers and claims against ours.

The claim machinery: the registry and verdict rules (``registry``) and the report's files
(``writer``). Each paper's package registers its claims (``ibrepro.papers.<key>.claims``), so
importing ``ibrepro.papers`` fills ``CLAIMS``; nothing here imports a paper. ``write`` evaluates
the claims on built results and writes ``report/reproduction.{md,csv,txt}`` and one
``report/<paper>.md`` per paper.
"""

from __future__ import annotations

from pathlib import Path

from ibrepro.figures.registry import code_modules
from ibrepro.fingerprint import source_fingerprint
from ibrepro.provenance import provenance_attrs
from ibrepro.report import writer
from ibrepro.report.registry import (
    CLAIMS,
    VERDICTS,
    AtLeast,
    AtMost,
    Claim,
    InRange,
    Measured,
    Result,
    Within,
    configured,
    evaluate,
    input_paths,
    register,
)
from ibrepro.report.writer import (
    PAPERS,
    paper_file,
    paper_files,
    report_file,
    report_files,
    statement_numbers,
)

REPORT_MODULES = ("ibrepro.report", "ibrepro.report.registry", "ibrepro.report.writer",
                  "ibrepro.figures.save")


def category(item_id: str) -> str:
    """The HTML report category of an item: its paper key, numbered in FIGURES.md's order."""
    paper = item_id.split("/", 1)[0]
    return f"{PAPERS.index(paper) + 1}. {paper}" if paper in PAPERS else paper


def _declaration(claim: Claim) -> dict:
    """What a claim states, as JSON-able text: a change to any of it changes the report."""
    return {"id": claim.id, "quantity": claim.quantity, "paper": claim.paper,
            "rule": str(claim.verdict), "source": claim.source,
            "not_measurable": claim.not_measurable}


def fingerprint(claim_ids=None) -> str:
    """Hash of the code behind the report (its modules, each claim's ``ours`` module with what
    it imports and ``uses``) and of every claim's statement, for the report rule's params:
    editing a claim reruns the report. ``claim_ids``: all registered claims by default (the
    report lists them all)."""
    claims = [CLAIMS.lookup(c) for c in (CLAIMS if claim_ids is None else claim_ids)]
    modules = set(REPORT_MODULES)
    for claim in claims:
        if claim.ours is not None:
            modules |= set(code_modules(claim.ours.__module__, claim.uses))
    return source_fingerprint(modules, {"claims": [_declaration(c) for c in claims]})


def write(claim_ids, results_root: str | Path, *, unbuilt=(), paper: str | None = None
          ) -> list[Path]:
    """Evaluate ``claim_ids`` on ``results_root`` and write the report's files (``writer``),
    atomically, with provenance (the claims and their input checksums); the ``unbuilt`` claims
    (their inputs not in the config) are listed as not measured, saying why. With ``paper``,
    the claims are that paper's and its own files are written (``writer.write_paper``)."""
    if paper is not None and paper not in PAPERS:
        raise ValueError(f"report: paper must be one of {', '.join(PAPERS)}, got {paper!r}")
    results = evaluate(claim_ids, results_root, unbuilt=unbuilt)
    provenance = provenance_attrs(spec={"claims": list(claim_ids)},
                                  inputs=input_paths(claim_ids, results_root))
    if paper is None:
        return writer.write(results, results_root, provenance=provenance)
    if other := [r.claim.id for r in results if r.claim.paper_key != paper]:
        raise ValueError(f"report of paper {paper!r}: claims of other papers given: {other}")
    return writer.write_paper(results, results_root, paper, provenance=provenance)


__all__ = ["CLAIMS", "PAPERS", "VERDICTS", "AtLeast", "AtMost", "Claim", "InRange", "Measured",
           "Result", "Within", "category", "configured", "evaluate", "fingerprint",
           "input_paths", "paper_file", "paper_files", "register", "report_file", "report_files",
           "statement_numbers", "write"]
