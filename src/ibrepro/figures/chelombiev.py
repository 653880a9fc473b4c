"""Chelombiev, Houghton & O'Donnell (ICLR 2019): fixed vs adaptive estimators, tanh and relu.

The summary's point: activity varies by orders of magnitude across layers and epochs, so a
fixed bin grid (or a fixed KDE noise) loses resolution, and adaptive estimators (equal-mass
bins per layer and epoch; KDE noise scaled to each layer's range per epoch) show compression
even in relu nets. One row per net (tanh, relu), one column per estimator: fixed-width binning
(bin size 0.07, ~30 bins over [-1, 1]), 30 equal-mass bins, adaptive KDE (upper bound). The
caption gives, per net and estimator, which layers compress (``figures.compression``).
"""

from __future__ import annotations

from ibrepro.figures.compression import THRESHOLD, compression, verdict
from ibrepro.figures.plane import information_plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure

NETS = (("szt-tanh", "tanh"), ("szt-relu", "relu"))
ESTIMATORS = (("bin-size-0.07", "fixed bins (size 0.07)"),
              ("adaptive-bins-30", "adaptive: 30 equal-mass bins"),
              ("adaptive-kde-upper", "adaptive KDE (upper)"))


def adaptive_vs_fixed(inputs: ItemInputs):
    """IPs (2×3): rows tanh, relu; columns fixed binning, adaptive binning, adaptive KDE."""
    fig, axes = new_figure(len(NETS), len(ESTIMATORS))
    parts = []
    for row, (experiment, net) in enumerate(NETS):
        for col, (estimator, label) in enumerate(ESTIMATORS):
            plane = mean_plane(inputs.mi(experiment, estimator))
            information_plane(axes[row, col], plane.i_xt, plane.i_ty, plane.epochs,
                              plane.layer_names, units=plane.units, legend=col == 0)
            axes[row, col].set_title(f"{net}: {label}")
            result = compression(plane.i_xt)
            parts.append(f"{net}, {estimator}: {verdict(result, plane.layer_names)}")
    caption = (
        f"chelombiev adaptive vs fixed estimators: information planes of the SZT tanh and relu "
        f"nets ({', '.join(e for e, _ in NETS)}) under fixed-width binning (bin-size-0.07), "
        f"entropy-based binning with 30 equal-mass bins per unit, layer and epoch "
        f"(adaptive-bins-30) and the KDE upper bound with noise std scaled to each layer's range "
        f"per epoch (adaptive-kde-upper). {plane_summary(plane)} Drop of I(X;T) from its peak to "
        f"the last epoch per layer, 'compresses' when at least {100 * THRESHOLD:.0f}% of the "
        f"peak: {'; '.join(parts)}. chelombiev: with adaptive estimators relu nets can compress "
        f"too (depending on the initialisation), which fixed binning misses."
    )
    return fig, caption


register(Item("chelombiev/adaptive-vs-fixed", "figure", adaptive_vs_fixed,
              mi=tuple((e, s) for e, _ in NETS for s, _ in ESTIMATORS),
              description="tanh and relu IPs: fixed binning, adaptive binning, adaptive KDE"))
