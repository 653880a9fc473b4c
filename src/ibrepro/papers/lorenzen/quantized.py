"""Lorenzen, Igel & Nielsen (ICLR 2022): exact MI of the quantized SZT nets.

Figs. 1-3, B.7, B.8, C.10, C.11, D.12, F.14, F.15 read the ``lorenzen-<act>-<k>bit`` runs
(quantization-aware training, ``nets.quantize``; k = 32 is the float net) and their MI: exact
(``exact-quantized``, the integer codes) for 4 and 8 bits, and for 32 bits the reference code's
2^32 levels over each layer's range (``bin-count-32bit``). Captions give the repetitions, the
bad-fit restarts (``train.restart``; metrics attrs) and the final accuracies against the
paper's claims. Statistics over repetitions: ``figures.repetitions``. The MNIST items
(``mnist``) reuse the panels and figures defined here.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr
from matplotlib.patches import Circle

from ibrepro.figures.compression import compression, verdict
from ibrepro.figures.plane import (
    LAYER_CMAPS,
    Plane,
    information_plane,
    mean_plane,
    plane_summary,
)
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.repetitions import mean_ci95, mean_variance, median_deviating
from ibrepro.figures.save import new_figure
from ibrepro.papers.lorenzen.runs import ACTIVATIONS, BITS, exact_estimator, prefit_run, qnn

SZT_WIDTHS = (12, 10, 7, 5, 4, 3, 2)  # Fig. 1a
ZOOM_FRACTION = 0.9  # Figs. 2, 3 zoom: the points above this fraction of the largest I(X;T)
CLAIMED_COMPRESSION = {"tanh": "(and, weakly, the last hidden layer)",
                       "relu": "(none in the hidden layers)"}


def restarts(metrics: xr.Dataset) -> list[int]:
    """Bad-fit restarts per repetition from a run's attrs (none recorded: zeros)."""
    return json.loads(metrics.attrs.get("restarts", json.dumps([0] * metrics.sizes["rep"])))


def run_summary(metrics: xr.Dataset, name: str) -> str:
    """"name: R reps, n restarts, final train/test accuracy m ± ci" (95% CI)."""
    acc = metrics["accuracy"].isel(epoch=-1)
    (train_mean, test_mean), (train_ci, test_ci) = mean_ci95(
        acc.transpose("rep", "split").values)
    return (f"{name}: {metrics.sizes['rep']} repetitions, {sum(restarts(metrics))} bad-fit "
            f"restarts, final accuracy train {train_mean:.3f} ± {train_ci:.3f}, test "
            f"{test_mean:.3f} ± {test_ci:.3f} (95% CI)")


def last_epoch(plane: Plane) -> str:
    """The last epoch's I(X;T) and I(T;Y) per layer, for captions."""
    return (f"last epoch I(X;T) {', '.join(f'{v:.2f}' for v in plane.i_xt[-1])}, I(T;Y) "
            f"{', '.join(f'{v:.3f}' for v in plane.i_ty[-1])}")


def plane_panel(ax, plane: Plane, title: str, legend: bool = True) -> None:
    """``plane`` drawn on ``ax`` with ``title``."""
    information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                      units=plane.units, legend=legend)
    ax.set_title(title)


def _draw_network(ax, widths=SZT_WIDTHS) -> None:
    """Fig. 1a: one column of units per layer, every unit joined to the next layer's."""
    tall = max(widths)
    ys = [np.linspace(0, tall - 1, width) if width > 1 else np.array([(tall - 1) / 2])
          for width in widths]
    for layer, (left, right) in enumerate(zip(ys[:-1], ys[1:], strict=True)):
        for y0 in left:
            for y1 in right:
                ax.plot([layer, layer + 1], [y0, y1], color="0.75", lw=0.3, zorder=1)
    for layer, column in enumerate(ys):
        colour = "white" if layer == 0 else LAYER_CMAPS[(layer - 1) % len(LAYER_CMAPS)]
        for y in column:
            ax.add_patch(Circle((layer, y), 0.22, zorder=2, ec="black", lw=0.5,
                                fc=colour if layer == 0 else _cmap_colour(colour)))
        ax.text(layer, -1.2, "X" if layer == 0 else ("Ŷ" if layer == len(widths) - 1
                                                     else f"T{layer}"), ha="center")
    ax.set_xlim(-0.6, len(widths) - 0.4)
    ax.set_ylim(-1.8, tall)
    ax.set_aspect("equal")
    ax.axis("off")


def _cmap_colour(name: str):
    import matplotlib

    return matplotlib.colormaps[name](0.7)


def fig1(inputs: ItemInputs):
    """Fig. 1: the SZT net (a) and the 8-bit TANH net's mean IP with the output layer's
    fitting and compression phases marked (b)."""
    experiment = qnn("tanh", 8)
    plane = mean_plane(inputs.mi(experiment, exact_estimator(8)))
    fig, axes = new_figure(1, 2)
    _draw_network(axes[0, 0])
    axes[0, 0].set_title("SZT net 12-10-7-5-4-3-2, TANH / RELU, softmax output")
    ax = axes[0, 1]
    plane_panel(ax, plane, "8-bit TANH net, exact MI")
    result = compression(plane.i_xt)
    peak = int(result.peak_index[-1])
    x, y = plane.i_xt[:, -1], plane.i_ty[:, -1]
    ax.annotate("", (x[peak], y[peak]), (x[0], y[0]),
                arrowprops={"arrowstyle": "->", "color": "black", "lw": 0.8})
    ax.annotate("fitting", ((x[0] + x[peak]) / 2, (y[0] + y[peak]) / 2), fontsize=7)
    if peak < len(x) - 1:
        ax.annotate("", (x[-1], y[-1]), (x[peak], y[peak]),
                    arrowprops={"arrowstyle": "->", "color": "firebrick", "lw": 0.8})
        ax.annotate("compression", ((x[peak] + x[-1]) / 2, y[-1]), color="firebrick",
                    fontsize=7, va="top")
    caption = (
        f"lorenzen Fig. 1: (a) the SZT network, drawn from its widths {SZT_WIDTHS}; (b) the "
        f"information plane of the 8-bit quantized TANH net ({experiment}, exact MI from the "
        f"integer codes). {plane_summary(plane)} Arrows: the softmax layer's fitting phase "
        f"(epoch {plane.epochs[0]} to its I(X;T) peak at epoch {plane.epochs[peak]}) and "
        f"compression phase (peak to epoch {plane.epochs[-1]}); relative drop from the peak "
        f"per layer: {verdict(result, plane.layer_names)}. "
        f"{run_summary(inputs.metrics(experiment), experiment)}."
    )
    return fig, caption


def _zoom_box(plane: Plane) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) around the points whose I(X;T) is at least ``ZOOM_FRACTION`` of its
    maximum, up to the largest I(T;Y) (the upper-right area of Figs. 2 and 3)."""
    x, y = plane.i_xt.ravel(), plane.i_ty.ravel()
    inside = x >= ZOOM_FRACTION * x.max()
    x0, x1, y0, y1 = x[inside].min(), x.max(), y[inside].min(), y.max()
    pad_x, pad_y = 0.05 * max(x1 - x0, 1e-3), 0.05 * max(y1 - y0, 1e-3)
    return x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y


def zoomed_figure(inputs: ItemInputs, experiment: str, net: str, number: str, claim: str):
    """The mean exact-MI plane of the 8-bit ``experiment`` (``net``: its name in titles), full
    and its upper-right area (1x2), captioned "lorenzen Fig. ``number``" with the ``claim``."""
    plane = mean_plane(inputs.mi(experiment, exact_estimator(8)))
    fig, axes = new_figure(1, 2)
    plane_panel(axes[0, 0], plane, f"{net}, full plane")
    plane_panel(axes[0, 1], plane, "upper-right area", legend=False)
    x0, x1, y0, y1 = _zoom_box(plane)
    axes[0, 1].set_xlim(x0, x1)
    axes[0, 1].set_ylim(y0, y1)
    axes[0, 0].indicate_inset((x0, y0, x1 - x0, y1 - y0), edgecolor="black", lw=0.6)
    result = compression(plane.i_xt)
    caption = (
        f"lorenzen Fig. {number}: the {net} ({experiment}), exact MI from the integer codes "
        f"(exact-quantized): full information plane (left) and its upper-right area (right; "
        f"the box on the left: the points with I(X;T) at least {ZOOM_FRACTION:.0%} of its "
        f"maximum). {plane_summary(plane)} {last_epoch(plane)}; relative I(X;T) drop from its "
        f"peak per layer: {verdict(result, plane.layer_names)}. "
        f"{run_summary(inputs.metrics(experiment), experiment)}. lorenzen: {claim}"
    )
    return fig, caption


def _zoomed(inputs: ItemInputs, activation: str, number: int):
    return zoomed_figure(
        inputs, qnn(activation, 8), f"8-bit quantized {activation.upper()} net", str(number),
        f"a fitting phase in every layer and a compression phase in the softmax output layer "
        f"{CLAIMED_COMPRESSION[activation]}; mean of 50 repetitions there.")


def fig2(inputs: ItemInputs):
    """Fig. 2: 8-bit TANH, full plane and upper-right zoom (1×2)."""
    return _zoomed(inputs, "tanh", 2)


def fig3(inputs: ItemInputs):
    """Fig. 3: 8-bit RELU, full plane and upper-right zoom (1×2)."""
    return _zoomed(inputs, "relu", 3)


def variance_figure(inputs: ItemInputs, experiment: str, net: str, number: str):
    """App. B for the 8-bit ``experiment`` (``net``: its name in the caption): mean ± one
    standard deviation of I(X;T) and I(T;Y) per layer over epochs, and the information plane
    of the median-deviating repetition (1x3)."""
    mi = inputs.mi(experiment, exact_estimator(8))
    i_xt = mi["I_XT"].transpose("rep", "epoch", "layer").values
    i_ty = mi["I_TY"].transpose("rep", "epoch", "layer").values
    epochs, names = mi["epoch"].values, [str(n) for n in mi["layer_name"].values]
    fig, axes = new_figure(1, 3)
    spreads = []
    for ax, values, label in ((axes[0, 0], i_xt, "I(X;T)"), (axes[0, 1], i_ty, "I(T;Y)")):
        mean, variance = mean_variance(values)
        for layer, name in enumerate(names):
            colour = _cmap_colour(LAYER_CMAPS[layer % len(LAYER_CMAPS)])
            std = np.sqrt(variance[:, layer])
            ax.plot(epochs, mean[:, layer], color=colour, lw=0.8, label=name)
            ax.fill_between(epochs, mean[:, layer] - std, mean[:, layer] + std, color=colour,
                            alpha=0.25, lw=0)
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"{label} [{mi.attrs['units']}]")
        spreads.append(f"{label} largest variance {variance.max():.3g} "
                       f"({names[int(variance.max(axis=0).argmax())]})")
    axes[0, 0].legend(loc="best")
    rep = median_deviating(i_xt, i_ty)
    information_plane(axes[0, 2], i_xt[rep], i_ty[rep], epochs, names, units=mi.attrs["units"],
                      legend=False)
    axes[0, 2].set_title(f"median-deviating repetition ({rep})")
    caption = (
        f"lorenzen Fig. {number}: the {net} ({experiment}), exact MI: mean over {len(i_xt)} "
        f"repetitions of I(X;T) (left) and I(T;Y) (centre) per layer and epoch, shaded ± one "
        f"standard deviation (the square root of the variance); right: "
        f"the information plane of repetition {rep}, the median by L2 distance of its I(X;T) "
        f"and I(T;Y) trajectories from the mean. {'; '.join(spreads)}. "
        f"{run_summary(inputs.metrics(experiment), experiment)}. lorenzen: where the mean MI "
        f"is large the variance is low; the mean plane represents single runs fairly well."
    )
    return fig, caption


def _variance(inputs: ItemInputs, activation: str, item: str):
    return variance_figure(inputs, qnn(activation, 8), f"8-bit {activation.upper()} net",
                           f"B.{item[-1]}")


def fig_b7(inputs: ItemInputs):
    """App. B: 8-bit TANH mean ± spread, median-deviating IP (1×3)."""
    return _variance(inputs, "tanh", "figB7")


def fig_b8(inputs: ItemInputs):
    """App. B: 8-bit RELU mean ± spread, median-deviating IP (1×3)."""
    return _variance(inputs, "relu", "figB8")


def _pair(inputs: ItemInputs, runs: dict[str, str], estimator: str, title: str, caption: str,
          mark_epoch: int | None = None):
    """Two mean planes side by side (TANH left, RELU right) with a caption."""
    fig, axes = new_figure(1, 2)
    parts = []
    for i, (ax, (activation, experiment)) in enumerate(zip(axes.flat, runs.items(), strict=True)):
        plane = mean_plane(inputs.mi(experiment, estimator))
        plane_panel(ax, plane, f"{activation.upper()} {title}", legend=i == 0)
        if mark_epoch is not None:  # the last snapshot of the prefit
            k = int(np.searchsorted(plane.epochs, mark_epoch, side="right")) - 1
            ax.scatter(plane.i_xt[k], plane.i_ty[k], s=40, facecolors="none",
                       edgecolors="black", lw=0.7, zorder=3)
        parts.append(f"{activation.upper()}: {plane_summary(plane)} {last_epoch(plane)}; "
                     f"{run_summary(inputs.metrics(experiment), experiment)}")
    return fig, f"{caption} {' '.join(p + '.' for p in parts)}"


def fig_c10(inputs: ItemInputs):
    """App. C: 4-bit TANH and RELU mean planes (1×2)."""
    return _pair(inputs, {a: qnn(a, 4) for a in ACTIVATIONS}, exact_estimator(4),
                 "net, 4 bits",
                 "lorenzen Fig. C.10: information planes of the 4-bit quantized TANH (left) and "
                 "RELU (right) nets, exact MI from the integer codes (16 levels per unit); "
                 "lorenzen: lower MI overall than at 8 bits, more layers distinguishable, and a "
                 "worse fit than the non-quantized nets (mean of 30 runs there).")


def fig_c11(inputs: ItemInputs):
    """App. C: 32-bit TANH and RELU mean planes (1×2)."""
    return _pair(inputs, {a: qnn(a, 32) for a in ACTIVATIONS}, exact_estimator(32),
                 "net, 32 bits",
                 "lorenzen Fig. C.11: information planes of the 32-bit TANH (left) and RELU "
                 "(right) nets: float nets, their activations put on 2^32 levels over each "
                 "layer's range at each epoch (bin-count-32bit), as the reference code does; "
                 "lorenzen: MI higher overall, dropping only slowly through the layers (mean of "
                 "30 runs there).")


def fig_d12(inputs: ItemInputs):
    """App. D: 8-bit nets prefitted on random labels, then the true ones (1×2)."""
    runs = {a: prefit_run(a) for a in ACTIVATIONS}
    spec = json.loads(inputs.metrics(runs["tanh"]).attrs["spec"])
    prefit = spec.get("prefit", {}).get("epochs", 0)  # 0: a run without prefit
    return _pair(inputs, runs, exact_estimator(8), "net, prefit on random labels",
                 f"lorenzen Fig. D.12: 8-bit TANH (left) and RELU (right) nets trained "
                 f"{prefit} epochs on randomly permuted training labels (those of the "
                 f"szt-random-labels dataset), then on the true labels (epochs numbered on: "
                 f"the true-label training starts at epoch {prefit + 1}); Y is always the true "
                 f"label. Black rings: the last snapshot of the prefit. lorenzen: I(X;T) grows "
                 f"during the prefit, and with it the hidden layers' I(T;Y); the output layer "
                 f"does not move sideways then (mean of 20 runs there).",
                 mark_epoch=prefit or None)


def accuracy_figure(inputs: ItemInputs, runs: dict[str, str], net: str):
    """Training (left) and test (right) accuracy per epoch of each of ``runs`` (legend label ->
    experiment), mean over repetitions with its 95% CI, titled by ``net`` (1x2); returns the
    figure and each run's ``run_summary``."""
    fig, axes = new_figure(1, 2, sharey=True)
    finals = []
    for label, experiment in runs.items():
        metrics = inputs.metrics(experiment)
        for ax, split in zip(axes.flat, ("train", "test"), strict=True):
            acc = metrics["accuracy"].sel(split=split).transpose("rep", "epoch").values
            mean, ci = mean_ci95(acc)
            epochs = metrics["epoch"].values
            (line,) = ax.plot(epochs, mean, lw=0.8, label=label)
            ax.fill_between(epochs, mean - ci, mean + ci, color=line.get_color(), alpha=0.25,
                            lw=0)
            ax.set_title(f"{net}, {split}")
            ax.set_xlabel("epoch")
        finals.append(run_summary(metrics, label))
    axes[0, 0].set_ylabel("accuracy")
    axes[0, 0].legend(loc="lower right")
    return fig, finals


def _accuracies(inputs: ItemInputs, activation: str, item: str):
    fig, finals = accuracy_figure(inputs, {f"{b} bits": qnn(activation, b) for b in BITS},
                                  activation.upper())
    caption = (
        f"lorenzen Fig. F.{item[-2:]}: training (left) and test (right) accuracy of the "
        f"{activation.upper()} SZT nets at 4, 8 and 32 bits, mean over repetitions with its 95% "
        f"confidence interval (normal approximation, 1.96 standard errors). The 32-bit net is "
        f"the non-quantized float net (as in the reference code, which trains it unquantized), "
        f"so it stands for both of the paper's 32-bit and non-quantized curves. "
        f"{'; '.join(finals)}. lorenzen: the 8-bit nets fit about as well as the non-quantized "
        f"ones; the 4-bit nets fit worse."
    )
    return fig, caption


def fig_f14(inputs: ItemInputs):
    """App. F: TANH accuracies at 4, 8, 32 bits (1×2)."""
    return _accuracies(inputs, "tanh", "figF14")


def fig_f15(inputs: ItemInputs):
    """App. F: RELU accuracies at 4, 8, 32 bits (1×2)."""
    return _accuracies(inputs, "relu", "figF15")


def _mi_metrics(runs: list[tuple[str, int]]) -> dict:
    return {"mi": tuple((e, exact_estimator(b)) for e, b in runs),
            "metrics": tuple(e for e, _ in runs)}


register(Item("lorenzen/fig1", "figure", fig1, **_mi_metrics([(qnn("tanh", 8), 8)]),
              description="SZT net diagram and the 8-bit TANH IP with its phases marked"))
register(Item("lorenzen/fig2", "figure", fig2, **_mi_metrics([(qnn("tanh", 8), 8)]),
              description="8-bit TANH net, exact MI, full IP and upper-right zoom"))
register(Item("lorenzen/fig3", "figure", fig3, **_mi_metrics([(qnn("relu", 8), 8)]),
              description="8-bit RELU net, exact MI, full IP and upper-right zoom"))
register(Item("lorenzen/figB7", "figure", fig_b7, **_mi_metrics([(qnn("tanh", 8), 8)]),
              description="8-bit TANH: MI mean and variance, median-deviating repetition"))
register(Item("lorenzen/figB8", "figure", fig_b8, **_mi_metrics([(qnn("relu", 8), 8)]),
              description="8-bit RELU: MI mean and variance, median-deviating repetition"))
register(Item("lorenzen/figC10", "figure", fig_c10,
              **_mi_metrics([(qnn(a, 4), 4) for a in ACTIVATIONS]),
              description="4-bit TANH and RELU nets, exact MI"))
register(Item("lorenzen/figC11", "figure", fig_c11,
              **_mi_metrics([(qnn(a, 32), 32) for a in ACTIVATIONS]),
              description="32-bit (float) TANH and RELU nets, 2^32 levels per layer"))
register(Item("lorenzen/figD12", "figure", fig_d12,
              **_mi_metrics([(prefit_run(a), 8) for a in ACTIVATIONS]),
              description="8-bit nets prefitted on random labels, exact MI vs the true labels"))
register(Item("lorenzen/figF14", "figure", fig_f14,
              metrics=tuple(qnn("tanh", b) for b in BITS),
              description="TANH accuracies at 4, 8, 32 bits with 95% CI"))
register(Item("lorenzen/figF15", "figure", fig_f15,
              metrics=tuple(qnn("relu", b) for b in BITS),
              description="RELU accuracies at 4, 8, 32 bits with 95% CI"))
