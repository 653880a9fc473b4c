"""Issue 9: the statistics behind Chelombiev's items and the claims table, against scipy and
constructed data; the items built from hand-made MI and metrics files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr
from scipy import stats as scipy_stats

from ibrepro.figures import ItemInputs, get, input_paths
from ibrepro.figures.compression import of_reps
from ibrepro.figures.plane import Plane
from ibrepro.figures.stats import (
    Interval,
    average_ranks,
    bootstrap_correlation,
    correlation,
    wilson_interval,
)
from ibrepro.papers.chelombiev.generalisation import generalisation_links
from ibrepro.papers.chelombiev.planes import layer_spread, spread_reps
from ibrepro.papers.chelombiev.runs import ADAPTIVE_NAMES, RUNS, WEIGHT_DECAY, ZOO
from ibrepro.papers.compare.claims_table import CLAIMS, claim_verdict, runs_of, shows
from ibrepro.papers.compare.estimators import ESTIMATORS

NAMES = ["relu 1", "relu 2", "softmax"]
EPOCHS = [0, 1, 2, 5, 10]


# -- statistics ------------------------------------------------------------------------------

def test_average_ranks_match_scipy_with_ties_per_row():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, (4, 3, 11)).astype(float)  # many ties
    np.testing.assert_allclose(average_ranks(x), scipy_stats.rankdata(x, axis=-1))


def test_correlation_matches_scipy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=40)
    y = np.round(x + rng.normal(size=40), 0)  # ties in y
    assert correlation(x, y, method="spearman") == pytest.approx(
        scipy_stats.spearmanr(x, y).statistic, abs=1e-12)
    assert correlation(x, y, method="pearson") == pytest.approx(
        scipy_stats.pearsonr(x, y).statistic, abs=1e-12)
    assert np.isnan(correlation(x, np.ones(40)))
    with pytest.raises(ValueError, match="method must be one of"):
        correlation(x, y, method="kendall")


def test_bootstrap_interval_covers_a_known_correlation():
    """Bivariate normal with rho = 0.6: Pearson's 95% interval covers 0.6 in about 95% of 200
    independent samples (binomial: between 180 and 197), and excludes 0 in each."""
    rng = np.random.default_rng(2)
    cov = [[1.0, 0.6], [0.6, 1.0]]
    covered = 0
    for k in range(200):
        x, y = rng.multivariate_normal([0, 0], cov, size=150).T
        ci = bootstrap_correlation(x, y, method="pearson", resamples=400, seed=k)
        covered += ci.low <= 0.6 <= ci.high
        assert ci.low > 0 and ci.low <= ci.value <= ci.high and ci.n == 150
    assert 180 <= covered <= 197


def test_bootstrap_is_seeded_and_drops_nan_pairs():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=30), rng.normal(size=30)
    assert bootstrap_correlation(x, y, seed=5) == bootstrap_correlation(x, y, seed=5)
    x[3] = np.nan
    ci = bootstrap_correlation(x, y, seed=5)
    assert ci.n == 29 and ci.value == pytest.approx(
        scipy_stats.spearmanr(np.delete(x, 3), np.delete(y, 3)).statistic)
    assert np.isnan(bootstrap_correlation(x[:2], y[:2]).value)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (27, 50), (1, 1)])
def test_wilson_interval_matches_scipy(k, n):
    ci = wilson_interval(k, n)
    expected = scipy_stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert (ci.value, ci.n) == (k / n, n)
    np.testing.assert_allclose([ci.low, ci.high], [expected.low, expected.high], atol=1e-12)


def test_wilson_interval_edge_cases():
    assert np.isnan(wilson_interval(0, 0).value)
    with pytest.raises(ValueError, match="0 <= k <= n"):
        wilson_interval(4, 3)


# -- chelombiev items' pure functions ----------------------------------------------------------

def test_spread_reps_from_least_to_most():
    score = np.array([0.5, 0.1, 0.9, 0.3, 0.7, 0.2])
    np.testing.assert_array_equal(spread_reps(score, 4), [1, 3, 0, 2])  # ranks 0, 2, 3, 5
    np.testing.assert_array_equal(spread_reps(score[:2], 4), [1, 0])


def test_layer_spread_of_constructed_end_points():
    """Two layers ending at (0, 0) and (6, 8): 5 from their centroid each."""
    i_xt = np.array([[1.0, 1.0], [0.0, 6.0]])
    i_ty = np.array([[1.0, 1.0], [0.0, 8.0]])
    assert layer_spread(Plane(i_xt, i_ty, np.arange(2), ["a", "b"], "bits", 1)) == 5.0


def test_generalisation_links_find_the_linked_layer():
    """Layer 2's compression sets the accuracy (monotone): rho 1; layer 1 is independent."""
    rng = np.random.default_rng(4)
    drops = rng.uniform(0, 1, (60, 2))
    links = generalisation_links(drops, np.exp(drops[:, 1]))
    assert links[1].value == pytest.approx(1.0) and links[1].low == pytest.approx(1.0)
    assert links[0].low < 0 < links[0].high


# -- claim verdicts --------------------------------------------------------------------------

def test_claim_verdict_by_interval():
    assert claim_verdict(Interval(0.8, 0.6, 0.9, 10), 0.5) == "holds"
    assert claim_verdict(Interval(0.1, 0.0, 0.4, 10), 0.5) == "fails"
    assert claim_verdict(Interval(0.5, 0.2, 0.8, 10), 0.5) == "unclear"
    assert claim_verdict(Interval(-0.5, -0.7, -0.1, 10), 0.0) == "fails"
    assert claim_verdict(Interval(np.nan, np.nan, np.nan, 0), 0.0) == "n/a"


def test_shows_counts_half_of_the_estimated_hidden_layers():
    compresses = np.array([[True, False, True], [True, True, False], [False, False, True],
                           [False, True, False]])
    estimated = np.array([[True, True, True], [True, True, True], [True, True, True],
                          [False, True, False]])
    np.testing.assert_array_equal(shows(compresses, estimated, "hidden"), [1, 1, 0, 1])
    np.testing.assert_array_equal(shows(compresses, estimated, "softmax"), [1, 0, 1, np.nan])


def test_sample_propagation_reads_noisy_runs_only():
    for claim in CLAIMS:
        for estimator in ESTIMATORS:
            runs = runs_of(claim, estimator)
            if estimator == "sample-propagation":
                assert runs in ((), ("szt-tanh-noisy",))
            if claim.test == "correlation":
                assert runs == (RUNS if estimator in ADAPTIVE_NAMES else ())


# -- items from hand-made files ----------------------------------------------------------------

def _mi(i_xt) -> xr.Dataset:
    i_xt = np.asarray(i_xt, float)
    reps, epochs, layers = i_xt.shape
    return xr.Dataset({"I_XT": (("rep", "epoch", "layer"), i_xt),
                       "I_TY": (("rep", "epoch", "layer"), i_xt / 10)},
                      coords={"rep": np.arange(reps), "epoch": EPOCHS[:epochs],
                              "layer": np.arange(1, layers + 1),
                              "layer_name": ("layer", NAMES[:layers])},
                      attrs={"units": "bits"})


def _metrics(accuracy, weight_decay=0.0) -> xr.Dataset:
    accuracy = np.asarray(accuracy, float)[:, None, None] * np.ones((1, 3, 2))
    return xr.Dataset({"accuracy": (("rep", "epoch", "split"), accuracy),
                       "loss": (("rep", "epoch", "split"), 1 - accuracy)},
                      coords={"rep": np.arange(len(accuracy)), "split": ["train", "test"]},
                      attrs={"spec": json.dumps({"weight_decay": weight_decay})})


def _trajectories(softmax_drop, hidden_drop) -> np.ndarray:
    """(rep, epoch, layer): every layer rises to 10, then falls by the given drops."""
    drops = np.stack([hidden_drop, hidden_drop, softmax_drop], axis=-1)  # (rep, layer)
    rise = np.array([2.0, 6.0, 10.0, 10.0])[None, :, None] * np.ones_like(drops)[:, None]
    return np.concatenate([rise, (10.0 - drops)[:, None]], axis=1)


def _build(item_id: str, root, mi, metrics):
    paths = input_paths(item_id, root)
    for name, path in paths.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        kind, experiment = name.split("/")[:2]
        (mi(experiment) if kind == "mi" else metrics(experiment)).to_netcdf(path)
    with ItemInputs(item_id, paths) as inputs:
        return get(item_id).build(inputs)


def test_compression_vs_generalisation_links_softmax_only(tmp_path):
    """Test accuracy = 0.5 + softmax drop / 20; hidden drops alternate, unrelated to it."""
    drop = {e: np.array([k % 5, (k + 2) % 5], float) + 0.1 * np.array([0, 1])
            for k, e in enumerate(RUNS)}
    hidden = {e: np.array([1.0, 3.0]) if k % 2 else np.array([3.0, 1.0])
              for k, e in enumerate(RUNS)}
    _, caption = _build("chelombiev/compression-vs-generalisation", tmp_path,
                        lambda e: _mi(_trajectories(drop[e], hidden[e])),
                        lambda e: _metrics(0.5 + drop[e] / 20))
    assert f"across {2 * len(RUNS)} runs" in caption
    assert "adaptive-bins-30 vs test accuracy: " in caption
    assert "softmax +1.00 [+1.00, +1.00]" in caption  # accuracy: rho 1, every resample
    assert "softmax -1.00 [-1.00, -1.00]" in caption  # loss = 1 - accuracy


def test_weight_decay_caption_reads_the_strengths(tmp_path):
    strengths = dict(zip(WEIGHT_DECAY, (0.0, 1e-4, 1e-3, 1e-2), strict=True))
    _, caption = _build("chelombiev/weight-decay", tmp_path,
                        lambda e: _mi(_trajectories(np.array([4.0, 4.0]), np.zeros(2))),
                        lambda e: _metrics([0.9, 0.9], strengths[e]))
    for strength in ("0", "0.0001", "0.001", "0.01"):
        assert f"weight decay {strength}, adaptive-bins-30: 1 compressing layers" in caption


def test_captions_say_how_well_each_net_fits(tmp_path):
    """A net that does not fit (chelombiev's sigmoid and linear nets, one relu repetition at
    chance) is named in the caption by its final test accuracy."""
    fits = {e: [0.95, 0.96] for e, _ in ZOO} | {"szt-sigmoid": [0.55, 0.52]}
    _, caption = _build("chelombiev/activations", tmp_path,
                        lambda e: _mi(_trajectories(np.array([4.0, 4.0]), np.zeros(2))),
                        lambda e: _metrics(fits[e]))
    assert ("Final test accuracy, mean over repetitions (lowest repetition): tanh 0.955 "
            "(rep 0: 0.950); relu 0.955") in caption
    assert "sigmoid 0.535 (rep 1: 0.520)" in caption


def test_inits_picks_least_and_most_compressing(tmp_path):
    """Rep k's hidden layers drop by k (of 10): reps 0, 2, 3, 5 of 6 are shown."""
    hidden = np.arange(6.0)
    _, caption = _build("chelombiev/inits", tmp_path,
                        lambda e: _mi(_trajectories(np.zeros(6), hidden)),
                        lambda e: _metrics(np.full(6, 0.95)))
    assert "repetitions 0, 2, 3, 5 of 6" in caption
    assert "rep 5, adaptive-kde-upper: relu 1: -50% (compresses)" in caption


def test_claims_table_cells(tmp_path):
    """Every run: hidden layers compress in rep 0 only, softmax in both; accuracy rises with the
    softmax drop: tanh/relu hidden 'unclear' 1/2, softmax 'holds' 4/4 but 'unclear' 2/2 (too
    few repetitions), correlation of softmax compression with accuracy 1 (adaptive estimators)."""
    softmax = {e: np.array([2.0, 3.0]) + k for k, e in enumerate(RUNS)}
    rows, _ = _build("compare/claims", tmp_path,
                     lambda e: _mi(_trajectories(softmax.get(e, np.array([2.0, 3.0])),
                                                 np.array([3.0, 0.0]))),
                     lambda e: _metrics(0.5 + softmax[e] / 100))
    by_claim = {row["claim"]: row for row in rows}
    relu = by_claim["relu hidden layers compress"]
    assert relu["bin-size-0.07"] == "unclear 0.50 [0.09, 0.91] n=2"
    assert relu["sample-propagation"] == "n/a (needs a noisy net)"
    tanh = by_claim["tanh hidden layers compress"]
    assert tanh["kde-upper"] == tanh["sample-propagation"] == "unclear 0.50 [0.09, 0.91] n=2"
    softmax_row = by_claim["the softmax layer compresses"]
    assert softmax_row["adaptive-bins-30"] == "holds 1.00 [0.51, 1.00] n=4"
    assert softmax_row["sample-propagation"] == "unclear 1.00 [0.34, 1.00] n=2"  # too few
    assert by_claim["the softmax layer compresses"]["sample-propagation"].startswith("unclear")
    link = by_claim["softmax compression correlates with generalisation"]
    assert link["adaptive-kde-upper"] == f"holds 1.00 [1.00, 1.00] n={2 * len(RUNS)}"
    assert link["kde-upper"] == "n/a (zoo runs estimated adaptively only)"


def test_of_reps_is_compression_per_repetition():
    mi = _mi(_trajectories(np.array([1.0, 0.0]), np.array([0.0, 5.0])))
    np.testing.assert_allclose(of_reps(mi).drop, [[0, 0, 1], [5, 5, 0]])
