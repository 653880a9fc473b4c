"""Create figures and write figure/table outputs atomically, with provenance.

Figures are ``matplotlib.figure.Figure`` objects on an Agg canvas (no pyplot, no global
backend state, nothing to close). Outputs of one item share a stem ``<dir>/<item>``:

- figure: ``.png`` and ``.pdf`` with provenance in their metadata, ``.txt`` the caption;
- table: ``.csv`` (data only), ``.md`` (table, caption and provenance as a trailing HTML
  comment), ``.txt`` the caption.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import Collection, QuadMesh
from matplotlib.figure import Figure

from ibrepro import __version__
from ibrepro.atomic import atomic_path, write_text
from ibrepro.provenance import JSON_ATTRS

PANEL_INCHES = 3.3  # one panel at paper size
STYLE = {  # rcParams for every item (applied by ``registry.render``); no font below 7 pt
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "figure.titlesize": 9,
    "savefig.dpi": 200,
    "figure.constrained_layout.use": True,
}


def new_figure(nrows: int = 1, ncols: int = 1, *, height: float | None = None,
               **subplot_kw) -> tuple[Figure, np.ndarray]:
    """A figure of ``nrows × ncols`` panels, each about ``PANEL_INCHES`` wide.

    Returns the figure and a 2-D array of axes. ``height`` (inches) defaults to square panels.
    """
    size = (PANEL_INCHES * ncols, height if height is not None else PANEL_INCHES * nrows)
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)


# reStructuredText: characters that may open or close inline markup anywhere (emphasis,
# literals, roles, substitutions and the escape itself); "_" where it may end a reference
# ("word_ ", "]_") or open a target ("_`"); and line starts that open a list, a field, a
# comment or a block quote ("- ", "(a) ", "1. ", ".. ", ":x: ", "| ", ">")
_RST_ANYWHERE = re.compile(r"([\\*`|])")
_RST_UNDERSCORE = re.compile(r"(?<![\w])_(?=`)|(?<=[\w)\]`])_(?=[\s.,;:!?)\]'\"]|$)")
_RST_LINE_START = re.compile(
    r"^(\s*)(?=[-+*#>|:]\s|\.\.|:[^:\s][^:]*:(\s|$)|\(?[0-9A-Za-z#]{1,3}[.)]\s)", re.MULTILINE)


def rst_safe(text: str) -> str:
    """``text`` as reStructuredText reads it verbatim: the HTML report includes captions as
    reStructuredText (``workflow/report/item.rst``), where ``|x|`` would be a substitution and
    ``*a*`` emphasis. Escapes (with a backslash) only what could be markup, so most captions
    stay as written; a trailing ``::`` (a literal block) becomes ``:\\:``."""
    text = _RST_ANYWHERE.sub(r"\\\1", text)
    text = _RST_UNDERSCORE.sub(r"\\_", text)
    text = _RST_LINE_START.sub(lambda m: m.group(1) + "\\", text)
    return re.sub(r"::(\s*)$", r":\\:\1", text, flags=re.MULTILINE)


def provenance_json(attrs: dict[str, str]) -> str:
    """Provenance attributes as one JSON object (nested JSON strings decoded)."""
    return json.dumps({k: json.loads(v) if k in JSON_ATTRS else v for k, v in attrs.items()},
                      sort_keys=True)


DENSE = 2000  # cells or marks of one collection above which the PDF holds it as an image


def _elements(collection: Collection) -> int:
    if isinstance(collection, QuadMesh):
        rows, columns = collection.get_coordinates().shape[:2]
        return (rows - 1) * (columns - 1)
    return max(len(collection.get_offsets()), len(collection.get_paths()))


def rasterize_dense(fig: Figure) -> None:
    """Draw collections of more than ``DENSE`` elements into vector output as images (at
    ``savefig.dpi``). As vectors each cell or mark is a PDF path: goldfeld/fig4's 2201 × 201
    density mesh took ~40 s of its job's ~45 and viewers render such files slowly."""
    for ax in fig.axes:
        for collection in ax.collections:
            if _elements(collection) > DENSE:
                collection.set_rasterized(True)


def save_figure(fig: Figure, stem: Path, *, title: str, caption: str,
                provenance: dict[str, str]) -> list[Path]:
    """Write ``stem.png``, ``stem.pdf`` and ``stem.txt`` (caption), each atomically.

    PNG text chunks: Title, Description (caption), Software, Provenance (JSON).
    PDF info: Title, Subject (caption), Keywords (provenance JSON), Creator.
    """
    software = f"ibrepro {__version__}"
    prov = provenance_json(provenance)
    metadata = {
        "png": {"Title": title, "Description": caption, "Software": software, "Provenance": prov},
        "pdf": {"Title": title, "Subject": caption, "Keywords": prov, "Creator": software},
    }
    paths = []
    rasterize_dense(fig)
    for fmt, meta in metadata.items():
        path = stem.with_suffix(f".{fmt}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, metadata=meta)
        paths.append(path)
        # the PDF keeps the PNG's constrained layout instead of solving it again (a third of
        # a figure's saving time): both formats show the same panel positions
        fig.set_layout_engine("none")
    paths.append(stem.with_suffix(".txt"))
    write_text(caption + "\n", paths[-1])
    return paths


def _cell(value) -> str:
    """A table cell: floats at full (round-trip) precision, None empty."""
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    return str(value)


def save_table(rows: Sequence[dict], stem: Path, *, caption: str,
               provenance: dict[str, str]) -> list[Path]:
    """Write ``stem.csv``, ``stem.md`` and ``stem.txt`` (caption), each atomically.

    rows: one dict per row, all with the same keys (the column names, in order).
    """
    columns = list(rows[0])
    cells = [[_cell(row[c]) for c in columns] for row in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(cells)
    markdown = "\n".join(
        ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
        + ["| " + " | ".join(row) + " |" for row in cells]
        + ["", caption, "", f"<!-- provenance: {provenance_json(provenance)} -->", ""]
    )
    paths = [stem.with_suffix(s) for s in (".csv", ".md", ".txt")]
    for text, path in zip((buffer.getvalue(), markdown, caption + "\n"), paths, strict=True):
        write_text(text, path)
    return paths
