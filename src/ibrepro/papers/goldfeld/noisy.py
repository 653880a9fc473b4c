"""Goldfeld et al. (ICML 2019) §4-§5, noisy networks, in nats as the paper.

- Fig. 4: one noisy tanh neuron (``goldfeld-neuron``, beta = 0.01): the Gaussian mixture p_T(k)
  at two epochs and over epochs, and I(X;T(k)) by quadrature (``estimators.quadrature``, exact
  up to ~1e-6 nats) for its beta and others on the same trajectory (the expected-loss
  training does not depend on beta, ``train/single_neuron.py``), sample propagation on top.
- Fig. 5: the noisy SZT nets, (a) tanh beta = 0.005, (b) the same with orthonormality
  regularisation, (c) linear beta = 0.01: sample-propagation I(X;T_l) per hidden layer with
  train/test loss, layer 5's (3 units) pre-noise S_5 at marked epochs, H(Bin(S_l)) with bin
  size 10 beta (the ``binned-entropy`` measure files). The accuracy of SP: the same estimate
  with every sample count doubled (``sample-propagation-2x``, another seed) on model (a), its
  largest difference in the caption (``estimates`` builds it for (b) and (c) too at paper
  scale).
- Fig. 6: within- and between-class pairwise distances of the hidden layers of the Fig. 5 (a)
  and (b) models and of a weight-normalised net (the paper's caption) at three epochs (the
  ``pairwise-distances`` measure files).

Curves and histograms are means over repetitions (the paper shows one net; the band is the
repetitions' range); scatters are repetition 0's. Binned entropies and distances are of the
recorded pre-noise S_l (the noise, beta, is a tenth of the bin).
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ibrepro.figures.compression import THRESHOLD, Compression, compression, verdict
from ibrepro.figures.plane import epoch_cmap, mean_plane
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import PANEL_INCHES, new_figure
from ibrepro.papers.goldfeld.clusters import (
    CLUSTER_FROM,
    CLUSTERED,
    coincident_shares,
    distance_fractions,
    draw_distances,
    hidden_entropy,
    hidden_layers,
    occupied_to,
)
from ibrepro.papers.goldfeld.runs import (
    BETA,
    DISTANCES,
    NEURON,
    NEURON_DATA,
    SP,
    SP_2X,
    SZT,
    WEIGHT_NORM,
    binned_entropy,
)

NEURON_BETAS = (0.003, 0.01, 0.03, 0.1, 0.3)  # Fig. 4 (d); 0.01 is the paper's (c)
DENSITY_EPOCHS = (250, 2500)  # Fig. 4 (a)
ACCURACY_CHECK = SZT["a"]  # SP repeated with doubled samples (all three at paper scale)
# measured by benchmarks/sp_convergence.py (docs/performance.md, config.yaml's
# sample-propagation): the bias of config's sample sizes on one late snapshot
SP_BIAS = (
    "SP at these sample sizes is biased low (benchmarks/sp_convergence.py, one szt-tanh-noisy "
    "net at epoch 1499): h(T)'s mixture has one centre per input (Goldfeld: n = 4e6 samples), "
    "and 32 noisy passes per input raise I(X;T_l) of layers 2-5 by 1.71 (layer 2 to ln 4096, "
    "its inputs' clouds lying apart), 1.21, 0.75 and 0.19 nats, still rising, while 32 times "
    "more re-propagations lower them by at most 0.26, 0.17, 0.16 and 0.06: the curves of "
    "layers 2-5 lie low, by up to 1.7 nats, and a layer drawn above the layer before it is "
    "the estimator's (I(X;T_l) cannot grow with l)"
)
SCATTER_LAYER = 5  # d_5 = 3 units
MARKED = 4  # scatter epochs per model, log-spaced
# the 3-D layer-5 points drawn in 2-D by an oblique projection (x, y) = (s1 + 0.4 s3,
# s2 + 0.25 s3): the corners of tanh's cube stay apart, unlike a view along a diagonal
OBLIQUE = np.array([[1.0, 0.0], [0.0, 1.0], [0.4, 0.25]])
# Fig. 6: the Fig. 5 (a) and (b) models (the paper's text) and the weight-normalised net (its
# caption's (b))
DISTANCE_MODELS = {"a": SZT["a"], "b": SZT["b"], "b'": WEIGHT_NORM}
DISTANCE_EPOCHS = 3  # of the measure's snapshots: the first, the middle one and the last


def nearest_snapshots(epochs: np.ndarray, targets) -> np.ndarray:
    """Indices of the snapshot epochs nearest (in log(epoch + 1)) to each target epoch."""
    distance = np.abs(np.log1p(epochs)[None, :] - np.log1p(np.asarray(targets))[:, None])
    return distance.argmin(axis=1)


def log_spaced_snapshots(epochs: np.ndarray, count: int) -> np.ndarray:
    """``count`` snapshot indices from epoch 1 to the last, log-spaced."""
    return nearest_snapshots(epochs, np.geomspace(1, epochs[-1], count))


def mixture_density(points: np.ndarray, beta: float, grid: np.ndarray) -> np.ndarray:
    """p(t) = (1/n) sum_j phi_beta(t - s_j) at ``grid`` for points ``(..., n)``: ``(..., t)``."""
    z = (grid - points[..., None]) / beta  # (..., n, t)
    return np.exp(-0.5 * z * z).mean(-2) / (beta * math.sqrt(2 * math.pi))


def fig4(inputs: ItemInputs):
    """(a) p_T(k) at two epochs, (b) p_T(k) over epochs, (c) I(X;T(k)) with the MSE, (d) for
    several beta."""
    import torch  # local, as below: figure jobs import torch only where they compute

    from ibrepro.estimators.quadrature import awgn_information

    acts = inputs.activations(NEURON)
    beta = BETA[NEURON]
    s = acts["activation"].isel(rep=0, unit=0).values.astype(np.float64)  # (epoch, sample)
    epochs = acts["epoch"].values
    x_values = inputs.dataset(NEURON_DATA)["x"].values[:, 0].astype(np.float64)
    exact = {b: awgn_information(torch.as_tensor(s), b).numpy() for b in NEURON_BETAS}
    own = awgn_information(torch.as_tensor(s), beta).numpy()
    sp = inputs.mi(NEURON, SP)["I_XT"].isel(rep=0, layer=0).values
    loss = inputs.metrics(NEURON)["loss"].sel(split="train").isel(rep=0)
    fig, axes = new_figure(1, 4, height=PANEL_INCHES * 0.9)
    grid = np.linspace(-1.1, 1.1, 2201)
    ax = axes[0, 0]
    for k, index in enumerate(nearest_snapshots(epochs, DENSITY_EPOCHS)):
        ax.plot(grid, mixture_density(s[index], beta, grid), lw=0.9, color=f"C{k}",
                label=f"epoch {epochs[index]}")
    ax.set(xlabel="t", ylabel="p_T(k)(t)", title=f"(a) density of T, beta = {beta:g}")
    ax.legend()
    ax = axes[0, 1]
    density = mixture_density(s, beta, grid)  # (epoch, t)
    ax.pcolormesh(epochs + 1, grid, np.log10(density.T + 1e-3), shading="nearest",
                  cmap="Greys")
    ax.set(xscale="log", xlabel="epoch k + 1", ylabel="t",
           title="(b) log10(p_T(k)(t) + 1e-3)")
    ax = axes[0, 2]
    ax.plot(epochs + 1, own, color="k", lw=1.0, label="quadrature")
    ax.plot(epochs + 1, sp, ".", ms=2.5, color="C3", label="sample propagation")
    ax.axhline(math.log(4), color="grey", ls="--", lw=0.7, label="ln 4 = H(X)")
    ax.set(xscale="log", xlabel="epoch k + 1", ylabel="I(X;T(k)) [nats]",
           title=f"(c) I(X;T(k)), beta = {beta:g}")
    ax.legend(loc="center left")
    twin = ax.twinx()
    twin.plot(loss["epoch"].values + 1, loss.values, color="C0", lw=0.7, alpha=0.6)
    twin.set_ylabel("MSE (blue)")
    ax = axes[0, 3]
    for k, b in enumerate(NEURON_BETAS):
        ax.plot(epochs + 1, exact[b], lw=1.0, color=epoch_cmap(0.3 + 0.7 * k / len(NEURON_BETAS)),
                label=f"beta = {b:g}")
    ax.set(xscale="log", xlabel="epoch k + 1", ylabel="I(X;T(k)) [nats]",
           title="(d) I(X;T(k)) for several beta")
    ax.legend()
    gap = np.nanmax(np.abs(sp - own))
    final = s[-1]
    caption = (
        f"goldfeld Fig. 4: one noisy neuron T(k) = tanh(w_k x + b_k) + Z, Z ~ N(0, beta^2), "
        f"beta = {beta:g}, X uniform on {{{', '.join(f'{v:g}' for v in x_values)}}} (labels -1, "
        f"-1, -1, 1), full-batch gradient descent on the MSE from w = b = 0 ({NEURON}, "
        f"{len(epochs)} snapshots up to epoch {epochs[-1]}). (a) the Gaussian mixture p_T(k) at "
        f"the snapshots nearest epochs {', '.join(map(str, DENSITY_EPOCHS))}; (b) p_T(k) over "
        f"epochs; (c) I(X;T(k)) in nats by Gauss-Hermite quadrature (exact) and by sample "
        f"propagation ({SP}, max |SP - quadrature| = {gap:.3f} nats), MSE on the right axis; "
        f"(d) quadrature I(X;T(k)) on the same trajectory for beta = "
        f"{', '.join(f'{b:g}' for b in NEURON_BETAS)} (the expected-loss training does not "
        f"depend on beta). Final S = {', '.join(f'{v:.4f}' for v in final)}; I(X;T) at the "
        f"last epoch {own[-1]:.3f} nats, max over epochs {own.max():.3f} at epoch "
        f"{epochs[own.argmax()]}. goldfeld: the Gaussians first diverge, then the three of "
        f"class -1 merge as they saturate, and I(X;T(k)) dips as each merges; for large beta "
        f"I(X;T(k)) only rises."
    )
    return fig, caption


def layer_units(acts: xr.Dataset, layer: int) -> np.ndarray:
    """The unit indices of ``layer`` (1-based) in an activations file."""
    return np.flatnonzero(acts["layer"].values == layer)


def hidden_compression(inputs: ItemInputs, experiment: str) -> Compression:
    """``figures.compression`` of each hidden layer's repetition-mean sample-propagation
    I(X;T_l) of ``experiment`` (the output layer, noiseless, has no SP estimate)."""
    return compression(mean_plane(inputs.mi(experiment, SP)).i_xt[:, :-1])


def fig5(inputs: ItemInputs):
    """Per model (columns): SP I(X;T_l) with losses, layer-5 scatters, H(Bin(T_l))."""
    fig = Figure(figsize=(PANEL_INCHES * 3.3, PANEL_INCHES * 2.4))
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 3 * MARKED, height_ratios=[1.2, 0.7, 1.0])
    notes, drops, accuracy = [], [], ""
    for column, (key, experiment) in enumerate(SZT.items()):
        acts = inputs.activations(experiment)
        beta = BETA[experiment]
        mi = inputs.mi(experiment, SP)["I_XT"].transpose("rep", "epoch", "layer")
        binned = inputs.measure(experiment, binned_entropy(experiment))
        hidden = len(hidden_layers(binned))
        epochs = mi["epoch"].values
        values = mi.values[..., :hidden]
        if experiment == ACCURACY_CHECK:
            doubled = inputs.mi(experiment, SP_2X)
            difference = np.abs(doubled["I_XT"].transpose(*mi.dims).values[..., :hidden] - values)
            accuracy = (f"{SP_2X} (parameters {doubled.attrs['params']}) against {SP} "
                        f"({inputs.mi(experiment, SP).attrs['params']}) on ({key}) {experiment}, "
                        f"over its repetitions, epochs and hidden layers: max |difference| "
                        f"{difference.max():.3f} nats, mean {difference.mean():.3f}")
        marked = log_spaced_snapshots(epochs, MARKED)
        span = slice(column * MARKED, (column + 1) * MARKED)
        ax = fig.add_subplot(grid[0, span])
        for layer in range(hidden):
            colour = epoch_cmap(0.25 + 0.75 * layer / max(hidden - 1, 1))
            ax.plot(epochs + 1, values[..., layer].mean(0), color=colour, lw=1.0,
                    label=f"layer {layer + 1}")
            ax.fill_between(epochs + 1, values[..., layer].min(0), values[..., layer].max(0),
                            color=colour, alpha=0.15, lw=0)
        for index in marked:
            ax.axvline(epochs[index] + 1, color="grey", ls=":", lw=0.7)
        ax.set(xscale="log", xlabel="epoch + 1", ylabel="I(X;T_l) by SP [nats]",
               title=f"({key}) {experiment}, beta = {beta:g}")
        loss = inputs.metrics(experiment)["loss"].mean("rep")
        twin = ax.twinx()
        for split, style in (("train", "-"), ("test", "--")):
            twin.plot(loss["epoch"].values + 1, loss.sel(split=split).values, color="C3",
                      ls=style, lw=0.8, label=f"{split} loss")
        twin.set_ylabel("cross-entropy [nats] (red)")
        if column == 0:
            ax.legend(loc="upper left")
            twin.legend(loc="lower left")
        scatter_epochs = acts["epoch"].values
        units = layer_units(acts, SCATTER_LAYER)
        labels = acts["y"].values
        shown = nearest_snapshots(scatter_epochs, epochs[marked])
        for k, index in enumerate(shown):
            s5 = acts["activation"].isel(rep=0, epoch=index).values[:, units]
            ax = fig.add_subplot(grid[1, column * MARKED + k])
            ax.scatter(*(s5 @ OBLIQUE).T, c=np.where(labels == 1, "C1", "C0"), s=1,
                       alpha=0.5, linewidths=0)
            ax.set_title(f"epoch {scatter_epochs[index]}")
            ax.set(xticks=[], yticks=[], aspect="equal")
        size = binned["H_bin"].attrs["bin_size"]
        entropy = hidden_entropy(binned)
        ax = fig.add_subplot(grid[2, span])
        for layer in range(hidden):
            ax.plot(binned["epoch"].values + 1, entropy[:, layer], lw=1.0,
                    color=epoch_cmap(0.25 + 0.75 * layer / max(hidden - 1, 1)),
                    label=f"layer {layer + 1}")
        ax.axhline(math.log(acts.sizes["sample"]), color="grey", ls="--", lw=0.7)
        ax.set(xscale="log", xlabel="epoch + 1", ylabel=f"H(Bin(T_l)), bin {size:g} [nats]")
        found = compression(values.mean(0))  # values: (rep, epoch, hidden layer), read above
        drops.append(f"({key}) {verdict(found, [f'layer {k + 1}' for k in range(hidden)])}")
        accuracy_last = inputs.metrics(experiment)["accuracy"].sel(split="test")[:, -1]
        notes.append(
            f"({key}) {experiment}: last-epoch SP I(X;T_l) for layers 1-{hidden} "
            f"{', '.join(f'{v:.2f}' for v in values[:, -1].mean(0))}, max over epochs "
            f"{', '.join(f'{v:.2f}' for v in values.mean(0).max(0))}; final test accuracy "
            f"{float(accuracy_last.mean()):.3f} (mean of {accuracy_last.size}); scatter epochs "
            f"{', '.join(str(scatter_epochs[i]) for i in shown)}"
        )
    caption = (
        "goldfeld Fig. 5: noisy SZT nets 12-10-7-5-4-3-2, N(0, beta^2) noise on every hidden "
        "layer. Top: I(X;T_l) in nats by sample propagation (mean over repetitions, band = "
        "their range; dotted: the scatter epochs) with mean train (solid) and test (dashed) "
        "cross-entropy on the right axis. Middle: layer 5's pre-noise S_5 (3 units) of "
        "repetition 0 in the oblique projection (s1 + 0.4 s3, s2 + 0.25 s3), class 0 blue, "
        "class 1 orange. Bottom: H(Bin(S_l)) with bin size 10 "
        "beta (the binned-entropy measure files, mean over repetitions; dashed ln 4096). "
        + "; ".join(notes)
        + ". Accuracy of SP, every sample count doubled and another seed: " + accuracy
        + ". " + SP_BIAS + ". Ours: the drop of each hidden layer's mean SP I(X;T_l) from "
        f"its peak to the last epoch ({100 * THRESHOLD:.0f}% or more counts as compression, "
        "the goldfeld/fig5 claims): " + "; ".join(drops) + ". goldfeld: (a) I(X;T_l) rises "
        "then falls as the "
        "representations cluster (97% test accuracy); (b) no compression with orthonormal "
        "weights (98%); (c) linear: clusters and compression without saturation (89%)."
    )
    return fig, caption


def clustering_summary(shares: dict[str, dict[int, float]]) -> str:
    """Per model, its layers' ``coincident_shares`` and those at ``CLUSTERED`` or more: "(a)
    layer 3 0.02, layer 4 0.61 (tightly clustered: 4)", the models "; "-joined."""
    return "; ".join(
        f"({key}) " + ", ".join(f"layer {layer} {share:.2f}" for layer, share in found.items())
        + " (tightly clustered: " + (", ".join(
            str(layer) for layer, share in found.items() if share >= CLUSTERED) or "none") + ")"
        for key, found in shares.items())


def fig6(inputs: ItemInputs):
    """Rows: model x epoch; columns: hidden layers; within- vs between-class distances."""
    measures = {key: inputs.measure(e, DISTANCES) for key, e in DISTANCE_MODELS.items()}
    layers = hidden_layers(measures["a"])
    rows = [(key, e) for key in measures for e in range(DISTANCE_EPOCHS)]
    fig, axes = new_figure(len(rows), len(layers), height=1.25 * len(rows))
    notes, reach = [], np.zeros(len(layers))
    for key, measure in measures.items():
        epochs = measure["epoch"].values
        chosen = np.unique(np.round(np.linspace(0, len(epochs) - 1, DISTANCE_EPOCHS)).astype(int))
        for e, index in enumerate(chosen):
            row = rows.index((key, e))
            overlaps = []
            for col, layer in enumerate(layers):
                ax = axes[row, col]
                fractions = distance_fractions(measure, int(epochs[index]), layer)
                overlaps.append(draw_distances(ax, fractions))
                reach[col] = max(reach[col], occupied_to(fractions))
                ax.set_title(f"({key}) layer {layer}, epoch {epochs[index]}", fontsize=7)
                if row == len(rows) - 1:
                    ax.set_xlabel("||t_i - t_j||")
            notes.append(f"({key}) epoch {epochs[index]}: overlap per layer "
                         f"{', '.join(f'{v:.2f}' for v in overlaps)}")
    for col, right in enumerate(reach):  # each layer's distances on one scale
        for ax in axes[:, col]:
            ax.set_xlim(0, right)
    axes[0, 0].legend(loc="upper right")
    clustered = clustering_summary({key: coincident_shares(measure)
                                    for key, measure in measures.items()})
    first = measures["a"]
    caption = (
        f"goldfeld Fig. 6: histograms (fractions of pairs) of the Euclidean distances between "
        f"the pre-noise representations S_l of two inputs, within class (blue) and between "
        f"classes (orange), per hidden layer, for the Fig. 5 (a) {SZT['a']} and (b) "
        f"{SZT['b']} models and (b') the weight-normalised {WEIGHT_NORM}, at the first, a "
        f"middle and the last of the {DISTANCES} measure's snapshots (pairs of "
        f"{first['pair_count'].attrs['samples']} inputs drawn once; "
        f"{first.sizes['bin']} bins from 0 to the diagonal of the box the layer's values "
        f"span; mean over repetitions of each repetition's fractions). Overlap = sum of the "
        f"bin-wise minimum of the two histograms (1: same, 0: disjoint): "
        + "; ".join(notes) + f". Ours, the share of within-class pairs in the first bin at "
        f"the last snapshot, layers {CLUSTER_FROM}+ (a layer is tightly clustered from "
        f"{CLUSTERED:g}, the goldfeld/fig6 claims): {clustered}. goldfeld: tight clusters form "
        "in layer 3 and beyond for (a), "
        "none in the regularised (b). The paper's caption calls (b) weight normalisation, its "
        "text the Fig. 5 (b) model: we show both, (b) and (b')."
    )
    return fig, caption


register(Item("goldfeld/fig4", "figure", fig4, mi=((NEURON, SP),), activations=(NEURON,),
              metrics=(NEURON,), datasets=(NEURON_DATA,),
              uses=("ibrepro.estimators.quadrature",),
              description="single noisy neuron: density of T and I(X;T) over epochs"))
register(Item("goldfeld/fig5", "figure", fig5,
              mi=(*((e, SP) for e in SZT.values()), (ACCURACY_CHECK, SP_2X)),
              measures=tuple((e, binned_entropy(e)) for e in SZT.values()),
              activations=tuple(SZT.values()), metrics=tuple(SZT.values()),
              description="noisy SZT: SP I(X;T_l) and losses, layer-5 scatter, H(Bin(T))"))
register(Item("goldfeld/fig6", "figure", fig6,
              measures=tuple((e, DISTANCES) for e in DISTANCE_MODELS.values()),
              description="within- vs between-class pairwise distances, Fig. 5 (a), (b), "
                          "weight norm"))
