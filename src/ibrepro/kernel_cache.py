"""Where numba caches the compiled kernels: a directory per version of the kernels' source.

numba keys a cached kernel on its own file's timestamp only, but the machine code it caches
includes every kernel it calls and every global it reads from other modules: after editing
``estimators/gaussian.py``, the cached ``kde._cut_log_sums`` still runs the old
``symmetric_sums`` (seen here: a KDE job kept the old kernel's speed and numbers). So each
process points ``NUMBA_CACHE_DIR`` at ``<base>/<kernel key>``, the hash of every module that
defines a cached kernel and of every module of the package they import, transitively
(``PackageSource.kernel_files``): an edit there compiles afresh, and nothing stale can run,
while an edit elsewhere (a figure, the CLI) keeps the compiled kernels (a cold compile of them
all is ~3 CPU-minutes). ``<base>`` is ``NUMBA_CACHE_DIR`` when the user set it, else
``~/.cache/ibrepro/numba`` (``XDG_CACHE_HOME``); a version's kernels take ~13 MB, and versions
not touched for ``KEEP_DAYS`` days are removed when a new one is made.

Kernels are declared with this module's ``njit`` (numba's), which also makes each cached kernel
compile in one process at a time: a process that misses the cache takes a file lock beside
the kernel's index, and one that arrives meanwhile waits, then loads what the first saved.
Two jobs of a fresh build (and the tests beside it) otherwise compiled the trainer's ~35
CPU-seconds each, at once.

On a CPU with AVX-512, that ``njit`` also lets LLVM use the full 512-bit vectors
(``full_width_vectors``): LLVM's tuning for Intel's server cores prefers 256-bit ones, a
hedge against the clock drop of early AVX-512 parts; on this project's 2-core machine
(Emerald Rapids) the KDE kernel's pair loop runs 1.3x faster at 512 bits, in a job on both
cores, and the trainer's epoch is unchanged (docs/performance.md, fourteenth session).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import re
import sys
import time
from pathlib import Path

KEEP_DAYS = 2  # an older version's cache is removed when a new version's is made

# ``from X import a, (b, c)`` and ``import X, Y as Z`` statements (also indented ones: a lazy
# import counts too). A regex, not ``ast``: parsing the 129 modules cost every process 0.34 s,
# and a statement matched in a docstring only adds a module to the key.
_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)"
                     r"|import[ \t]+([^\n#]+))", re.MULTILINE)
_CACHED_KERNEL = b"cache=True"  # how a module asks numba to cache a kernel


class PackageSource:
    """The package's modules below ``root`` (its directory), read once: ``key`` names this
    version of the code, ``kernel_key`` this version of its kernels (``kernel_files``)."""

    def __init__(self, root: Path):
        self.root = root
        self.files: dict[str, tuple[Path, bytes]] = {}  # dotted module name: (path, source)
        for path in root.rglob("*.py"):
            parts = (root.name, *path.relative_to(root).with_suffix("").parts)
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            self.files[name] = (path, path.read_bytes())

    @property
    def key(self) -> str:
        """sha256 (16 hex digits) of every module, names and bytes."""
        return self._hash(self.files)

    @property
    def kernel_key(self) -> str:
        """sha256 (16 hex digits) of ``kernel_files``, names and bytes."""
        return self._hash(self.kernel_files())

    def kernel_files(self) -> list[str]:
        """The modules numba's cached kernels can depend on: each module that defines a cached
        kernel (``cache=True``; this one too, which names it) and every module of the package
        it imports from, transitively (a kernel calls kernels and reads constants of modules
        it imports)."""
        todo = [name for name, (_, source) in self.files.items() if _CACHED_KERNEL in source]
        closure: set[str] = set()
        while todo:
            name = todo.pop()
            if name not in closure:
                closure.add(name)
                todo.extend(self._imported(name))
        return sorted(closure)

    def _imported(self, name: str) -> set[str]:
        """The package's modules that module ``name`` imports or imports from."""
        path, source = self.files[name]
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for module, names, plain in _IMPORT.findall(source.decode()):
            if plain:
                found.update(word.split()[0] for word in plain.split(",") if word.strip())
                continue
            dots = len(module) - len(module.lstrip("."))
            if dots:  # relative: one dot is this package
                parts = package.split(".")
                base = parts[:len(parts) - dots + 1]
                module = ".".join([*base, module[dots:]] if module[dots:] else base)
            for word in names.strip("()").split(","):
                if word.split():
                    submodule = f"{module}.{word.split()[0]}"
                    found.add(submodule if submodule in self.files else module)
        return found & self.files.keys()

    def _hash(self, names) -> str:
        digest = hashlib.sha256()
        for path, source in sorted(self.files[name] for name in names):
            digest.update(path.relative_to(self.root).as_posix().encode() + b"\0" + source)
        return digest.hexdigest()[:16]


def use_keyed_cache(key: str) -> Path:
    """Point numba's cache at the directory of kernel version ``key`` (``PackageSource``'s
    ``kernel_key``): ``NUMBA_CACHE_DIR``, and numba's config if numba is already imported;
    return that directory. A ``NUMBA_CACHE_DIR`` that already ends in the key (set by a parent
    process) is kept."""
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


def njit(*args, **options):
    """``numba.njit``, after ``compile_once`` and ``full_width_vectors``: the modules that
    declare cached kernels import it from here."""
    compile_once()
    import numba

    full_width_vectors(numba.config)
    return numba.njit(*args, **options)


def full_width_vectors(config) -> None:
    """Let numba's LLVM use 512-bit vectors where the host has AVX-512 (numba's ``config``:
    its ``CPU_FEATURES``, read when its code generator starts; a user's
    ``NUMBA_CPU_FEATURES`` is kept). The features are part of numba's cache key, so code
    compiled either way is never loaded the other."""
    if config.CPU_FEATURES is not None:
        return
    from numba.core.codegen import get_host_cpu_features

    features = get_host_cpu_features()
    if "+avx512f" in features.split(","):
        config.CPU_FEATURES = f"{features},-prefer-256-bit"


_HELD: set[str] = set()  # the kernels' index files whose lock this process holds


def compile_once() -> None:
    """Make numba compile each cached kernel in one process at a time (idempotent): a cache
    miss takes an exclusive ``flock`` on ``<index>.lock``, so a second process waits for it
    and then loads from the cache what the first saved. The lock is taken under numba's
    compiler lock (one thread of a process compiles at a time, so no two threads of one
    process wait on each other's file lock), and a kernel's callees are locked inside its own:
    every process locks along the call graph, which has no cycles, so none deadlocks."""
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.dispatcher import Dispatcher

    compile = Dispatcher.compile
    if getattr(compile, "compiles_once", False):
        return

    @functools.wraps(compile)
    def locked(self, sig):
        index = getattr(getattr(self._cache, "_cache_file", None), "_index_path", None)
        with global_compiler_lock:
            if index is None or index in _HELD:  # not cached, or locked here already
                return compile(self, sig)
            with open(index + ".lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
                _HELD.add(index)
                try:
                    return compile(self, sig)
                finally:
                    _HELD.discard(index)

    locked.compiles_once = True
    Dispatcher.compile = locked
