"""rip's claims (CLAIMS.md #1-23): the numbers its qualitative statements become
(``papers.rip.quantities``), each on small inputs whose value is worked out by hand, and the
claims that read files on synthetic files (``report.evaluate``)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr

from ibrepro import report
from ibrepro.figures.plane import Plane
from ibrepro.papers import CLAIMS
from ibrepro.papers.rip import quantities as q
from ibrepro.paths import dataset_file, mi_file, pruning_file, run_file

CORNER = (3.0, 1.0)  # H(X), I(X;Y) of the data file below: 8 distinct inputs, 4 of each class


def _plane(i_xt, i_ty=None, epochs=None) -> Plane:
    i_xt = np.asarray(i_xt, float)
    i_ty = np.zeros_like(i_xt) if i_ty is None else np.asarray(i_ty, float)
    epochs = np.arange(len(i_xt)) if epochs is None else np.asarray(epochs)
    return Plane(i_xt, i_ty, epochs, [f"layer {k}" for k in range(i_xt.shape[1])], "bits", 1)


def _write(ds: xr.Dataset, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.to_netcdf(path, engine="netcdf4")


def _mi(i_xt, i_ty=None) -> xr.Dataset:
    """An MI file of one repetition: I_XT, I_TY ``(epoch, layer)`` as given."""
    i_xt = np.asarray(i_xt, float)[None]
    i_ty = np.zeros_like(i_xt) if i_ty is None else np.asarray(i_ty, float)[None]
    _, epochs, layers = i_xt.shape
    dims = ("rep", "epoch", "layer")
    return xr.Dataset({"I_XT": (dims, i_xt), "I_TY": (dims, i_ty)},
                      coords={"rep": [0], "epoch": np.arange(epochs),
                              "layer": np.arange(1, layers + 1),
                              "layer_name": ("layer", [f"l{k}" for k in range(layers)])},
                      attrs={"units": "bits"})


def _data() -> xr.Dataset:
    x = (np.arange(8)[:, None] >> np.arange(3)) & 1  # 8 distinct inputs: H(X) = 3 bits
    return xr.Dataset({"x": (("sample", "feature"), x), "y": ("sample", [0, 1] * 4),
                       "split": ("sample", ["train"] * 6 + ["test"] * 2)})


def _metrics(loss, accuracy=None) -> xr.Dataset:
    """Metrics with the test split's loss (and accuracy) ``(rep, epoch)`` as given."""
    loss = np.asarray(loss, float)
    accuracy = np.full_like(loss, 0.9) if accuracy is None else np.asarray(accuracy, float)
    dims = ("rep", "epoch", "split")
    return xr.Dataset({"loss": (dims, np.stack([loss, loss], -1)),
                       "accuracy": (dims, np.stack([accuracy, accuracy], -1))},
                      coords={"rep": np.arange(len(loss)), "epoch": np.arange(loss.shape[1]),
                              "split": ["train", "test"]})


def _pruning(test_accuracy, patience: int = 3) -> xr.Dataset:
    """A pruning file's rounds: test accuracy ``(round, rep)`` as given, patience in attrs."""
    acc = np.asarray(test_accuracy, float)
    return xr.Dataset({"accuracy": (("round", "rep", "split"), np.stack([acc, acc], -1))},
                      coords={"round": np.arange(len(acc)), "split": ["train", "test"]},
                      attrs={"patience": patience})


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


def test_every_statement_of_rip_is_registered():
    rip = [c for c in CLAIMS.values() if c.paper_key == "rip"]
    assert set().union(*(c.statements for c in rip)) == set(range(1, 24))
    assert all(c.statements for c in rip)


def test_bin_size_claims_read_the_corner_of_the_data(tmp_path):
    """szt-tanh at the four bin sizes, 2 epochs x 3 layers (2 hidden, output), corner (3, 1):
    smaller bins move every point right; layer 1 reaches the corner at 0.01."""
    _write(_data(), dataset_file(tmp_path, "szt"))
    for size, shift in ((0.3, 0.0), (0.15, 0.5), (0.07, 1.0), (0.01, 1.5)):
        i_xt = np.array([[1.5, 1.0, 1.0], [1.5, 0.5, 1.0]]) + [shift, shift / 2, 0]
        _write(_mi(i_xt, np.ones_like(i_xt)), mi_file(tmp_path, "szt-tanh", f"bin-size-{size}"))
    results = {r.claim.id: r for r in report.evaluate(
        ["rip/fig1:smaller-bins-nearer-top-right", "rip/fig1:top-right-limit",
         "rip/fig1:output-endpoint-fixed", "rip/fig1:top-right-drift-by-depth"], tmp_path)}
    assert results["rip/fig1:smaller-bins-nearer-top-right"].ours == pytest.approx(1.0)
    assert results["rip/fig1:top-right-limit"].ours == pytest.approx(0.0)
    assert results["rip/fig1:output-endpoint-fixed"].ours == pytest.approx(0.0)
    # hidden layer 2 ends farther from the corner than layer 1 at every size: depth rank 1
    assert results["rip/fig1:top-right-drift-by-depth"].ours == pytest.approx(1.0)
    assert {r.verdict for r in results.values()} == {"reproduced"}


def test_leading_activation_counts_the_later_layers_that_follow_it(tmp_path):
    """Pure nets at I(X;T) 0 (relu) and 3 bits (tanh) in every layer; leading ReLU: layers
    3-5 at 0.5, 1 and 2 bits (two nearer relu); leading TanH: 2.9, 2.9, 1 bits (two nearer
    tanh): 4 of 6 follow."""
    _write(_data(), dataset_file(tmp_path, "szt"))
    rows = {"szt-relu": [0] * 6, "szt-tanh": [3] * 6,
            "szt-relu-tanh": [0, 0, 0.5, 1, 2, 1], "szt-tanh-relu": [3, 3, 2.9, 2.9, 1, 1]}
    for experiment, row in rows.items():
        _write(_mi(np.array([row, row], float)), mi_file(tmp_path, experiment, "bin-size-0.07"))
    (result,) = report.evaluate(["rip/fig2:leading-activation-decides"], tmp_path)
    assert result.ours == 4 and result.verdict == "reproduced"


def test_stopping_claims_read_the_patience_of_the_pruning_loop(tmp_path):
    loss = [[5, 4, 3, 2, 1, 2, 3, 4, 5, 6, 7]] * 2  # lowest at epoch 4
    _write(_metrics(loss), run_file(tmp_path, "szt-tanh", "metrics"))
    output = np.array([1.0, 2, 3, 4, 5, 6, 7, 6.5, 6, 5.5, 5])  # peaks at epoch 6
    _write(_mi(np.column_stack([output, output])), mi_file(tmp_path, "szt-tanh", "bin-size-0.07"))
    for patience, stop in ((1, 5), (6, 10)):
        _write(_pruning([[0.9, 0.9]], patience), pruning_file(tmp_path, "szt-tanh-big"))
        (result,) = report.evaluate(["rip/fig7:early-stop-at-output-turn"], tmp_path)
        assert result.ours == pytest.approx(abs(math.log2((stop + 1) / 7)))
    (result,) = report.evaluate(["rip/fig7:early-stop-before-global-minimum"], tmp_path)
    assert result.ours == 0.0 and result.verdict == "not reproduced"


def test_table2_claims_take_each_round_and_each_pruning(tmp_path):
    _write(_pruning([[0.86, 0.88], [0.85, 0.87], [0.87, 0.89]]),  # means 0.87, 0.86, 0.88
           pruning_file(tmp_path, "szt-tanh-big"))
    results = {r.claim.id: r for r in report.evaluate(
        ["rip/table2:score-tanh-round-0", "rip/table2:score-tanh-round-3",
         "rip/table2:score-kept-tanh", "rip/table2:prunings-tanh"], tmp_path)}
    assert results["rip/table2:score-tanh-round-0"].measured.spread() == pytest.approx(
        (0.8605, 0.8795))  # 0.8768 inside
    assert results["rip/table2:score-tanh-round-0"].verdict == "reproduced"
    assert results["rip/table2:score-tanh-round-3"].verdict == "not measured"  # 3 rounds only
    assert results["rip/table2:score-kept-tanh"].ours == pytest.approx(-0.01)
    assert results["rip/table2:prunings-tanh"].ours == 2
    assert results["rip/table2:prunings-tanh"].verdict == "not reproduced"  # rip: 3
    assert "-0.0048: this rule holds" in results["rip/table2:score-kept-tanh"].why
    assert "-0.0134: this rule fails" in CLAIMS["rip/table2:score-kept-relu"].note


def test_extreme_bins_claim_ranks_the_hidden_layers_by_depth(tmp_path):
    """Three tanh layers of one unit and a softmax unit, 4 samples at the last epoch: 0, 1/4,
    3/4 of the values in the extreme bins (the output's values do not count)."""
    last = np.array([[0.0, 0.99, 0.99, 0.5], [0.5, 0.0, -0.99, 0.5],
                     [0.1, 0.1, 0.99, 0.5], [0.2, 0.2, 0.1, 0.5]])  # (sample, unit)
    acts = np.stack([np.zeros_like(last), last])[None]  # (rep, epoch, sample, unit)
    ds = xr.Dataset({"activation": (("rep", "epoch", "sample", "unit"), acts)},
                    coords={"rep": [0], "epoch": [0, 1], "sample": np.arange(4),
                            "unit": np.arange(4), "layer": ("unit", [1, 2, 3, 4]),
                            "layer_name": ("unit", ["t1", "t2", "t3", "softmax"])})
    _write(ds, run_file(tmp_path, "szt-tanh", "activations"))
    (result,) = report.evaluate(["rip/fig5:tanh-extreme-bins-by-depth"], tmp_path)
    assert result.ours == pytest.approx(1.0) and result.verdict == "reproduced"
