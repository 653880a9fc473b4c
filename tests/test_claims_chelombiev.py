"""Chelombiev et al.'s claims (CLAIMS.md #79-84): each measure on hand-made MI and metrics files
with values worked out by hand, its verdict, and the statements they cover."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from ibrepro import report
from ibrepro.papers import CLAIMS
from ibrepro.papers.chelombiev.claims import minority_share
from ibrepro.papers.chelombiev.runs import ADAPTIVE_NAMES, RUNS, WEIGHT_DECAY

BINS, KDE = ADAPTIVE_NAMES


def _mi(i_xt, i_ty=None) -> xr.Dataset:
    """An MI file of I_XT ``(rep, epoch, layer)`` (I_TY 0 unless given), the last layer the
    softmax."""
    i_xt = np.asarray(i_xt, dtype=float)
    reps, epochs, layers = i_xt.shape
    dims = ("rep", "epoch", "layer")
    names = [f"relu {k}" for k in range(1, layers)] + ["softmax"]
    return xr.Dataset({"I_XT": (dims, i_xt),
                       "I_TY": (dims, np.zeros_like(i_xt) if i_ty is None else i_ty)},
                      coords={"rep": np.arange(reps), "epoch": np.arange(epochs),
                              "layer": np.arange(1, layers + 1), "layer_name": ("layer", names)},
                      attrs={"units": "bits"})


def _falls(*drops, peak=10.0) -> np.ndarray:
    """One repetition ``(1, epoch, layer)``: each layer rises to ``peak`` and ends ``drop``
    (a fraction of the peak) below it."""
    return np.array([[[0.0] * len(drops), [peak] * len(drops),
                      [peak * (1 - d) for d in drops]]])


def _metrics(final_test) -> xr.Dataset:
    accuracy = np.asarray(final_test, dtype=float)[:, None, None] * np.ones((1, 3, 2))
    dims = ("rep", "epoch", "split")
    return xr.Dataset({"accuracy": (dims, accuracy), "loss": (dims, 1 - accuracy)},
                      coords={"rep": np.arange(len(accuracy)), "split": ["train", "test"]})


def _evaluate(tmp_path, claim_id: str, files) -> report.Result:
    """Write the claim's declared inputs, ``files(name)`` each, and measure it."""
    for name, path in CLAIMS[claim_id].input_paths(tmp_path).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        files(name).to_netcdf(path, engine="netcdf4")
    (result,) = report.evaluate([claim_id], tmp_path)
    return result


def test_the_claims_cover_statements_79_to_84_under_both_adaptive_estimators():
    claims = [c for c in CLAIMS.values() if c.paper_key == "chelombiev"]
    assert {n for c in claims for n in c.statements} == set(range(79, 85))
    assert all(c.source and not c.not_measurable for c in claims)
    for estimator in ADAPTIVE_NAMES:
        mine = [c for c in claims if c.id.endswith(estimator)]
        assert len(mine) == len(claims) / 2
        assert all({s for _, s in c.mi} == {estimator} for c in mine)


def test_minority_share():
    assert minority_share(np.array([True, False, False, False, False])) == pytest.approx(0.2)
    assert minority_share(np.array([True, True, False, False])) == 0.5
    assert minority_share(np.array([True, True])) == 0


@pytest.mark.parametrize(("estimator", "hidden", "verdict"), [
    (BINS, (0.03, 0.06), "reproduced"), (KDE, (0.03, 0.04), "not reproduced")])
def test_relu_compresses_in_its_most_compressing_hidden_layer(tmp_path, estimator, hidden,
                                                              verdict):
    i_xt = np.concatenate([_falls(*hidden, 0.5), _falls(*hidden, 0.5)])  # softmax: not counted
    result = _evaluate(tmp_path, f"chelombiev/adaptive-vs-fixed:relu-compresses-{estimator}",
                       lambda name: _mi(i_xt))
    assert result.ours == pytest.approx(max(hidden)) and result.verdict == verdict


@pytest.mark.parametrize(("drops", "expected", "verdict"), [
    ((0.0, 0.1, 0.02, 0.2, 0.01), 0.4, "reproduced"),  # reps 1 and 3 of 5 compress
    ((0.1, 0.1, 0.1, 0.2, 0.01), 0.2, "reproduced"),  # rep 4 alone does not
    ((0.1, 0.1, 0.1, 0.2, 0.1), 0.0, "not reproduced")])  # all do
def test_initialisations_split_into_compressing_and_not(tmp_path, drops, expected, verdict):
    """Each repetition's two hidden layers drop by the given fraction (mean: that fraction)."""
    i_xt = np.concatenate([_falls(d, d, 0.0) for d in drops])
    result = _evaluate(tmp_path, f"chelombiev/inits:depends-on-initialisation-{BINS}",
                       lambda name: _mi(i_xt))
    assert result.ours == pytest.approx(expected) and result.verdict == verdict


def test_weight_decay_adds_compressing_layers_and_pulls_them_together(tmp_path):
    """No weight decay: layers peak at 2, 6 and 12 and end at 2, 6, 10 (the softmax alone
    compresses, by 1/6); the strongest: peak at 6, 8, 10, end at 5, 6, 7 (all compress). Last
    points (I(T;Y) 0): 4, 0, 4 from their centroid 6, then 1, 0, 1: spread 8/3, then 2/3."""
    files = {
        f"mi/{WEIGHT_DECAY[0]}/{KDE}": _mi([[[0, 0, 0], [2, 6, 12], [2, 6, 10]]] * 2),
        f"mi/{WEIGHT_DECAY[-1]}/{KDE}": _mi([[[0, 0, 0], [6, 8, 10], [5, 6, 7]]] * 2)}
    more = _evaluate(tmp_path, f"chelombiev/weight-decay:more-layers-compress-{KDE}",
                     files.__getitem__)
    assert more.ours == 2 and more.verdict == "reproduced"
    pulled = _evaluate(tmp_path, f"chelombiev/weight-decay:pulled-to-a-point-{KDE}",
                       files.__getitem__)
    assert pulled.ours == pytest.approx((2 / 3) / (8 / 3)) and pulled.verdict == "reproduced"
    files[f"mi/{WEIGHT_DECAY[-1]}/{KDE}"] = files[f"mi/{WEIGHT_DECAY[0]}/{KDE}"]
    more = _evaluate(tmp_path, f"chelombiev/weight-decay:more-layers-compress-{KDE}",
                     files.__getitem__)
    assert more.ours == 0 and more.verdict == "not reproduced"


def test_softplus_against_centred_softplus(tmp_path):
    """Hidden drops 0.2 and 0.4 (mean 0.3) against 0.1 and 0 (mean 0.05)."""
    files = {f"mi/szt-softplus/{BINS}": _mi(_falls(0.2, 0.4, 0.9)),
             f"mi/szt-centred-softplus/{BINS}": _mi(_falls(0.1, 0.0, 0.0))}
    result = _evaluate(tmp_path, f"chelombiev/activations:softplus-differs-{BINS}",
                       files.__getitem__)
    assert result.ours == pytest.approx(0.25) and result.verdict == "reproduced"
    files[f"mi/szt-centred-softplus/{BINS}"] = _mi(_falls(0.3, 0.25, 0.0))  # mean 0.275
    result = _evaluate(tmp_path, f"chelombiev/activations:softplus-differs-{BINS}",
                       files.__getitem__)
    assert result.ours == pytest.approx(0.025) and result.verdict == "not reproduced"


def _zoo(hidden_1, softmax):
    """Every run of the zoo and sweep with 2 repetitions, 24 in all: the i-th has final test
    accuracy 0.5 + i / 100, and drops (bits, from a peak of 30) hidden_1(i), |i - 11.5|
    (a V: Spearman rho with i exactly 0) and softmax(i)."""
    def files(name):
        kind, experiment = name.split("/")[:2]
        i = 2 * RUNS.index(experiment) + np.arange(2)
        if kind == "metrics":
            return _metrics(0.5 + i / 100)
        drops = np.stack([hidden_1(i), np.abs(i - 11.5), softmax(i)], axis=-1)  # (rep, layer)
        return _mi(np.stack([np.zeros_like(drops), np.full_like(drops, 30.0), 30.0 - drops],
                            axis=1))
    return files


@pytest.mark.parametrize(("hidden_1", "expected", "verdict"), [
    (lambda i: 24.0 - i, 0.5, "not reproduced"),  # rho -1 in every resample: excludes 0
    (lambda i: np.abs(i - 11.5), 1.0, "reproduced")])
def test_hidden_layers_without_a_significant_link(tmp_path, hidden_1, expected, verdict):
    result = _evaluate(tmp_path, f"chelombiev/compression-vs-generalisation:hidden-no-link-{KDE}",
                       _zoo(hidden_1, lambda i: 1.0 * i))
    assert result.ours == expected and result.verdict == verdict


@pytest.mark.parametrize(("softmax", "expected", "verdict"), [
    (lambda i: 1.0 * i, 1.0, "reproduced"),  # rho 1 in every resample
    (lambda i: 24.0 - i, -1.0, "not reproduced")])
def test_softmax_link_is_the_lower_end_of_its_interval(tmp_path, softmax, expected, verdict):
    result = _evaluate(tmp_path, f"chelombiev/compression-vs-generalisation:softmax-link-{BINS}",
                       _zoo(lambda i: 1.0 * i, softmax))
    assert result.ours == pytest.approx(expected) and result.verdict == verdict
