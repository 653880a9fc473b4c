"""rip's information planes: Fig. 1 (the tanh net at four bin sizes), Fig. 2 (the mixed nets),
Fig. 6 (the bottleneck net) and Fig. 9 (the mixed nets' single initialisations); the MNIST-138
Figs. 11 and 12 reuse ``bin_sizes_figure`` and ``mixed_figure``.

Planes are means over repetitions of the per-repetition MI estimates; the "score" in titles is,
as in rip, the test accuracy at the last epoch (here mean ± std over repetitions).

Fig. 6: rip's 12-3-2-12-2-2 tanh net; rip counts the input as layer 1, so its "3rd layer, the
bottleneck" is our hidden layer 2 (2 units) and its "4th" our hidden layer 3 (12 units). Binning
can give the 12-unit layer more I(X;T) than the 2-unit layer before it, which the data
processing inequality forbids for the true quantities: the caption counts such epochs.

Fig. 9: the mixed nets from other initialisations. Each repetition of our runs is its own
initialisation (``repetition_seeds``) and rip/fig2 draws their mean, so Fig. 9 draws single
repetitions of the same runs, one net per panel as rip draws one: no extra training.
"""

from __future__ import annotations

import numpy as np

from ibrepro.figures.accuracy import final_test_accuracies, final_test_accuracy
from ibrepro.figures.compression import compression, verdict
from ibrepro.figures.plane import Plane, information_plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.papers.rip.runs import (
    BIN_SIZES,
    BOTTLENECK,
    ESTIMATOR,
    MIXED,
    TANH,
    bin_size_estimator,
)

BOTTLENECK_LAYERS = (2, 3)  # rip's "3rd" (2 units) and "4th" (12 units) layers, 1-based here
INITS = 3  # repetitions drawn per mixed net in Fig. 9 (fewer if a run has fewer)


def final_ixt(plane: Plane) -> str:
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
        finals.append(f"bin size {size}: {final_ixt(plane)}")
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
    return bin_sizes_figure(inputs, TANH, "tanh SZT net", "0.9707, one net")


def mixed_figure(inputs: ItemInputs, nets: tuple[tuple[str, str], ...], data: str):
    """IP of the two mixed nets ``nets`` ((experiment, title) pairs) at bin size 0.07 (1×2):
    rip Fig. 2 (SZT) and Fig. 12 (MNIST-138); data: the dataset's name in the caption."""
    estimator = ESTIMATOR
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
                     f"I(X;T) per layer {final_ixt(plane)}")
    caption = (f"Information planes of the mixed {data} nets, binning with bin size 0.07 "
               f"({estimator}). {plane_summary(plane)} {'; '.join(parts)}.")
    return fig, caption


def fig2(inputs: ItemInputs):
    return mixed_figure(inputs, MIXED, "SZT")


def dpi_excess(i_xt: np.ndarray, before: int, after: int) -> np.ndarray:
    """Epochs at which layer ``after`` (0-based column of ``i_xt`` ``(epoch, layer)``) has more
    I(X;T) than the earlier layer ``before``, which the true values never have: bool
    ``(epoch,)`` (by more than 1e-9)."""
    return i_xt[:, after] > i_xt[:, before] + 1e-9


def fig6(inputs: ItemInputs):
    """IP of the bottleneck net, repetition mean."""
    plane = mean_plane(inputs.mi(BOTTLENECK, ESTIMATOR))
    mean, std, reps = final_test_accuracy(inputs.metrics(BOTTLENECK))
    fig, axes = new_figure(1, 1)
    information_plane(axes[0, 0], plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                      units=plane.units)
    axes[0, 0].set_title(f"Bottleneck net 12-3-2-12-2-2 (score: {mean:.4f})")
    result = compression(plane.i_xt)
    before, after = (k - 1 for k in BOTTLENECK_LAYERS)
    excess = dpi_excess(plane.i_xt, before, after)
    names = plane.layer_names
    caption = (
        f"rip Fig. 6: information plane of the SZT bottleneck net 12-3-2-12-2-2 (tanh, "
        f"{BOTTLENECK}), binning with bin size 0.07 ({ESTIMATOR}). {plane_summary(plane)} Final "
        f"test accuracy {mean:.4f} ± {std:.4f} over {reps} repetitions. Relative drop of I(X;T) "
        f"from its peak to the last epoch: {verdict(result, names)}. rip's bottleneck (its "
        f"3rd layer, here {names[before]}, 2 units) against the next layer ({names[after]}, 12 "
        f"units): {100 * result.relative[before]:.0f}% vs {100 * result.relative[after]:.0f}% "
        f"drop; the 12-unit layer has more estimated I(X;T) than the bottleneck before it at "
        f"{int(excess.sum())} of {excess.size} snapshot epochs (impossible for the true "
        f"values by the data processing inequality). rip: the bottleneck compresses more than "
        f"the 4th layer, purely an effect of many samples sharing bins."
    )
    return fig, caption


def fig9(inputs: ItemInputs):
    """rows: leading ReLU, leading TanH; columns: single repetitions (initialisations)."""
    runs = [(e, t, inputs.mi(e, ESTIMATOR)) for e, t in MIXED]
    n_reps = min(INITS, *(mi.sizes["rep"] for _, _, mi in runs))
    fig, axes = new_figure(len(runs), n_reps, sharex=True, sharey=True)
    parts = []
    for row, (experiment, title, mi) in enumerate(runs):
        acc = final_test_accuracies(inputs.metrics(experiment))
        finals = []
        for rep in range(n_reps):
            plane = mean_plane(mi.isel(rep=[rep]))
            ax = axes[row, rep]
            information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                              units=plane.units, legend=row == rep == 0)
            ax.set_title(f"{title}, init {rep + 1} (score: {float(acc[rep]):.4f})")
            ax.label_outer()
            finals.append(f"init {rep + 1}: {', '.join(f'{v:.2f}' for v in plane.i_xt[-1])}")
        parts.append(f"{title} ({experiment}, layers {', '.join(plane.layer_names)}), "
                     f"last-epoch I(X;T) per layer: {'; '.join(finals)}")
    caption = (
        f"rip Fig. 9: the mixed SZT nets from other initialisations, bin size 0.07 "
        f"({ESTIMATOR}): each panel is one network, the first {n_reps} repetitions (each its "
        f"own initialisation) of the runs whose mean rip/fig2 draws. {len(plane.epochs)} "
        f"snapshot epochs ({plane.epochs[0]} to {plane.epochs[-1]}); one colour per layer, "
        f"darker = later epoch; bits. {'; '.join(parts)}. rip: the trajectories are very "
        f"susceptible to the initialisation."
    )
    return fig, caption


register(Item("rip/fig1", "figure", fig1,
              mi=tuple((TANH, bin_size_estimator(s)) for s in BIN_SIZES), metrics=(TANH,),
              description="IP of the tanh SZT net at bin sizes 0.01, 0.07, 0.15, 0.3"))
register(Item("rip/fig2", "figure", fig2, mi=tuple((e, ESTIMATOR) for e, _ in MIXED),
              metrics=tuple(e for e, _ in MIXED),
              description="IP of the two mixed nets (leading ReLU, leading TanH), bin size 0.07"))
register(Item("rip/fig6", "figure", fig6, mi=((BOTTLENECK, ESTIMATOR),), metrics=(BOTTLENECK,),
              description="IP of the bottleneck net 12-3-2-12-2-2"))
register(Item("rip/fig9", "figure", fig9, mi=tuple((e, ESTIMATOR) for e, _ in MIXED),
              metrics=tuple(e for e, _ in MIXED),
              description="mixed nets again with other initialisations (single repetitions)"))
