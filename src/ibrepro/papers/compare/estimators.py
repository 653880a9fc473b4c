"""Beyond the papers: one run, every estimator side by side, with verdicts.

The debate is about estimators disagreeing on the same activations. The run is the noisy tanh
SZT net (szt-tanh-noisy, beta = 0.005), the one run every estimator applies to: its recorded
activations are the pre-noise values, which the deterministic estimators read as they read any
run, and sample propagation adds the noise back. One panel per estimator family (fixed-width
and fixed-count binning, binning over the global range, equal-mass binning, the KDE bounds with
fixed and adaptive noise, sample propagation), the same repetition-mean planes, and per layer
the compression verdict of ``figures.compression`` (drop of I(X;T) from its peak to the last
epoch, at least 5% of the peak), with the number of repetitions that compress on their own;
the caption lists the layers where all estimators agree and those where they do not.
"""

from __future__ import annotations

import numpy as np

from ibrepro.figures.compression import THRESHOLD, compressing_reps, compression, verdict
from ibrepro.figures.plane import information_plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure

EXPERIMENT = "szt-tanh-noisy"
ESTIMATORS = ("bin-size-0.07", "bin-count-30", "bin-count-30-global", "adaptive-bins-30",
              "kde-upper", "kde-lower", "adaptive-kde-upper", "sample-propagation")
NCOLS = 4


def agreement(verdicts: np.ndarray, layer_names: list[str]) -> str:
    """Which layers all estimators call compressing, which none, and where they split
    ("name (k of n)"): ``verdicts`` ``(estimator, layer)``, 1 / 0, or NaN where an estimator
    gives no estimate for the layer (it is then left out of that layer's count)."""
    verdicts = np.asarray(verdicts, dtype=float)
    counts = np.nansum(verdicts, axis=0).astype(int)
    totals = (~np.isnan(verdicts)).sum(axis=0)
    named = list(zip(layer_names, counts, totals, strict=True))
    groups = (("all estimators find compression in", [m for m, c, n in named if c == n]),
              ("none finds compression in", [m for m, c, n in named if c == 0]),
              ("they disagree on", [f"{m} ({c} of {n})" for m, c, n in named if 0 < c < n]))
    return "; ".join(f"{label} {', '.join(names) or 'no layer'}" for label, names in groups)


def estimators(inputs: ItemInputs):
    """IPs of one run, one panel per estimator (2×4)."""
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
        verdicts.append(np.where(np.isnan(result.peak), np.nan, result.compresses))
        parts.append(f"{estimator} ({plane.units}): {verdict(result, plane.layer_names)}; "
                     f"repetitions compressing per layer {', '.join(map(str, reps))} of "
                     f"{plane.repetitions}")
    summary = plane_summary(plane, units="each estimator's units (below)")
    caption = (
        f"compare/estimators: information planes of one run ({EXPERIMENT}) under every "
        f"estimator, one panel each. {summary} Compression measure: the drop of a "
        f"layer's I(X;T) from its maximum over epochs (the end of the fitting phase) to the "
        f"last epoch, relative to that maximum; a layer compresses when the drop is at least "
        f"{100 * THRESHOLD:.0f}% (verdict on the repetition mean; titles list the compressing "
        f"layers, 1 = first). {'; '.join(parts)}. Agreement: "
        f"{agreement(np.array(verdicts), plane.layer_names)}."
    )
    return fig, caption


register(Item("compare/estimators", "figure", estimators,
              mi=tuple((EXPERIMENT, s) for s in ESTIMATORS),
              description="szt-tanh-noisy under every estimator, per-layer compression verdicts"))
