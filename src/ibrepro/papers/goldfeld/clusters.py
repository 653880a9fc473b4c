"""Goldfeld et al. Sec. 5's clustering measures as the figures read them: the measure files the
measure stage writes (config.yaml ``measures``, ``estimators.clustering``; README: Measures),
H(Bin(T_l)) per hidden layer, and the within- vs between-class distance histograms that Figs. 6
and 8 draw as fractions of pairs. Nats."""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.axes import Axes

PAIRS = (("within-class", "C0", "within class"), ("between-class", "C1", "between"))
CLUSTER_FROM = 3  # Fig. 6: "the formation of clusters is clearly seen (layer 3 and beyond)"
# a layer is tightly clustered when at least a quarter of its within-class pairs (nearly)
# coincide, in the first distance bin (2% of the diagonal of its values' box, about 18 beta):
# as when each class collapses into at most four equal clusters
CLUSTERED = 0.25


def hidden_layers(measure: xr.Dataset) -> list[int]:
    """The hidden layers (1-based) of a measure file: every layer but the last, the output."""
    return [int(k) for k in measure["layer"].values[:-1]]


def hidden_entropy(measure: xr.Dataset) -> np.ndarray:
    """H(Bin(T_l)) in nats of a ``binned-entropy`` measure file, mean over repetitions:
    ``(epoch, hidden layer)``."""
    h_bin = measure["H_bin"].sel(layer=hidden_layers(measure))
    return h_bin.mean("rep").transpose("epoch", "layer").values


def pair_fractions(counts: np.ndarray) -> np.ndarray:
    """Each histogram ``(..., bin)`` of pair counts as fractions of its pairs (NaN where it has
    none)."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum(-1, keepdims=True)
    return np.divide(counts, total, out=np.full_like(counts, np.nan), where=total > 0)


def distance_fractions(measure: xr.Dataset, epoch: int, layer: int) -> dict[str, np.ndarray]:
    """A ``pairwise-distances`` measure file's histograms at ``epoch`` (an epoch it holds) and
    ``layer``: pair -> fractions of pairs per bin, mean over repetitions of each repetition's,
    and ``"edges"`` -> the bin edges ``(bin + 1,)`` in activation units."""
    counts = measure["pair_count"].sel(epoch=epoch, layer=layer)
    fractions = {pair: np.nanmean(pair_fractions(counts.sel(pair=pair).transpose("rep", "bin")
                                                 .values), axis=0) for pair, _, _ in PAIRS}
    return fractions | {"edges": measure["distance_edges"].sel(layer=layer).values}


def overlap(fractions: dict[str, np.ndarray]) -> float:
    """The overlap of the within- and between-class histograms (``distance_fractions``): the
    sum of their bin-wise minimum (1: the same, 0: disjoint)."""
    return float(np.minimum(fractions[PAIRS[0][0]], fractions[PAIRS[1][0]]).sum())


def draw_distances(ax: Axes, fractions: dict[str, np.ndarray]) -> float:
    """Draw the within- and between-class histograms (``distance_fractions``) on ``ax``; return
    their ``overlap``."""
    for pair, colour, name in PAIRS:
        ax.stairs(fractions[pair], fractions["edges"], color=colour, lw=0.9, label=name)
    ax.set_yticks([])
    return overlap(fractions)


def occupied_to(fractions: dict[str, np.ndarray]) -> float:
    """The upper edge of the last bin holding pairs of either kind (``distance_fractions``):
    the x-axis limit that shows the histograms, not the empty rest of [0, diagonal]."""
    held = np.flatnonzero(np.nan_to_num(fractions[PAIRS[0][0]] + fractions[PAIRS[1][0]]) > 0)
    return float(fractions["edges"][held[-1] + 1 if held.size else -1])


def coincident_shares(measure: xr.Dataset) -> dict[int, float]:
    """A ``pairwise-distances`` measure file's share of within-class pairs in the first
    distance bin at its last snapshot, mean over repetitions, per hidden layer from
    ``CLUSTER_FROM`` on: layer -> share (``CLUSTERED`` or more: tightly clustered)."""
    last = int(measure["epoch"].values[-1])
    return {layer: float(distance_fractions(measure, last, layer)[PAIRS[0][0]][0])
            for layer in hidden_layers(measure) if layer >= CLUSTER_FROM}
