"""The theoretical IB curve: closed forms (binary symmetric source, deterministic labels, the
departure at 1/rho^2, the endpoints), the curve's shape, and dit's optimiser as an oracle."""

import functools
import math

import dit
import numpy as np
import pytest
import xarray as xr
from dit.rate_distortion import IBCurve
from scipy.optimize import brentq
from scipy.special import rel_entr
from scipy.stats import entropy as scipy_entropy

from ibrepro.data.szt import szt_inputs, szt_labels
from ibrepro.ib import (
    dataset_joint,
    deterministic_curve,
    flip_labels,
    ib_curve,
    joint_of_samples,
    maximal_correlation,
)


def h2(p):
    """Binary entropy in bits."""
    return scipy_entropy([p, 1 - p], base=2)


def mi_bits(joint):
    """I(X;Y) in bits as KL[p(x, y) || p(x) p(y)]."""
    return rel_entr(joint, np.outer(joint.sum(1), joint.sum(0))).sum() / math.log(2)


def dsbs(p):
    """Doubly symmetric binary source: X ~ Bernoulli(1/2), Y = X xor Bernoulli(p)."""
    return np.array([[1 - p, p], [p, 1 - p]]) / 2


def random_joint(seed, shape):
    return np.random.default_rng(seed).dirichlet(np.ones(math.prod(shape))).reshape(shape)


@functools.cache
def random_curve(seed, shape):
    """The default-schedule curve of ``random_joint(seed, shape)``, computed once per module."""
    return ib_curve(random_joint(seed, shape))


@pytest.fixture(scope="module")
def szt_joint():
    x = szt_inputs()
    return joint_of_samples(x, szt_labels(x))


@pytest.fixture(scope="module", params=[None, (1, (3, 2)), (2, (3, 3)), (3, (4, 3))])
def joint_and_curve(request):
    if request.param is None:
        return dsbs(0.2), ib_curve(dsbs(0.2))
    return random_joint(*request.param), random_curve(*request.param)


def test_endpoints(joint_and_curve):
    joint, curve = joint_and_curve
    h_x, i_xy = scipy_entropy(joint.sum(1), base=2), mi_bits(joint)
    assert curve.beta[0] == 1.0 and np.isinf(curve.beta[-1])
    assert (curve.I_XT[0], curve.I_TY[0]) == (0.0, 0.0)
    np.testing.assert_allclose((curve.I_XT[-1], curve.I_TY[-1]), (h_x, i_xy), rtol=1e-12)
    # every row's p(y|x) differs, so the annealed points themselves reach the end at large beta
    np.testing.assert_allclose((curve.I_XT[-2], curve.I_TY[-2]), (h_x, i_xy), atol=1e-3)


def test_monotone_concave_below_bounds(joint_and_curve):
    joint, curve = joint_and_curve
    i_xt, i_ty, beta = curve.I_XT[:-1], curve.I_TY[:-1], curve.beta[:-1]
    assert (np.diff(i_xt) >= -1e-9).all() and (np.diff(i_ty) >= -1e-9).all()
    assert (i_ty <= np.minimum(i_xt, mi_bits(joint)) + 1e-12).all()
    # concave with slope 1/beta at each point: a chord's slope lies between its ends' 1/beta
    moved = np.diff(i_xt) > 1e-4
    slope = np.diff(i_ty)[moved] / np.diff(i_xt)[moved]
    assert (slope <= 1 / beta[:-1][moved] + 1e-3).all()
    assert (slope >= 1 / beta[1:][moved] - 1e-3).all()
    assert moved.sum() >= 10


@pytest.mark.parametrize("p", [0.05, 0.2, 0.35])
def test_binary_symmetric_source(p):
    """Mrs. Gerber's lemma, tight for the DSBS: I(T;Y) = 1 - h(p * h^-1(1 - I(X;T)))."""
    curve = ib_curve(dsbs(p), beta_max=1e3, steps=150)
    inside = curve.I_XT[:-1] < 1 - 1e-9
    for i_xt, i_ty in zip(curve.I_XT[:-1][inside], curve.I_TY[:-1][inside], strict=True):
        d = brentq(lambda d, i_xt=i_xt: h2(d) - (1 - i_xt), 1e-300, 0.5) if i_xt > 0 else 0.5
        assert i_ty == pytest.approx(1 - h2(p * (1 - d) + (1 - p) * d), abs=1e-7)
    assert inside.sum() > 30


@pytest.mark.parametrize("joint", [dsbs(0.1), dsbs(0.3), random_joint(4, (2, 2))])
def test_maximal_correlation_of_2x2_is_phi(joint):
    p_x, p_y = joint.sum(1), joint.sum(0)
    phi = abs(np.linalg.det(joint)) / math.sqrt(p_x.prod() * p_y.prod())
    assert maximal_correlation(joint) == pytest.approx(phi, rel=1e-12)


@pytest.mark.filterwarnings("ignore:IB equations not converged")  # slow right at 1/rho^2
@pytest.mark.parametrize(("joint", "continuous"), [
    (dsbs(0.1), True), (dsbs(0.3), True), (flip_labels(np.eye(2, 3) / 2, rate=0.2), True),
    (random_joint(4, (2, 2)), False),  # an asymmetric channel: it leaves earlier, first order
])
def test_departs_from_origin_at_inverse_rho_squared(joint, continuous):
    """The trivial solution is unstable beyond 1/rho^2, so no joint stays at the origin there;
    where the transition is continuous (symmetric channels) it leaves exactly there."""
    beta_c = 1 / maximal_correlation(joint) ** 2
    curve = ib_curve(joint, beta_min=0.9 * beta_c, beta_max=1.1 * beta_c, steps=81)
    before, after = curve.beta < 0.995 * beta_c, (curve.beta > 1.005 * beta_c) & (curve.beta < 2)
    assert (curve.I_XT[after] > 1e-4).all()
    assert ((curve.I_XT[before] == 0).all() and (curve.I_TY[before] == 0).all()) == continuous


def test_deterministic_szt_curve(szt_joint):
    h_y = h2(2118 / 4096)
    curve = deterministic_curve(szt_joint)
    np.testing.assert_allclose(curve.I_XT, [0, h_y, 12])
    np.testing.assert_allclose(curve.I_TY, [0, h_y, h_y])
    # the annealed points lie on it: the origin (and the chord at the tie beta = 1), then the corner
    annealed = ib_curve(szt_joint)
    np.testing.assert_allclose(annealed.I_TY, np.minimum(annealed.I_XT, h_y), atol=1e-12)
    np.testing.assert_allclose(annealed.I_XT[1:-1], h_y, atol=1e-9)


def test_deterministic_curve_rejects_noisy_labels():
    with pytest.raises(ValueError, match="H\\(Y\\|X\\) = 0"):
        deterministic_curve(dsbs(0.1))


def test_noisy_szt_curve_is_strictly_concave(szt_joint):
    q = 0.1
    noisy = flip_labels(szt_joint, rate=q)
    curve = ib_curve(noisy)
    p1 = (2118 / 4096) * (1 - q) + (1978 / 4096) * q
    assert curve.I_TY[-1] == pytest.approx(h2(p1) - h2(q), rel=1e-12)  # I(X;Y) = H(Y) - h(q)
    assert curve.I_XT[-1] == pytest.approx(12)
    # the curved part ends at H(f(X)), the minimal sufficient statistic's entropy
    assert curve.I_XT[-2] == pytest.approx(h2(2118 / 4096), abs=1e-6)
    i_xt, i_ty = curve.I_XT[:-1], curve.I_TY[:-1]
    moved = np.diff(i_xt) > 1e-4
    slope = np.diff(i_ty)[moved] / np.diff(i_xt)[moved]
    assert moved.sum() >= 10 and (np.diff(slope) < 0).all()


def test_flip_labels_three_classes():
    joint = np.array([[0.5, 0.0, 0.0], [0.0, 0.2, 0.3]])
    expected = np.array([[0.5 * 0.7, 0.5 * 0.15, 0.5 * 0.15],
                         [0.2 * 0.15 + 0.3 * 0.15, 0.2 * 0.7 + 0.3 * 0.15,
                          0.2 * 0.15 + 0.3 * 0.7]])
    np.testing.assert_allclose(flip_labels(joint, rate=0.3), expected)
    with pytest.raises(ValueError, match="rate"):
        flip_labels(joint, rate=1.5)


def test_joint_of_samples_and_dataset_file(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (200, 3)).astype(np.uint8)
    y = rng.integers(0, 3, 200)
    counts: dict[tuple, int] = {}
    for row, label in zip(map(tuple, x.tolist()), y.tolist(), strict=True):
        counts[row, label] = counts.get((row, label), 0) + 1
    rows = sorted({row for row, _ in counts})
    expected = np.array([[counts.get((row, label), 0) for label in range(3)] for row in rows])
    np.testing.assert_allclose(joint_of_samples(x, y), expected / 200)
    path = tmp_path / "toy.nc"
    xr.Dataset({"x": (("sample", "feature"), x), "y": ("sample", y)}).to_netcdf(path)
    np.testing.assert_allclose(dataset_joint(path), expected / 200)


def test_szt_joint(szt_joint):
    assert szt_joint.shape == (4096, 2)
    assert ((szt_joint > 0).sum(1) == 1).all() and szt_joint.sum(0)[1] == 2118 / 4096


def dit_point(joint, beta, *, starts=2):
    """(I(X;T), I(T;Y)) in bits of dit's IBCurve(method='sp') at one beta: the best (smallest
    Lagrangian) of ``starts`` runs, as its random starts differ from run to run."""
    outcomes = [(x, y) for x in range(joint.shape[0]) for y in range(joint.shape[1])]
    dist = dit.Distribution(outcomes, joint.ravel())
    runs = [IBCurve(dist, beta_min=beta, beta_max=beta, beta_num=1, method="sp")
            for _ in range(starts)]
    points = [(run.complexities[0], run.relevances[0]) for run in runs]
    return min(points, key=lambda point: point[0] - beta * point[1])


@pytest.mark.parametrize(("seed", "shape", "k"), [(1, (3, 2), 60), (5, (3, 3), 130)])
def test_agrees_with_dit(seed, shape, k):
    """dit minimises the Lagrangian numerically from random starts (on harder joints and betas
    it often stops short, so these are easy ones): its Lagrangian is never below ours, and its
    point lies on our curve (within 1e-4 bits, never above it)."""
    joint, curve = random_joint(seed, shape), random_curve(seed, shape)
    beta, (i_xt, i_ty) = curve.beta[k], dit_point(joint, curve.beta[k])
    assert curve.I_XT[k] - beta * curve.I_TY[k] <= i_xt - beta * i_ty + 1e-9
    assert -1e-6 <= np.interp(i_xt, curve.I_XT, curve.I_TY) - i_ty <= 1e-4
    assert i_xt > 0.1


def test_first_order_departure_agrees_with_dit():
    """This joint's curve leaves the origin before 1/rho^2, where the trivial solution is still
    stable (heating alone stays there): the cooling pass finds dit's optimum."""
    joint = random_joint(2, (3, 3))
    curve = random_curve(2, (3, 3))
    k = int(np.argmax(curve.beta >= 0.95 / maximal_correlation(joint) ** 2))
    np.testing.assert_allclose((curve.I_XT[k], curve.I_TY[k]), dit_point(joint, curve.beta[k]),
                               atol=1e-4)
    assert curve.I_XT[k] > 0.01


@pytest.mark.parametrize(("joint", "match"), [
    (np.ones(3) / 3, "shape"), (np.array([[0.5, 0.6]]), "sum to 1"),
    (np.array([[1.5, -0.5]]), "non-negative"),
])
def test_rejects_bad_joints(joint, match):
    with pytest.raises(ValueError, match=match):
        ib_curve(joint)


def test_rejects_bad_schedule():
    with pytest.raises(ValueError, match="beta_min < beta_max"):
        ib_curve(dsbs(0.1), beta_min=10, beta_max=1)
