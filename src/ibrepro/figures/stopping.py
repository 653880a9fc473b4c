"""Early and "perfect" stopping from a run's metrics (rip §2.4.1, Figs. 7 and 10): the
information plane at the stop epoch against full training, from the same runs.

"Validation" is our test split (rip trains on SZT's 80% and validates on the rest; the run
records loss on both splits at every epoch). The stopping rules read the validation loss
curve of the mean over repetitions (the curve rip Fig. 17 draws), so one stop epoch applies to
the repetition-mean plane; the caption also gives each repetition's own stop epoch.

The rules, early stopping with the config's ``early_stopping.patience`` and "perfect"
stopping at the minimum validation loss, are ``ibrepro.stopping``'s.

The plane is recorded only at snapshot epochs: the stopped trajectory ends at the last
snapshot at or before the stop epoch (it never shows information from after the stop).
"""

from __future__ import annotations

import numpy as np

from ibrepro.figures.plane import information_plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.stopping import early_stop_epoch, perfect_stop_epoch, snapshot_at

ESTIMATOR = "bin-size-0.07"  # rip Figs. 7 and 10: bin size 0.07


def draw_stopping(inputs: ItemInputs, experiment: str, axes: np.ndarray, *,
                  label: str = "") -> str:
    """rip's layout on ``axes`` (2×2): top early (left) and perfect (right) stopping, bottom
    full training with the stop ringed; returns the caption's sentence on the stops.
    label: prefixed to the panel titles (e.g. the net, where a figure holds several)."""
    metrics = inputs.metrics(experiment)
    plane = mean_plane(inputs.mi(experiment, ESTIMATOR))
    val = metrics["loss"].sel(split="test").transpose("rep", "epoch")
    epochs = metrics["epoch"].values
    patience = inputs.option("early_stopping")["patience"]
    mean_loss = val.mean("rep").values
    stops = {"early": int(early_stop_epoch(mean_loss, epochs, patience=patience)),
             "perfect": int(perfect_stop_epoch(mean_loss, epochs))}
    per_rep = {"early": early_stop_epoch(val.values, epochs, patience=patience),
               "perfect": perfect_stop_epoch(val.values, epochs)}
    parts = []
    for col, (name, stop) in enumerate(stops.items()):
        k = snapshot_at(plane.epochs, stop) + 1
        ax = axes[0, col]
        information_plane(ax, plane.i_xt[:k], plane.i_ty[:k], plane.epochs[:k],
                          plane.layer_names, units=plane.units, legend=col == 0)
        acc = metrics["accuracy"].sel(split="test", epoch=stop)
        ax.set_title(f"{label}{name} stop: epoch {stop} (score {float(acc.mean()):.4f})")
        parts.append(
            f"{name} stopping at epoch {stop} (validation loss {mean_loss[epochs == stop][0]:.4f}, "
            f"test accuracy {float(acc.mean()):.4f}; plane up to snapshot {plane.epochs[k - 1]}; "
            f"per repetition: {', '.join(map(str, per_rep[name]))}), last-drawn I(X;T) per "
            f"layer {', '.join(f'{v:.2f}' for v in plane.i_xt[k - 1])}"
        )
        full = axes[1, col]
        information_plane(full, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                          units=plane.units, legend=False)
        full.scatter(plane.i_xt[k - 1], plane.i_ty[k - 1], s=40, facecolors="none",
                     edgecolors="black", lw=0.7, zorder=3)
        full.set_title(f"{label}full training ({int(epochs[-1])} epochs), stop ringed")
    for ax in axes.flat:
        ax.label_outer()
    final = metrics["accuracy"].sel(split="test").isel(epoch=-1)
    return (f"{experiment}: {plane_summary(plane)} {'; '.join(parts)}; full training ends at "
            f"test accuracy {float(final.mean()):.4f}")


def stopping_caption(figure: str, title: str, experiments: str, patience: int) -> str:
    """The caption's opening: what the panels show and how the stops are chosen."""
    return (
        f"rip Fig. {figure}: information planes of the {title} (bin size 0.07, {ESTIMATOR}) at "
        f"early stopping (top left) and at \"perfect\" stopping (top right, minimum validation "
        f"loss) against full training (bottom, the stop snapshot ringed), from the same runs "
        f"({experiments}). Validation = our test split; the rules read the repetition-mean "
        f"validation loss; early stopping: halt when the lowest loss so far is {patience} "
        f"epochs old (config early_stopping.patience; rip does not state its patience); the "
        f"stopped plane ends at the last snapshot at or before the stop epoch."
    )


def stopping_figure(inputs: ItemInputs, experiment: str, figure: str, title: str):
    """rip's layout (2×2) for one run: Figs. 7 and 10."""
    fig, axes = new_figure(2, 2, sharex=True, sharey=True)
    stops = draw_stopping(inputs, experiment, axes)
    patience = inputs.option("early_stopping")["patience"]
    caption = (
        f"{stopping_caption(figure, title, experiment, patience)} {stops}. rip: early stopping "
        f"falls where the output layer turns into compression; perfect stopping shows no link "
        f"to compression."
    )
    return fig, caption


def fig7(inputs: ItemInputs):
    return stopping_figure(inputs, "szt-tanh", "7", "SZT tanh net")


def fig10(inputs: ItemInputs):
    return stopping_figure(inputs, "szt-relu", "10", "SZT relu net")


def _stopping_item(item_id: str, build, experiment: str, description: str) -> Item:
    return Item(item_id, "figure", build, mi=((experiment, ESTIMATOR),), metrics=(experiment,),
                description=description, options=("early_stopping",))


register(_stopping_item("rip/fig7", fig7, "szt-tanh",
                        "tanh: IP at early and perfect stopping vs full training"))
register(_stopping_item("rip/fig10", fig10, "szt-relu",
                        "relu: IP at early and perfect stopping vs full training"))
