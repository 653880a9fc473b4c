"""Fingerprints of code and parameters, for Snakemake's params rerun trigger.

A rule whose ``params`` include ``source_fingerprint(...)`` of the modules it runs reruns when
one of those modules' source changes, and only then (benchopt keys its cache the same way).
Modules are located through ``sys.path`` (``importlib.util.find_spec``), so a workflow that
puts its own ``src/`` first fingerprints its own copy of the code.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from collections.abc import Iterable, Mapping
from pathlib import Path


def module_file(module: str) -> Path:
    """The source file of ``module`` as ``sys.path`` resolves it now. The package's own modules
    are found on disk below its root, without importing their parents (``ibrepro.train``'s
    imports torch, 2.6 s of every snakemake call that fingerprints code)."""
    top, _, rest = module.partition(".")
    if top == __package__ and rest:
        return _package_file(module_file(top).parent, rest)
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"no source file for module {module!r}")
    return Path(spec.origin)


@functools.cache
def _package_file(root: Path, rest: str) -> Path:
    """``module_file`` of the module ``rest`` (dotted, below the package's directory ``root``),
    looked up once per process: a dry run asks for each module's file thousands of times (the
    imports of every render and report job's code), ~0.5 s of stat calls uncached."""
    path = root.joinpath(*rest.split("."))
    for source in (path.parent / f"{path.name}.py", path / "__init__.py"):
        if source.is_file():
            return source
    module = f"{__package__}.{rest}"
    raise ModuleNotFoundError(f"no source file for module {module!r}")


def source_fingerprint(modules: Iterable[str], params: Mapping[str, object] | None = None) -> str:
    """sha256 hex of the modules' source bytes (in sorted order) and of ``params`` as JSON."""
    digest = hashlib.sha256()
    for module in sorted(set(modules)):
        digest.update(module.encode() + b"\0" + module_file(module).read_bytes() + b"\0")
    digest.update(json.dumps(params or {}, sort_keys=True).encode())
    return digest.hexdigest()


def module_imports(module: str) -> list[str]:
    """The modules ``module``'s source imports (anywhere in it, function bodies included), as
    absolute names: ``from a.b import c`` gives ``a.b.c`` where that is a module, else ``a.b``."""
    path = module_file(module)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    stat = path.stat()
    return list(_parsed_imports(package, path, stat.st_mtime_ns, stat.st_size))


@functools.cache
def _parsed_imports(package: str, path: Path, mtime_ns: int, size: int) -> tuple[str, ...]:
    """``module_imports`` of the source at ``path``, parsed once per version of the file (its
    mtime and size): a dry run of the workflow asks for the same modules thousands of times
    (every render and report job's params), and parsing them each time took 20 of its 25 s."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found += [_submodule(base, alias.name) for alias in node.names]
    return tuple(dict.fromkeys(found))


def _submodule(base: str, name: str) -> str:
    """``base.name`` if that is a module (a file beside ``base``'s ``__init__.py``), else
    ``base``; looked up on disk, for the package's own modules only (nothing is imported)."""
    if not base.startswith(f"{__package__}."):
        return base
    init = module_file(base)
    if init.name == "__init__.py" and ((init.parent / f"{name}.py").is_file()
                                       or (init.parent / name / "__init__.py").is_file()):
        return f"{base}.{name}"
    return base


def imported_modules(module: str, within: Iterable[str]) -> list[str]:
    """The modules under the packages ``within`` (dotted prefixes, e.g. ``ibrepro.papers``) that
    ``module`` imports, directly or through each other, read from their source (so a constant
    or a function-level import counts too); ``module`` itself left out."""
    within = tuple(within)

    def inside(name: str) -> bool:
        return any(name == p or name.startswith(p + ".") for p in within)

    found, todo = [], [module]
    while todo:
        for name in module_imports(todo.pop()):
            if inside(name) and name != module and name not in found:
                found.append(name)
                todo.append(name)
    return found
