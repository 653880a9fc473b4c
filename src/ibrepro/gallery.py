"""The gallery (``docs/gallery/``): a results tree's figures, captions and reproduction reports
copied into the repository, so a reader sees the paper-scale reproduction without running it.

``ibrepro gallery --results results/paper --out docs/gallery`` writes, per paper with built
outputs, ``<paper>/<item>.png`` (the PNG keeps its ``Provenance`` chunk: commit, config,
inputs' checksums), ``<paper>/<item>.txt`` (its caption), ``<paper>/<item>.provenance.json``
(the same provenance, readable without PIL), ``<paper>/<table>.md`` (a table with its caption and
provenance comment), ``<paper>/report.md`` (the paper's reproduction
report, with its provenance comment), and ``README.md``: per paper, every claim with the
paper's value, ours and the verdict, then links to the figures. Only files that exist are
copied; the README says which configured items of a paper are not in the gallery. A paper with
no report under ``results_root`` keeps its folder and its README section from an earlier
build, so papers built in separate sessions (each takes hours at paper scale) add up to one
gallery.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from ibrepro.atomic import atomic_path, write_text
from ibrepro.figures.registry import ITEMS, output_paths
from ibrepro.provenance import read
from ibrepro.report.writer import PAPERS, paper_file

CLAIM_COLUMNS = ("claim", "statements", "paper", "ours", "ours_low", "ours_high", "verdict")


def _copy(source: Path, target: Path) -> None:
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def _number(text: str) -> str:
    try:
        return f"{float(text):.4g}"
    except ValueError:
        return text


def _claims_table(csv_path: Path) -> list[str]:
    """Markdown rows of a paper's report CSV: claim, #, paper, ours (range), verdict; a
    sentence instead of an empty table when the paper registers no claims."""
    with csv_path.open() as f:
        rows = list(csv.DictReader(f))
    if not rows:  # e.g. compare, whose items check the other papers' claims per estimator
        return ["This paper registers no claims of its own: its items below are its result."]
    lines = ["| claim | # | paper | ours | ours' 2.5–97.5% | verdict |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        spread = (f"{_number(r['ours_low'])} to {_number(r['ours_high'])}"
                  if r["ours_low"] else "")
        cells = [f"`{r['claim']}`", r["statements"], _number(r["paper"]), _number(r["ours"]),
                 spread, r["verdict"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def readme_sections(readme: str) -> dict[str, list[str]]:
    """The lines of each paper's section (its ``## <paper>`` line to the next ``## ``, trailing
    blank lines left out) of a gallery README."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in readme.splitlines():
        if line.startswith("## "):
            name = line[3:].strip()
            current = sections.setdefault(name, []) if name in PAPERS else None
        if current is not None:
            current.append(line)
    return {name: "\n".join(lines).rstrip().split("\n") for name, lines in sections.items()}


def write(results_root: str | Path, out: str | Path) -> list[Path]:
    """Copy the built figures, captions and paper reports of ``results_root`` into ``out`` and
    write ``out/README.md``, keeping the sections of earlier builds' papers not rebuilt here;
    returns the written paths. Raises ``FileNotFoundError`` when ``results_root`` holds no
    paper report."""
    results_root, out = Path(results_root), Path(out)
    papers = [p for p in PAPERS if paper_file(results_root, p).is_file()]
    if not papers:
        raise FileNotFoundError(f"gallery: no paper report under {results_root}/report "
                                f"(build one first: snakemake --cores 2 <paper>)")
    previous = out / "README.md"
    kept = readme_sections(previous.read_text()) if previous.is_file() else {}
    written: list[Path] = []
    readme = ["# Gallery", "",
              f"Figures and reproduction reports of `{results_root}` (written by `ibrepro "
              f"gallery`; each PNG carries its provenance, also in `<item>.provenance.json`).",
              ""]
    for paper in PAPERS:
        if paper not in papers:
            if paper in kept and (out / paper / "report.md").is_file():
                readme += [*kept[paper], ""]
            continue
        folder = out / paper
        report = paper_file(results_root, paper)
        _copy(report, folder / "report.md")
        written.append(folder / "report.md")
        readme += [f"## {paper}", "", f"[Reproduction report]({paper}/report.md)", "",
                   *_claims_table(report.with_suffix(".csv")), ""]
        missing = []
        for item_id in sorted(i for i in ITEMS if i.startswith(f"{paper}/")):
            name = item_id.split("/", 1)[1]
            if ITEMS.lookup(item_id).kind == "table":
                table = output_paths(item_id, results_root)[1]  # .md, provenance inside
                if not table.is_file():
                    missing.append(item_id)
                    continue
                _copy(table, folder / f"{name}.md")
                written.append(folder / f"{name}.md")
                readme += [f"### {item_id}", "", f"[{item_id}]({paper}/{name}.md)", "",
                           table.read_text().split("<!--")[0].strip(), ""]
                continue
            png, _, caption = output_paths(item_id, results_root)
            if not png.is_file():
                missing.append(item_id)
                continue
            targets = (folder / f"{name}.png", folder / f"{name}.txt",
                       folder / f"{name}.provenance.json")
            _copy(png, targets[0])
            _copy(caption, targets[1])
            write_text(json.dumps(read(png), indent=1, sort_keys=True) + "\n", targets[2])
            written += targets
            readme += [f"### {item_id}", "", f"![{item_id}]({paper}/{name}.png)", "",
                       caption.read_text().strip().split("\n\n")[0], ""]
        if missing:
            readme += [f"Not in the gallery (not built under `{results_root}`): "
                       f"{', '.join(missing)}.", ""]
    write_text("\n".join(readme), out / "README.md")
    return [*written, out / "README.md"]
