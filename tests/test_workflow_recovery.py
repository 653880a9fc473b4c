"""The workflow in a fresh copy of the repository, beside the quick build (test_workflow.py):
building the DAG imports no torch, a bad config stops before any job, and a killed build
resumes after ``--unlock``. None needs the build, so pytest-xdist runs them while it goes."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import xarray as xr
from workflow_copy import QUICK, SNAKEMAKE, copy_workflow, job_env, snakemake

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    return copy_workflow(tmp_path_factory.mktemp("workflow"))


def test_building_the_dag_does_not_import_torch(fresh):
    """Every snakemake call builds the DAG (the workflow tests make dozens); torch's import took
    2.6 s of each, through the DAG's question whether an experiment is quantized and the code
    fingerprints' module lookups."""
    stderr = snakemake(fresh, "--dry-run", "--cores", "2", *QUICK,
                       PYTHONPROFILEIMPORTTIME="1").stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines()
                if line.startswith("import time:")}
    assert "ibrepro.config" in imported and "torch" not in imported


@pytest.mark.parametrize("override, message", [
    ("scale=huge", r"config\.scale: 'huge' is not one of \['paper', 'quick'\]"),
    ("device=tpu", r"config\.device: 'tpu' is not one of \['auto', 'cpu', 'cuda'\]"),
])
def test_invalid_config_stops_before_any_job(fresh, override, message):
    result = snakemake(fresh, "--dry-run", "--cores", "1", "--config", override, check=False)
    assert result.returncode != 0
    assert re.search(message, result.stdout + result.stderr)


def test_a_killed_build_resumes_after_unlock(fresh):
    """A build killed mid-job leaves its lock and an output flagged incomplete: after
    `snakemake --unlock` the same command reruns the job (workflow/profiles/default)."""
    target = "results/quick/runs/szt-bottleneck/metrics.nc"
    command = [SNAKEMAKE, "--cores", "1", *QUICK, "--force", target]
    job = subprocess.Popen(command, cwd=fresh, env=job_env(), stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    incomplete = fresh / ".snakemake" / "incomplete"
    deadline = time.monotonic() + 120
    while not (incomplete.is_dir() and any(incomplete.iterdir())):
        assert job.poll() is None and time.monotonic() < deadline, "the job never started"
        time.sleep(0.2)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    locked = snakemake(fresh, *command[1:], check=False)
    assert locked.returncode != 0 and "lock" in locked.stderr.lower()
    snakemake(fresh, "--unlock", *QUICK)
    snakemake(fresh, "--cores", "1", target, *QUICK)  # after --config, a target reads as config
    assert not any(incomplete.iterdir())
    with xr.open_dataset(fresh / target) as metrics:
        assert metrics["accuracy"].notnull().all()
