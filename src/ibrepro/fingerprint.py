"""Fingerprints of code and parameters, for Snakemake's params rerun trigger.

A rule whose ``params`` include ``source_fingerprint(...)`` of the modules it runs reruns when
one of those modules' source changes, and only then (benchopt keys its cache the same way).
Modules are located through ``sys.path`` (``importlib.util.find_spec``), so a workflow that
puts its own ``src/`` first fingerprints its own copy of the code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterable, Mapping
from pathlib import Path


def module_file(module: str) -> Path:
    """The source file of ``module`` as ``sys.path`` resolves it now."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"no source file for module {module!r}")
    return Path(spec.origin)


def source_fingerprint(modules: Iterable[str], params: Mapping[str, object] | None = None) -> str:
    """sha256 hex of the modules' source bytes (in sorted order) and of ``params`` as JSON."""
    digest = hashlib.sha256()
    for module in sorted(set(modules)):
        digest.update(module.encode() + b"\0" + module_file(module).read_bytes() + b"\0")
    digest.update(json.dumps(params or {}, sort_keys=True).encode())
    return digest.hexdigest()
