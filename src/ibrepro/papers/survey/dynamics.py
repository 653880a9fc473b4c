"""The survey's retelling of Shwartz-Ziv & Tishby 2017 and Saxe et al. 2018: training dynamics.

All planes use rip's fixed-width binning with bin size 0.07 (``ESTIMATOR``; SZT's 30 bins of
[-1, 1] are 0.067 wide, and a fixed width also bins unbounded relu layers), so the SGD runs'
MI files are those rip/fig1 reads.

- ``survey/ip-inits``: the SZT tanh net, one dot per initialisation (repetition) per layer at
  a few snapshot epochs (SZT's video frames), over the repetition-mean trajectories.
- ``survey/snr``: SZT's drift and diffusion (Fig. 4): per layer, ||mean|| and ||std|| of the
  weight gradients over each snapshot epoch's mini-batches, normalised by ||W||
  (``train.gradients``), and SNR = ||mean|| / ||std||; the drift-to-diffusion epoch of a
  layer is the first snapshot epoch from which on its repetition-mean SNR stays below 1, compared
  with the epoch where its I(X;T) peaks (the start of compression).
- ``survey/hidden-layers``: SZT's Fig. 5, tanh nets with 1 to 6 hidden layers. Epochs to good
  generalisation: the first epoch at which a net's repetition-mean test accuracy reaches
  ``GOOD_FRACTION`` of the best final repetition-mean test accuracy of the sweep. Compression
  length of a layer: the epochs from the peak of its repetition-mean I(X;T) to the first
  snapshot at which ``SETTLED`` of the drop to its minimum after the peak is done; none for a
  layer that does not compress (``figures.compression``: relative drop < 5%).
- ``survey/sgd-vs-bgd``: Saxe's Fig. 4, tanh and relu nets trained with SGD and with
  full-batch gradient descent, with the compression verdict per layer.
"""

from __future__ import annotations

import json
from typing import NamedTuple

import matplotlib
import numpy as np
import xarray as xr

from ibrepro.figures.compression import compression, verdict
from ibrepro.figures.plane import (
    LAYER_CMAPS,
    Plane,
    information_plane,
    mean_plane,
    plane_summary,
)
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure

ESTIMATOR = "bin-size-0.07"
TANH = "szt-tanh"
FRAMES = 4  # ip-inits: snapshot epochs drawn, log-spaced over the run
GOOD_FRACTION = 0.95  # hidden-layers: "good generalisation" = this share of the sweep's best
SETTLED = 0.9  # hidden-layers: compression ends when this share of the drop is done
DEPTHS = tuple(f"szt-depth-{d}" for d in range(1, 7))
SGD_BGD = (("szt-tanh", "tanh, SGD"), ("szt-tanh-bgd", "tanh, full-batch GD"),
           ("szt-relu", "relu, SGD"), ("szt-relu-bgd", "relu, full-batch GD"))


def _layer_colour(layer: int) -> tuple:
    return matplotlib.colormaps[LAYER_CMAPS[layer % len(LAYER_CMAPS)]](0.75)


def frame_indices(epochs: np.ndarray, frames: int = FRAMES) -> np.ndarray:
    """Indices of ``frames`` snapshot epochs spread evenly in log(1 + epoch), first and last
    included (distinct; fewer if the run has fewer snapshots)."""
    t = np.log1p(np.asarray(epochs, dtype=float))
    targets = np.linspace(t[0], t[-1], frames)
    return np.unique(np.abs(t[None, :] - targets[:, None]).argmin(axis=1))


def ip_inits(inputs: ItemInputs):
    """One panel per frame epoch: every repetition's (I(X;T), I(T;Y)) per layer."""
    mi = inputs.mi(TANH, ESTIMATOR)
    plane = mean_plane(mi)
    frames = frame_indices(plane.epochs)
    fig, axes = new_figure(1, len(frames), sharex=True, sharey=True)
    i_xt = mi["I_XT"].transpose("rep", "epoch", "layer").values
    i_ty = mi["I_TY"].transpose("rep", "epoch", "layer").values
    spread = []
    for ax, index in zip(axes.flat, frames, strict=True):
        for layer, name in enumerate(plane.layer_names):
            ax.plot(plane.i_xt[:, layer], plane.i_ty[:, layer], color=_layer_colour(layer),
                    lw=0.5, alpha=0.4, zorder=1)
            ax.scatter(i_xt[:, index, layer], i_ty[:, index, layer], s=10,
                       color=_layer_colour(layer), edgecolors="none", zorder=2, label=name)
        ax.set_title(f"epoch {plane.epochs[index]}")
        ax.set_xlabel(f"I(X;T) [{plane.units}]")
        spread.append(f"epoch {plane.epochs[index]}: "
                      + ", ".join(f"{s:.2f}" for s in i_xt[:, index].std(axis=0)))
    axes[0, 0].set_ylabel(f"I(T;Y) [{plane.units}]")
    axes[0, 0].legend(loc="lower right", markerscale=1.2)
    caption = (
        f"survey (Shwartz-Ziv & Tishby's information plane, 'many dots of one color ... the "
        f"different initializations'): the SZT tanh net ({TANH}), binning with bin size 0.07 "
        f"({ESTIMATOR}); one dot per initialisation ({plane.repetitions} repetitions) per layer "
        f"(colour) at snapshot epochs {', '.join(str(plane.epochs[i]) for i in frames)}, over "
        f"the repetition-mean trajectories (thin lines, all {len(plane.epochs)} snapshots). "
        f"Std of I(X;T) over initialisations per layer ({', '.join(plane.layer_names)}), "
        f"bits: {'; '.join(spread)}. Per-layer compression of the mean trajectory: "
        f"{verdict(compression(plane.i_xt), plane.layer_names)}."
    )
    return fig, caption


class Snr(NamedTuple):
    """Repetition means of the gradient statistics, ``(snapshot_epoch, layer)``, epoch 0
    (no update yet) dropped."""

    epochs: np.ndarray
    mean: np.ndarray  # ||mean gradient|| / ||W||
    std: np.ndarray  # ||std of gradients|| / ||W||
    snr: np.ndarray  # ||mean|| / ||std||, the mean over repetitions of each one's ratio


def gradient_snr(metrics: xr.Dataset) -> Snr:
    """The normalised norms and the SNR of a metrics file with gradient statistics."""
    stats = metrics[["gradient_mean_norm", "gradient_std_norm", "weight_norm"]]
    stats = stats.sel(snapshot_epoch=stats["snapshot_epoch"] > 0)
    mean, std, weight = (stats[n].transpose("rep", "snapshot_epoch", "layer").values
                         for n in ("gradient_mean_norm", "gradient_std_norm", "weight_norm"))
    with np.errstate(divide="ignore", invalid="ignore"):
        return Snr(stats["snapshot_epoch"].values, (mean / weight).mean(0),
                   (std / weight).mean(0), (mean / std).mean(0))


def drift_end(snr: np.ndarray, epochs: np.ndarray) -> np.ndarray:
    """Per layer, the first epoch from which on ``snr`` ``(epoch, layer)`` stays below 1 (the
    end of the drift phase), -1 where it ends at or above 1."""
    stays = np.flip(np.logical_and.accumulate(np.flip(np.asarray(snr) < 1, 0), 0), 0)
    return np.where(stays.any(axis=0), np.asarray(epochs)[stays.argmax(axis=0)], -1)


def snr(inputs: ItemInputs):
    """Normalised ||mean|| and ||std|| per layer (log-log), and the SNR per layer."""
    stats = gradient_snr(inputs.metrics(TANH))
    plane = mean_plane(inputs.mi(TANH, ESTIMATOR))
    names = plane.layer_names
    fig, axes = new_figure(1, 2, height=3.2)
    for layer, name in enumerate(names):
        colour = _layer_colour(layer)
        axes[0, 0].plot(stats.epochs, stats.mean[:, layer], color=colour, lw=1, label=name)
        axes[0, 0].plot(stats.epochs, stats.std[:, layer], color=colour, lw=1, ls="--")
        axes[0, 1].plot(stats.epochs, stats.snr[:, layer], color=colour, lw=1, label=name)
    axes[0, 0].set_ylabel("gradient norm / ||W||  (solid: mean, dashed: std)")
    axes[0, 1].set_ylabel("SNR = ||mean|| / ||std||")
    axes[0, 1].axhline(1, color="black", lw=0.6, ls=":")
    for ax in axes.flat:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
    axes[0, 0].legend(loc="lower left")
    ends = drift_end(stats.snr, stats.epochs)
    peaks = plane.epochs[plane.i_xt.argmax(axis=0)]
    per_layer = "; ".join(
        f"{name}: SNR {stats.snr[0, i]:.2f} -> {stats.snr[-1, i]:.2f}, "
        f"{'below 1 from epoch ' + str(ends[i]) if ends[i] >= 0 else 'ends above 1'}, "
        f"I(X;T) peak at epoch {peaks[i]}" for i, name in enumerate(names))
    caption = (
        f"survey (Shwartz-Ziv & Tishby's drift and diffusion): the SZT tanh net ({TANH}, "
        f"{plane.repetitions} repetitions); per layer (colour), the Frobenius norms of the mean "
        f"(solid) and the standard deviation (dashed) of the weight gradients over each snapshot "
        f"epoch's mini-batches, divided by the weights' norm, and their ratio SNR (right); "
        f"means over repetitions at {len(stats.epochs)} snapshot epochs. Drift (SNR > 1, "
        f"gradients agree across batches) ends where the SNR falls below 1 for good; the survey "
        f"says this happens at the epoch where compression starts (~400 of 10000 in SZT). "
        f"Ours: {per_layer} (I(X;T) from {ESTIMATOR})."
    )
    return fig, caption


def epochs_to_accuracy(accuracy: np.ndarray, target: float) -> int:
    """The first epoch (index) at which ``accuracy`` ``(epoch,)`` reaches ``target``; -1 if
    never."""
    reached = np.asarray(accuracy) >= target
    return int(reached.argmax()) if reached.any() else -1


def compression_length(i_xt: np.ndarray, epochs: np.ndarray, *,
                       settled: float = SETTLED) -> np.ndarray:
    """Per layer, the epochs from the peak of ``i_xt`` ``(epoch, layer)`` to the first later
    snapshot at which ``settled`` of the drop to the minimum after the peak is done; NaN for
    a layer that does not compress (``figures.compression``)."""
    i_xt, epochs = np.asarray(i_xt, dtype=float), np.asarray(epochs)
    result = compression(i_xt)
    lengths = np.full(i_xt.shape[1], np.nan)
    for layer in np.flatnonzero(result.compresses):
        peak = result.peak_index[layer]
        after = i_xt[peak:, layer]
        target = after[0] - settled * (after[0] - after.min())
        lengths[layer] = epochs[peak + int((after <= target).argmax())] - epochs[peak]
    return lengths


class DepthSweep(NamedTuple):
    """The depth sweep's nets (``DEPTHS``, 1 to 6 hidden layers), each net's entry in order:
    its repetition-mean plane and test accuracy ``(epoch,)``, the first epoch at which that
    reaches ``target`` (-1: never) and its layers' compression lengths ``(layer,)``."""

    planes: list[Plane]
    accuracy: list[np.ndarray]
    target: float  # "good generalisation": GOOD_FRACTION of the sweep's best final accuracy
    to_good: list[int]
    lengths: list[np.ndarray]


def depth_sweep(inputs: ItemInputs) -> DepthSweep:
    """Epochs to good generalisation and compression lengths of every net of the sweep."""
    planes = [mean_plane(inputs.mi(e, ESTIMATOR)) for e in DEPTHS]
    accuracy = [inputs.metrics(e)["accuracy"].sel(split="test").mean("rep").values
                for e in DEPTHS]
    target = GOOD_FRACTION * max(a[-1] for a in accuracy)
    return DepthSweep(planes, accuracy, target,
                      [epochs_to_accuracy(a, target) for a in accuracy],
                      [compression_length(p.i_xt, p.epochs) for p in planes])


def hidden_layers(inputs: ItemInputs):
    """Top: the IP of each depth; bottom: epochs to good generalisation and compression
    lengths against the number of hidden layers."""
    fig, axes = new_figure(2, 4, height=6.4)
    panels = [*axes[0], *axes[1, :2]]
    sweep = depth_sweep(inputs)
    target, to_good, lengths, parts = sweep.target, sweep.to_good, sweep.lengths, []
    for depth, (ax, plane, accuracy, epoch, length) in enumerate(
            zip(panels, sweep.planes, sweep.accuracy, to_good, lengths, strict=True), 1):
        information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                          units=plane.units, legend=depth == 6)
        ax.set_title(f"{depth} hidden layer{'s' * (depth > 1)}")
        good = f"epoch {epoch}" if epoch >= 0 else "never"
        parts.append(f"{depth}: good at {good}, final test accuracy {accuracy[-1]:.3f}, "
                     f"compression lengths "
                     + ", ".join("-" if np.isnan(v) else f"{v:.0f}" for v in length))
    depths = np.arange(1, len(DEPTHS) + 1)
    good_ax, length_ax = axes[1, 2], axes[1, 3]
    reached = np.array(to_good) >= 0
    good_ax.plot(depths[reached], np.array(to_good)[reached], "o-", color="black")
    good_ax.set_xlabel("hidden layers")
    good_ax.set_ylabel(f"epochs to test accuracy {target:.3f}")
    for from_output in range(max(len(v) for v in lengths)):
        ys = [v[len(v) - 1 - from_output] if from_output < len(v) else np.nan for v in lengths]
        label = "output" if from_output == 0 else f"output - {from_output}"
        length_ax.plot(depths, ys, "o-", lw=0.8, label=label,
                       color=matplotlib.colormaps["viridis"](from_output / len(DEPTHS)))
    length_ax.set_xlabel("hidden layers")
    length_ax.set_ylabel("compression length [epochs]")
    length_ax.legend(loc="best")
    for ax in (good_ax, length_ax):
        ax.set_xticks(depths)
    caption = (
        f"survey (Shwartz-Ziv & Tishby's computational benefit of the hidden layers, their Fig. "
        f"5): SZT tanh nets with d = 1 to 6 hidden layers, the first d of widths 12, 10, 8, 6, "
        f"4, 2, {ESTIMATOR}. {plane_summary(plane)} Epochs to good generalisation: first epoch at "
        f"which the repetition-mean test accuracy reaches {GOOD_FRACTION} x the sweep's best "
        f"final one ({target:.3f}); compression length: epochs from a layer's I(X;T) peak to "
        f"{SETTLED:.0%} of its drop to the later minimum (- = no compression, relative drop "
        f"< 5%), listed first layer to output. Per depth: {'; '.join(parts)}. The survey: more "
        f"layers need fewer epochs to generalise, compress for shorter, and layers near the "
        f"output compress faster."
    )
    return fig, caption


def sgd_vs_bgd(inputs: ItemInputs):
    """2×2 IPs: tanh and relu (rows), SGD and full-batch GD (columns)."""
    fig, axes = new_figure(2, 2)
    parts = []
    for i, (ax, (experiment, title)) in enumerate(zip(axes.flat, SGD_BGD, strict=True)):
        plane = mean_plane(inputs.mi(experiment, ESTIMATOR))
        metrics = inputs.metrics(experiment)
        spec = json.loads(metrics.attrs["spec"])
        accuracy = metrics["accuracy"].sel(split="test").isel(epoch=-1)
        information_plane(ax, plane.i_xt, plane.i_ty, plane.epochs, plane.layer_names,
                          units=plane.units, legend=i == 0)
        ax.set_title(f"({'ABCD'[i]}) {title}")
        parts.append(f"({'ABCD'[i]}) {title} ({experiment}: batch {spec['batch_size']}, lr "
                     f"{spec['lr']}, {plane.repetitions} repetitions, {len(plane.epochs)} "
                     f"snapshots to epoch {plane.epochs[-1]}, final test accuracy "
                     f"{float(accuracy.mean()):.3f}): "
                     f"{verdict(compression(plane.i_xt), plane.layer_names)}")
    caption = (
        f"survey (Saxe et al.'s Claim 3 figure: is compression attributable to SGD?): the SZT "
        f"tanh and relu nets trained with SGD and with full-batch gradient descent (a batch "
        f"at least the training set: one step per epoch), binning with bin size 0.07 "
        f"({ESTIMATOR}); repetition means, one colour per layer, darker = later epoch, bits. "
        f"Relative drop of I(X;T) from its peak per layer: {'; '.join(parts)}. Saxe: SGD and "
        f"full-batch GD give similar planes (tanh compresses under both, relu under neither), "
        f"so compression does not need SGD noise."
    )
    return fig, caption


register(Item("survey/ip-inits", "figure", ip_inits, mi=((TANH, ESTIMATOR),),
              description="SZT tanh IP, one dot per initialisation per layer per frame"))
register(Item("survey/snr", "figure", snr, mi=((TANH, ESTIMATOR),), metrics=(TANH,),
              description="gradient mean/std norms and SNR per layer (drift and diffusion)"))
register(Item("survey/hidden-layers", "figure", hidden_layers,
              mi=tuple((e, ESTIMATOR) for e in DEPTHS), metrics=DEPTHS,
              description="1 to 6 hidden layers: epochs to generalise, compression lengths"))
register(Item("survey/sgd-vs-bgd", "figure", sgd_vs_bgd,
              mi=tuple((e, ESTIMATOR) for e, _ in SGD_BGD), metrics=tuple(e for e, _ in SGD_BGD),
              description="tanh and relu IPs under SGD and full-batch gradient descent"))
