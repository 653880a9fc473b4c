"""numba's cache is keyed on the whole package's source: an edit to one kernel reaches every
kernel that calls it (numba itself keys each on its own file only)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numba

import ibrepro
from ibrepro.kernel_cache import source_key, use_keyed_cache

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


def test_the_key_follows_every_module(tmp_path):
    src = _copy_package(tmp_path) / "ibrepro"
    before = source_key(src)
    assert source_key(src) == before
    (src / "figures" / "save.py").write_text((src / "figures" / "save.py").read_text() + "\n")
    assert source_key(src) != before


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
        {source_key(PACKAGE), source_key(src / "ibrepro")})


def test_a_keyed_directory_from_a_parent_process_is_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    keyed = tmp_path / source_key(PACKAGE)
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(keyed))
    assert use_keyed_cache(PACKAGE) == keyed
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert use_keyed_cache(PACKAGE) == keyed
    assert os.environ["NUMBA_CACHE_DIR"] == str(keyed)
