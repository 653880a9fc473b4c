"""The HTML report shows each item's generated caption and groups items by paper: a tiny workflow
with the workflow's own caption template (workflow/report/item.rst) and categories, run and then
reported by Snakemake."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.workflow

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
SNAKEFILE = f'''
import sys
sys.path.insert(0, {str(REPO / "src")!r})
from ibrepro.report import category

report: {str(REPO / "workflow/report/workflow.rst")!r}
CAPTION = {str(REPO / "workflow/report/item.rst")!r}

rule all:
    input: ["results/figures/goldfeld/fig1.png", "results/figures/rip/fig1.png"]

rule figure:
    output:
        png=report("results/figures/{{figure}}.png", caption=CAPTION,
                   category=lambda w: category(w.figure), subcategory="{{figure}}"),
        caption="results/figures/{{figure}}.txt",
    shell:  # the image bytes do not matter; the caption is the generated text
        "printf png > {{output.png}};"
        " echo 'Caption of {{wildcards.figure}}: I(X;T) = 8.3 nats.' > {{output.caption}}"
'''


def _snakemake(root: Path, *args: str) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([SNAKEMAKE, "--cores", "1", "--config", "scale=quick", *args],
                            cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


def _report_text(html: str) -> str:
    """The report's text, with its embedded (possibly base64/zlib) data decoded where found."""
    parts = [html]
    for blob in re.findall(r"[A-Za-z0-9+/]{200,}={0,2}", html):
        try:
            raw = base64.b64decode(blob)
            parts.append(zlib.decompress(raw).decode() if raw[:1] == b"x" else raw.decode())
        except (ValueError, zlib.error, UnicodeDecodeError):
            continue
    return "\n".join(parts)


def test_report_shows_generated_captions_grouped_by_paper(tmp_path):
    (tmp_path / "Snakefile").write_text(SNAKEFILE)
    _snakemake(tmp_path)
    _snakemake(tmp_path, "--report", "report.html")
    text = _report_text((tmp_path / "report.html").read_text())
    for item in ("rip/fig1", "goldfeld/fig1"):
        assert f"Caption of {item}: I(X;T) = 8.3 nats." in text
    assert "1. rip" in text and "5. goldfeld" in text
    assert "at scale" in text  # workflow.rst rendered with the config
