"""Beyond the papers: one run (szt-tanh), every estimator side by side, with verdicts.

The debate is about estimators disagreeing on the same activations. One panel per estimator
family (fixed-width and fixed-count binning, equal-mass binning, the KDE bounds with fixed and
adaptive noise), the same repetition-mean planes, and per layer the compression verdict of
``figures.compression`` (drop of I(X;T) from its peak to the last epoch, at least 5% of the
peak), with the number of repetitions that compress on their own; the caption lists the layers
where all estimators agree and those where they do not.
"""

from __future__ import annotations

import numpy as np

from ibrepro.figures.compression import THRESHOLD, compressing_reps, compression, verdict
from ibrepro.figures.plane import information_plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure

EXPERIMENT = "szt-tanh"
ESTIMATORS = ("bin-size-0.07", "bin-count-30", "adaptive-bins-30", "kde-upper", "kde-lower",
              "adaptive-kde-upper")
NCOLS = 3


def agreement(verdicts: np.ndarray, layer_names: list[str]) -> str:
    """Which layers all estimators call compressing, which none, and where they split
    ("name (k of n)"): ``verdicts`` bool ``(estimator, layer)``."""
    n = verdicts.shape[0]
    counts = verdicts.sum(axis=0)
    named = list(zip(layer_names, counts, strict=True))
    groups = (("all estimators find compression in", [m for m, c in named if c == n]),
              ("none finds compression in", [m for m, c in named if c == 0]),
              ("they disagree on", [f"{m} ({c} of {n})" for m, c in named if 0 < c < n]))
    return "; ".join(f"{label} {', '.join(names) or 'no layer'}" for label, names in groups)


def estimators(inputs: ItemInputs):
    """IPs of szt-tanh, one panel per estimator (2×3)."""
    nrows = -(-len(ESTIMATORS) // NCOLS)
    fig, axes = new_figure(nrows, NCOLS)
    verdicts, parts = [], []
    for i, (ax, estimator) in enumerate(zip(axes.flat, ESTIMATORS, strict=True)):
        mi = inputs.mi(EXPERIMENT, estimator)
        plane = mean_plane(mi)
        result = compression(plane.i_xt)
        reps = compressing_reps(mi["I_XT"].transpose("rep", "epoch", "layer").values)
        information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                          units=plane.units, legend=i == 0)
        layers = ", ".join(str(k + 1) for k in np.flatnonzero(result.compresses)) or "none"
        ax.set_title(f"{estimator} (compressing layers: {layers})")
        verdicts.append(result.compresses)
        parts.append(f"{estimator} ({plane.units}): {verdict(result, plane.layer_names)}; "
                     f"repetitions compressing per layer {', '.join(map(str, reps))} of "
                     f"{plane.repetitions}")
    caption = (
        f"compare/estimators: information planes of one run ({EXPERIMENT}) under every "
        f"estimator, one panel each. {plane_summary(plane)} Compression measure: the drop of a "
        f"layer's I(X;T) from its maximum over epochs (the end of the fitting phase) to the "
        f"last epoch, relative to that maximum; a layer compresses when the drop is at least "
        f"{100 * THRESHOLD:.0f}% (verdict on the repetition mean; titles list the compressing "
        f"layers, 1 = first). {'; '.join(parts)}. Agreement: "
        f"{agreement(np.array(verdicts), plane.layer_names)}."
    )
    return fig, caption


register(Item("compare/estimators", "figure", estimators,
              mi=tuple((EXPERIMENT, s) for s in ESTIMATORS),
              description="szt-tanh under every estimator, per-layer compression verdicts"))
