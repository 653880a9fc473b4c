"""Snakemake in a copy of the repository, for the workflow tests (test_workflow.py builds the
quick scale in one; test_workflow_recovery.py uses a fresh one beside that build)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
QUICK = ("--config", "scale=quick")


def copy_workflow(root: Path) -> Path:
    """``root`` holding a copy of the workflow and the package's source (no caches)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("Snakefile", "config.yaml", "workflow", "src"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=ignore)
        else:
            shutil.copy2(source, root / name)
    return root


def job_env(**env: str) -> dict[str, str]:
    """The environment of a snakemake call in a copy of the repository. Its jobs import the
    repository's src/, byte-identical to the copy's (a test that edits the copy only dry-runs
    or touches), so they load the numba kernels the unit tests compile into its __pycache__: a
    fresh clone compiled them twice, ~2 CPU-minutes. The DAG reads the copy's src/
    (workflow/rules/common.smk puts it first), so the code fingerprints see the copy's edits."""
    return {**os.environ, "PYTHONPATH": str(REPO / "src"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **env}


def snakemake(root: Path, *args: str, check: bool = True, **env: str
              ) -> subprocess.CompletedProcess:
    result = subprocess.run([SNAKEMAKE, *args], cwd=root, env=job_env(**env), capture_output=True,
                            text=True, timeout=1800)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stderr[-5000:]}")
    return result
