"""The SZT dataset: exact construction (checksums of DESIGN.md) and the stored split."""

import hashlib

import numpy as np
import pytest

from ibrepro import data
from ibrepro.data import szt
from ibrepro.data.split import stratified_split


def sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def test_checksums_match_design():
    x = szt.szt_inputs()
    y = szt.szt_labels(x)
    assert x.shape == (4096, 12) and x.dtype == np.uint8
    assert sha256(x) == "60c7b77cf130b18f25d81c397d55270e50faaf4a6193c2d4480ad14a00035909"
    assert sha256(y) == "77732f16f85e91b49d3997196b56163b3bd362d8cf631468a8de3f986e88359f"
    assert y.sum() == 2118


def test_inputs_are_all_patterns_in_counting_order():
    x = szt.szt_inputs()
    values = x.astype(int) @ (1 << np.arange(11, -1, -1))
    np.testing.assert_array_equal(values, np.arange(4096))


def test_label_rule_by_bit_count():
    x = szt.szt_inputs()
    y = szt.szt_labels(x)
    k = x.sum(axis=1)
    assert (y[k >= 8] == 1).all() and (y[k <= 4] == 0).all()


def test_icosahedron_geometry():
    degree = np.bincount(np.array(szt.EDGES).ravel(), minlength=12)
    assert len(szt.EDGES) == 30 and (degree == 5).all()  # icosahedron: 30 edges, degree 5
    antipodal = {frozenset(p) for p in szt.ANTIPODES}
    assert not antipodal & {frozenset(e) for e in szt.EDGES}


def test_split_sizes_and_stratification():
    ds = data.build("szt", {"kind": "szt", "test_fraction": 0.2, "split_seed": 0})
    split, y = ds["split"].values, ds["y"].values
    assert (split == "train").sum() == 3276 and (split == "test").sum() == 820
    for label, size in ((0, 1978), (1, 2118)):
        assert ((split == "test") & (y == label)).sum() == round(0.2 * size)
    assert ds.attrs["sha256_x"] == szt.SHA256_X and ds.attrs["sha256_y"] == szt.SHA256_Y


def test_split_is_seeded():
    y = szt.szt_labels(szt.szt_inputs())
    a = stratified_split(y, test_fraction=0.2, seed=0)
    np.testing.assert_array_equal(a, stratified_split(y, test_fraction=0.2, seed=0))
    assert (a != stratified_split(y, test_fraction=0.2, seed=1)).any()


def test_split_rejects_bad_fraction():
    with pytest.raises(ValueError, match="test_fraction"):
        stratified_split(np.zeros(10), test_fraction=1.5, seed=0)
