"""Chelombiev, Houghton & O'Donnell (ICLR 2019): adaptive estimators on the SZT net.

The summary's point: activity varies by orders of magnitude across layers and epochs, so a
fixed bin grid (or a fixed KDE noise) loses resolution, and adaptive estimators (equal-mass
bins per layer and epoch; KDE noise scaled to each layer's range per epoch) show compression
even in relu nets. One row per net (tanh, relu), one column per estimator: fixed-width binning
(bin size 0.07, ~30 bins over [-1, 1]), 30 equal-mass bins, adaptive KDE (upper bound). The
caption gives, per net and estimator, which layers compress (``figures.compression``).

The other items use the two adaptive estimators only, as the summary does: the activation zoo
(repetition means, ``chelombiev/activations``), single relu initialisations (``inits``) and a
weight-decay sweep (``weight-decay``); compression against test performance across every run of
the zoo and the sweep is ``generalisation``'s. Compression of one layer in one run is the
measure of ``figures.compression``: the drop of its I(X;T) from the maximum over snapshot
epochs (where the fitting phase ends) to the last snapshot, in bits.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from ibrepro.figures.accuracy import final_test_accuracies, fit_summary
from ibrepro.figures.compression import THRESHOLD, compression, of_reps, verdict
from ibrepro.figures.plane import Plane, information_plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.papers.chelombiev.runs import (
    ADAPTIVE,
    ADAPTIVE_NAMES,
    ESTIMATORS,
    NETS,
    WEIGHT_DECAY,
    ZOO,
)

INITS = 4  # single relu initialisations shown
ZOO_COLUMNS = 3  # activations per row of chelombiev/activations (two panels each)


def adaptive_vs_fixed(inputs: ItemInputs):
    """IPs (2×3): rows tanh, relu; columns fixed binning, adaptive binning, adaptive KDE."""
    fig, axes = new_figure(len(NETS), len(ESTIMATORS))
    parts, fits = [], {net: inputs.metrics(experiment) for experiment, net in NETS}
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
        f"per epoch (adaptive-kde-upper). {plane_summary(plane)} {fit_summary(fits)} Drop of "
        f"I(X;T) from its peak to the last epoch per layer, 'compresses' when at least "
        f"{100 * THRESHOLD:.0f}% of the peak: {'; '.join(parts)}. chelombiev: with adaptive "
        f"estimators relu nets can compress too (depending on the initialisation), which fixed "
        f"binning misses."
    )
    return fig, caption


register(Item("chelombiev/adaptive-vs-fixed", "figure", adaptive_vs_fixed,
              mi=tuple((e, s) for e, _ in NETS for s, _ in ESTIMATORS),
              metrics=tuple(e for e, _ in NETS),
              description="tanh and relu IPs: fixed binning, adaptive binning, adaptive KDE"))


ADAPTIVE_CAPTION = ("30 equal-mass bins per unit, layer and epoch (adaptive-bins-30) and the KDE "
                    "upper bound with noise std scaled to each layer's range per epoch "
                    "(adaptive-kde-upper)")


def activations(inputs: ItemInputs):
    """IPs of the repetition mean for every activation of the zoo, adaptive binning beside
    adaptive KDE (3 rows of 3 activations × 2 estimators)."""
    rows = -(-len(ZOO) // ZOO_COLUMNS)
    fig, axes = new_figure(rows, 2 * ZOO_COLUMNS)
    parts, fits = [], {net: inputs.metrics(experiment) for experiment, net in ZOO}
    for i, (experiment, net) in enumerate(ZOO):
        for j, (estimator, label) in enumerate(ADAPTIVE):
            ax = axes[i // ZOO_COLUMNS, 2 * (i % ZOO_COLUMNS) + j]
            plane = mean_plane(inputs.mi(experiment, estimator))
            information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                              units=plane.units, legend=i == 0 and j == 0)
            ax.set_title(f"{net}: {label}")
            result = compression(plane.i_xt)
            parts.append(f"{net}, {estimator}: {verdict(result, plane.layer_names)}")
    for ax in axes.flat[2 * len(ZOO):]:
        ax.set_visible(False)
    caption = (
        f"chelombiev activations: information planes of the SZT net with each hidden "
        f"activation of the zoo ({', '.join(e for e, _ in ZOO)}), under {ADAPTIVE_CAPTION}. "
        f"{plane_summary(plane)} {fit_summary(fits)} Drop of I(X;T) from its peak to the last "
        f"epoch per layer, 'compresses' when at least {100 * THRESHOLD:.0f}% of the peak: "
        f"{'; '.join(parts)}. chelombiev: saturation is not the main factor; similar "
        f"functions (softplus, centred softplus) differ widely in compression."
    )
    return fig, caption


def spread_reps(score: np.ndarray, count: int) -> np.ndarray:
    """Indices of ``count`` repetitions spread over the range of ``score`` ``(rep,)``: the
    lowest, the highest and evenly spaced ranks between (each once; fewer if fewer reps)."""
    order = np.argsort(score, kind="stable")
    picks = np.unique(np.round(np.linspace(0, len(order) - 1, min(count, len(order)))))
    return order[picks.astype(int)]


def hidden_compression(mi: xr.Dataset) -> np.ndarray:
    """Per repetition of an MI file, the mean over its hidden layers (all but the last) of the
    relative drop of I(X;T) from its peak (``figures.compression``): ``(rep,)``."""
    return of_reps(mi).relative[:, :-1].mean(axis=1)


def inits(inputs: ItemInputs):
    """IPs of single relu initialisations (columns) under both adaptive estimators (rows),
    chosen from least to most compressing hidden layers under adaptive binning."""
    experiment = "szt-relu"
    first = inputs.mi(experiment, ADAPTIVE[0][0])
    reps = spread_reps(hidden_compression(first), INITS)
    accuracy = final_test_accuracies(inputs.metrics(experiment))
    fig, axes = new_figure(len(ADAPTIVE), len(reps))
    parts = []
    for row, (estimator, label) in enumerate(ADAPTIVE):
        mi = inputs.mi(experiment, estimator)
        result = of_reps(mi)
        for col, rep in enumerate(reps):
            one = mi.isel(rep=[rep])
            plane = mean_plane(one)
            information_plane(axes[row, col], plane.i_xt, plane.i_ty, plane.epochs,
                              plane.layer_names, units=plane.units, legend=row == col == 0)
            axes[row, col].set_title(f"rep {rep} ({accuracy[rep]:.3f} test acc.): {label}")
            picked = result._replace(**{f: v[rep] for f, v in result._asdict().items()})
            parts.append(f"rep {rep}, {estimator}: {verdict(picked, plane.layer_names)}")
    caption = (
        f"chelombiev inits: information planes of {len(reps)} single initialisations of the "
        f"relu SZT net ({experiment}, repetitions {', '.join(map(str, reps))} of "
        f"{first.sizes['rep']}: the least and the most compressing and evenly spaced ones "
        f"between, ranked by the mean relative drop of I(X;T) of the hidden layers under "
        f"adaptive-bins-30), under {ADAPTIVE_CAPTION}; titles give the final test accuracy. "
        f"{len(plane.epochs)} snapshot epochs ({plane.epochs[0]} to {plane.epochs[-1]}); one "
        f"colour per layer, darker = later; in {plane.units}. Drop from the peak per layer: "
        f"{'; '.join(parts)}. chelombiev: relu nets can compress, but whether they do depends "
        f"on the initialisation, at comparable performance."
    )
    return fig, caption


def layer_spread(plane: Plane) -> float:
    """How far apart the layers end: mean distance of the layers' last (I(X;T), I(T;Y))
    points from their centroid, in the plane's units."""
    points = np.stack([plane.i_xt[-1], plane.i_ty[-1]], axis=-1)  # (layer, 2)
    return float(np.linalg.norm(points - points.mean(axis=0), axis=-1).mean())


def _weight_decay(inputs: ItemInputs, experiment: str) -> float:
    return float(json.loads(inputs.metrics(experiment).attrs["spec"]).get("weight_decay", 0.0))


def weight_decay(inputs: ItemInputs):
    """IPs of relu nets with increasing weight decay (columns) under both adaptive estimators."""
    fig, axes = new_figure(len(ADAPTIVE), len(WEIGHT_DECAY))
    parts, fits = [], {}
    for col, experiment in enumerate(WEIGHT_DECAY):
        strength = _weight_decay(inputs, experiment)
        fits[f"weight decay {strength:g}"] = inputs.metrics(experiment)
        for row, (estimator, label) in enumerate(ADAPTIVE):
            plane = mean_plane(inputs.mi(experiment, estimator))
            result = compression(plane.i_xt)
            information_plane(axes[row, col], plane.i_xt, plane.i_ty, plane.epochs,
                              plane.layer_names, units=plane.units, legend=row == col == 0)
            axes[row, col].set_title(f"weight decay {strength:g}: {label}")
            parts.append(f"weight decay {strength:g}, {estimator}: {int(result.compresses.sum())} "
                         f"compressing layers, layer spread {layer_spread(plane):.2f} "
                         f"{plane.units} ({verdict(result, plane.layer_names)})")
    caption = (
        f"chelombiev weight decay: information planes of the relu SZT net with coupled L2 "
        f"weight decay on the weights ({', '.join(WEIGHT_DECAY)}), under "
        f"{ADAPTIVE_CAPTION}. {plane_summary(plane)} {fit_summary(fits)} Per strength: the "
        f"layers whose I(X;T) drops at least {100 * THRESHOLD:.0f}% from its peak by the last "
        f"epoch, and the layer spread (mean distance of the layers' last points from their "
        f"centroid): {'; '.join(parts)}. chelombiev: stronger weight decay, more compression, "
        f"layers pulled to one point."
    )
    return fig, caption


register(Item("chelombiev/activations", "figure", activations,
              mi=tuple((e, s) for e, _ in ZOO for s in ADAPTIVE_NAMES),
              metrics=tuple(e for e, _ in ZOO),
              description="repetition-mean IPs of the activation zoo, adaptive estimators"))
register(Item("chelombiev/inits", "figure", inits,
              mi=tuple(("szt-relu", s) for s in ADAPTIVE_NAMES), metrics=("szt-relu",),
              description="single relu initialisations, least to most compressing"))
register(Item("chelombiev/weight-decay", "figure", weight_decay,
              mi=tuple((e, s) for e in WEIGHT_DECAY for s in ADAPTIVE_NAMES),
              metrics=WEIGHT_DECAY, description="relu IPs with increasing weight decay"))
