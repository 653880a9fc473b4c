"""MNIST restricted to some digits, a fixed number of each (rip appendix D, footnote 16:
"downsampled to 3 classes (1, 3 and 8) with 1000 samples each").

The samples are drawn from MNIST's standard training set: for each digit of ``digits`` in
order, ``per_digit`` indices without replacement from ``numpy.random.default_rng(draw_seed)``
(one generator for all digits), kept in MNIST order. The split is then stratified by
``test_fraction``: 0.5 gives rip Table 1's 1500 training samples, 500 per digit, so that
H(X) = log2 1500 and I(X;Y) = log2 3 on the training split. Labels are stored as class indices
(1, 3, 8 -> 0, 1, 2; the file's ``class_labels`` attr).
"""

from __future__ import annotations

import numpy as np

from ibrepro.data import mnist
from ibrepro.data.registry import Kind, Raw, register


def build(spec: dict) -> Raw:
    """``per_digit`` training images of each of ``digits``, from the source ``spec`` names."""
    full = mnist.load(spec)
    rng = np.random.default_rng(spec["draw_seed"])
    chosen = []
    for digit in spec["digits"]:
        pool = np.flatnonzero((full.split == "train") & (full.labels == digit))
        if spec["per_digit"] > pool.size:
            raise ValueError(f"per_digit {spec['per_digit']} exceeds the {pool.size} training "
                             f"images of digit {digit}")
        chosen.append(rng.choice(pool, spec["per_digit"], replace=False))
    index = np.sort(np.concatenate(chosen))
    digits = ", ".join(map(str, spec["digits"]))
    attrs = {**full.attrs, "source": f"MNIST digits {digits}, {spec['per_digit']} of each drawn "
                                     f"from the training set (rip appendix D); "
                                     f"{full.attrs['source']}"}
    return Raw(full.x[index], full.labels[index], None, attrs)


register(Kind("mnist-digits", build, mnist.sources))
