"""Atomic file writes: an output appears complete or not at all.

Each writer writes to a hidden temporary file in the target's directory and renames it into
place (``os.replace`` is atomic on POSIX), so a killed job never leaves a half-written file
under the name Snakemake checks.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it to ``target``.

    On an exception the temporary file is removed and ``target`` is left untouched; temporary
    files that a killed earlier attempt left beside ``target`` are removed first.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*.part"):  # left by a killed job
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; outputs get the usual mode
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_netcdf(dataset, target: str | Path, encoding: dict | None = None) -> None:
    """Write an ``xarray.Dataset`` to ``target`` atomically (netCDF4 engine)."""
    with atomic_path(target) as tmp:
        dataset.to_netcdf(tmp, engine="netcdf4", encoding=encoding)


def write_text(text: str, target: str | Path) -> None:
    """Write text to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text)
