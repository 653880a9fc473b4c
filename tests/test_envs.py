"""workflow/envs/ibrepro.yaml installs what pyproject.toml declares (the rules need all of it
but Snakemake, which runs them), so --software-deployment-method conda gets the same versions;
the citation files agree with the package."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].lower()


def test_conda_env_pins_the_package_dependencies():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((REPO / "workflow/envs/ibrepro.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    wanted = {r.replace(" ", "") for r in project["dependencies"] if _name(r) != "snakemake"}
    assert {r.replace(" ", "") for r in pip} == wanted
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    minimum = project["requires-python"].removeprefix(">=")
    assert python.removeprefix("python=") == minimum  # the oldest Python the package supports


def test_citation_metadata_matches_the_package():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    zenodo = json.loads((REPO / ".zenodo.json").read_text())
    assert citation["cff-version"] == "1.2.0" and citation["authors"]
    assert citation["version"] == zenodo["version"] == project["version"]
    assert citation["license"] == zenodo["license"] == project["license"]["text"]
    assert citation["title"] == zenodo["title"]
