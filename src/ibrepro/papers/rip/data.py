"""rip's data items: Table 1 (I(X;Y) and H(X) of the SZT and MNIST-138 files) and Fig. 16 (the
IB bound of the SZT data, and of its labels through szt-noisy's flip rate). Bits."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import xarray as xr

from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.ib import least_compression, szt_curves

EXAMPLE_LEVELS = (0.5, 0.9)  # rip Fig. 16's two dotted examples, as fractions of I(X;Y)


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


def fig16(inputs: ItemInputs):
    """The two curves, the region above them unreachable, two dotted least-compression
    examples on each."""
    exact, noisy, rate = szt_curves(inputs.dataset("szt"), inputs.dataset("szt-noisy"))
    fig, axes = new_figure(1, 2, height=3.0)
    top = 1.08 * exact.I_TY.max()
    parts = []
    for curve, name, colour in ((exact, "SZT labels", "black"),
                                (noisy, f"labels flipped w.p. {rate:.3f}", "tab:red")):
        examples = []
        for ax in axes.flat:
            ax.plot(curve.I_XT, curve.I_TY, label=name, color=colour, lw=1.2)
            ax.fill_between(curve.I_XT, curve.I_TY, top, color=colour, alpha=0.06, lw=0)
        for fraction in EXAMPLE_LEVELS:
            level = fraction * curve.I_TY.max()
            r = least_compression(curve, level)
            for ax in axes.flat:
                ax.plot([0, r, r], [level, level, 0], color=colour, lw=0.7, ls=":")
            examples.append(f"I(T;Y) = {level:.3f} needs I(X;T) >= {r:.3f}")
        parts.append(f"{name}: I(X;Y) = {curve.I_TY[-1]:.4f}, H(X) = {curve.I_XT[-1]:.4f}, "
                     f"{'; '.join(examples)}")
    for ax in axes.flat:
        ax.set_xlabel("I(X;T) [bits]")
        ax.set_ylabel("I(T;Y) [bits]")
        ax.set_ylim(0, top)
    axes[0, 1].set_xlim(0, 1.5 * exact.I_TY.max())
    axes[0, 1].set_title("zoom")
    axes[0, 0].legend(loc="lower right")
    caption = (
        f"rip Fig. 16: the information bottleneck bound in the information plane, the largest "
        f"I(T;Y) any representation T of X reaches at a given I(X;T) (shaded above: "
        f"unreachable; right: zoom onto the corner), for the SZT data (all 4096 samples; "
        f"labels a function of the input: "
        f"the piecewise-linear curve up to (H(Y), H(Y)), then flat) and for its labels passed "
        f"through a binary symmetric channel with the flip rate of the szt-noisy data "
        f"({rate:.4f}; curve by the iterative IB equations with annealing, {noisy.beta.size} "
        f"points). Dotted: rip's two examples of achievable compression, the least I(X;T) for "
        f"I(T;Y) at {' and '.join(f'{f:.0%}' for f in EXAMPLE_LEVELS)} of I(X;Y). "
        f"{'; '.join(parts)}."
    )
    return fig, caption


register(Item("rip/fig16", "figure", fig16, datasets=("szt", "szt-noisy"),
              description="the IB bound of the SZT data and of its noisy-label variant"))
register(Item("rip/table1", "table", table1,
              datasets=tuple(dict.fromkeys(r.dataset for r in TABLE1_ROWS)),
              uses=("ibrepro.estimators.entropy",),
              description="I(X;Y) and H(X) of SZT and MNIST-138 (train split and all samples)"))
