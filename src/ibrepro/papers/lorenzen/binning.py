"""Lorenzen et al. App. A: non-quantized SZT nets (TANH: Fig. A.5, RELU: Fig. A.6), I(X;T) and
I(T;Y) by binning every layer with 30, 100 and 256 equal-width bins over the global range (all
layers and epochs of a repetition), the mean of the repetitions plotted, one plane per bin
count. The nets are Lorenzen's own, trained in its standard setting (Adam, lr 1e-4; ``runs.APP_A``:
the 32-bit float nets). The paper's claims checked in the caption: both estimates grow with the
number of bins (at every layer and epoch), and with 30 bins the relu estimate of I(T;Y) breaks
the data-processing inequality (it is not non-increasing with depth).
"""

from __future__ import annotations

import numpy as np

from ibrepro.figures.plane import Plane, information_plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.papers.lorenzen.runs import APP_A, BIN_COUNTS, global_bin_estimator

TOLERANCE = 1e-9  # differences below this are float rounding of equal plug-in estimates


def grows_with_bins(planes: list[Plane], name: str) -> float:
    """Fraction of (epoch, layer) points where estimate ``name`` ("i_xt" or "i_ty") does not
    decrease (by more than ``TOLERANCE``) from each bin count to the next (planes in
    increasing bin count)."""
    values = np.stack([getattr(p, name) for p in planes])  # (bins, epoch, layer)
    return float((np.diff(values, axis=0) >= -TOLERANCE).all(axis=0).mean())


def dpi_violations(i_ty: np.ndarray) -> int:
    """Epochs at which I(T;Y) increases (by more than ``TOLERANCE``) from some layer to the
    next: ``(epoch, layer)`` -> int. The data-processing inequality makes the true I(T_l;Y)
    non-increasing with depth l."""
    return int((np.diff(i_ty, axis=-1) > TOLERANCE).any(axis=-1).sum())


def _figure(inputs: ItemInputs, item: str):
    experiment, net = APP_A[item]
    fig, axes = new_figure(1, len(BIN_COUNTS), sharex=True, sharey=True)
    planes, finals = [], []
    for i, (ax, bins) in enumerate(zip(axes.flat, BIN_COUNTS, strict=True)):
        plane = mean_plane(inputs.mi(experiment, global_bin_estimator(bins)))
        planes.append(plane)
        information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                          units=plane.units, legend=i == 0)
        ax.set_title(f"{bins} bins")
        ax.label_outer()
        finals.append(
            f"{bins} bins: I(X;T) {', '.join(f'{v:.2f}' for v in plane.i_xt[-1])}, I(T;Y) "
            f"{', '.join(f'{v:.3f}' for v in plane.i_ty[-1])}, I(T;Y) rising with depth at "
            f"{dpi_violations(plane.i_ty)} of {len(plane.epochs)} epochs")
    fig.suptitle(f"{net} network, non-quantized, binning over the global range")
    caption = (
        f"lorenzen Fig. A.{item[-1]}: information planes of the non-quantized {net} SZT net "
        f"({experiment}: lorenzen's standard setting, Adam, lr 1e-4; the float net of App. C) "
        f"with {', '.join(map(str, BIN_COUNTS))} equal-width bins over the global range of "
        f"each repetition (estimators "
        f"{', '.join(global_bin_estimator(b) for b in BIN_COUNTS)}). {plane_summary(plane)} "
        f"Last epoch per layer ({', '.join(plane.layer_names)}): {'; '.join(finals)}. "
        f"Estimates not decreasing from 30 to 100 to 256 bins at "
        f"{100 * grows_with_bins(planes, 'i_xt'):.0f}% (I(X;T)) and "
        f"{100 * grows_with_bins(planes, 'i_ty'):.0f}% (I(T;Y)) of the (epoch, layer) points; "
        f"lorenzen: both grow with the number of bins, and with 30 bins the RELU net's I(T;Y) "
        f"is non-monotone in depth (the DPI is violated); the mean of 50 runs there."
    )
    return fig, caption


def fig_a5(inputs: ItemInputs):
    """TANH, 30/100/256 bins (1×3)."""
    return _figure(inputs, "figA5")


def fig_a6(inputs: ItemInputs):
    """RELU, 30/100/256 bins (1×3)."""
    return _figure(inputs, "figA6")


def _inputs(item: str) -> tuple[tuple[str, str], ...]:
    return tuple((APP_A[item][0], global_bin_estimator(b)) for b in BIN_COUNTS)


register(Item("lorenzen/figA5", "figure", fig_a5, mi=_inputs("figA5"),
              description="non-quantized TANH net, 30/100/256 bins over the global range"))
register(Item("lorenzen/figA6", "figure", fig_a6, mi=_inputs("figA6"),
              description="non-quantized RELU net, 30/100/256 bins over the global range"))
