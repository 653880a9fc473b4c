"""rip's claims (CLAIMS.md #1-23): the numbers its qualitative statements become
(``papers.rip.quantities``), each on small inputs whose value is worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ibrepro.figures.plane import Plane
from ibrepro.papers.rip import quantities as q

CORNER = (3.0, 1.0)  # H(X), I(X;Y): 8 distinct inputs, 4 of each class


def _plane(i_xt, i_ty=None, epochs=None) -> Plane:
    i_xt = np.asarray(i_xt, float)
    i_ty = np.zeros_like(i_xt) if i_ty is None else np.asarray(i_ty, float)
    epochs = np.arange(len(i_xt)) if epochs is None else np.asarray(epochs)
    return Plane(i_xt, i_ty, epochs, [f"layer {k}" for k in range(i_xt.shape[1])], "bits", 1)


def test_corner_distance_divides_each_axis_by_the_corner():
    assert q.corner_distance([3.0, 0.0, 1.5], [1.0, 0.0, 1.0], CORNER) == pytest.approx(
        [0.0, math.sqrt(2), 0.5])


def test_points_nearer_the_corner_at_smaller_bins_are_counted():
    # bin sizes large -> small; layer 0 moves right at every step, layer 1 too except one
    # step back at epoch 1: 3 of the 4 (epoch, layer) points hold the rule
    planes = [_plane([[1, 1], [1, 1]]), _plane([[2, 2], [2, 2]]), _plane([[3, 2], [3, 1.5]])]
    assert q.nearer_with_smaller_bins(planes, CORNER) == pytest.approx(3 / 4)


def test_endpoint_spread_is_the_largest_move_of_the_last_point():
    planes = [_plane([[0, 1.0]], [[0, 0.5]]), _plane([[0, 1.0]], [[0, 0.5]]),
              _plane([[9, 2.5]], [[0, 0.5]])]
    assert q.endpoint_spread(planes, CORNER) == pytest.approx(1.5 / 3)  # output: 1 -> 2.5 bits
    assert q.endpoint_spread(planes, CORNER, layer=0) == pytest.approx(3.0)


def test_depth_rank_is_spearman_with_the_layer_index():
    assert q.depth_rank([0.1, 0.2, 0.3, 0.4]) == pytest.approx(1.0)
    # one adjacent swap of five: 1 - 6 * (1 + 1) / (5 * 24) = 0.9
    assert q.depth_rank([0.1, 0.3, 0.2, 0.4, 0.5]) == pytest.approx(0.9)
    assert q.depth_rank([5.0, 3.0, 1.0]) == pytest.approx(-1.0)
    assert math.isnan(q.depth_rank([1.0, 1.0, 1.0]))


def test_trajectory_gap_is_the_mean_distance_over_epochs():
    a = _plane([[0.0], [0.0]], [[0.0], [0.0]])
    b = _plane([[1.5], [0.0]], [[0.0], [0.5]])  # epoch 0: 0.5 along x; epoch 1: 0.5 along y
    assert q.trajectory_gap(a, b, 0, CORNER) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="same epochs"):
        q.trajectory_gap(a, _plane([[0.0], [0.0]], epochs=[0, 2]), 0, CORNER)


def test_extreme_bins_are_the_outermost_of_minus_one_to_one():
    # bins of 0.07: [-1.05, -0.98) and [0.98, 1.05) hold -1 and 1's neighbours
    values = [-0.99, -0.975, 0.0, 0.97, 0.985, 0.999]
    assert q.extreme_bin_fraction(values, 0.07) == pytest.approx(3 / 6)
    # bins of 0.1: [-1, -0.9) and [0.9, 1.0)
    assert q.extreme_bin_fraction(values, 0.1) == pytest.approx(5 / 6)


def test_clustering_agrees_when_bins_and_information_fall_together():
    occupied = [[10, 12, 6], [5, 6, 8], [10, 10, 9.6]]  # falls 50%, rises, falls 4%
    i_xt = np.column_stack([[1, 4, 2], [1, 2, 3], [1, 4, 3]])  # -50%, rising, -25%
    assert q.clustering_agrees(occupied, i_xt).tolist() == [True, True, False]


def test_fills_bins_needs_a_five_percent_rise():
    assert q.fills_bins([[4, 5, 4.4], [4, 5, 4.1], [1, 0, 3]]).tolist() == [True, False, True]


def test_stop_to_turn_compares_early_stop_and_output_peak_in_factors_of_two():
    loss = [5, 4, 3, 2, 1, 2, 3, 4, 5, 6, 7]  # lowest at epoch 4: patience 3 stops at 7
    output = [1.0, 2.0, 3.0, 2.5, 2.0]  # peaks at snapshot epoch 3
    value = q.stop_to_turn(loss, np.arange(11), output, [0, 1, 3, 6, 10], patience=3)
    assert value == pytest.approx(abs(math.log2(8 / 4)))
    value = q.stop_to_turn(loss, np.arange(11), output, [0, 1, 31, 63, 100], patience=3)
    assert value == pytest.approx(2.0)  # peak at 31: 8 vs 32


def test_minimum_after_stop_flags_a_later_global_minimum():
    loss = [[5, 4, 3, 4, 5, 6, 7, 8, 9, 9],  # lowest at 2, stops at 5, never lower
            [5, 4, 3, 4, 5, 6, 2, 1, 1, 1]]  # stops at 5, lowest later (epoch 7)
    assert q.minimum_after_stop(loss, np.arange(10), patience=3).tolist() == [0.0, 1.0]


def test_accuracy_after_minimum_is_the_last_minus_the_best_loss_epoch():
    loss = [[3, 2, 1, 2, 3], [3, 1, 2, 2, 2]]
    accuracy = [[0.5, 0.8, 0.9, 0.88, 0.85], [0.5, 0.7, 0.75, 0.8, 0.72]]
    assert q.accuracy_after_minimum(loss, accuracy, np.arange(5)) == pytest.approx(
        [0.85 - 0.9, 0.72 - 0.7])


def test_relative_rise_from_the_minimum():
    assert q.relative_rise([2.0, 1.0, 1.5]) == pytest.approx(0.5)
    assert q.relative_rise([3.0, 2.0, 1.0]) == 0.0
