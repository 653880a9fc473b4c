"""Revisiting the Information Plane (ICLR 2020 submission): Fig. 1, 2, 4, 5, 17 and Table 1.

Information planes are means over repetitions of the per-repetition MI estimates; the "score" in
titles is, as in rip, the test accuracy at the last epoch (here mean ± std over repetitions).

Figs. 4 and 5 belong together: rip's Fig. 4 shows the planes "where bins were tracked", i.e.
the runs whose bin-occupancy histograms (Fig. 5: layer 4, layer 5 and the output at epochs 1,
4000 and 8000) explain the planes (§2.3: layers whose values crowd into fewer bins lose
I(X;T), ReLU layers leaving the 0 bin gain it). Here Fig. 4 is the bin-size-0.07 plane of the
tanh and relu nets with the histogram epochs marked on every trajectory, its caption giving
the number of occupied bins of the histogram layers there; Fig. 5 draws the histograms.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import xarray as xr

from ibrepro.figures.compression import THRESHOLD, compression, verdict
from ibrepro.figures.plane import (
    Plane,
    epoch_cmap,
    information_plane,
    mean_plane,
    plane_summary,
)
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure

BIN_SIZES = (0.01, 0.07, 0.15, 0.3)
MIXED = (("szt-relu-tanh", "Leading ReLU"), ("szt-tanh-relu", "Leading TanH"))
CURVES = (("szt-tanh", "TanH net"), ("szt-relu", "ReLU net"))
HISTOGRAM_SIZE = 0.07  # rip Figs. 4 and 5: bin size 0.07, as the estimator's bins
HISTOGRAM_EPOCHS = (1, 4000, 8000)  # of rip's 8000 epochs
HISTOGRAM_MARKERS = ("o", "s", "^")


def bin_size_estimator(size: float) -> str:
    """The configured estimator name of fixed-width binning with bin size ``size``."""
    return f"bin-size-{size}"


def final_test_accuracy(metrics: xr.Dataset) -> tuple[float, float, int]:
    """Mean and std (ddof 0) over repetitions of the last epoch's test accuracy, and R."""
    acc = metrics["accuracy"].sel(split="test").isel(epoch=-1)
    return float(acc.mean()), float(acc.std()), acc.sizes["rep"]


def _mean_std(values: xr.DataArray) -> str:
    """"mean ± std" (ddof 0) of all values, 4 decimals."""
    return f"{float(values.mean()):.4f} ± {float(values.std()):.4f}"


def _final_ixt(plane: Plane) -> str:
    """Last-epoch I(X;T) per layer, first to last, 2 decimals."""
    return ", ".join(f"{v:.2f}" for v in plane.i_xt[-1])


def bin_sizes_figure(inputs: ItemInputs, experiment: str, net: str, paper: str):
    """IP of ``experiment`` at the four bin sizes (2×2): rip Fig. 1 (SZT) and Fig. 11
    (MNIST-138). net: the net's name in titles; paper: rip's score, for the caption."""
    mean, std, reps = final_test_accuracy(inputs.metrics(experiment))
    fig, axes = new_figure(2, 2, sharex=True, sharey=True)
    finals = []
    for i, (ax, size) in enumerate(zip(axes.flat, BIN_SIZES, strict=True)):
        plane = mean_plane(inputs.mi(experiment, bin_size_estimator(size)))
        information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                          units=plane.units, legend=i == 0)
        ax.set_title(f"bin size {size}")
        ax.label_outer()
        finals.append(f"bin size {size}: {_final_ixt(plane)}")
    fig.suptitle(f"Information Plane, {net} (score: {mean:.4f})")
    caption = (
        f"Information plane of the {net} ({experiment}) under fixed-width binning with bin "
        f"sizes {', '.join(map(str, BIN_SIZES))} (estimators "
        f"{', '.join(bin_size_estimator(s) for s in BIN_SIZES)}). {plane_summary(plane)} "
        f"Score = final test accuracy {mean:.4f} ± {std:.4f} (mean ± std over {reps} "
        f"repetitions; rip: {paper}). Last-epoch I(X;T) per layer "
        f"({', '.join(plane.layer_names)}): {'; '.join(finals)}."
    )
    return fig, caption


def fig1(inputs: ItemInputs):
    return bin_sizes_figure(inputs, "szt-tanh", "tanh SZT net", "0.9707, one net")


def mixed_figure(inputs: ItemInputs, nets: tuple[tuple[str, str], ...], data: str):
    """IP of the two mixed nets ``nets`` ((experiment, title) pairs) at bin size 0.07 (1×2):
    rip Fig. 2 (SZT) and Fig. 12 (MNIST-138); data: the dataset's name in the caption."""
    estimator = bin_size_estimator(0.07)
    fig, axes = new_figure(1, 2, sharex=True, sharey=True)
    parts = []
    for ax, (experiment, title) in zip(axes.flat, nets, strict=True):
        plane = mean_plane(inputs.mi(experiment, estimator))
        mean, std, reps = final_test_accuracy(inputs.metrics(experiment))
        information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                          units=plane.units)
        ax.set_title(f"{title} (score: {mean:.4f})")
        ax.label_outer()
        parts.append(f"{title} ({experiment}, layers {', '.join(plane.layer_names)}): final test "
                     f"accuracy {mean:.4f} ± {std:.4f} over {reps} repetitions, last-epoch "
                     f"I(X;T) per layer {_final_ixt(plane)}")
    caption = (f"Information planes of the mixed {data} nets, binning with bin size 0.07 "
               f"({estimator}). {plane_summary(plane)} {'; '.join(parts)}.")
    return fig, caption


def fig2(inputs: ItemInputs):
    return mixed_figure(inputs, MIXED, "SZT")


def fig17(inputs: ItemInputs):
    """Train/validation accuracy and loss over epochs, tanh and relu (2×2), mean ± std band."""
    fig, axes = new_figure(2, 2, height=5.0, sharex=True)
    parts = []
    for row, (experiment, title) in zip(axes, CURVES, strict=True):
        metrics = inputs.metrics(experiment)
        x = metrics["epoch"].values + 1
        for ax, name, label in zip(row, ("accuracy", "loss"), ("accuracy", "cross-entropy loss"),
                                   strict=True):
            for split, split_label in (("train", "train"), ("test", "validation (test split)")):
                curve = metrics[name].sel(split=split).transpose("rep", "epoch").values
                mean, std = curve.mean(axis=0), curve.std(axis=0)
                (line,) = ax.plot(x, mean, lw=0.8, label=split_label)
                ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.25,
                                lw=0, rasterized=True)  # raster band keeps the PDF small
            units = metrics[name].attrs.get("units")
            ax.set_ylabel(f"{label} [{units}]" if units else label)
            ax.set_title(f"{title}: {label}")
            ax.set_xscale("log")
            ax.set_xlabel("epoch + 1")
        final = metrics["accuracy"].isel(epoch=-1)
        test_loss = metrics["loss"].sel(split="test").mean("rep")
        best = int(test_loss.argmin("epoch"))
        parts.append(
            f"{title} ({experiment}, {metrics.sizes['rep']} repetitions): final train accuracy "
            f"{_mean_std(final.sel(split='train'))}, final test accuracy "
            f"{_mean_std(final.sel(split='test'))}; mean test loss lowest at epoch "
            f"{int(metrics['epoch'][best])} ({float(test_loss[best]):.4f}), "
            f"{float(test_loss[-1]):.4f} at the last epoch"
        )
    axes[0, 0].legend(loc="lower right")
    caption = (
        "Training and validation (test split) accuracy and cross-entropy loss over epochs of the "
        "SZT tanh and relu nets; lines are means over repetitions, bands ± 1 std; the x axis is "
        f"epoch + 1 on a log scale (epoch 0 = initialisation). {'; '.join(parts)}. rip reports "
        "scores 0.946 (tanh) and 0.937 (relu), one net each."
    )
    return fig, caption


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


class Table1Row(NamedTuple):
    """One row of rip Table 1: a dataset file, the samples used, and the paper's values (bits)."""

    dataset: str
    subset: str  # "train" or "all"
    paper_ixy: float | None = None
    paper_hx: float | None = None


TABLE1_ROWS = (
    Table1Row("szt", "train", 0.9976734295143714, 11.677719641641012),
    Table1Row("szt", "all"),
    Table1Row("mnist138", "train", 1.5849625007211579, 10.550746785383243),
    Table1Row("mnist138", "all"),
)


def input_information(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """H(X) and I(X;Y) in bits, plug-in over samples (each sample one equiprobable draw).

    x: ``(sample, feature)`` of any dtype (rows are compared exactly: each distinct row is one
    symbol), y: ``(sample,)`` labels. I(X;Y) = H(Y) - H(Y|X) = H(X) + H(Y) - H(X,Y).
    """
    import torch  # local: figure jobs need torch only for this table

    from ibrepro.estimators.entropy import entropy

    rows = np.unique(np.asarray(x), axis=0, return_inverse=True)[1].reshape(-1, 1)
    xs = torch.as_tensor(rows.astype(np.int64))
    ys = torch.as_tensor(np.asarray(y, dtype=np.int64))[:, None]
    h_x, h_y, h_xy = (float(entropy(s)) for s in (xs, ys, torch.cat([xs, ys], dim=1)))
    return h_x, h_x + h_y - h_xy


def subset_information(data: xr.Dataset, subset: str) -> tuple[float, float, int]:
    """H(X), I(X;Y) in bits and N of a dataset file's ``subset`` ("all" or a split name)."""
    keep = np.ones(data.sizes["sample"], bool)
    if subset != "all":
        keep = data["split"].values == subset
    h_x, i_xy = input_information(data["x"].values[keep], data["y"].values[keep])
    return h_x, i_xy, int(keep.sum())


def table1(inputs: ItemInputs):
    """I(X;Y) and H(X) of the datasets, on the training split and on all samples."""
    rows, notes = [], []
    for spec in TABLE1_ROWS:
        h_x, i_xy, n = subset_information(inputs.dataset(spec.dataset), spec.subset)
        name = f"{spec.dataset} ({spec.subset})"
        rows.append({"dataset": name, "samples": n, "I(X;Y) [bits]": i_xy, "H(X) [bits]": h_x,
                     "paper I(X;Y) [bits]": spec.paper_ixy, "paper H(X) [bits]": spec.paper_hx})
        distinct = ("all rows distinct, H(X) = log2 N" if abs(h_x - np.log2(n)) < 1e-9
                    else f"repeated rows, H(X) < log2 N = {np.log2(n):.4f}")
        note = f"{name}: N = {n}, {distinct}"
        if spec.paper_hx is not None:
            note += (f"; ours − paper: I(X;Y) {i_xy - spec.paper_ixy:+.2e}, "
                     f"H(X) {h_x - spec.paper_hx:+.2e}")
        notes.append(note)
    caption = (
        "rip Table 1: mutual information I(X;Y) between input and label and input entropy H(X), "
        "in bits, plug-in estimates over the samples of each data file (each sample an "
        "equiprobable x; I(X;Y) = H(Y) − H(Y|X)), on the training split and on all samples. "
        f"{'; '.join(notes)}. With distinct rows I(X;Y) = H(Y), so it depends on the class "
        "balance of the split."
    )
    return rows, caption


register(Item("rip/fig1", "figure", fig1,
              mi=tuple(("szt-tanh", bin_size_estimator(s)) for s in BIN_SIZES),
              metrics=("szt-tanh",),
              description="IP of the tanh SZT net at bin sizes 0.01, 0.07, 0.15, 0.3"))
register(Item("rip/fig2", "figure", fig2,
              mi=tuple((e, bin_size_estimator(0.07)) for e, _ in MIXED),
              metrics=tuple(e for e, _ in MIXED),
              description="IP of the two mixed nets (leading ReLU, leading TanH), bin size 0.07"))
register(Item("rip/fig4", "figure", fig4,
              mi=tuple((e, bin_size_estimator(HISTOGRAM_SIZE)) for e, _ in CURVES),
              activations=tuple(e for e, _ in CURVES), metrics=tuple(e for e, _ in CURVES),
              description="IP of tanh and relu, bin size 0.07, histogram epochs (bins) tracked"))
register(Item("rip/fig5", "figure", fig5, activations=tuple(e for e, _ in CURVES),
              description="bin-occupancy histograms of layers 4, 5 and output at 3 epochs"))
register(Item("rip/fig17", "figure", fig17, metrics=tuple(e for e, _ in CURVES),
              description="train/validation accuracy and cross-entropy loss, tanh and relu"))
register(Item("rip/table1", "table", table1,
              datasets=tuple(dict.fromkeys(r.dataset for r in TABLE1_ROWS)),
              description="I(X;Y) and H(X) of SZT and MNIST-138 (train split and all samples)"))
