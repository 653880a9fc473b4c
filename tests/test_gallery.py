"""The gallery: a results tree's figures (with provenance), captions and paper reports, copied
into docs/gallery with a README of every claim (paper, ours, verdict)."""

import json

import numpy as np
import pytest
import xarray as xr

from ibrepro import gallery, provenance, report
from ibrepro.figures.registry import output_paths
from ibrepro.figures.save import new_figure, save_figure
from ibrepro.paths import run_file


def _rip_results(results):
    """A results tree with rip's report (one claim), rip/fig1 and rip/table2."""
    acc = np.array([[[1.0, 0.96]], [[1.0, 0.98]]])  # (rep, epoch, split): final test 0.97
    dims = ("rep", "epoch", "split")
    metrics = xr.Dataset({"accuracy": (dims, acc), "loss": (dims, np.ones_like(acc))},
                         coords={"rep": [0, 1], "epoch": [8000], "split": ["train", "test"]})
    path = run_file(results, "szt-tanh", "metrics")
    path.parent.mkdir(parents=True)
    metrics.to_netcdf(path)
    report.write(["rip/fig1:score"], results, paper="rip")
    fig, _ = new_figure()
    stem = output_paths("rip/fig1", results)[0].with_suffix("")
    stem.parent.mkdir(parents=True)
    save_figure(fig, stem, title="rip/fig1", caption="First paragraph.\n\nMore.",
                provenance=provenance.provenance_attrs(spec={"item": "rip/fig1"}))
    table = output_paths("rip/table2", results)[1]
    table.parent.mkdir(parents=True)
    table.write_text("| a |\n| --- |\n| 1 |\n\nTable caption.\n\n<!-- provenance: {} -->\n")
    return table


def test_gallery_copies_figures_captions_and_reports_with_provenance(tmp_path):
    results, out = tmp_path / "results" / "paper", tmp_path / "gallery"
    table = _rip_results(results)
    paths = gallery.write(results, out)
    assert (out / "rip" / "table2.md").read_text() == table.read_text()  # provenance kept
    assert out / "rip" / "fig1.png" in paths and out / "README.md" in paths
    assert provenance.read(out / "rip" / "fig1.png")["spec"] == {"item": "rip/fig1"}
    assert json.loads((out / "rip" / "fig1.provenance.json").read_text())["spec"] == {
        "item": "rip/fig1"}
    assert (out / "rip" / "fig1.txt").read_text() == "First paragraph.\n\nMore.\n"
    readme = (out / "README.md").read_text()
    assert "| `rip/fig1:score` | 5 | 0.9707 | 0.97 | " in readme
    assert "![rip/fig1](rip/fig1.png)" in readme and "First paragraph." in readme
    assert "[rip/table2](rip/table2.md)" in readme and "Table caption." in readme
    assert "provenance" not in readme.split("### rip/table2")[1].split("###")[0]
    assert "Not in the gallery" in readme and "rip/fig2" in readme  # not built
    assert "rip/table1" in readme.split("Not in the gallery")[1]
    assert "## survey" not in readme  # no report of that paper under results
    assert "reproduced" in (out / "rip" / "report.md").read_text()


def test_gallery_keeps_the_sections_of_papers_built_before(tmp_path):
    """Papers are built in separate sessions: a build of one keeps the others' sections (in
    the papers' order) where their folders still hold a report, and rewrites its own."""
    results, out = tmp_path / "results" / "paper", tmp_path / "gallery"
    _rip_results(results)
    lorenzen = ["## lorenzen", "", "[Reproduction report](lorenzen/report.md)", "",
                "| `lorenzen/fig1:x` | 1 | 2 | 3 |  | reproduced |", "", "### lorenzen/fig1"]
    (out / "lorenzen").mkdir(parents=True)
    (out / "lorenzen" / "report.md").write_text("# lorenzen\n")
    (out / "README.md").write_text("\n".join(
        ["# Gallery", "", "intro", "", *lorenzen, "", "", "## rip", "", "old rip", "",
         "## chelombiev", "", "its folder is gone", ""]))
    gallery.write(results, out)
    readme = (out / "README.md").read_text()
    assert readme.endswith("\n".join(lorenzen) + "\n")  # kept as it was, after rip
    assert readme.index("## rip") < readme.index("## lorenzen")
    assert "old rip" not in readme and "| `rip/fig1:score` | 5 |" in readme
    assert "chelombiev" not in readme
    assert gallery.readme_sections(readme)["lorenzen"] == lorenzen


def test_gallery_needs_a_paper_report(tmp_path):
    with pytest.raises(FileNotFoundError, match="no paper report"):
        gallery.write(tmp_path, tmp_path / "gallery")


def test_gallery_says_so_when_a_paper_registers_no_claims(tmp_path):
    """compare checks the other papers' claims per estimator in its items and registers none
    of its own: its section says so instead of showing an empty table."""
    results, out = tmp_path / "results" / "paper", tmp_path / "gallery"
    _rip_results(results)
    report.write([], results, paper="compare")
    gallery.write(results, out)
    section = gallery.readme_sections((out / "README.md").read_text())["compare"]
    assert "This paper registers no claims of its own" in "\n".join(section)
    assert not any(line.startswith("| claim |") for line in section)
    assert any(line.startswith("| claim |") for line in
               gallery.readme_sections((out / "README.md").read_text())["rip"])
