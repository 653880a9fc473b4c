"""The information-plane primitive: one trajectory per layer, I(X;T) on x, I(T;Y) on y."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import matplotlib
import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

# one sequential colormap per layer (light -> dark), so hue = layer and shade = epoch
LAYER_CMAPS = ("Blues", "Oranges", "Greens", "Reds", "Purples", "Greys",
               "YlOrBr", "PuRd", "BuGn", "RdPu", "YlGn")  # 11: rip's big nets (rip/fig8)
SHADE_RANGE = (0.35, 1.0)  # colormap fraction used for the first and the last epoch
EPOCH_CMAP = "viridis_r"  # where epochs (not layers) are the curves: later = darker


def epoch_shade(epochs: np.ndarray) -> np.ndarray:
    """Colormap position of each epoch, log-spaced: first epoch light, last epoch darkest."""
    t = np.log1p(np.asarray(epochs, dtype=float))
    span = t.max() - t.min()
    t = (t - t.min()) / span if span > 0 else np.ones_like(t)
    low, high = SHADE_RANGE
    return low + (high - low) * t


def epoch_cmap(shade: float) -> tuple:
    """The colour of an epoch shade (``epoch_shade``) when each epoch is its own curve."""
    return matplotlib.colormaps[EPOCH_CMAP](shade)


def information_plane(ax: Axes, i_xt: np.ndarray, i_ty: np.ndarray, epochs: Sequence[int],
                      layer_names: Sequence[str], *, units: str = "bits",
                      legend: bool = True) -> list:
    """Draw rip-style IP trajectories on ``ax``; returns the artists (lines, scatters, legend).

    i_xt, i_ty: ``(epoch, layer)`` arrays (already reduced over repetitions), in ``units``.
    Each layer gets its own sequential colormap: a thin line through its epochs plus one point
    per epoch, shaded by epoch (darker = later, log-spaced).
    """
    i_xt, i_ty = np.asarray(i_xt, dtype=float), np.asarray(i_ty, dtype=float)
    expected = (len(epochs), len(layer_names))
    if i_xt.shape != expected or i_ty.shape != expected:
        raise ValueError(f"i_xt {i_xt.shape} and i_ty {i_ty.shape} must be (epoch, layer) = "
                         f"{expected}")
    shade = epoch_shade(np.asarray(epochs))
    artists, handles = [], []
    for layer in range(len(layer_names)):
        cmap = matplotlib.colormaps[LAYER_CMAPS[layer % len(LAYER_CMAPS)]]
        (line,) = ax.plot(i_xt[:, layer], i_ty[:, layer], color=cmap(0.7), lw=0.6,
                          alpha=0.8, zorder=1)
        points = ax.scatter(i_xt[:, layer], i_ty[:, layer], c=cmap(shade), s=9,
                            edgecolors="none", zorder=2)
        artists += [line, points]
        handles.append(Line2D([], [], color=cmap(0.85), lw=0.6, marker="o", markersize=3.5))
    ax.set_xlabel(f"I(X;T) [{units}]")
    ax.set_ylabel(f"I(T;Y) [{units}]")
    if legend:
        artists.append(ax.legend(handles, [str(n) for n in layer_names], loc="best",
                                 handletextpad=0.3, borderpad=0.3, labelspacing=0.25))
    return artists


class Plane(NamedTuple):
    """Repetition-mean IP of one MI file: i_xt, i_ty ``(epoch, layer)``."""

    i_xt: np.ndarray
    i_ty: np.ndarray
    epochs: np.ndarray
    layer_names: list[str]
    units: str
    repetitions: int


def mean_plane(mi: xr.Dataset) -> Plane:
    """Average I_XT and I_TY of an MI file over ``rep``."""
    def mean(name: str) -> np.ndarray:
        return mi[name].mean("rep").transpose("epoch", "layer").values

    return Plane(mean("I_XT"), mean("I_TY"), mi["epoch"].values,
                 [str(n) for n in mi["layer_name"].values], mi.attrs["units"], mi.sizes["rep"])


def plane_summary(plane: Plane, units: str | None = None) -> str:
    """The caption sentence every IP figure shares: repetitions, epochs, colours, units
    (``units`` overrides the plane's own, e.g. for panels in different units)."""
    return (f"Mean over {plane.repetitions} repetitions at {len(plane.epochs)} snapshot epochs "
            f"({plane.epochs[0]} to {plane.epochs[-1]}); one colour per layer, darker = later "
            f"epoch; I(X;T) and I(T;Y) in {units or plane.units}.")
