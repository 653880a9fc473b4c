"""rip's training curves (Fig. 17: accuracy and loss over epochs) and early and "perfect"
stopping from a run's metrics (rip §2.4.1, Figs. 7 and 10; MNIST-138 Fig. 15 reuses
``draw_stopping``): the information plane at the stop epoch against full training, from the
same runs.

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

from ibrepro.figures.accuracy import mean_std
from ibrepro.figures.plane import information_plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.papers.rip.runs import CURVES, ESTIMATOR, RELU, TANH
from ibrepro.stopping import early_stop_epoch, perfect_stop_epoch, snapshot_at


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
    return stopping_figure(inputs, TANH, "7", "SZT tanh net")


def fig10(inputs: ItemInputs):
    return stopping_figure(inputs, RELU, "10", "SZT relu net")


def _stopping_item(item_id: str, build, experiment: str, description: str) -> Item:
    return Item(item_id, "figure", build, mi=((experiment, ESTIMATOR),), metrics=(experiment,),
                description=description, options=("early_stopping",))


register(_stopping_item("rip/fig7", fig7, TANH,
                        "tanh: IP at early and perfect stopping vs full training"))
register(_stopping_item("rip/fig10", fig10, RELU,
                        "relu: IP at early and perfect stopping vs full training"))


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
            f"{mean_std(final.sel(split='train'))}, final test accuracy "
            f"{mean_std(final.sel(split='test'))}; mean test loss lowest at epoch "
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


register(Item("rip/fig17", "figure", fig17, metrics=tuple(e for e, _ in CURVES),
              description="train/validation accuracy and cross-entropy loss, tanh and relu"))
