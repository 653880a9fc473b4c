"""Checksums of arrays, as the dataset files' ``sha256_x``/``sha256_y`` attrs record them."""

from __future__ import annotations

import hashlib

import numpy as np


def array_sha256(array: np.ndarray) -> str:
    """Hex sha256 of the array's bytes in C order (its own dtype)."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
