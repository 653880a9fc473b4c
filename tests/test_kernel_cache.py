"""numba's cache is keyed on the kernels' source (the modules that define cached kernels and
what they import): an edit to one kernel reaches every kernel that calls it (numba itself keys
each on its own file only), and an edit elsewhere keeps the compiled kernels."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numba
import pytest

import ibrepro
from ibrepro.kernel_cache import PackageSource, use_keyed_cache

PACKAGE = Path(ibrepro.__file__).parent
KDE = ("import numpy as np; from ibrepro.estimators.kde import kde_upper; "
       "x = np.linspace(0, 0.2, 60).reshape(20, 3); y = np.arange(20) % 2; "
       "print(kde_upper(x, y, noise_variance=1e-3).I_XT.item())")


def _copy_package(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "ibrepro", ignore=shutil.ignore_patterns("__pycache__"))
    return src


def _run(src: Path, cache: Path, code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(src), "NUMBA_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-c", code], env=env, check=True, text=True,
                          capture_output=True).stdout.strip()


def _edit(path: Path) -> None:
    path.write_text(path.read_text() + "\n")


def test_the_code_key_follows_every_module_the_kernel_key_the_kernels_sources(tmp_path):
    src = _copy_package(tmp_path) / "ibrepro"
    before = PackageSource(src)
    assert PackageSource(src).key == before.key
    _edit(src / "figures" / "save.py")  # no kernel imports it
    after = PackageSource(src)
    assert after.key != before.key and after.kernel_key == before.kernel_key
    _edit(src / "nets" / "constants.py")  # kernels.mlp reads its constants
    assert PackageSource(src).kernel_key != after.kernel_key


def test_the_kernels_sources_are_the_kernel_modules_and_what_they_import():
    files = PackageSource(PACKAGE).kernel_files()
    # kernels.mlp calls counter_rng's kernels, which call elementary's; KDE calls gaussian's
    assert {"ibrepro.kernels.mlp", "ibrepro.kernels.counter_rng", "ibrepro.kernels.elementary",
            "ibrepro.nets.constants", "ibrepro.estimators.kde",
            "ibrepro.estimators.gaussian"} <= set(files)
    assert not {"ibrepro.cli", "ibrepro.job_server", "ibrepro.figures.save",
                "ibrepro.train.loop"} & set(files)


def test_imports_are_read_in_every_form(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    modules = {"__init__": "", "a": "", "b": "", "c": "", "d": "", "e": "", "sub/__init__": "",
               "sub/f": "", "g": "import pkg.h  # not cached: imported by nothing cached\n",
               "h": "",
               "root": ("import os, pkg.a as alias\nfrom pkg import (b,\n    c)\n"
                        "from . import d\nfrom .sub import f\ndef late():\n    from .e import x\n"
                        "K = dict(cache=True)\n")}
    for name, text in modules.items():
        (package / f"{name}.py").write_text(text)
    assert PackageSource(package).kernel_files() == [
        "pkg.a", "pkg.b", "pkg.c", "pkg.d", "pkg.e", "pkg.root", "pkg.sub.f"]


def test_an_edit_to_a_called_kernel_reaches_its_caller(tmp_path):
    src, cache = _copy_package(tmp_path), tmp_path / "cache"
    first = float(_run(src, cache, KDE))
    assert float(_run(src, cache, KDE)) == first  # loaded from the cache: same numbers
    gaussian = src / "ibrepro" / "estimators" / "gaussian.py"
    text = gaussian.read_text()
    own = "    total = np.ones(m) if weights is None else weights.copy()\n"
    assert text.count(own) == 1
    # every point's own term counted twice, two calls down: kde._cut_log_sums, unedited,
    # must see it
    gaussian.write_text(text.replace(own, own.replace("np.ones(m)", "np.full(m, 2.0)")))
    second = float(_run(src, cache, KDE))
    assert second != first
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        {PackageSource(PACKAGE).kernel_key, PackageSource(src / "ibrepro").kernel_key})


def test_a_keyed_directory_from_a_parent_process_is_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    key = PackageSource(PACKAGE).kernel_key
    keyed = tmp_path / key
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(keyed))
    assert use_keyed_cache(key) == keyed
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert use_keyed_cache(key) == keyed
    assert os.environ["NUMBA_CACHE_DIR"] == str(keyed)


KERNELS = textwrap.dedent("""
    import numpy as np
    from ibrepro.kernel_cache import njit

    @njit(cache=True)
    def inner(x):
        total = 0.0
        for i in range(x.size):
            total += np.sin(x[i]) * np.cos(x[i]) + np.exp(-x[i] ** 2) + np.log1p(abs(x[i]))
        return total

    @njit(cache=True)
    def outer(x):
        return inner(x) + np.sort(x)[0] + np.median(x) + np.percentile(x, 25.0)
""")
WAIT_THEN_CALL = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import numpy as np
    import kernels
    Path(sys.argv[2]).touch()
    while not Path(sys.argv[3]).exists():  # every process ready: call at once
        time.sleep(0.01)
    kernel = getattr(kernels, sys.argv[1])
    kernel(np.linspace(0.1, 1, 50))
    print(sum(kernel.stats.cache_misses.values()), sum(kernel.stats.cache_hits.values()))
""")


def test_one_process_compiles_a_kernel_the_others_load_it(tmp_path):
    """Three processes call cached kernels at the same moment on an empty cache: one compiles
    ``outer`` (and ``inner`` with it), the one that also calls ``outer`` loads it; the one that
    calls ``inner`` alone, while another process compiles it inside ``outer``, does not
    deadlock, and loads or compiles it once."""
    (tmp_path / "kernels.py").write_text(KERNELS)
    (tmp_path / "wait_then_call.py").write_text(WAIT_THEN_CALL)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(PACKAGE.parent)]),
           "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    calls = [("outer", 0), ("outer", 1), ("inner", 2)]
    processes = [subprocess.Popen([sys.executable, str(tmp_path / "wait_then_call.py"), name,
                                   str(tmp_path / f"ready{n}"), str(tmp_path / "go")],
                                  env=env, stdout=subprocess.PIPE, text=True)
                 for name, n in calls]
    deadline = time.monotonic() + 120
    while not all((tmp_path / f"ready{n}").exists() for _, n in calls):
        assert time.monotonic() < deadline and all(p.poll() is None for p in processes)
        time.sleep(0.01)
    (tmp_path / "go").touch()
    counts = [tuple(map(int, p.communicate(timeout=120)[0].split())) for p in processes]
    assert all(p.returncode == 0 for p in processes)
    assert sorted(counts[:2]) == [(0, 1), (1, 0)]  # outer: compiled once, loaded once
    assert sum(counts[2]) == 1


def test_kernels_use_full_width_vectors_whatever_is_imported_first():
    """On an AVX-512 host every kernel compiles for 512-bit vectors: a module that declared a
    kernel with numba's own ``njit`` started numba's code generator before the setting was made
    (seen: the job server's estimate jobs ran 256-bit kernels, 1.3x slower)."""
    from numba.core.codegen import get_host_cpu_features

    from ibrepro.job_server import PRELOAD

    if "+avx512f" not in get_host_cpu_features().split(","):
        pytest.skip("the host has no AVX-512: nothing to widen")
    code = textwrap.dedent(f"""
        import importlib
        for module in {PRELOAD!r}:
            importlib.import_module(module)
        from numba.core.registry import cpu_target
        print(cpu_target.target_context.codegen().magic_tuple()[2])
    """)
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_CPU_FEATURES"}
    features = subprocess.run([sys.executable, "-c", code], env=env, check=True, text=True,
                              capture_output=True).stdout.strip().split(",")
    assert "-prefer-256-bit" in features
