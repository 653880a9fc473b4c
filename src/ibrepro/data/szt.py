"""The Shwartz-Ziv & Tishby (2017) synthetic set: 4096 12-bit inputs, one binary label.

The 12 inputs are the vertices of an icosahedron; the label is a rotation-invariant function of
which vertices are on. Construction and checksums: DESIGN.md, "SZT data".
"""

from __future__ import annotations

import itertools

import numpy as np

N_BITS = 12
EDGES = (
    (0, 1), (0, 3), (0, 5), (0, 10), (0, 11), (1, 2), (1, 3), (1, 4), (1, 11), (2, 3),
    (2, 4), (2, 8), (2, 9), (3, 8), (3, 10), (4, 6), (4, 9), (4, 11), (5, 6), (5, 7),
    (5, 10), (5, 11), (6, 7), (6, 9), (6, 11), (7, 8), (7, 9), (7, 10), (8, 9), (8, 10),
)
ANTIPODES = ((0, 9), (1, 7), (2, 5), (3, 6), (4, 10), (8, 11))
# (on-bits k, on edges a, on antipodal pairs p) labelled 1 among 5 <= k <= 7
POSITIVE_PATTERNS = frozenset({
    (5, 7, 0), (6, 6, 0), (6, 7, 1), (6, 7, 2), (6, 8, 1), (6, 9, 0), (6, 9, 1), (6, 10, 0),
    (7, 8, 1), (7, 9, 2), (7, 9, 3), (7, 10, 1), (7, 10, 2), (7, 11, 2), (7, 12, 1),
})
SHA256_X = "60c7b77cf130b18f25d81c397d55270e50faaf4a6193c2d4480ad14a00035909"
SHA256_Y = "77732f16f85e91b49d3997196b56163b3bd362d8cf631468a8de3f986e88359f"


def _on_pairs(x: np.ndarray, pairs: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Number of listed column pairs with both bits on, per row."""
    left, right = np.array(pairs).T
    return (x[:, left] & x[:, right]).sum(axis=1)


def szt_inputs() -> np.ndarray:
    """All 4096 bit patterns in counting order, column 0 the most significant: uint8 (4096, 12)."""
    return np.array(list(itertools.product((0, 1), repeat=N_BITS)), dtype=np.uint8)


def szt_labels(x: np.ndarray) -> np.ndarray:
    """The SZT label of each row of ``x`` (uint8 (n, 12)): uint8 (n,), 2118 ones over all rows."""
    k = x.sum(axis=1)
    a = _on_pairs(x, EDGES)
    p = _on_pairs(x, ANTIPODES)
    patterns = zip(k, a, p, strict=True)
    middle = np.array([pattern in POSITIVE_PATTERNS for pattern in patterns])
    return np.where(k >= 8, 1, np.where(k <= 4, 0, middle)).astype(np.uint8)
