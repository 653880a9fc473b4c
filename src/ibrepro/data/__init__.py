"""Datasets as NetCDF files: ``x(sample, feature)``, ``y(sample)``, ``split(sample)``.

One builder per dataset kind; ``build(name, spec)`` returns the ``xarray.Dataset`` the data rule
writes to ``results/<scale>/data/<name>.nc`` (DESIGN.md, file contracts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import xarray as xr

from ibrepro.data import szt
from ibrepro.data.split import stratified_split


def _szt(spec: dict) -> tuple[np.ndarray, np.ndarray, str]:
    x = szt.szt_inputs()
    y = szt.szt_labels(x)
    for name, array, expected in (("x", x, szt.SHA256_X), ("y", y, szt.SHA256_Y)):
        if _sha256(array) != expected:  # guards the construction against any code change
            raise RuntimeError(f"SZT {name} checksum mismatch: {_sha256(array)} != {expected}")
    return x, y, "Shwartz-Ziv & Tishby 2017 (icosahedron construction, DESIGN.md)"


BUILDERS: dict[str, Callable[[dict], tuple[np.ndarray, np.ndarray, str]]] = {"szt": _szt}


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def build(name: str, spec: dict) -> xr.Dataset:
    """The dataset ``name`` as its config ``spec`` (kind, test_fraction, split_seed) says."""
    x, y, source = BUILDERS[spec["kind"]](spec)
    split = stratified_split(y, test_fraction=spec["test_fraction"], seed=spec["split_seed"])
    return xr.Dataset(
        {
            "x": (("sample", "feature"), x),
            "y": ("sample", y.astype(np.int64)),
            "split": ("sample", split),
        },
        coords={"sample": np.arange(len(y))},
        attrs={"name": name, "source": source, "sha256_x": _sha256(x), "sha256_y": _sha256(y)},
    )
