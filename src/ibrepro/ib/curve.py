"""The theoretical IB curve of a discrete joint p(x, y): max I(T;Y) subject to I(X;T) <= r, for
Markov chains T - X - Y, in bits.

:func:`ib_curve` traces it through the solutions of the IB Lagrangian min I(X;T) - beta I(T;Y)
along an increasing beta schedule, by the self-consistent IB equations (Tishby, Pereira &
Bialek 1999)::

    p(t|x) = p(t) exp(-beta KL[p(y|x) || p(y|t)]) / Z(x, beta),
    p(t) = sum_x p(x) p(t|x),    p(y|t) = sum_x p(y|x) p(x) p(t|x) / p(t),

iterated to a fixed point at each beta, with deterministic annealing (Rose 1998; Zaslavsky &
Tishby 2019). Heating: the run starts from the trivial solution (one cluster, the point (0, 0)),
and at each beta every cluster is split in two by a small random perturbation of its encoder;
the pair separates only where the current solution has lost stability (the trivial one at
beta = 1/rho^2, rho the maximal correlation), and clusters whose decoders p(y|t) coincide are
merged again. Cooling: from the last solution back down the schedule, without splits. Where a
transition is first order (the optimum jumps away from a still-stable solution) one pass stays
on the old branch; at each beta the point of the smaller Lagrangian is kept. At a fixed point
the slope of the curve is 1/beta.

:func:`deterministic_curve` is the exact curve when Y is a function of X (the SZT labels):
there the Lagrangian only has the solutions (0, 0) and (H(Y), H(Y)) (Kolchinsky, Tracey & Van
Kuyk 2019), and the curve is their chord I(T;Y) = I(X;T) up to H(Y), then flat to H(X).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from .joint import check_joint, entropy_bits, mutual_information_bits

_TINY = np.finfo(np.float64).tiny  # decoders are clipped here before the log: KL ~ 700 nats


class Curve(NamedTuple):
    """Points of an IB curve, in order of increasing I(X;T): float64 ``(point,)`` each.

    ``beta`` is the Lagrange multiplier each point solves (``inf`` for the end of the curve).
    """

    beta: np.ndarray
    I_XT: np.ndarray
    I_TY: np.ndarray


def _informations(p_x: np.ndarray, p_y_x: np.ndarray, enc: np.ndarray) -> tuple[float, float]:
    """(I(X;T), I(T;Y)) in bits of the encoder ``enc`` ``(x, t)`` = p(t|x)."""
    p_xt = p_x[:, None] * enc
    p_ty = p_xt.T @ p_y_x
    return (mutual_information_bits(p_xt / p_xt.sum()), mutual_information_bits(p_ty / p_ty.sum()))


def _ib_step(p_x: np.ndarray, p_y_x: np.ndarray, enc: np.ndarray, beta: float) -> np.ndarray:
    """One iteration of the IB equations: the encoder ``(x, t)`` from the previous one."""
    p_xt = p_x[:, None] * enc
    p_t = np.maximum(p_xt.sum(0), _TINY)  # a cluster whose mass underflowed stays empty
    p_y_t = (p_xt.T @ p_y_x) / p_t[:, None]
    # KL[p(y|x) || p(y|t)] in nats; the p(y|x) log p(y|x) term is constant over t and cancels
    cross = p_y_x @ np.log(np.maximum(p_y_t, _TINY)).T
    log_enc = np.log(p_t) + beta * cross
    log_enc -= log_enc.max(1, keepdims=True)
    enc = np.exp(log_enc)
    return enc / enc.sum(1, keepdims=True)


def _fixed_point(p_x, p_y_x, enc, beta, *, tol: float, max_iter: int) -> np.ndarray:
    """Iterate :func:`_ib_step` until no encoder entry moves by more than ``tol``."""
    for _ in range(max_iter):
        new = _ib_step(p_x, p_y_x, enc, beta)
        if np.abs(new - enc).max() < tol:
            return new
        enc = new
    warnings.warn(f"IB equations not converged to {tol=} in {max_iter} iterations at {beta=}",
                  RuntimeWarning, stacklevel=3)
    return enc


def _split(enc: np.ndarray, rng: np.random.Generator, size: float) -> np.ndarray:
    """Each cluster t becomes t', t'' with p(t'|x), p(t''|x) = p(t|x) (1 +- size u) / 2,
    u ~ U(-1, 1) per (x, t)."""
    u = size * rng.uniform(-1.0, 1.0, enc.shape)
    return np.concatenate([enc * (1 + u) / 2, enc * (1 - u) / 2], axis=1)


def _merge(p_x, p_y_x, enc, *, tol: float) -> np.ndarray:
    """Drop clusters of zero mass; merge clusters whose decoders p(y|t) differ by less than
    ``tol`` in every entry (at a fixed point, merging them leaves I(X;T) and I(T;Y) unchanged)."""
    p_xt = p_x[:, None] * enc
    keep = p_xt.sum(0) > _TINY
    enc, p_xt = enc[:, keep], p_xt[:, keep]
    p_y_t = (p_xt.T @ p_y_x) / p_xt.sum(0)[:, None]
    groups: list[list[int]] = []
    for t in range(enc.shape[1]):
        match = next((g for g in groups if np.abs(p_y_t[g[0]] - p_y_t[t]).max() < tol), None)
        if match:
            match.append(t)
        else:
            groups.append([t])
    return np.stack([enc[:, g].sum(1) for g in groups], axis=1)


def _anneal(p_x, p_y_x, enc, betas, *, split: float, rng, tol, max_iter, merge_tol):
    """The encoders ``(x, t)`` at each of ``betas`` in turn, each from the previous one: split
    (when ``split`` > 0), iterated to a fixed point, merged."""
    encoders = []
    for beta in betas:
        if split:
            enc = _split(enc, rng, split)
        enc = _fixed_point(p_x, p_y_x, enc, beta, tol=tol, max_iter=max_iter)
        enc = _merge(p_x, p_y_x, enc, tol=merge_tol)
        encoders.append(enc)
    return encoders


def _reduce(p_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p(x'), p(y|x')) over the classes x' of inputs with equal p(y|x) (to 12 decimals).

    Exact for the curve: an optimal encoder can treat such inputs alike (averaging its rows
    over a class keeps p(t, y) and, I(X;T) being convex in the encoder, does not raise it), and
    then I(X;T) = I(X';T)."""
    p_x = p_xy.sum(1)
    p_xy = p_xy[p_x > 0]
    p_x = p_x[p_x > 0]
    p_y_x = p_xy / p_x[:, None]
    rows, cls = np.unique(np.round(p_y_x, 12), axis=0, return_inverse=True)
    return np.bincount(cls.ravel(), weights=p_x), rows / rows.sum(1, keepdims=True)


def ib_curve(
    p_xy: np.ndarray,
    *,
    beta_min: float = 1.0,
    beta_max: float = 1e4,
    steps: int = 300,
    tol: float = 1e-10,
    max_iter: int = 10_000,
    split: float = 1e-2,
    merge_tol: float = 1e-6,
    seed: int = 0,
) -> Curve:
    """The IB curve of the joint ``p_xy`` ``(|X|, |Y|)`` by annealing (see module doc). Bits.

    beta runs over ``steps`` geometrically spaced values from ``beta_min`` to ``beta_max``; up
    to the default start 1 the trivial solution (0, 0) is optimal for every joint (I(T;Y) <=
    I(X;T)), and the default end leaves the SZT joints and small random joints within 1e-6
    bits of their last point. ``tol``: convergence of the fixed point (largest
    change of any p(t|x) in one iteration; ``max_iter`` iterations at most, else a
    ``RuntimeWarning``). ``split``: relative size of the splitting perturbation.
    ``merge_tol``: decoders closer than this in every entry are one cluster. ``seed``: the
    perturbations' ``numpy.random.default_rng`` seed.

    Returns one point per beta, then the curve's end (H(X), I(X;Y)) at beta = inf: beyond the
    entropy of the minimal sufficient statistic of X for Y, which the points approach as beta
    grows, the curve is flat. Cost: inputs with equal p(y|x) are one symbol, and each
    iteration is O(|X'| |T| |Y|) for |X'| distinct conditionals and |T| <= 2 |X'| clusters.
    """
    p_xy = check_joint(p_xy)
    if not 0 < beta_min < beta_max or steps < 2:
        raise ValueError(f"need 0 < beta_min < beta_max and steps >= 2, got {beta_min=}, "
                         f"{beta_max=}, {steps=}")
    p_x, p_y_x = _reduce(p_xy)
    betas = np.geomspace(beta_min, beta_max, steps)
    fixed = {"tol": tol, "max_iter": max_iter, "merge_tol": merge_tol}
    heating = _anneal(p_x, p_y_x, np.ones((p_x.size, 1)), betas, split=split,
                      rng=np.random.default_rng(seed), **fixed)
    cooling = _anneal(p_x, p_y_x, heating[-1], betas[::-1], split=0.0, rng=None, **fixed)[::-1]
    points = [
        min(_informations(p_x, p_y_x, up), _informations(p_x, p_y_x, down),
            key=lambda point, beta=beta: point[0] - beta * point[1])
        for beta, up, down in zip(betas, heating, cooling, strict=True)
    ]
    points.append((entropy_bits(p_xy.sum(1)), mutual_information_bits(p_xy)))
    i_xt, i_ty = np.array(points).T
    return Curve(beta=np.append(betas, np.inf), I_XT=i_xt, I_TY=i_ty)


def deterministic_curve(p_xy: np.ndarray) -> Curve:
    """The exact IB curve of a joint whose label is a function of the input (H(Y|X) = 0): the
    vertices (0, 0), (H(Y), H(Y)), (H(X), H(Y)) of the piecewise-linear curve, in bits.

    beta: the first segment is the tie of the Lagrangian at beta = 1 (every point of it solves
    it), the corner solves every beta > 1, the flat end only beta = inf. ``ValueError`` when
    some input has two labels of positive probability."""
    p_xy = check_joint(p_xy)
    if ((p_xy > 0).sum(1) > 1).any():
        raise ValueError("deterministic_curve needs H(Y|X) = 0: some row of p_xy has two labels")
    h_x, h_y = entropy_bits(p_xy.sum(1)), entropy_bits(p_xy.sum(0))
    return Curve(beta=np.array([1.0, 1.0, np.inf]), I_XT=np.array([0.0, h_y, h_x]),
                 I_TY=np.array([0.0, h_y, h_y]))
