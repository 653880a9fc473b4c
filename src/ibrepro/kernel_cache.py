"""Where numba caches the compiled kernels: a directory per version of the package's source.

numba keys a cached kernel on its own file's timestamp only, but the machine code it caches
includes every kernel it calls and every global it reads from other modules: after editing
``estimators/gaussian.py``, the cached ``kde._cut_log_sums`` still runs the old
``symmetric_sums`` (seen here: a KDE job kept the old kernel's speed and numbers). So each
process points ``NUMBA_CACHE_DIR`` at ``<base>/<hash of every module of the package>``: any edit
compiles afresh, and nothing stale can run. ``<base>`` is ``NUMBA_CACHE_DIR`` when the user set
it, else ``~/.cache/ibrepro/numba`` (``XDG_CACHE_HOME``); a version's kernels take ~13 MB, and
versions not touched for ``KEEP_DAYS`` days are removed when a new one is made.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

KEEP_DAYS = 2  # an older version's cache is removed when a new version's is made


def source_key(root: Path) -> str:
    """sha256 (16 hex digits) of every ``.py`` file below ``root``, names and bytes."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def use_keyed_cache(root: Path) -> Path:
    """Point numba's cache at this source version's directory (``NUMBA_CACHE_DIR``, and numba's
    config if numba is already imported); return that directory. A ``NUMBA_CACHE_DIR`` that
    already ends in the key (set by a parent process) is kept."""
    key = source_key(root)
    current = os.environ.get("NUMBA_CACHE_DIR", "")
    if current and Path(current).name == key:
        keyed = Path(current)
    else:
        base = Path(current) if current else Path(
            os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ibrepro" / "numba"
        keyed = base / key
        if not keyed.is_dir():
            _remove_stale(base)
        os.environ["NUMBA_CACHE_DIR"] = str(keyed)
    if "numba" in sys.modules:  # numba read the variable at its import: tell it directly
        sys.modules["numba"].config.CACHE_DIR = str(keyed)
    return keyed


def _remove_stale(base: Path) -> None:
    """Remove the versions below ``base`` not modified for ``KEEP_DAYS`` days (best effort: a
    process still using one recompiles)."""
    if not base.is_dir():
        return
    import shutil

    cutoff = time.time() - KEEP_DAYS * 86400
    for entry in base.iterdir():
        if entry.is_dir() and len(entry.name) == 16 and entry.stat().st_mtime < cutoff:
            shutil.rmtree(entry, ignore_errors=True)
