"""survey/linear-teacher: the Gaussian closed forms and the students' gradient descent."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from ibrepro.papers.survey.linear_teacher import (
    Teacher,
    gaussian_i_ty,
    gaussian_i_xt,
    generalisation_error,
    train_student,
)


def test_scalar_channel_capacity_formula():
    for a, s2 in ((0.5, 0.1), (2.0, 1.0)):
        assert gaussian_i_xt(np.array([[a]]), s2) == pytest.approx(0.5 * np.log2(1 + a**2 / s2))


def test_i_xt_is_the_entropy_difference_of_scipy_gaussians():
    rng = np.random.default_rng(1)
    w1, s2 = rng.normal(size=(4, 6)), 0.3
    h_t = multivariate_normal(cov=w1 @ w1.T + s2 * np.eye(4)).entropy()
    h_noise = multivariate_normal(cov=s2 * np.eye(4)).entropy()
    assert gaussian_i_xt(w1, s2) == pytest.approx((h_t - h_noise) / np.log(2))


def test_i_ty_of_two_noisy_copies_of_one_gaussian():
    w0 = np.array([[0.6, -0.8, 1.0]])  # Z = w0 X has variance v = 2
    v, s2 = 2.0, 0.5
    expected = 0.5 * np.log2((v + s2) ** 2 / ((v + s2) ** 2 - v**2))
    assert gaussian_i_ty(w0, w0, s2, s2) == pytest.approx(expected)
    assert gaussian_i_ty(np.zeros((2, 3)), w0, s2, s2) == pytest.approx(0, abs=1e-12)
    batched = gaussian_i_ty(np.stack([w0, 2 * w0]), w0, s2, s2)  # leading axes broadcast
    assert batched.shape == (2,) and batched[0] == pytest.approx(expected)


def test_generalisation_error_matches_monte_carlo():
    rng = np.random.default_rng(2)
    w, w0, noise = rng.normal(size=(1, 5)), rng.normal(size=(1, 5)), 0.2
    x = rng.normal(size=(400_000, 5))
    y = x @ w0.T + rng.normal(0, np.sqrt(noise), (len(x), 1))
    sampled = 0.5 * ((y - x @ w.T) ** 2).sum(axis=1).mean()
    assert generalisation_error(w, w0, noise) == pytest.approx(sampled, rel=0.01)


def test_students_fit_and_a_large_sample_reaches_the_noise_floor():
    teacher = Teacher(inputs=10, epochs=1500, snapshots=20)
    many = train_student(10, 2000, teacher)
    assert (np.diff(many.train_error) <= 1e-12).all()  # gradient descent on a convex-ish loss
    assert many.test_error[-1] == pytest.approx(0.5 * teacher.noise_var, rel=0.05)
    few = train_student(10, 10, teacher)  # P = Ni: fits the noise, generalises worse
    assert few.train_error[-1] < 0.01 < few.test_error[-1] - 0.5 * teacher.noise_var
    assert few.epochs[0] == 0 and few.epochs[-1] == teacher.epochs
