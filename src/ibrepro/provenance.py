"""Provenance attributes written on every NetCDF file and figure.

Each output carries what made it: the resolved spec (JSON), the ibrepro version, the git commit
of the workflow, the versions of the packages it ran with, the device, the creation time and the
checksums of its inputs. ``read`` gets them back from a NetCDF file, a figure (PNG text chunk,
PDF info) or a table (the Markdown's trailing comment); ``chain`` follows ``inputs`` back to the
datasets.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Iterator
from functools import cache
from importlib import metadata
from pathlib import Path

from ibrepro import __version__
from ibrepro.atomic import write_text
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


PACKAGES = ("torch", "numpy", "xarray", "netCDF4", "matplotlib", "snakemake")


@cache
def package_versions() -> dict[str, str]:
    """Installed version of each of ``PACKAGES`` (those present), read from package metadata."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


# files at least this large have their checksum remembered (``sha256_file``): a paper-scale
# activations file (7.1 GB) took 5.8 s to hash, serially, in each of the ~20 jobs that read it
REMEMBER_BYTES = 64 << 20


def checksum_cache() -> Path:
    """Where ``sha256_file`` remembers checksums: ``$IBREPRO_CACHE/sha256``, by default under
    ``$XDG_CACHE_HOME/ibrepro`` (``~/.cache/ibrepro``)."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ibrepro"
    return Path(os.environ.get("IBREPRO_CACHE") or default) / "sha256"


def _file_version(st: os.stat_result) -> str:
    """What changes whenever a file's bytes may have, from its ``stat``: device, inode, size,
    mtime and ctime (ns). A rewrite renamed into place (every output here) is a new inode."""
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks. For a file of ``REMEMBER_BYTES`` or
    more the result is remembered in :func:`checksum_cache` against the file's version (inode,
    size, times), so the jobs reading one large input hash it once between them."""
    path = Path(path).resolve()
    status = path.stat()
    version, large = _file_version(status), status.st_size >= REMEMBER_BYTES
    entry = checksum_cache() / hashlib.sha256(str(path).encode()).hexdigest()
    if large:
        with contextlib.suppress(OSError, ValueError):
            remembered_version, remembered = entry.read_text().split()
            if remembered_version == version:
                return remembered
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if large and _file_version(path.stat()) == version:  # unchanged while read
        with contextlib.suppress(OSError):  # a cache is an optimisation: never fail a job
            entry.parent.mkdir(parents=True, exist_ok=True)
            write_text(f"{version} {digest.hexdigest()}\n", entry)
    return digest.hexdigest()


def provenance_attrs(spec: dict | None = None, inputs: dict[str, str | Path] | None = None,
                     **extra: str) -> dict[str, str]:
    """NetCDF-ready (all-string) provenance attributes.

    spec: the resolved specification that produced the output (stored as sorted JSON).
    inputs: name -> path of each input file; stored as JSON name -> {path, sha256}.
    extra: further string attributes (e.g. ``device``, ``experiment``); ``device`` defaults to
    ``cpu`` (jobs that may use CUDA pass the one they ran on).
    """
    attrs = {
        "ibrepro_version": __version__,
        "git_commit": git_commit(),
        "torch_version": package_versions().get("torch", "absent"),
        "packages": json.dumps(package_versions(), sort_keys=True),
        "device": "cpu",
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    if spec is not None:
        attrs["spec"] = json.dumps(spec, sort_keys=True)
    if inputs:
        files = {name: {"path": str(p), "sha256": sha256_file(p)} for name, p in inputs.items()}
        attrs["inputs"] = json.dumps(files, sort_keys=True)
    attrs.update({k: str(v) for k, v in extra.items()})
    return attrs


JSON_ATTRS = ("inputs", "spec", "packages")  # attrs holding JSON


def _pdf_keywords(data: bytes) -> str:
    """The PDF info dictionary's /Keywords literal string, unescaped (matplotlib writes ASCII)."""
    match = re.search(rb"/Keywords \(((?:[^\\()]|\\.)*)\)", data, re.DOTALL)
    if match is None:
        raise ValueError("PDF has no /Keywords entry")
    return re.sub(rb"\\(.)", rb"\1", match.group(1)).decode("ascii")


def read(path: str | Path) -> dict:
    """The provenance of an output file, JSON attrs decoded.

    ``.nc``: the global attrs; ``.png``: the ``Provenance`` text chunk; ``.pdf``: the info
    ``Keywords``; ``.md``: the trailing ``<!-- provenance: ... -->``; ``.csv``/``.txt``: that of
    the sibling ``.md`` (tables) or ``.png`` (figures).
    """
    path = Path(path)
    suffix = path.suffix
    if suffix == ".nc":
        import netCDF4

        with netCDF4.Dataset(path) as nc:
            attrs = {k: nc.getncattr(k) for k in nc.ncattrs()}
        return {k: json.loads(v) if k in JSON_ATTRS else v for k, v in attrs.items()}
    if suffix == ".png":
        from PIL import Image

        with Image.open(path) as image:
            return json.loads(image.text["Provenance"])
    if suffix == ".pdf":
        return json.loads(_pdf_keywords(path.read_bytes()))
    if suffix == ".md":
        match = re.search(r"<!-- provenance: (.*) -->\s*$", path.read_text())
        if match is None:
            raise ValueError(f"{path}: no provenance comment")
        return json.loads(match.group(1))
    if suffix in (".csv", ".txt"):
        for sibling in (path.with_suffix(".md"), path.with_suffix(".png")):
            if sibling.is_file():
                return read(sibling)
    raise ValueError(f"{path}: no provenance readable from {suffix!r} files; "
                     "expected .nc, .png, .pdf, .md, .csv or .txt")


def chain(path: str | Path, depth: int = 0) -> Iterator[str]:
    """Lines tracing ``path`` back through the ``inputs`` of each file to files with none
    (datasets): path, spec, commit, device, creation time; each input indented under its user,
    with whether its bytes still match the recorded sha256."""
    pad = "  " * depth
    attrs = read(path)
    yield f"{pad}{path}"
    spec = attrs.get("spec")
    if spec is not None:
        yield f"{pad}  spec: {json.dumps(spec, sort_keys=True)}"
    packages = ", ".join(f"{k} {v}" for k, v in sorted(attrs.get("packages", {}).items()))
    yield (f"{pad}  made by ibrepro {attrs.get('ibrepro_version', '?')} at "
           f"{attrs.get('git_commit', '?')} on {attrs.get('device', '?')}, "
           f"{attrs.get('created', '?')}" + (f"; {packages}" if packages else ""))
    for name, entry in sorted(attrs.get("inputs", {}).items()):
        source = Path(entry["path"])
        if not source.is_file():
            yield f"{pad}  <- {name}: {source} (missing; recorded sha256 {entry['sha256']})"
            continue
        same = sha256_file(source) == entry["sha256"]
        yield f"{pad}  <- {name}: sha256 {'matches' if same else 'DIFFERS from'} the recorded one"
        yield from chain(source, depth + 2)
