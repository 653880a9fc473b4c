"""KDE bounds: independent oracles, exact integrals, Monte Carlo, closed forms, invariances."""

import math

import numpy as np
import pytest
import torch
from scipy.integrate import quad
from scipy.special import logsumexp
from scipy.stats import entropy as scipy_entropy

from ibrepro.estimators import kde
from ibrepro.estimators.kde import (
    adaptive_kde_lower,
    adaptive_kde_upper,
    adaptive_noise_variance,
    kde_lower,
    kde_upper,
    mixture_entropy_bounds,
)

LN2 = math.log(2)


def loop_entropy_bounds(means: np.ndarray, weights: np.ndarray, variance: float):
    """(lower, upper) in nats: Kolchinsky & Tracey 2017 (Sec. 4) as a plain double loop."""
    n, d = means.shape
    component = 0.5 * d * math.log(2 * math.pi * math.e * variance)
    lower = upper = component
    for i in range(n):
        kl_sum = bd_sum = 0.0
        for j in range(n):
            squared = sum((means[i, k] - means[j, k]) ** 2 for k in range(d))
            kl_sum += weights[j] * math.exp(-squared / (2 * variance))  # KL(p_i || p_j)
            bd_sum += weights[j] * math.exp(-squared / (8 * variance))  # Bhattacharyya
        upper -= weights[i] * math.log(kl_sum)
        lower -= weights[i] * math.log(bd_sum)
    return lower, upper


def loop_mi(acts: np.ndarray, labels: np.ndarray, variance: float):
    """((I_XT, I_TY) lower, (I_XT, I_TY) upper) in bits from :func:`loop_entropy_bounds`."""
    n, d = acts.shape
    noise = 0.5 * d * math.log(2 * math.pi * math.e * variance)
    h_lower, h_upper = loop_entropy_bounds(acts, np.full(n, 1 / n), variance)
    cond_lower = cond_upper = 0.0
    for label in np.unique(labels):
        members = acts[labels == label]
        lower, upper = loop_entropy_bounds(members, np.full(len(members), 1 / len(members)),
                                           variance)
        cond_lower += len(members) / n * lower
        cond_upper += len(members) / n * upper
    return ((h_lower - noise) / LN2, (h_lower - cond_lower) / LN2), (
        (h_upper - noise) / LN2, (h_upper - cond_upper) / LN2)


def saxe_mi(acts: np.ndarray, labels: np.ndarray, variance: float):
    """Saxe et al.'s kde.py, transcribed: (lower, upper) of (I_XT, I_TY) in bits."""

    def entropy_kl(x, var):
        dims, n = x.shape[1], x.shape[0]
        x2 = (x ** 2).sum(axis=1)[:, None]
        dists = x2 + x2.T - 2 * x @ x.T
        normconst = (dims / 2.0) * np.log(2 * np.pi * var)
        lprobs = logsumexp(-dists / (2 * var), axis=1) - np.log(n) - normconst
        return dims / 2 + -np.mean(lprobs)

    def entropy_bd(x, var):
        return entropy_kl(x, 4 * var) + np.log(0.25) * x.shape[1] / 2

    h_given_x = (acts.shape[1] / 2.0) * (np.log(2 * np.pi * variance) + 1)
    result = []
    for entropy in (entropy_bd, entropy_kl):
        h = entropy(acts, variance)
        h_given_y = sum(np.mean(labels == c) * entropy(acts[labels == c], variance)
                        for c in np.unique(labels))
        result.append(((h - h_given_x) / LN2, (h - h_given_y) / LN2))
    return tuple(result)


def layer(seed, shape, scale=1.0, classes=3):
    generator = torch.Generator().manual_seed(seed)
    acts = scale * torch.randn(shape, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, classes, (shape[-2],), generator=generator)
    return acts, labels


def both(acts, labels, variance):
    return kde_lower(acts, labels, noise_variance=variance), kde_upper(
        acts, labels, noise_variance=variance)


@pytest.mark.parametrize(("n", "d", "variance", "classes"),
                         [(30, 1, 0.1, 2), (40, 3, 0.5, 3), (25, 5, 1e-3, 4), (50, 2, 3.0, 2)])
def test_matches_double_loop_and_saxe(n, d, variance, classes):
    acts, labels = layer(n + d, (n, d), classes=classes)
    lower, upper = both(acts, labels, variance)
    for expected in (loop_mi(acts.numpy(), labels.numpy(), variance),
                     saxe_mi(acts.numpy(), labels.numpy(), variance)):
        assert lower.I_XT.item() == pytest.approx(expected[0][0], abs=1e-9)
        assert lower.I_TY.item() == pytest.approx(expected[0][1], abs=1e-9)
        assert upper.I_XT.item() == pytest.approx(expected[1][0], abs=1e-9)
        assert upper.I_TY.item() == pytest.approx(expected[1][1], abs=1e-9)


@pytest.mark.parametrize(("n", "d", "variance"), [(20, 1, 0.2), (30, 2, 0.05), (15, 4, 1.0)])
def test_mixture_bounds_match_mixentropy(n, d, variance):
    pairwise = pytest.importorskip("mixentropy.np.pairwise_dist_estimator")
    means, _ = layer(7 * n + d, (n, d))
    lower, upper = mixture_entropy_bounds(means, variance)
    weights = np.full(n, 1 / n)
    covariances = np.tile(variance * np.eye(d), (n, 1, 1))
    kl = pairwise.estimate(weights, means.numpy(), covariances, elem="gauss", dist="kl")
    bhattacharyya = pairwise.estimate(weights, means.numpy(), covariances, elem="gauss",
                                      dist="chernoff", alpha=0.5)
    assert upper.item() == pytest.approx(kl, abs=1e-10)
    assert lower.item() == pytest.approx(bhattacharyya, abs=1e-10)
    assert (lower.item(), upper.item()) == pytest.approx(
        loop_entropy_bounds(means.numpy(), weights, variance), abs=1e-10)


def mixture_pdf_1d(t, means, variance):
    return np.mean(np.exp(-((t - means) ** 2) / (2 * variance))) / math.sqrt(
        2 * math.pi * variance)


@pytest.mark.parametrize(("means", "variance"), [
    ([0.0], 0.3),  # one Gaussian: both bounds are exact
    ([0.0, 0.1, 0.15, 0.9], 0.01),
    ([-1.0, -0.5, 0.2, 0.3, 1.7, 1.71], 0.05),
    ([0.0, 5.0, 10.0], 0.1),  # far apart: both bounds -> ln 3 + component entropy
])
def test_bounds_bracket_the_exact_1d_integral(means, variance):
    means = np.asarray(means)
    std = math.sqrt(variance)
    edges = np.linspace(means.min() - 12 * std, means.max() + 12 * std, 60)

    def integrand(t):
        p = mixture_pdf_1d(t, means, variance)
        return -p * math.log(p) if p > 0 else 0.0

    exact = sum(quad(integrand, a, b, epsabs=1e-13, epsrel=1e-12)[0]
                for a, b in zip(edges[:-1], edges[1:], strict=False))
    lower, upper = mixture_entropy_bounds(torch.tensor(means).reshape(-1, 1), variance)
    assert lower.item() - 1e-9 <= exact <= upper.item() + 1e-9
    gaussian = 0.5 * math.log(2 * math.pi * math.e * variance)
    if len(means) == 1:
        assert lower.item() == pytest.approx(gaussian, abs=1e-12)
        assert upper.item() == pytest.approx(gaussian, abs=1e-12)
    if variance == 0.1:
        assert exact == pytest.approx(gaussian + math.log(3), abs=1e-9)
        assert upper.item() == pytest.approx(exact, abs=1e-9)
        assert lower.item() == pytest.approx(exact, abs=1e-9)


@pytest.mark.parametrize(("d", "variance"), [(2, 0.05), (3, 0.3)])
def test_bounds_bracket_monte_carlo(d, variance):
    means, _ = layer(d, (40, d), scale=0.5)
    lower, upper = mixture_entropy_bounds(means, variance)
    rng = np.random.default_rng(d)
    centres = means.numpy()[rng.integers(0, 40, 200_000)]
    samples = centres + math.sqrt(variance) * rng.standard_normal(centres.shape)
    squared = ((samples[:, None, :] - means.numpy()[None]) ** 2).sum(-1)
    log_pdf = (logsumexp(-squared / (2 * variance), axis=1) - math.log(40)
               - 0.5 * d * math.log(2 * math.pi * variance))
    estimate, error = -log_pdf.mean(), log_pdf.std() / math.sqrt(len(log_pdf))
    assert lower.item() <= estimate + 4 * error
    assert estimate - 4 * error <= upper.item()
    assert upper.item() - lower.item() > 8 * error  # the test can tell the bounds apart


def test_identical_points_give_zero():
    acts = torch.full((50, 3), 0.7)
    labels = torch.arange(50) % 2
    for mi in both(acts, labels, 1e-3):
        assert mi.I_XT.item() == pytest.approx(0.0, abs=1e-12)
        assert mi.I_TY.item() == pytest.approx(0.0, abs=1e-12)


def test_far_apart_points_give_log2_n_and_label_entropy():
    n = 64
    acts = torch.arange(n, dtype=torch.float64).reshape(n, 1) * 10.0
    labels = torch.arange(n) % 3
    label_entropy = scipy_entropy(torch.bincount(labels).numpy(), base=2)
    for mi in both(acts, labels, 1e-2):
        assert mi.I_XT.item() == pytest.approx(math.log2(n), abs=1e-12)
        assert mi.I_TY.item() == pytest.approx(label_entropy, abs=1e-12)


def test_two_clusters_separated_by_label():
    # two tight clusters, one per label: I(X;T) ~ I(T;Y) ~ 1 bit for a noise between the scales
    acts, _ = layer(3, (200, 2), scale=1e-4)
    labels = torch.arange(200) % 2
    acts = acts + 100.0 * labels[:, None]
    for mi in both(acts, labels, 1e-2):
        assert mi.I_XT.item() == pytest.approx(1.0, abs=1e-3)
        assert mi.I_TY.item() == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize("variance", [1e-3, 0.1, 1.0])
def test_ordering_and_ranges(variance):
    acts, labels = layer(11, (3, 120, 4), scale=0.5)
    lower, upper = both(acts, labels, variance)
    assert (lower.I_XT <= upper.I_XT + 1e-12).all()
    assert (lower.I_XT >= -1e-12).all() and (upper.I_XT <= math.log2(120) + 1e-12).all()
    for mi in (lower, upper):
        assert (mi.I_TY <= mi.I_XT + 1e-12).all()
        assert (mi.I_TY >= -1e-12).all()


def test_more_noise_never_raises_i_xt():
    acts, labels = layer(12, (80, 3))
    previous = [math.inf, math.inf]
    for variance in (1e-3, 1e-2, 0.1, 1.0, 10.0):
        for k, mi in enumerate(both(acts, labels, variance)):
            assert mi.I_XT.item() <= previous[k] + 1e-12
            previous[k] = mi.I_XT.item()


def random_rotation(d, seed):
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    return torch.from_numpy(q * np.sign(np.diag(r)))


@pytest.mark.parametrize(("fn", "params"), [
    (kde_upper, {"noise_variance": 0.05}),
    (kde_lower, {"noise_variance": 0.05}),
    (adaptive_kde_upper, {"noise_fraction": 0.05}),
    (adaptive_kde_lower, {"noise_fraction": 0.05}),
])
def test_invariances(fn, params):
    acts, labels = layer(13, (2, 150, 4), scale=0.4)
    reference = fn(acts, labels, **params)
    samples = torch.randperm(150, generator=torch.Generator().manual_seed(0))
    units = torch.tensor([2, 0, 3, 1])
    variants = [
        (acts[..., samples, :], labels[samples]),  # sample order
        (acts[..., units], labels),  # unit order
        (acts, (labels + 1) % 3 * 7),  # class names
        (acts + 3.5, labels),  # translation (for the adaptive noise: a common shift)
    ]
    if "noise_variance" in params:  # fixed noise: any rigid motion
        shift = torch.tensor([1.0, -2.0, 0.5, 9.0], dtype=torch.float64)
        variants.append((acts @ random_rotation(4, 1) + shift, labels))
    else:  # adaptive noise: the noise follows the layer's scale
        variants.append((acts * 37.0 - 5.0, labels))
    for moved, moved_labels in variants:
        mi = fn(moved, moved_labels, **params)
        torch.testing.assert_close(mi.I_XT, reference.I_XT, rtol=0, atol=1e-9)
        torch.testing.assert_close(mi.I_TY, reference.I_TY, rtol=0, atol=1e-9)


def test_adaptive_is_fixed_noise_at_the_layer_range():
    acts, labels = layer(14, (3, 100, 3))
    spread = acts.amax(dim=(-2, -1)) - acts.amin(dim=(-2, -1))
    torch.testing.assert_close(adaptive_noise_variance(acts, 0.1), (0.1 * spread) ** 2)
    adaptive = adaptive_kde_upper(acts, labels, noise_fraction=0.1)
    for g in range(3):
        fixed = kde_upper(acts[g], labels, noise_variance=float((0.1 * spread[g]) ** 2))
        assert adaptive.I_XT[g].item() == pytest.approx(fixed.I_XT.item(), abs=1e-12)
        assert adaptive.I_TY[g].item() == pytest.approx(fixed.I_TY.item(), abs=1e-12)


def test_adaptive_constant_layer_gives_zero():
    acts = torch.zeros(2, 40, 3)  # a dead relu layer
    mi = adaptive_kde_lower(acts, torch.arange(40) % 2, noise_fraction=0.1)
    assert torch.equal(mi.I_XT, torch.zeros(2, dtype=torch.float64))
    assert torch.equal(mi.I_TY, torch.zeros(2, dtype=torch.float64))


@pytest.mark.parametrize("estimate", [
    lambda a, y: kde_upper(a, y, noise_variance=0.02),
    lambda a, y: adaptive_kde_lower(a, y, noise_fraction=0.03),
])
def test_batch_and_blocks_equal_each_group_alone(estimate, monkeypatch):
    acts, labels = layer(15, (2, 3, 90, 3))
    batched = estimate(acts, labels)
    assert batched.I_XT.shape == batched.I_TY.shape == (2, 3)
    monkeypatch.setattr(kde, "BLOCK_ELEMENTS", 7 * 90)  # row blocks of 7 and group blocks
    blocked = estimate(acts, labels)
    for r in range(2):
        for e in range(3):
            alone = estimate(acts[r, e], labels)
            for mi in (batched, blocked):
                assert mi.I_XT[r, e].item() == pytest.approx(alone.I_XT.item(), abs=1e-12)
                assert mi.I_TY[r, e].item() == pytest.approx(alone.I_TY.item(), abs=1e-12)


def test_float32_input_is_computed_in_float64():
    acts, labels = layer(16, (200, 5))
    single = kde_upper(acts.float(), labels, noise_variance=1e-3)
    double = kde_upper(acts.float().double(), labels, noise_variance=1e-3)
    assert single.I_XT.dtype == torch.float64
    assert single.I_XT.item() == double.I_XT.item()
    assert single.I_TY.item() == double.I_TY.item()


def test_large_offset_keeps_precision():
    # |t|^2 ~ 1e8 would lose ~1e-8 of the distances without centring; sigma^2 = 1e-3
    acts, labels = layer(17, (100, 3), scale=0.05)
    far = kde_upper(acts + 1e4, labels, noise_variance=1e-3)
    near = kde_upper(acts, labels, noise_variance=1e-3)
    assert far.I_XT.item() == pytest.approx(near.I_XT.item(), abs=1e-7)
    assert far.I_TY.item() == pytest.approx(near.I_TY.item(), abs=1e-7)


@pytest.mark.parametrize("variance", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_noise_variance(variance):
    with pytest.raises(ValueError, match="noise_variance must be finite and > 0"):
        kde_upper(torch.zeros(3, 1), torch.zeros(3, dtype=torch.int64), noise_variance=variance)


@pytest.mark.parametrize("fraction", [0.0, -0.1, float("nan")])
def test_bad_noise_fraction(fraction):
    with pytest.raises(ValueError, match="noise_fraction must be finite and > 0"):
        adaptive_kde_upper(torch.zeros(3, 1), torch.zeros(3, dtype=torch.int64),
                           noise_fraction=fraction)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_even_with_tf32_enabled(monkeypatch):
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", True)
    acts, labels = layer(18, (2, 4000, 10), scale=0.8)
    acts = acts.float()
    for estimate in (kde_upper, kde_lower):
        cpu = estimate(acts, labels, noise_variance=1e-3)
        gpu = estimate(acts.cuda(), labels.cuda(), noise_variance=1e-3)
        assert gpu.I_XT.is_cuda
        torch.testing.assert_close(gpu.I_XT.cpu(), cpu.I_XT, rtol=0, atol=1e-9)
        torch.testing.assert_close(gpu.I_TY.cpu(), cpu.I_TY, rtol=0, atol=1e-9)


# Chelombiev et al.'s KDE as their code computes it (ivansche/adaptive_estimators,
# idnns/information/information_process.py:45-83 calc_kde_info_for_layer, kde.py:19-41), in
# numpy: a fixed sig = 0.01 passed as the *variance* of Saxe's estimators, after jittering the
# layer by N(0, sig^2) and taking abs() of it; no scaling to the layer's range.
CHELOMBIEV_SIG = 0.01  # information_process.py:48


def _their_entropy_kl(x: np.ndarray, var: float) -> float:
    """kde.py:19-29 entropy_estimator_kl (nats)."""
    dims, n = x.shape[1], x.shape[0]
    x2 = (x * x).sum(axis=1)[:, None]
    dists = x2 + x2.T - 2 * x @ x.T
    normconst = dims / 2.0 * np.log(2 * np.pi * var)
    lprobs = logsumexp(-dists / (2 * var), axis=1) - np.log(n) - normconst
    return dims / 2 + -lprobs.mean()


def _their_entropy_bd(x: np.ndarray, var: float) -> float:
    """kde.py:31-36 entropy_estimator_bd."""
    return _their_entropy_kl(x, 4 * var) + np.log(0.25) * x.shape[1] / 2


def chelombiev_kde(data: np.ndarray, labels: np.ndarray, jitter: np.ndarray, lower: bool):
    """information_process.py:45-83 with the jitter given (their np.random.normal(0, sig)):
    (I(X;T), I(T;Y)) in bits."""
    sig = CHELOMBIEV_SIG
    data = np.abs(data + jitter)  # :52-53
    entropy = _their_entropy_bd if lower else _their_entropy_kl
    classes, counts = np.unique(labels, return_counts=True)
    pys1 = counts / counts.sum()
    h_t_given_y = sum(p * entropy(data[labels == c], sig) for p, c in zip(pys1, classes,
                                                                          strict=True))
    data_entropy = entropy(data, sig)
    condentropy = data.shape[1] / 2.0 * (np.log(2 * np.pi * sig) + 1)  # kde.py:38-41
    return ((data_entropy - condentropy) / np.log(2), (data_entropy - h_t_given_y) / np.log(2))


@pytest.mark.parametrize("lower", [False, True])
def test_chelombiev_code_is_fixed_variance_kde_of_the_jittered_absolute_layer(lower):
    """Their code's KDE is ours (kde-upper / kde-lower) with noise_variance = 0.01 applied to
    |t + N(0, 0.01^2)|: config.yaml states how it differs from adaptive-kde-upper."""
    rng = np.random.default_rng(17)
    n, units = 300, 4
    data = np.tanh(rng.normal(scale=1.5, size=(n, units)))
    labels = rng.integers(0, 2, n)
    jitter = rng.normal(0, CHELOMBIEV_SIG, (n, units))
    i_xt, i_ty = chelombiev_kde(data, labels, jitter, lower)
    ours = (kde_lower if lower else kde_upper)(np.abs(data + jitter), labels,
                                               noise_variance=CHELOMBIEV_SIG)
    np.testing.assert_allclose([ours.I_XT, ours.I_TY], [i_xt, i_ty], rtol=0, atol=1e-9)
