"""The survey's own experiment ("Additional experiments for verification"): 4 boolean inputs,
labels flipped w.p. 0.07, a tanh 4-4-4-4-2 net trained by SGD with batch 16. Bits.

``survey/boolean-partition``: the epsilon-partition of the second-to-last layer T (the 2-unit
layer) at the last epoch. Cells are the bins of size ``eps`` of each unit, a cell being the tuple
floor(t_u / eps) over units (the bin-size estimator's symbols); a cell's homogeneity is the
fraction of its samples in its majority class (1 = one class only, 1/K = evenly mixed). Tishby's
input-compression bound needs cells homogeneous in the label; the survey finds them far from it.

``survey/bound-tightness``: the generalisation gap (train minus test accuracy) against the
input-compression bound of Shwartz-Ziv & Tishby (2017, §"generalization bounds"), as the survey
states it: with probability 1 - delta,

    eps_gen^2 < (2^{I(X;T)} + log(1 / delta)) / (2 m),

m the training samples; the cover of the hypothesis class is replaced by the 2^{I(X;T)} typical
cells of the partition. Here I(X;T) = H(T_eps), the plug-in entropy (bits) of the cells over
the training samples (T is a function of X), log the natural log, delta = 0.05.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import xarray as xr

from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.ib import entropy_bits

EXPERIMENT = "boolean-tanh"
EPS = 0.5  # cell size: 4 cells per tanh unit, up to 16 for the 2-unit layer
DELTA = 0.05  # confidence of the bound


class Cells(NamedTuple):
    """An epsilon-partition: ``codes`` ``(cell, unit)`` floor(t / eps) of each non-empty cell
    (sorted), ``counts`` ``(cell, class)`` samples per class."""

    codes: np.ndarray
    counts: np.ndarray

    @property
    def homogeneity(self) -> np.ndarray:
        """Majority-class fraction per cell ``(cell,)``."""
        return self.counts.max(axis=1) / self.counts.sum(axis=1)

    @property
    def purity(self) -> float:
        """The cells' homogeneity weighted by their samples: the fraction of all samples in
        their cell's majority class."""
        return float(self.counts.max(axis=1).sum() / self.counts.sum())


def partition(t: np.ndarray, y: np.ndarray, *, eps: float, classes: int) -> Cells:
    """The epsilon-partition of activations ``t`` ``(sample, unit)`` with labels ``y``
    ``(sample,)`` in ``0..classes-1``."""
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    codes, cell = np.unique(np.floor(np.asarray(t, dtype=float) / eps).astype(np.int64),
                            axis=0, return_inverse=True)
    counts = np.zeros((len(codes), classes), dtype=np.int64)
    np.add.at(counts, (cell.ravel(), np.asarray(y)), 1)
    return Cells(codes, counts)


def partition_information(cells: Cells) -> float:
    """I(X;T_eps) = H(T_eps) in bits, plug-in over the partitioned samples."""
    sizes = cells.counts.sum(axis=1)
    return entropy_bits(sizes / sizes.sum())


def compression_bound(i_xt: np.ndarray, m: int, *, delta: float = DELTA) -> np.ndarray:
    """The input-compression bound on the generalisation gap, sqrt((2^{I(X;T)} + ln(1/delta))
    / (2 m)), for ``i_xt`` in bits (any shape)."""
    if m < 1 or not 0 < delta < 1:
        raise ValueError(f"need m >= 1 and 0 < delta < 1, got {m=}, {delta=}")
    return np.sqrt((np.exp2(np.asarray(i_xt, dtype=float)) + math.log(1 / delta)) / (2 * m))


def _layer(acts: xr.Dataset) -> tuple[np.ndarray, str]:
    """The unit indices and name of the second-to-last layer."""
    layers = acts["layer"].values
    target = np.unique(layers)[-2]
    return np.flatnonzero(layers == target), str(acts["layer_name"].values[layers == target][0])


def last_partitions(acts: xr.Dataset) -> tuple[list[Cells], str]:
    """The epsilon-partition of the second-to-last layer at the last epoch, all samples, one
    per repetition, and that layer's name."""
    units, name = _layer(acts)
    y = acts["y"].values
    last = acts.isel(epoch=-1, unit=units)["activation"].values  # rep, sample, unit
    return [partition(t, y, eps=EPS, classes=int(y.max()) + 1) for t in last], name


def boolean_partition(inputs: ItemInputs):
    """Per repetition, the cells' class counts (stacked bars); all cells' homogeneity."""
    acts = inputs.activations(EXPERIMENT)
    parts, name = last_partitions(acts)
    y = acts["y"].values
    classes = int(y.max()) + 1
    fig, axes = new_figure(1, 2, height=3.0)
    bars, hist = axes.flat
    cells = parts[0]
    order = np.argsort(-cells.counts.sum(axis=1))
    bottom = np.zeros(len(order))
    for c in range(classes):
        bars.bar(np.arange(len(order)), cells.counts[order, c], bottom=bottom, label=f"y = {c}")
        bottom += cells.counts[order, c]
    bars.set_xticks(np.arange(len(order)),
                    [str(tuple(code.tolist())) for code in cells.codes[order]], rotation=45)
    bars.set_xlabel(f"cell floor(t / {EPS}) of {name} (repetition 1)")
    bars.set_ylabel("samples")
    bars.legend(loc="upper right")
    homogeneity = np.concatenate([p.homogeneity for p in parts])
    weights = np.concatenate([p.counts.sum(axis=1) for p in parts])
    hist.hist(homogeneity, bins=np.linspace(1 / classes, 1, 11), weights=weights, color="grey")
    hist.set_xlabel("cell homogeneity (majority-class fraction)")
    hist.set_ylabel("samples in such cells")
    mean_h = float(np.mean([p.purity for p in parts]))  # every rep: all samples
    caption = (
        f"survey, class homogeneity of the epsilon-partition of the second-to-last layer "
        f"({name}) of the boolean net ({EXPERIMENT}: 4 inputs, labels flipped w.p. 0.07, tanh "
        f"4-4-4-4-2, SGD batch 16) at its last epoch {int(acts['epoch'][-1])}, all "
        f"{y.size} samples; cells are bins of size {EPS} per unit. Left: samples per class in "
        f"each cell of repetition 1 ({len(cells.codes)} cells); right: the homogeneity of "
        f"every cell of the {len(parts)} repetitions, weighted by its samples. Cells per "
        f"repetition: {', '.join(str(len(p.codes)) for p in parts)}; sample-weighted mean "
        f"homogeneity {mean_h:.3f}; samples in cells at most 90% pure: "
        f"{int(weights[homogeneity <= 0.9].sum())} of {int(weights.sum())}. The survey: 6 "
        f"cells, far from homogeneous in the label."
    )
    return fig, caption


def bound_tightness(inputs: ItemInputs):
    """Gap and bound over the snapshot epochs, mean ± std over repetitions."""
    acts = inputs.activations(EXPERIMENT)
    metrics = inputs.metrics(EXPERIMENT)
    units, name = _layer(acts)
    y, train = acts["y"].values, acts["split"].values == "train"
    classes = int(y.max()) + 1
    epochs = acts["epoch"].values
    values = acts.isel(unit=units)["activation"].values[:, :, train]  # rep, epoch, sample, unit
    i_xt = np.array([[partition_information(partition(t, y[train], eps=EPS, classes=classes))
                      for t in rep] for rep in values])
    bound = compression_bound(i_xt, int(train.sum()))
    acc = metrics["accuracy"].sel(epoch=epochs)
    gap = (acc.sel(split="train") - acc.sel(split="test")).transpose("rep", "epoch").values
    fig, axes = new_figure(1, 1, height=3.0)
    ax = axes[0, 0]
    for series, label in ((gap, "generalisation gap (train - test accuracy)"),
                          (bound, "input-compression bound")):
        mean, std = series.mean(axis=0), series.std(axis=0)
        (line,) = ax.plot(epochs + 1, mean, lw=1.0, label=label)
        ax.fill_between(epochs + 1, mean - std, mean + std, color=line.get_color(), alpha=0.25,
                        lw=0)
    ax.set_xscale("log")
    ax.set_xlabel("epoch + 1")
    ax.set_ylabel("accuracy gap / bound")
    ax.legend(loc="best")
    caption = (
        f"survey, tightness of the input-compression bound on the boolean net ({EXPERIMENT}): "
        f"the generalisation gap (train minus test accuracy) and the bound sqrt((2^I(X;T) + "
        f"ln(1/delta)) / (2m)) with delta = {DELTA}, m = {int(train.sum())} training samples "
        f"and I(X;T) = H(T_eps) of the {EPS}-partition of {name} over the training samples, "
        f"at the snapshot epochs; lines are means over {gap.shape[0]} repetitions, bands ± 1 "
        f"std. Last epoch: I(X;T) {i_xt[:, -1].mean():.3f} bits, bound "
        f"{bound[:, -1].mean():.4f}, gap {gap[:, -1].mean():.4f} (bound / gap "
        f"{bound[:, -1].mean() / max(abs(gap[:, -1].mean()), 1e-12):.1f}). The survey asks "
        f"how tight this bound is; it expects it to be loose."
    )
    return fig, caption


register(Item("survey/boolean-partition", "figure", boolean_partition,
              activations=(EXPERIMENT,),
              description="class homogeneity of the eps-partition cells, boolean net"))
register(Item("survey/bound-tightness", "figure", bound_tightness, activations=(EXPERIMENT,),
              metrics=(EXPERIMENT,),
              description="generalisation gap vs the input-compression bound, boolean net"))
