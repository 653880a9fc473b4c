"""Goldfeld et al. (ICML 2019) §2 and §5.2: the MNIST CNNs' representations, in nats as the paper
(Table 1, their validation errors: ``errors``).

The paper's supplement (8.3, architecture and training) is not available; config.yaml's
``goldfeld-cnn*`` entries state what we infer. Six models, eight seeds each: deterministic,
noisy (N(0, beta^2) on every hidden layer's output) with beta = 0.05, 0.1, 0.2, 0.5, and
dropout p = 0.2. Their runs record the validation samples only (MNIST's 10 000 test images, the
paper's ln(10000)); the recorded activations are the pre-noise S_l.

- Fig. 3: how alike the representations are. Repetition r of every model starts from the same
  initial weights (the same seed), so unit k means the same in both nets: per validation
  sample, the cosine between the deterministic net's layer vector and the other model's, at the
  last epoch, pooled over repetitions. The deterministic net against its next repetition (other
  initial weights) is the paper's "unrelated representations" reference.
- Fig. 7: H(Bin(T_l)) of the dropout net with two bins per unit (the sign pattern): the
  ``binned-entropy-2`` measure, bins [-1, 0) and [0, 1] (the paper: [-1, 0] and (0, 1]).
- Fig. 8: within- vs between-class pairwise-distance histograms of the input and the four
  layers of the dropout net at epochs 0, 1, E/4, E (E = 128: the paper's 0, 1, 32, 128): the
  ``pairwise-distances-100`` measure for the layers; the input's pixels, of the same samples,
  histogrammed here by the measure's own function.
- unit-slopes: the least-squares slope over epochs 1..E of each layer-3 unit's H(Bin(T_3(k)))
  (bins of size 1e-4 ... 1e-1 anchored at 0): the ``unit-slopes-<size>`` measures; mean and
  standard deviation over the units.
"""

from __future__ import annotations

import json
import math

import numpy as np
import xarray as xr

from ibrepro.figures.plane import epoch_cmap
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.papers.goldfeld.clusters import (
    PAIRS,
    distance_fractions,
    draw_distances,
    hidden_layers,
    occupied_to,
    pair_fractions,
)
from ibrepro.papers.goldfeld.errors import PAPER_ERRORS
from ibrepro.papers.goldfeld.runs import (
    BIN_SIZES,
    CNN_DISTANCES,
    CNNS,
    DATASET,
    DETERMINISTIC,
    DROPOUT,
    TWO_BINS,
    UNIT_SLOPES,
    describe,
)

MODELS = CNNS
SLOPE_LAYER = 3
COSINE_BINS = 100
UNRELATED = "unrelated"  # fig3's reference: the deterministic net against another seed


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of the angle between matching rows of ``a`` and ``b`` ``(..., vector)``; a zero
    row has cosine 0 with everything."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    norms = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    dots = np.einsum("...i,...i->...", a, b)
    return np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)


def layer_slopes(measures: list[xr.Dataset], layer: int) -> np.ndarray:
    """The per-unit slopes (nats/epoch) of ``layer``'s units from ``unit-binned-entropy``
    measure files, one per bin size: ``(size, rep, unit)``."""
    return np.stack([m["slope"].sel(unit=m["unit"].values[m["unit_layer"].values == layer])
                     .transpose("rep", "unit").values for m in measures])


def hidden_units(acts: xr.Dataset) -> dict[int, np.ndarray]:
    """Unit indices of each hidden layer (every layer but the last, the output)."""
    layer = acts["layer"].values
    return {int(k): np.flatnonzero(layer == k) for k in np.unique(layer)[:-1]}


def representation_cosines(inputs: ItemInputs) -> dict[str, dict[int, np.ndarray]]:
    """Model -> hidden layer -> the per-sample cosines between the deterministic net's layer
    vector and the model's (repetition r against repetition r: the same seed), at the last
    epoch, pooled over repetitions; with several repetitions also ``UNRELATED`` -> the
    deterministic net against its next repetition (other initial weights)."""
    det = inputs.activations(DETERMINISTIC)
    units = hidden_units(det)
    others = MODELS[1:]
    for experiment in others:
        acts = inputs.activations(experiment)
        if (acts.sizes["rep"] != det.sizes["rep"]
                or not np.array_equal(acts["sample"].values, det["sample"].values)):
            raise ValueError(f"{experiment} and {DETERMINISTIC} must record the same "
                             f"repetitions and samples to be compared")
    cosines = {m: {layer: [] for layer in units} for m in (*others, UNRELATED)}
    reps = det.sizes["rep"]
    for rep in range(reps):
        a = det["activation"].isel(rep=rep, epoch=-1).values  # (sample, unit)
        compared = {m: inputs.activations(m)["activation"].isel(rep=rep, epoch=-1).values
                    for m in others}
        if reps > 1:
            compared[UNRELATED] = det["activation"].isel(rep=(rep + 1) % reps, epoch=-1).values
        for model, b in compared.items():
            for layer, idx in units.items():
                cosines[model][layer].append(cosine_similarity(a[:, idx], b[:, idx]))
    if reps == 1:
        del cosines[UNRELATED]
    return {model: {layer: np.concatenate(values) for layer, values in layers.items()}
            for model, layers in cosines.items()}


def fig3(inputs: ItemInputs):
    """Per hidden layer, histograms of the per-sample cosine between the deterministic net's
    representation and each other model's (same seed), at the last epoch."""
    det = inputs.activations(DETERMINISTIC)
    units = hidden_units(det)
    others = MODELS[1:]
    cosines = representation_cosines(inputs)
    reps = det.sizes["rep"]
    fig, axes = new_figure(1, len(units), height=3.0, sharey=True)
    edges = np.linspace(-1, 1, COSINE_BINS + 1)
    notes = []
    for col, layer in enumerate(units):
        ax = axes[0, col]
        for k, model in enumerate(cosines):
            values = cosines[model][layer]
            density, _ = np.histogram(values, edges, density=True)
            unrelated = model == UNRELATED
            colour = ("grey" if unrelated else "C3" if model == DROPOUT
                      else epoch_cmap(0.3 + 0.7 * k / (len(others) - 1)))
            ax.stairs(density, edges, lw=0.9, ls="--" if unrelated else "-", color=colour,
                      label=model if unrelated else PAPER_ERRORS[model][0])
            notes.append(f"layer {layer} {model}: {values.mean():.3f} ± {values.std():.3f}")
        ax.set(title=f"layer {layer} ({len(units[layer])} units)", xlabel="cosine similarity")
    axes[0, 0].set_ylabel("density")
    axes[0, -1].legend(loc="upper left")
    epoch = int(det["epoch"].values[-1])
    caption = (
        f"goldfeld Fig. 3: per validation sample, the cosine between the deterministic "
        f"MNIST CNN's ({DETERMINISTIC}) pre-noise layer vector S_l and that of each other model "
        f"at epoch {epoch}, repetition r against repetition r (the same seed: the same initial "
        f"weights and batch order, so units correspond), pooled over {reps} repetitions and "
        f"{det.sizes['sample']} samples; dashed: the deterministic net against its next "
        f"repetition (other initial weights), the paper's unrelated representations. Mean ± std "
        f"per layer and model: " + "; ".join(notes) + f". Nets: {describe(det)}. goldfeld: "
        "the noisy (small beta) and "
        "dropout nets learn representations like the deterministic one; similarity falls as "
        "beta grows and is lowest in layers 2 and 3; unrelated ones have zero mean and std "
        "0.02-0.3."
    )
    return fig, caption


def fig7(inputs: ItemInputs):
    """H(Bin(T_l)) with two bins vs epoch, one curve per hidden layer of the dropout net."""
    acts = inputs.activations(DROPOUT)  # its sizes and spec only
    measure = inputs.measure(DROPOUT, TWO_BINS)
    layers = hidden_layers(measure)
    epochs = measure["epoch"].values
    h = measure["H_bin"].sel(layer=layers).transpose("rep", "epoch", "layer").values
    ln_n = math.log(acts.sizes["sample"])
    fig, axes = new_figure(1, 1, height=3.2)
    ax = axes[0, 0]
    for k, layer in enumerate(layers):
        colour = epoch_cmap(0.25 + 0.75 * k / max(len(layers) - 1, 1))
        ax.plot(epochs, h[..., k].mean(0), marker=".", color=colour, lw=1.0,
                label=f"layer {layer}")
        ax.fill_between(epochs, h[..., k].min(0), h[..., k].max(0), color=colour, alpha=0.15,
                        lw=0)
    ax.axhline(ln_n, color="grey", ls="--", lw=0.7, label=f"ln {acts.sizes['sample']}")
    ax.set(xlabel="epoch", ylabel="H(Bin(T_l)), bins [-1,0), [0,1] [nats]")
    ax.legend(loc="lower right")
    caption = (
        f"goldfeld Fig. 7: H(Bin(T_l)) in nats of the MNIST CNN trained with dropout ({DROPOUT}), "
        f"two bins per unit, [-1, 0) and [0, 1] (the {TWO_BINS} measure, bins floor(t / "
        f"{measure['H_bin'].attrs['bin_size']:g}): the entropy of the sign patterns of the "
        f"pre-noise S_l over the {acts.sizes['sample']} validation samples; the paper's [-1, 0] "
        f"and (0, 1] differ only at t = 0 exactly), per hidden layer at epochs "
        f"{', '.join(map(str, epochs))}; mean over {measure.sizes['rep']} repetitions, band = "
        f"their range. Dashed: ln {acts.sizes['sample']} = {ln_n:.3f}, every sample in its own "
        f"bin. Lowest and highest value per layer: "
        + "; ".join(f"layer {layer} {h[..., k].min():.4f} to {h[..., k].max():.4f}"
                    for k, layer in enumerate(layers))
        + f". Nets: {describe(acts)}. goldfeld: about ln(10000) = 9.210 for all layers and "
        "epochs (near injective), max-pooling notwithstanding."
    )
    return fig, caption


def fig8_epochs(epochs: np.ndarray) -> np.ndarray:
    """The paper's epochs 0, 1, 32, 128 for a run of E = ``epochs[-1]`` = 128 epochs: 0, 1,
    E/4 (rounded) and E, all of which must have been recorded."""
    last = int(epochs[-1])
    wanted = sorted({0, min(1, last), round(last / 4), last})
    if missing := sorted(set(wanted) - set(int(e) for e in epochs)):
        raise ValueError(f"goldfeld/fig8 needs epochs {wanted}; not recorded: {missing}")
    return np.searchsorted(epochs, wanted)


def input_distances(inputs: ItemInputs, measure: xr.Dataset) -> dict[str, np.ndarray]:
    """The within- and between-class histograms (``clusters.distance_fractions``) of the input
    pixels of the samples whose layers ``measure`` (a ``pairwise-distances`` file of
    ``DROPOUT``) holds: the same draw of samples and number of bins, by the measure's own
    function, over [0, the diagonal of the box the pixels span]."""
    import torch

    from ibrepro.estimators.clustering import distance_histograms, sample_subset

    acts = inputs.activations(DROPOUT)
    params = json.loads(measure.attrs["params"])
    subset = sample_subset(acts.sizes["sample"], params["sample_fraction"], params["seed"])
    samples = acts["sample"].values[subset]
    x = inputs.dataset(DATASET)["x"].values[samples].astype(np.float64)
    high = float(np.sqrt(((x.max(0) - x.min(0)) ** 2).sum())) or 1.0
    bins = measure.sizes["bin"]
    counts = distance_histograms(torch.from_numpy(x), torch.from_numpy(acts["y"].values[subset]),
                                 bins=bins, high=high).numpy()
    return {pair: pair_fractions(counts[k]) for k, (pair, _, _) in enumerate(PAIRS)} | {
        "edges": np.linspace(0, high, bins + 1)}


def fig8(inputs: ItemInputs):
    """Rows: epochs; columns: the input and the hidden layers; within- vs between-class
    distance histograms of the dropout net, mean over its repetitions."""
    acts = inputs.activations(DROPOUT)  # the recorded samples and the spec only
    measure = inputs.measure(DROPOUT, CNN_DISTANCES)
    layers = hidden_layers(measure)
    epochs = measure["epoch"].values
    chosen = fig8_epochs(epochs)
    pixels = input_distances(inputs, measure)
    names = ["input", *(f"layer {layer}" for layer in layers)]
    fig, axes = new_figure(len(chosen), len(names), height=1.5 * len(chosen))
    notes, reach = [], np.zeros(len(names))
    for row, e in enumerate(chosen):
        columns = [pixels] + [distance_fractions(measure, int(epochs[e]), layer)
                              for layer in layers]
        overlaps = []
        for col, fractions in enumerate(columns):
            ax = axes[row, col]
            overlaps.append(draw_distances(ax, fractions))
            reach[col] = max(reach[col], occupied_to(fractions))
            ax.set_title(f"{names[col]}, epoch {epochs[e]}", fontsize=7)
            if row == len(chosen) - 1:
                ax.set_xlabel("||t_i - t_j||")
        notes.append(f"epoch {epochs[e]}: " + ", ".join(
            f"{name} {v:.2f}" for name, v in zip(names, overlaps, strict=True)))
    for col, right in enumerate(reach):  # each column's distances on one scale
        for ax in axes[:, col]:
            ax.set_xlim(0, right)
    axes[0, 0].legend(loc="upper right")
    caption = (
        f"goldfeld Fig. 8: histograms (fractions of pairs) of the Euclidean distances between "
        f"two validation samples, within class (blue) and between classes (orange), in the "
        f"input (pixels in [0, 1)) and in the pre-noise S_l of the four hidden layers of the "
        f"dropout MNIST CNN ({DROPOUT}, the {CNN_DISTANCES} measure: pairs of "
        f"{measure['pair_count'].attrs['samples']} of the {acts.sizes['sample']} validation "
        f"samples, drawn once; mean over {measure.sizes['rep']} repetitions of each one's "
        f"fractions), at epochs {', '.join(str(epochs[e]) for e in chosen)} (the paper's 0, 1, "
        f"32, 128 for 128 epochs: 0, 1, E/4, E), {measure.sizes['bin']} bins from 0 to the "
        f"diagonal of the box the column's values span (drawn up to the farthest pair). "
        f"Overlap = sum of the bin-wise minimum of the two histograms (1: same, 0: "
        f"disjoint): " + "; ".join(notes)
        + f". Nets: {describe(acts)}. goldfeld: the input's within- and between-class "
        "distances overlap a lot; the convolutional layers 1-2 barely reduce the overlap, the "
        "fully connected layers 3-4 separate the two after one epoch."
    )
    return fig, caption


def unit_slope_table(inputs: ItemInputs):
    """Per bin size, the mean and std over layer 3's units of their H(Bin(T_3(k))) slopes."""
    acts = inputs.activations(DROPOUT)  # its sizes and spec only
    measures = [inputs.measure(DROPOUT, UNIT_SLOPES[size]) for size in BIN_SIZES]
    slopes_all = layer_slopes(measures, SLOPE_LAYER)
    units = slopes_all.shape[-1]
    first = measures[0]["slope"].attrs["first_epoch"]
    epochs = measures[0]["epoch"].values
    rows = []
    for size, slopes in zip(BIN_SIZES, slopes_all, strict=True):
        mean, std = slopes.mean(1), slopes.std(1)
        rows.append({
            "bin size": size, "units": units, "seeds": len(slopes),
            "slope mean [nats/epoch]": float(f"{mean.mean():.3g}"),
            "slope std [nats/epoch]": float(f"{std.mean():.3g}"),
            "mean, range over seeds": f"{mean.min():.2e} to {mean.max():.2e}",
            "max std over seeds": float(f"{std.max():.3g}"),
            "negative slopes [%]": round(100 * float((slopes < 0).mean()), 1),
        })
    least = max(rows, key=lambda r: r["slope mean [nats/epoch]"])
    caption = (
        f"goldfeld unit slopes: for each unit k of layer {SLOPE_LAYER} ({units} units) of "
        f"the dropout MNIST CNN ({DROPOUT}), the least-squares slope of H(Bin(T_3(k))) in nats "
        f"(bins of the given size anchored at 0, over the {acts.sizes['sample']} validation "
        f"samples; the unit-slopes-<size> measures) against the epoch, over the recorded "
        f"epochs {', '.join(str(e) for e in epochs if e >= first)} (the paper: epochs 1-128); "
        f"per repetition the mean and standard deviation (ddof 0) over the units, then their "
        f"mean over the {len(slopes_all[0])} repetitions. Least negative mean slope: "
        f"{least['slope mean [nats/epoch]']:.2e} nats/epoch (bin size {least['bin size']:g}); "
        f"largest std: {max(r['max std over seeds'] for r in rows):.2e}. Nets: "
        f"{describe(acts)}. goldfeld: over bin "
        f"sizes 1e-4 to 1e-1 the least negative mean slope was -0.002 nats/epoch with a "
        f"maximum standard deviation of 0.001: most units compress."
    )
    return rows, caption


register(Item("goldfeld/fig3", "figure", fig3, activations=MODELS,
              description="cosine similarity of the CNNs' representations to the deterministic"))
register(Item("goldfeld/fig7", "figure", fig7, measures=((DROPOUT, TWO_BINS),),
              activations=(DROPOUT,),
              description="H(Bin(T_l)) with two bins of the dropout CNN vs epoch"))
register(Item("goldfeld/fig8", "figure", fig8, measures=((DROPOUT, CNN_DISTANCES),),
              activations=(DROPOUT,), datasets=(DATASET,),
              uses=("ibrepro.estimators.clustering",),
              description="within- vs between-class distances, input and CNN layers, 4 epochs"))
register(Item("goldfeld/unit-slopes", "table", unit_slope_table,
              measures=tuple((DROPOUT, UNIT_SLOPES[s]) for s in BIN_SIZES),
              activations=(DROPOUT,),
              description="slopes of layer 3's per-unit binned entropies, bin sizes 1e-4-1e-1"))
