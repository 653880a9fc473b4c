"""The theoretical IB curve of the SZT data in the information plane: rip Fig. 16 (the bound,
with two examples of the least I(X;T) that achieves a given I(T;Y)) and the survey's IB-bound
figure (the layers of the trained tanh net against the bound). Bits.

Two joints are drawn. The SZT labels are a function of the input, so the curve is the degenerate
piecewise-linear one (``ibrepro.ib.deterministic_curve``). The noisy variant passes those labels
through a binary symmetric channel whose flip rate is the fraction of labels the ``szt-noisy``
data file inverted (read from the two files, so it follows the config); its curve is strictly
concave (``ibrepro.ib.ib_curve``). The ``szt-noisy`` file itself, each input drawn once with one
label, has an empirical joint that is again deterministic: the channel is the noisy joint the
flips were drawn from.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ibrepro.figures.plane import information_plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.ib import Curve, deterministic_curve, flip_labels, ib_curve, joint_of_samples

NET = ("szt-tanh", "bin-size-0.07")  # the survey's trained net: SZT tanh, rip's bin size
EXAMPLE_LEVELS = (0.5, 0.9)  # rip Fig. 16's two dotted examples, as fractions of I(X;Y)


def flip_rate(clean: xr.Dataset, noisy: xr.Dataset) -> float:
    """The fraction of samples whose label differs between two data files of the same inputs
    (``ValueError`` if their inputs differ)."""
    if not np.array_equal(clean["x"].values, noisy["x"].values):
        raise ValueError("flip_rate needs two data files with the same inputs x, in order")
    return float((clean["y"].values != noisy["y"].values).mean())


def szt_curves(clean: xr.Dataset, noisy: xr.Dataset) -> tuple[Curve, Curve, float]:
    """The IB curves of the SZT joint (all samples) and of its noisy-label channel, and the
    channel's flip rate."""
    joint = joint_of_samples(clean["x"].values, clean["y"].values)
    rate = flip_rate(clean, noisy)
    return deterministic_curve(joint), ib_curve(flip_labels(joint, rate=rate)), rate


def least_compression(curve: Curve, level: float) -> float:
    """The least I(X;T) at which the curve reaches I(T;Y) = ``level`` (bits), by linear
    interpolation between its points (the curve is non-decreasing)."""
    if not 0 <= level <= curve.I_TY.max():
        raise ValueError(f"level must be in [0, {curve.I_TY.max():.6g}] bits, got {level!r}")
    k = int(np.searchsorted(curve.I_TY, level, side="left"))
    if k == 0:
        return float(curve.I_XT[0])
    x0, x1, y0, y1 = curve.I_XT[k - 1], curve.I_XT[k], curve.I_TY[k - 1], curve.I_TY[k]
    return float(x0 + (x1 - x0) * (level - y0) / (y1 - y0))


def curve_gap(curve: Curve, i_xt: np.ndarray, i_ty: np.ndarray) -> np.ndarray:
    """How far below the curve points lie, in bits: the curve's I(T;Y) at each point's I(X;T)
    minus its I(T;Y) (shapes broadcast; beyond the curve's end it stays flat). Negative values
    would be points above the bound."""
    return np.interp(i_xt, curve.I_XT, curve.I_TY) - np.asarray(i_ty)


def _draw_curve(ax, curve: Curve, label: str, **style) -> None:
    ax.plot(curve.I_XT, curve.I_TY, label=label, **style)


def fig16(inputs: ItemInputs):
    """The two curves, the region above them unreachable, two dotted least-compression
    examples on each."""
    exact, noisy, rate = szt_curves(inputs.dataset("szt"), inputs.dataset("szt-noisy"))
    fig, axes = new_figure(1, 2, height=3.0)
    top = 1.08 * exact.I_TY.max()
    parts = []
    for curve, name, colour in ((exact, "SZT labels", "black"),
                                (noisy, f"labels flipped w.p. {rate:.3f}", "tab:red")):
        examples = []
        for ax in axes.flat:
            _draw_curve(ax, curve, name, color=colour, lw=1.2)
            ax.fill_between(curve.I_XT, curve.I_TY, top, color=colour, alpha=0.06, lw=0)
        for fraction in EXAMPLE_LEVELS:
            level = fraction * curve.I_TY.max()
            r = least_compression(curve, level)
            for ax in axes.flat:
                ax.plot([0, r, r], [level, level, 0], color=colour, lw=0.7, ls=":")
            examples.append(f"I(T;Y) = {level:.3f} needs I(X;T) >= {r:.3f}")
        parts.append(f"{name}: I(X;Y) = {curve.I_TY[-1]:.4f}, H(X) = {curve.I_XT[-1]:.4f}, "
                     f"{'; '.join(examples)}")
    for ax in axes.flat:
        ax.set_xlabel("I(X;T) [bits]")
        ax.set_ylabel("I(T;Y) [bits]")
        ax.set_ylim(0, top)
    axes[0, 1].set_xlim(0, 1.5 * exact.I_TY.max())
    axes[0, 1].set_title("zoom")
    axes[0, 0].legend(loc="lower right")
    caption = (
        f"rip Fig. 16: the information bottleneck bound in the information plane, the largest "
        f"I(T;Y) any representation T of X reaches at a given I(X;T) (shaded above: "
        f"unreachable; right: zoom onto the corner), for the SZT data (all 4096 samples; "
        f"labels a function of the input: "
        f"the piecewise-linear curve up to (H(Y), H(Y)), then flat) and for its labels passed "
        f"through a binary symmetric channel with the flip rate of the szt-noisy data "
        f"({rate:.4f}; curve by the iterative IB equations with annealing, {noisy.beta.size} "
        f"points). Dotted: rip's two examples of achievable compression, the least I(X;T) for "
        f"I(T;Y) at {' and '.join(f'{f:.0%}' for f in EXAMPLE_LEVELS)} of I(X;Y). "
        f"{'; '.join(parts)}."
    )
    return fig, caption


def ib_bound(inputs: ItemInputs):
    """The szt-tanh layers (bin size 0.07) against the SZT bound, and a zoom onto I(T;Y)."""
    exact, noisy, rate = szt_curves(inputs.dataset("szt"), inputs.dataset("szt-noisy"))
    plane = mean_plane(inputs.mi(*NET))
    fig, axes = new_figure(1, 2, height=3.3)
    for ax in axes.flat:
        information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                          units=plane.units, legend=ax is axes[0, 0])
        _draw_curve(ax, exact, "IB bound (SZT)", color="black", lw=1.2)
    _draw_curve(axes[0, 0], noisy, f"IB bound, {rate:.2f} flips", color="grey", lw=0.9,
                ls="--")
    axes[0, 1].set_xlim(plane.i_xt[-1].min() - 0.5, exact.I_XT[-1] + 0.2)
    axes[0, 1].set_ylim(plane.i_ty[-1].min() - 0.05, exact.I_TY[-1] + 0.02)
    axes[0, 1].set_title("zoom onto the last epochs")
    axes[0, 1].legend(loc="lower right")
    gap = curve_gap(exact, plane.i_xt[-1], plane.i_ty[-1])
    above = int((curve_gap(exact, plane.i_xt, plane.i_ty) < -1e-9).sum())
    caption = (
        f"survey, convergence of the layers to the IB bound (after Shwartz-Ziv & Tishby): the "
        f"information plane of the SZT tanh net ({NET[0]}, binning {NET[1]}) against the IB "
        f"curve of the SZT data (black; dashed: labels flipped at the szt-noisy rate "
        f"{rate:.4f}); right: zoom. {plane_summary(plane)} Last-epoch distance below the bound "
        f"in I(T;Y) per layer ({', '.join(plane.layer_names)}): "
        f"{', '.join(f'{g:.4f}' for g in gap)} bits; points above the bound: {above} of "
        f"{plane.i_xt.size} (a binned layer is a representation of X, so plug-in estimates on "
        f"the same samples stay below it). The survey reports the layers close to the curve."
    )
    return fig, caption


register(Item("rip/fig16", "figure", fig16, datasets=("szt", "szt-noisy"),
              description="the IB bound of the SZT data and of its noisy-label variant"))
register(Item("survey/ib-bound", "figure", ib_bound, mi=(NET,), datasets=("szt", "szt-noisy"),
              description="layers of the trained SZT tanh net against the theoretical IB curve"))
