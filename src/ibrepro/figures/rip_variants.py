"""rip's network variants: the bottleneck net (Fig. 6) and the mixed nets at other
initialisations (Fig. 9), bin size 0.07 as rip.

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

from ibrepro.figures.compression import compression, verdict
from ibrepro.figures.plane import information_plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.rip import MIXED, final_test_accuracy
from ibrepro.figures.save import new_figure

ESTIMATOR = "bin-size-0.07"
BOTTLENECK = "szt-bottleneck"
BOTTLENECK_LAYERS = (2, 3)  # rip's "3rd" (2 units) and "4th" (12 units) layers, 1-based here
INITS = 3  # repetitions drawn per mixed net in Fig. 9 (fewer if a run has fewer)


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
        acc = inputs.metrics(experiment)["accuracy"].sel(split="test").isel(epoch=-1)
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


register(Item("rip/fig6", "figure", fig6, mi=((BOTTLENECK, ESTIMATOR),), metrics=(BOTTLENECK,),
              description="IP of the bottleneck net 12-3-2-12-2-2"))
register(Item("rip/fig9", "figure", fig9, mi=tuple((e, ESTIMATOR) for e, _ in MIXED),
              metrics=tuple(e for e, _ in MIXED),
              description="mixed nets again with other initialisations (single repetitions)"))
