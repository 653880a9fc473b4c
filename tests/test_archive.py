"""The README's archive recipe round-trips: ``snakemake --archive`` of this checkout unpacks into
an empty directory where the workflow dry-runs with no network and no other checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.workflow

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
OFFLINE = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
           "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "PIP_NO_INDEX": "1"}


def _snakemake(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **OFFLINE, "PYTHONPATH": str(cwd / "src"),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([SNAKEMAKE, *args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="--archive packs git-tracked files")
def test_archive_unpacks_and_dry_runs_offline(tmp_path):
    archive = tmp_path / "ibrepro-workflow.tar.gz"
    _snakemake(REPO, "--archive", str(archive), "--cores", "1", "--config", "scale=quick")
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    for name in ("Snakefile", "config.yaml", "workflow/envs/ibrepro.yaml", "CITATION.cff",
                 "src/ibrepro/report/registry.py", "workflow/report/item.rst"):
        assert (unpacked / name).is_file(), name
    out = _snakemake(unpacked, "--dry-run", "--cores", "1", "--config", "scale=quick").stdout
    for rule in ("dataset", "train", "estimate", "figure", "table", "reproduction"):
        assert f"rule {rule}:" in out, rule
    # everything resolves inside the unpacked copy (the echoed command names the interpreter's
    # venv, which may live in the checkout)
    resolved = [line for line in out.splitlines() if not line.lstrip().startswith("Command:")]
    assert str(REPO) not in "\n".join(resolved)
