"""The reproduction report's files, ``<results>/report/``: every registered claim, the paper's
value against ours, with its rule and verdict, grouped by paper in FIGURES.md's order.

- ``reproduction.md``: a summary per paper (claims registered, measurable here, reproduced, not
  reproduced, not measured, not measurable), then a section per paper: its claims table and
  the reasons behind the claims that were not measured or are not measurable here;
- ``reproduction.csv``: one row per claim, every field at full precision;
- ``reproduction.txt``: the summary as reStructuredText (the HTML report's caption);
- ``<paper>.md`` and ``<paper>.csv``: one paper's section alone with its summary row, and its
  rows (``write_paper``: the per-paper target, ``snakemake <paper>``, evaluates only its claims).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np

from ibrepro.atomic import write_text
from ibrepro.figures.save import provenance_json, rst_safe
from ibrepro.report.registry import RANGE, Result

# FIGURES.md's paper order; the HTML report sorts its categories by name, hence the numbers
PAPERS = ("rip", "survey", "lorenzen", "chelombiev", "goldfeld", "compare")
COUNTS = ("registered", "measurable here", "reproduced", "not reproduced", "not measured",
          "not measurable")
COLUMNS = ("item", "#", "quantity", "paper", "ours", "ours' range", "rule", "verdict")


def report_file(results_root: str | Path) -> Path:
    """``<results>/report/reproduction.md`` (beside it: ``.csv`` and the ``.txt`` summary)."""
    return Path(results_root) / "report" / "reproduction.md"


def paper_file(results_root: str | Path, paper: str) -> Path:
    """``<results>/report/<paper>.md``: one paper's section of the report."""
    return Path(results_root) / "report" / f"{paper}.md"


def report_files(results_root: str | Path) -> list[Path]:
    """The files ``write`` writes: ``reproduction.{md,csv,txt}``."""
    md = report_file(results_root)
    return [md, md.with_suffix(".csv"), md.with_suffix(".txt")]


def paper_files(results_root: str | Path, paper: str) -> list[Path]:
    """The files ``write_paper`` writes: ``<paper>.md`` and ``<paper>.csv``."""
    md = paper_file(results_root, paper)
    return [md, md.with_suffix(".csv")]


def order(paper: str) -> int:
    """A paper key's place in ``PAPERS`` (unknown keys last)."""
    return PAPERS.index(paper) if paper in PAPERS else len(PAPERS)


def counts(results: list[Result]) -> dict[str, int]:
    """The summary numbers (``COUNTS``) of some claims."""
    verdicts = [r.verdict for r in results]
    return {"registered": len(results),
            "measurable here": sum(v != "not measurable" for v in verdicts),
            **{v: verdicts.count(v) for v in COUNTS[2:]}}


def by_paper(results: list[Result]) -> dict[str, list[Result]]:
    """The results grouped by paper, in FIGURES.md's order (claims in the order given)."""
    papers = sorted({r.claim.paper_key for r in results} | set(PAPERS), key=order)
    return {p: [r for r in results if r.claim.paper_key == p] for p in papers}


def _number(value, digits: int = 6) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None or math.isnan(value) else f"{value:.{digits}g}"


def _samples(result: Result) -> str:
    """"50 repetitions": how many values ours summarises ("" for a single number)."""
    measured = result.measured
    if measured is None or measured.samples is None:
        return ""
    return f"{int((~np.isnan(measured.samples)).sum())} {measured.of}"


def _range(result: Result) -> str:
    spread = result.measured.spread() if result.measured is not None else None
    if spread is None:
        return ""
    return f"{_number(spread[0])} to {_number(spread[1])} ({_samples(result)})"


def _row(result: Result) -> list[str]:
    claim = result.claim
    paper = claim.paper if isinstance(claim.paper, str) else repr(claim.paper)  # as stated
    return [claim.item, statement_numbers(claim.statements), claim.quantity, paper,
            _number(result.ours), _range(result),
            str(claim.verdict) if claim.verdict else "", result.verdict]


def statement_numbers(numbers: tuple[int, ...]) -> str:
    """CLAIMS.md statement numbers as written there: ``5``, ``1–4``, ``52, 54``."""
    numbers = sorted(numbers)
    if len(numbers) > 1 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}–{numbers[-1]}"
    return ", ".join(map(str, numbers))


def _markdown_table(header, rows) -> list[str]:
    def line(cells):
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    return [line(header), "|" + " --- |" * len(header), *(line(r) for r in rows)]


def summary_rows(results: list[Result]) -> list[dict]:
    """One row per paper (FIGURES.md's order) and a last row ``all``: ``COUNTS``."""
    rows = [{"paper": p, **counts(rs)} for p, rs in by_paper(results).items()]
    return rows + [{"paper": "all", **counts(results)}]


def summary_sentence(results: list[Result], scale: str) -> str:
    n = counts(results)
    return (f"Reproduction report of {scale} scale: {n['registered']} claims of the papers, "
            f"{n['measurable here']} measurable here: {n['reproduced']} reproduced, "
            f"{n['not reproduced']} not reproduced, {n['not measured']} not measured; "
            f"{n['not measurable']} not measurable here. Each claim's rule was fixed before "
            f"our numbers were seen. Ours is the mean over our repetitions where it comes from "
            f"several; its range, our {RANGE[0]:g}–{RANGE[1]:g} percentiles, is what a "
            f"paper's single-net number is held against.")


def paper_section(paper: str, results: list[Result], *, heading: bool = True) -> list[str]:
    """Markdown lines of one paper's claims: its heading, the table, and what a reader should
    know beside a verdict (why a claim is not measured or not measurable here, its note)."""
    lines = [f"## {paper}", ""] if heading else []
    if not results:
        return lines + ["No claim of this paper is registered yet.", ""]
    lines += _markdown_table(COLUMNS, [_row(r) for r in results]) + [""]
    notes = [f"- `{r.claim.id}`{f' ({r.claim.source})' if r.claim.source else ''}, "
             f"{r.verdict}: {r.why}" for r in results if r.why]
    return lines + (notes + [""] if notes else [])


def _csv(results: list[Result]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["claim", "statements", "item", "source", "quantity", "paper", "ours",
                     "ours_low", "ours_high", "samples", "rule", "verdict", "note"])
    for r in results:
        spread = r.measured.spread() if r.measured is not None else None
        writer.writerow([
            r.claim.id, statement_numbers(r.claim.statements), r.claim.item, r.claim.source,
            r.claim.quantity, r.claim.paper,
            "" if math.isnan(r.ours) else repr(r.ours),
            *(("", "") if spread is None else (repr(spread[0]), repr(spread[1]))),
            _samples(r),
            str(r.claim.verdict) if r.claim.verdict else "", r.verdict, r.why])
    return buffer.getvalue()


def _rst_table(rows: list[dict]) -> list[str]:
    """A reStructuredText simple table of ``rows`` (dicts with the same keys)."""
    header = list(rows[0])
    cells = [[str(row[c]) for c in header] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(header)]
    rule = "  ".join("=" * w for w in widths)

    def line(values):
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return [rule, line(header), rule, *(line(r) for r in cells), rule]


def write(results: list[Result], results_root: str | Path, *,
          provenance: dict[str, str]) -> list[Path]:
    """Write ``report_files`` of ``results`` (any order: grouped here) under ``results_root``,
    atomically, with ``provenance`` (a comment in the Markdown files)."""
    results = sorted(results, key=lambda r: order(r.claim.paper_key))
    scale = Path(results_root).name
    sentence = summary_sentence(results, scale)
    summary = summary_rows(results)
    comment = f"<!-- provenance: {provenance_json(provenance)} -->"
    md = [f"# Reproduction report ({scale} scale)", "", sentence, "",
          *_markdown_table(list(summary[0]), [list(r.values()) for r in summary]), ""]
    for paper, rs in by_paper(results).items():
        md += paper_section(paper, rs)
    texts = ["\n".join([*md, comment, ""]), _csv(results),
             "\n".join([rst_safe(sentence), "", *_rst_table(summary), ""])]
    return _write_texts(texts, report_files(results_root))


def write_paper(results: list[Result], results_root: str | Path, paper: str, *,
                provenance: dict[str, str]) -> list[Path]:
    """Write ``paper_files`` of one paper's ``results`` under ``results_root``, atomically,
    with ``provenance``: its summary row, its section and its CSV rows."""
    scale = Path(results_root).name
    row = {"paper": paper, **counts(results)}
    comment = f"<!-- provenance: {provenance_json(provenance)} -->"
    md = "\n".join([f"# Reproduction report: {paper} ({scale} scale)", "",
                    *_markdown_table(list(row), [list(row.values())]), "",
                    *paper_section(paper, results, heading=False), comment, ""])
    return _write_texts([md, _csv(results)], paper_files(results_root, paper))


def _write_texts(texts: list[str], paths: list[Path]) -> list[Path]:
    for text, path in zip(texts, paths, strict=True):
        write_text(text, path)
    return paths
