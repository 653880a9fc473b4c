"""Lorenzen et al.'s claims (CLAIMS.md #33-54): the plane quantities (``lorenzen.quantities``)
on small arrays whose answer is worked out by hand in the test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ibrepro.figures.plane import Plane
from ibrepro.papers.lorenzen.quantities import (
    at_bound,
    change_after,
    distinguishable_layers,
    fraction_not_below,
    largest_fall,
    layer_falls,
    low_variance_where_high,
    phases,
    plane_distance,
    relative_change,
    upper_bounds,
)


def _plane(i_xt, i_ty=None, epochs=None) -> Plane:
    i_xt = np.asarray(i_xt, dtype=float)
    i_ty = np.zeros_like(i_xt) if i_ty is None else np.asarray(i_ty, dtype=float)
    epochs = np.arange(len(i_xt)) if epochs is None else np.asarray(epochs)
    return Plane(i_xt, i_ty, epochs, [f"T{k}" for k in range(i_xt.shape[1])], "bits", 1)


# ---- the quantities ----

def test_relative_change_is_relative_to_the_larger_value():
    assert float(relative_change(2.0, 3.0)) == pytest.approx(1 / 3)
    assert float(relative_change(3.0, 2.0)) == pytest.approx(-1 / 3)
    assert float(relative_change(0.0, 0.0)) == 0.0
    assert math.isnan(float(relative_change(np.nan, 1.0)))


def test_phases_is_the_smaller_of_rise_and_drop():
    # columns: up 2 -> 4, down to 3 (rise 1/2, drop 1/4); only rising; peak at the start
    i_xt = np.array([[2.0, 1.0, 4.0], [4.0, 2.0, 3.0], [3.0, 4.0, 2.0]])
    np.testing.assert_allclose(phases(i_xt), [0.25, 0.0, 0.0])


def test_change_after_an_epoch_takes_the_snapshot_at_or_before_it():
    epochs = np.array([0, 1000, 1800, 2000, 3000])
    curve = np.array([1.0, 2.0, 3.0, 3.0, 4.0])
    assert change_after(curve, epochs, 1800) == pytest.approx(0.25)  # 3 -> 4, of 4
    assert change_after(curve, epochs, 1900) == pytest.approx(0.25)
    assert change_after(curve, epochs, 1500) == pytest.approx(0.5)  # 2 -> 4
    assert math.isnan(change_after(curve, epochs, 3000))  # nothing after it
    assert math.isnan(change_after(curve, epochs[:2], 1800))


def test_largest_fall_stays_inside_the_window():
    epochs = np.array([0, 500, 1000, 1200, 1500, 2000, 2500])
    curve = np.array([[0, 1], [1, 1], [10, 1], [8, 1], [9, 1], [6, 1], [1, 1]], dtype=float)
    # inside 1000-2000: 10, 8, 9, 6: the largest fall 10 -> 6 (not 10 -> 1, after it)
    np.testing.assert_allclose(largest_fall(curve, epochs, 1000, 2000), [0.4, 0.0])
    assert np.isnan(largest_fall(curve, epochs, 2100, 2400)).all()  # no snapshot inside


def test_layer_falls_from_each_layer_to_the_next():
    np.testing.assert_allclose(layer_falls(np.array([[12.0, 12.0, 9.0, 10.0]])),
                               [[0.0, 0.25, -0.1]])


def test_upper_bounds_and_the_layers_at_them():
    np.testing.assert_allclose(upper_bounds(12.0, [10, 7, 3, 2], 8), [12, 12, 12, 8])
    np.testing.assert_allclose(upper_bounds(12.0, [10, 1, 3], 4), [12, 4, 8])
    i_xt = np.array([[12.0, 12.0, 8.0], [11.9, 11.8, 8.0]])  # 99% of 12: 11.88
    np.testing.assert_array_equal(at_bound(i_xt, [12.0, 12.0, 8.0]), [True, False, True])


def test_fraction_not_below_counts_both_estimates():
    high = _plane([[1.0, 2.0], [3.0, 4.0]])
    low = _plane([[1.0, 3.0], [2.0, 4.0]])  # I(X;T): 3 of 4 at least; I(T;Y) equal: 4 of 4
    assert fraction_not_below([(high, low)]) == pytest.approx(7 / 8)
    high[0][0, 0] = 0.5  # now below at 2 of 4 I(X;T) points
    assert fraction_not_below([(high, low), (low, high)]) == pytest.approx(13 / 16)
    with pytest.raises(ValueError, match="same epochs"):
        fraction_not_below([(high, _plane([[1.0, 2.0]]))])


def test_plane_distance_per_layer_in_units_of_the_sides():
    a = _plane([[0.0, 5.0], [0.0, 5.0]])
    b = _plane([[3.0, 5.0], [0.0, 5.0]], [[0.4, 0.0], [0.0, 0.0]])
    # layer 0: (0.3, 0.4) apart at epoch 0 -> 0.5, then 0: mean 0.25
    np.testing.assert_allclose(plane_distance(a, b, (10.0, 1.0)), [0.25, 0.0])


def test_distinguishable_layers_counts_steps_of_at_least_the_threshold():
    plane = _plane([[10.0, 10.0, 5.0, 5.2]] * 2)  # steps 0, 0.5, 0.02 of a side of 10
    assert distinguishable_layers(plane, (10.0, 1.0), 0.05) == 2
    assert distinguishable_layers(plane, (10.0, 1.0), 0.01) == 3


def test_low_variance_where_high_against_the_median_variance():
    # points (mean, variance): (10, 0), (9.5, 0.25), (5, 1), (2, 4); median variance 0.625
    values = np.array([[10.0, 9.0, 4.0, 0.0], [10.0, 10.0, 6.0, 4.0]])[:, None, :]
    assert low_variance_where_high(values, 0.9) == 1.0  # the two at least 9: 0 and 0.25
    values[:, 0, 1] = [8.0, 11.0]  # variance 2.25: the median becomes 1.625
    assert low_variance_where_high(values, 0.9) == 0.5
