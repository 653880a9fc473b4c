"""Provenance attributes written on every NetCDF file and figure.

Each output carries what made it: the resolved spec (JSON), the ibrepro version, the git commit
of the workflow, the torch version, the device, the creation time and the checksums of its inputs.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import subprocess
from functools import cache
from pathlib import Path

from ibrepro import __version__
from ibrepro.paths import REPO_ROOT


@cache
def git_commit() -> str:
    """The commit of the checkout the code runs from, with ``-dirty`` if it has local edits.

    ``unknown`` outside a git checkout (e.g. an installed wheel or an unpacked archive).
    """
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(REPO_ROOT), "status", "--porcelain",
             "--untracked-files=no"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def provenance_attrs(spec: dict | None = None, inputs: dict[str, str | Path] | None = None,
                     **extra: str) -> dict[str, str]:
    """NetCDF-ready (all-string) provenance attributes.

    spec: the resolved specification that produced the output (stored as sorted JSON).
    inputs: name -> path of each input file; stored as JSON name -> {path, sha256}.
    extra: further string attributes (e.g. ``device``, ``experiment``).
    """
    import torch  # local: keeps ``import ibrepro`` light

    attrs = {
        "ibrepro_version": __version__,
        "git_commit": git_commit(),
        "torch_version": torch.__version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    if spec is not None:
        attrs["spec"] = json.dumps(spec, sort_keys=True)
    if inputs:
        files = {name: {"path": str(p), "sha256": sha256_file(p)} for name, p in inputs.items()}
        attrs["inputs"] = json.dumps(files, sort_keys=True)
    attrs.update({k: str(v) for k, v in extra.items()})
    return attrs
