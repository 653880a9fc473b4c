"""rip Figs. 4 and 5: the planes "where bins were tracked" and their bin-occupancy histograms.

rip's Fig. 4 shows the planes of the runs whose bin-occupancy histograms (Fig. 5: layer 4,
layer 5 and the output at epochs 1, 4000 and 8000) explain the planes (§2.3: layers whose
values crowd into fewer bins lose I(X;T), ReLU layers leaving the 0 bin gain it). Here Fig. 4
is the bin-size-0.07 plane of the tanh and relu nets with the histogram epochs marked on every
trajectory, its caption giving the number of occupied bins of the histogram layers there; Fig. 5
draws the histograms. The MNIST-138 histograms (Figs. 13, 14) reuse ``histogram_figure``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import xarray as xr

from ibrepro.figures.accuracy import final_test_accuracy
from ibrepro.figures.compression import THRESHOLD, compression, verdict
from ibrepro.figures.plane import epoch_cmap, information_plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.papers.rip.runs import CURVES, bin_size_estimator

HISTOGRAM_SIZE = 0.07  # rip Figs. 4 and 5: bin size 0.07, as the estimator's bins
HISTOGRAM_EPOCHS = (1, 4000, 8000)  # of rip's 8000 epochs
HISTOGRAM_MARKERS = ("o", "s", "^")


def histogram_epochs(snapshots: np.ndarray) -> list[int]:
    """The snapshot epochs nearest to rip's epochs 1, 4000, 8000 scaled to this run's length.

    snapshots: the run's recorded epochs, the last one its final epoch E; rip's epoch e of
    8000 becomes e / 8000 * E, at least 1 (after one epoch of training), and then the nearest
    snapshot (the earlier one on a tie), each once. At paper scale these are rip's epochs
    where recorded.
    """
    snapshots = np.asarray(snapshots)
    total = snapshots.max()
    targets = [max(1.0, e / HISTOGRAM_EPOCHS[-1] * total) for e in HISTOGRAM_EPOCHS]
    return list(dict.fromkeys(int(snapshots[np.abs(snapshots - t).argmin()]) for t in targets))


class Occupancy(NamedTuple):
    """Bin-occupancy histograms of some layers at some epochs, bin size ``size``.

    counts: ``(layer, epoch, bin)`` values per bin (all units of the layer pooled), mean over
    repetitions, i.e. one net's count; edges: ``(bin + 1,)`` bin edges, k * size (bins of
    floor(t / size) as the bin-size estimator); occupied: ``(layer, epoch)`` non-empty bins,
    mean over repetitions.
    """

    counts: np.ndarray
    edges: np.ndarray
    occupied: np.ndarray
    epochs: list[int]
    layer_names: list[str]
    repetitions: int


def bin_occupancy(acts: xr.Dataset, epochs: list[int], layers: list[int], *,
                  size: float = HISTOGRAM_SIZE) -> Occupancy:
    """Histograms of ``layers`` (1-based) at ``epochs`` of a lazily opened activations file.

    Reads only those epochs' chunks of ``activation(rep, epoch, sample, unit)`` (and only the
    units of those layers).
    """
    unit_layer = acts["layer"].values
    units = np.flatnonzero(np.isin(unit_layer, layers))
    values = acts["activation"].sel(epoch=epochs).isel(unit=units).values  # rep, epoch, s, u
    symbols = np.floor(values.astype(np.float64) / size).astype(np.int64)
    low, high = symbols.min(), symbols.max()
    reps, n_epochs = values.shape[:2]
    n_bins = high - low + 1
    counts = np.empty((len(layers), reps, n_epochs, n_bins))
    for k, layer in enumerate(layers):
        s = symbols[..., unit_layer[units] == layer].reshape(reps, n_epochs, -1) - low
        group = np.arange(reps * n_epochs).reshape(reps, n_epochs, 1) * n_bins
        counts[k] = np.bincount((s + group).ravel(), minlength=reps * n_epochs * n_bins
                                ).reshape(reps, n_epochs, n_bins)
    names = [str(acts["layer_name"].values[unit_layer == layer][0]) for layer in layers]
    return Occupancy(counts.mean(axis=1), np.arange(low, high + 2) * size,
                     (counts > 0).sum(axis=-1).mean(axis=1), list(epochs), names, reps)


def histogram_layers(acts: xr.Dataset) -> list[int]:
    """rip's histogram layers: layer 4, layer 5 and the output (the last layer)."""
    return [4, 5, int(acts["layer"].values.max())]


def run_occupancy(inputs: ItemInputs, experiment: str, *,
                  size: float = HISTOGRAM_SIZE) -> Occupancy:
    """:func:`bin_occupancy` of rip's histogram layers at rip's (scaled) histogram epochs."""
    acts = inputs.activations(experiment)
    return bin_occupancy(acts, histogram_epochs(acts["epoch"].values), histogram_layers(acts),
                         size=size)


def _occupied(occ: Occupancy) -> str:
    """"layer: a → b → c" occupied bins at the histogram epochs, per layer."""
    return "; ".join(f"{name} {' → '.join(f'{v:.1f}' for v in row)}"
                     for name, row in zip(occ.layer_names, occ.occupied, strict=True))


def _epoch_note(epochs: list[int], last: int) -> str:
    return (f"rip's epochs 1, 4000, 8000 (of 8000) are taken at the same fractions of this run's "
            f"{last} epochs, as the nearest snapshot epochs: {', '.join(map(str, epochs))}")


def fig4(inputs: ItemInputs):
    """IP of tanh and relu at bin size 0.07 (1×2), the histogram epochs of Fig. 5 marked."""
    estimator = bin_size_estimator(HISTOGRAM_SIZE)
    fig, axes = new_figure(1, 2, sharex=True, sharey=True)
    parts = []
    for ax, (experiment, title) in zip(axes.flat, CURVES, strict=True):
        plane = mean_plane(inputs.mi(experiment, estimator))
        occ = run_occupancy(inputs, experiment)
        mean, std, reps = final_test_accuracy(inputs.metrics(experiment))
        information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                          units=plane.units)
        index = [int(np.flatnonzero(plane.epochs == e)[0]) for e in occ.epochs]
        marks = [ax.scatter(plane.i_xt[i], plane.i_ty[i], s=36, marker=m, facecolors="none",
                            edgecolors="black", linewidths=0.6, zorder=3)
                 for i, m in zip(index, HISTOGRAM_MARKERS, strict=False)]
        ax.add_artist(ax.legend(marks, [f"epoch {e}" for e in occ.epochs], loc="lower right"))
        ax.set_title(f"{title} (score: {mean:.4f})")
        ax.label_outer()
        compression_verdict = verdict(compression(plane.i_xt), plane.layer_names)
        parts.append(f"{title} ({experiment}; test accuracy {mean:.4f} ± {std:.4f}, {reps} "
                     f"repetitions): occupied 0.07-bins at the marked epochs {_occupied(occ)}; "
                     f"I(X;T) from its peak to the last epoch {compression_verdict}")
    last = int(plane.epochs[-1])
    caption = (
        f"rip Fig. 4: information planes of the SZT tanh and relu nets, bin size 0.07 "
        f"({estimator}), with the bins tracked: rings, squares and triangles mark the epochs "
        f"whose bin-occupancy histograms rip Fig. 5 (ours: rip/fig5) shows. "
        f"{plane_summary(plane)} {_epoch_note(occ.epochs, last)}. {'; '.join(parts)}. "
        f"Occupied bins are the non-empty bins of floor(t / 0.07) over all units and samples of "
        f"the layer, mean over repetitions; a layer compresses when its I(X;T) ends at least "
        f"{100 * THRESHOLD:.0f}% below its peak. rip: the tanh layers whose values crowd into "
        f"fewer (extreme) bins compress, the relu layers fill empty bins and do not."
    )
    return fig, caption


def histogram_figure(inputs: ItemInputs, runs: tuple[tuple[str, str, float], ...],
                     data: str) -> tuple:
    """Bin-occupancy histograms: rows layer 4, layer 5, output; one column per run of ``runs``
    ((experiment, title, bin size)). Returns the figure and the caption's middle part: the
    epochs, the layout and each run's occupied bins (rip Figs. 5, 13, 14; data: the dataset)."""
    fig, axes = new_figure(3, len(runs), height=7.5)
    parts = []
    for col, (experiment, title, size) in enumerate(runs):
        occ = run_occupancy(inputs, experiment, size=size)
        colours = [epoch_cmap(c) for c in np.linspace(0.2, 0.95, len(occ.epochs))]
        for row, name in enumerate(occ.layer_names):
            ax = axes[row, col]
            for j, epoch in enumerate(occ.epochs):
                ax.stairs(occ.counts[row, j], occ.edges, color=colours[j], lw=0.9,
                          label=f"epoch {epoch}")
            filled = np.flatnonzero(occ.counts[row].sum(axis=0))
            ax.set_xlim(occ.edges[filled[0]] - size, occ.edges[filled[-1] + 1] + size)
            ax.set_yscale("log")
            ax.set_title(f"{title}: {name}")
            ax.set_xlabel(f"activation (bins of {size})")
            ax.set_ylabel("values per bin")
        parts.append(f"{title} ({experiment}, {occ.repetitions} repetitions, bin size {size}) "
                     f"occupied bins {_occupied(occ)}")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside upper center",
               ncols=len(occ.epochs))
    last = int(inputs.activations(experiment)["epoch"].max())
    caption = (
        f"bin-occupancy histograms of layer 4, layer 5 and the output layer of the {data} "
        f"{' and '.join(title for _, title, _ in runs)} nets, bins floor(t / size) as the "
        f"bin-size estimators, all units of the layer pooled, counts per net (mean over "
        f"repetitions, log scale: a gap is an empty bin), darker = later epoch. "
        f"{_epoch_note(occ.epochs, last)}. {'; '.join(parts)}."
    )
    return fig, caption


def fig5(inputs: ItemInputs):
    """Bin-occupancy histograms (3×2): rows layer 4, layer 5, output; columns tanh, relu."""
    fig, caption = histogram_figure(
        inputs, tuple((e, t, HISTOGRAM_SIZE) for e, t in CURVES), "SZT")
    return fig, (
        f"rip Fig. 5: {caption} rip: with training the deeper tanh layers pile into the "
        f"extreme bins and empty the others; the relu layers leave the 0 bin and fill empty "
        f"bins; the output ends in the bins of 0 and 1."
    )


register(Item("rip/fig4", "figure", fig4,
              mi=tuple((e, bin_size_estimator(HISTOGRAM_SIZE)) for e, _ in CURVES),
              activations=tuple(e for e, _ in CURVES), metrics=tuple(e for e, _ in CURVES),
              description="IP of tanh and relu, bin size 0.07, histogram epochs (bins) tracked"))
register(Item("rip/fig5", "figure", fig5, activations=tuple(e for e, _ in CURVES),
              description="bin-occupancy histograms of layers 4, 5 and output at 3 epochs"))
