"""``survey/linear-teacher``: Saxe et al. 2018's linear student-teacher setting (their Sec. 4,
after Advani & Saxe 2017), as the survey retells it: generalisation and compression apart.

Teacher: Y = W0 X + e with X ~ N(0, I_Ni), W0 ~ N(0, 1/Ni) ``(No, Ni)`` (so Var(W0 X) = 1 per
output) and e ~ N(0, s0^2 I_No). A student, ŷ = W2 W1 X with a hidden layer of Nh linear units,
starts from small Gaussian weights and is trained by full-batch gradient descent on the
squared error 1/2 mean ||y - ŷ||^2 of P teacher samples. Linear students need the data only
through Sxx = X^T X / P, Syx = Y^T X / P and Syy, so a step costs Ni^2 Nh whatever P.

Everything is Gaussian, so every quantity is in closed form (in bits):

- generalisation error 1/2 E||Y - ŷ||^2 = 1/2 (||W - W0||_F^2 + No s0^2), W = W2 W1;
- with T = W1 X + xi, xi ~ N(0, s^2 I_Nh) (the noise Saxe adds to make the MI finite),
  I(X;T) = 1/2 log det(I + W1 W1^T / s^2);
- I(T;Y) = 1/2 [log det S_T + log det S_Y - log det S_TY], with S_T = W1 W1^T + s^2 I,
  S_Y = W0 W0^T + s0^2 I and the joint covariance S_TY = [[S_T, W1 W0^T], [W0 W1^T, S_Y]].

The survey leaves the sizes open; ours (``TEACHER``, ``STUDENTS``): Ni = 50 inputs, one
output, teacher noise s0^2 = 0.1 (signal-to-noise 10), MI noise s^2 = 0.1, initial weights
N(0, 0.1^2 / fan_in), learning rate 0.05, 3000 epochs; students with Nh = 50 hidden units on
P = 25, 50 and 200 samples (fewer than, as many as, and more than the inputs: P = Ni overfits
most) and a narrow one with Nh = 5 on P = 50.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ibrepro.figures.compression import compression
from ibrepro.figures.registry import Item, register
from ibrepro.figures.save import new_figure

LN2 = np.log(2.0)


class Teacher(NamedTuple):
    inputs: int = 50
    outputs: int = 1
    noise_var: float = 0.1  # s0^2
    mi_noise_var: float = 0.1  # s^2 on the student's hidden layer
    init_std: float = 0.1  # student weights N(0, init_std^2 / fan_in)
    lr: float = 0.05
    epochs: int = 3000
    snapshots: int = 60
    seed: int = 0


TEACHER = Teacher()
STUDENTS = ((50, 25), (50, 50), (50, 200), (5, 50))  # (hidden units Nh, training samples P)


def gaussian_i_xt(w1: np.ndarray, noise_var: float) -> np.ndarray:
    """I(X;T) in bits of T = W1 X + xi, X ~ N(0, I), xi ~ N(0, noise_var I): ``w1``
    ``(..., Nh, Ni)`` -> ``(...)``."""
    gram = w1 @ np.swapaxes(w1, -1, -2) / noise_var
    return np.linalg.slogdet(np.eye(gram.shape[-1]) + gram)[1] / (2 * LN2)


def gaussian_i_ty(w1: np.ndarray, w0: np.ndarray, noise_var: float,
                  teacher_noise_var: float) -> np.ndarray:
    """I(T;Y) in bits of T = W1 X + xi and Y = W0 X + e (X ~ N(0, I), independent noises):
    ``w1`` ``(..., Nh, Ni)``, ``w0`` ``(No, Ni)`` -> ``(...)``."""
    hidden, outputs = w1.shape[-2], w0.shape[0]
    s_t = w1 @ np.swapaxes(w1, -1, -2) + noise_var * np.eye(hidden)
    s_y = w0 @ w0.T + teacher_noise_var * np.eye(outputs)
    cross = w1 @ w0.T  # (..., Nh, No)
    s_y = np.broadcast_to(s_y, (*w1.shape[:-2], outputs, outputs))
    joint = np.block([[s_t, cross], [np.swapaxes(cross, -1, -2), s_y]])
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    return (logdet(s_t) + logdet(s_y) - logdet(joint)) / (2 * LN2)


def generalisation_error(w: np.ndarray, w0: np.ndarray, teacher_noise_var: float) -> np.ndarray:
    """1/2 E||Y - W X||^2 over fresh X ~ N(0, I) and teacher noise: ``w`` ``(..., No, Ni)``."""
    return 0.5 * (((w - w0) ** 2).sum(axis=(-2, -1)) + w0.shape[0] * teacher_noise_var)


class Student(NamedTuple):
    """A trained student's trajectory at the snapshot epochs: errors and MI in bits."""

    epochs: np.ndarray
    train_error: np.ndarray
    test_error: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray


def train_student(hidden: int, samples: int, teacher: Teacher = TEACHER) -> Student:
    """Draw the teacher and ``samples`` training samples, train a student with ``hidden``
    units by full-batch GD from the teacher's seed, and record the closed forms at
    ``teacher.snapshots`` log-spaced epochs (0 and the last included)."""
    rng = np.random.default_rng([teacher.seed, hidden, samples])
    n_in, n_out = teacher.inputs, teacher.outputs
    w0 = rng.normal(0, 1 / np.sqrt(n_in), (n_out, n_in))
    x = rng.normal(size=(samples, n_in))
    y = x @ w0.T + rng.normal(0, np.sqrt(teacher.noise_var), (samples, n_out))
    sxx, syx, syy = x.T @ x / samples, y.T @ x / samples, np.trace(y.T @ y) / samples
    w1 = rng.normal(0, teacher.init_std / np.sqrt(n_in), (hidden, n_in))
    w2 = rng.normal(0, teacher.init_std / np.sqrt(hidden), (n_out, hidden))
    snapshots = np.unique(np.geomspace(1, teacher.epochs + 1, teacher.snapshots).astype(int) - 1)
    recorded = {"w1": [], "w": []}
    for epoch in range(teacher.epochs + 1):
        if epoch in snapshots:
            recorded["w1"].append(w1.copy())
            recorded["w"].append(w2 @ w1)
        grad = w2 @ w1 @ sxx - syx  # dL/dW of L = 1/2 tr(W Sxx W^T) - tr(Syx W^T) + 1/2 Syy
        w1, w2 = w1 - teacher.lr * w2.T @ grad, w2 - teacher.lr * grad @ w1.T
    w1s, ws = np.array(recorded["w1"]), np.array(recorded["w"])
    train = 0.5 * (np.einsum("eoi,ij,eoj->e", ws, sxx, ws)
                   - 2 * np.einsum("oi,eoi->e", syx, ws) + syy)
    test = generalisation_error(ws, w0, teacher.noise_var)
    return Student(snapshots, train, test, gaussian_i_xt(w1s, teacher.mi_noise_var),
                   gaussian_i_ty(w1s, w0, teacher.mi_noise_var, teacher.noise_var))


def linear_teacher(_inputs):
    """Errors over epochs, I(X;T) over epochs and the information plane, one curve per
    student."""
    fig, axes = new_figure(1, 3, height=3.0)
    parts = []
    for (hidden, samples), colour in zip(STUDENTS, ("tab:blue", "tab:red", "tab:green",
                                                    "tab:purple"), strict=True):
        s = train_student(hidden, samples)
        label = f"Nh = {hidden}, P = {samples}"
        x = s.epochs + 1
        axes[0, 0].plot(x, s.test_error, color=colour, lw=1.2, label=label)
        axes[0, 0].plot(x, s.train_error, color=colour, lw=0.8, ls="--")
        axes[0, 1].plot(x, s.i_xt, color=colour, lw=1.2)
        axes[0, 2].plot(s.i_xt, s.i_ty, color=colour, lw=0.8)
        axes[0, 2].scatter(s.i_xt, s.i_ty, color=colour, s=5)
        best = int(s.test_error.argmin())
        drop = compression(s.i_xt[:, None]).relative[0]
        parts.append(
            f"{label}: test error {s.test_error[0]:.3f} -> min {s.test_error[best]:.3f} at "
            f"epoch {s.epochs[best]} -> {s.test_error[-1]:.3f} at the end (train "
            f"{s.train_error[-1]:.3f}); I(X;T) {s.i_xt[0]:.2f} -> {s.i_xt[-1]:.2f} bits, "
            f"{f'compresses by {drop:.0%}' if drop >= 0.05 else 'no compression'}")
    for ax in axes[0, :2]:
        ax.set_xscale("log")
        ax.set_xlabel("epoch + 1")
    axes[0, 0].set_ylabel("error (solid: test, dashed: train)")
    axes[0, 0].legend(loc="upper right")
    axes[0, 1].set_ylabel("I(X;T) [bits]")
    axes[0, 2].set_xlabel("I(X;T) [bits]")
    axes[0, 2].set_ylabel("I(T;Y) [bits]")
    t = TEACHER
    caption = (
        f"survey (Saxe et al.'s linear student-teacher networks): a linear teacher Y = W0 X + "
        f"noise (X ~ N(0, I_{t.inputs}), {t.outputs} output, noise variance {t.noise_var}) "
        f"makes P samples; linear students with Nh hidden units train by full-batch gradient "
        f"descent (lr {t.lr}, {t.epochs} epochs, initial weights N(0, {t.init_std}^2/fan_in)) "
        f"on the squared error. Generalisation error 1/2 E||Y - W2 W1 X||^2 and the MI are "
        f"closed forms: I(X;T) = 1/2 log2 det(I + W1 W1^T / s^2) for the hidden layer with "
        f"Gaussian noise of variance s^2 = {t.mi_noise_var}, I(T;Y) from the joint Gaussian "
        f"covariance. {'; '.join(parts)}. Saxe: generalisation (or overfitting, worst at "
        f"P = Ni) happens without compression: I(X;T) of a linear net only grows."
    )
    return fig, caption


register(Item("survey/linear-teacher", "figure", linear_teacher,
              description="linear student-teacher: generalisation error and exact Gaussian MI"))
