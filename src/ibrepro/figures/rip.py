"""Revisiting the Information Plane (ICLR 2020 submission): Fig. 1, 2, 17 and Table 1.

Information planes are means over repetitions of the per-repetition MI estimates; the "score" in
titles is, as in rip, the test accuracy at the last epoch (here mean ± std over repetitions).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
import xarray as xr

from ibrepro.estimators.entropy import entropy
from ibrepro.figures.plane import information_plane
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure

BIN_SIZES = (0.01, 0.07, 0.15, 0.3)
MIXED = (("szt-relu-tanh", "Leading ReLU"), ("szt-tanh-relu", "Leading TanH"))
CURVES = (("szt-tanh", "TanH net"), ("szt-relu", "ReLU net"))


def bin_size_estimator(size: float) -> str:
    """The configured estimator name of fixed-width binning with bin size ``size``."""
    return f"bin-size-{size}"


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


def _plane_caption_tail(plane: Plane) -> str:
    return (f"Mean over {plane.repetitions} repetitions at {len(plane.epochs)} snapshot epochs "
            f"({plane.epochs[0]} to {plane.epochs[-1]}); one colour per layer, darker = later "
            f"epoch; I(X;T) and I(T;Y) in {plane.units}.")


def fig1(inputs: ItemInputs):
    """IP of szt-tanh at the four bin sizes (2×2)."""
    mean, std, reps = final_test_accuracy(inputs.metrics("szt-tanh"))
    fig, axes = new_figure(2, 2, sharex=True, sharey=True)
    finals = []
    for i, (ax, size) in enumerate(zip(axes.flat, BIN_SIZES, strict=True)):
        plane = mean_plane(inputs.mi("szt-tanh", bin_size_estimator(size)))
        information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                          units=plane.units, legend=i == 0)
        ax.set_title(f"bin size {size}")
        ax.label_outer()
        finals.append(f"bin size {size}: {_final_ixt(plane)}")
    fig.suptitle(f"Information Plane, tanh SZT net (score: {mean:.4f})")
    caption = (
        f"Information plane of the SZT tanh net (szt-tanh) under fixed-width binning with bin "
        f"sizes {', '.join(map(str, BIN_SIZES))} (estimators "
        f"{', '.join(bin_size_estimator(s) for s in BIN_SIZES)}). {_plane_caption_tail(plane)} "
        f"Score = final test accuracy {mean:.4f} ± {std:.4f} (mean ± std over {reps} "
        f"repetitions; rip: 0.9707, one net). Last-epoch I(X;T) per layer "
        f"({', '.join(plane.layer_names)}): {'; '.join(finals)}."
    )
    return fig, caption


def fig2(inputs: ItemInputs):
    """IP of the two mixed nets at bin size 0.07 (1×2)."""
    estimator = bin_size_estimator(0.07)
    fig, axes = new_figure(1, 2, sharex=True, sharey=True)
    parts = []
    for ax, (experiment, title) in zip(axes.flat, MIXED, strict=True):
        plane = mean_plane(inputs.mi(experiment, estimator))
        mean, std, reps = final_test_accuracy(inputs.metrics(experiment))
        information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                          units=plane.units)
        ax.set_title(f"{title} (score: {mean:.4f})")
        ax.label_outer()
        parts.append(f"{title} ({experiment}, layers {', '.join(plane.layer_names)}): final test "
                     f"accuracy {mean:.4f} ± {std:.4f} over {reps} repetitions, last-epoch "
                     f"I(X;T) per layer {_final_ixt(plane)}")
    caption = (f"Information planes of the mixed SZT nets, binning with bin size 0.07 "
               f"({estimator}). {_plane_caption_tail(plane)} {'; '.join(parts)}.")
    return fig, caption


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
register(Item("rip/fig17", "figure", fig17, metrics=tuple(e for e, _ in CURVES),
              description="train/validation accuracy and cross-entropy loss, tanh and relu"))
register(Item("rip/table1", "table", table1,
              datasets=tuple(dict.fromkeys(r.dataset for r in TABLE1_ROWS)),
              description="I(X;Y) and H(X) of SZT and MNIST-138 (train split and all samples)"))
