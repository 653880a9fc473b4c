"""rip's schematic figures drawn from code, with the numbers they illustrate computed: Fig. 3
(four cases of how binning loses information), Fig. 18 (a double-saturating function binned
into 12 bins) and Fig. 19 (smaller bins approximate a density better). No inputs."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ibrepro.figures.registry import Item, register
from ibrepro.figures.save import new_figure
from ibrepro.ib import entropy_bits, joint_of_samples, mutual_information_bits
from ibrepro.ib.neuron import bin_probabilities, hard_tanh


class Case(NamedTuple):
    """One panel of rip Fig. 3: four samples (numbered 1-4) on one activation axis."""

    title: str
    values: tuple[float, ...]
    labels: tuple[int, ...]


CASE_BIN = 0.1  # bin size of the Fig. 3 cases
CASES = (  # samples 1, 2 of class 0 and 3, 4 of class 1; which two share a bin differs
    Case("(a) two classes in one bin", (0.03, 0.25, 0.07, 0.35), (0, 0, 1, 1)),
    Case("(b) two of one class in one bin", (0.03, 0.07, 0.25, 0.35), (0, 0, 1, 1)),
    Case("(c) two of the other class in one bin", (0.05, 0.15, 0.23, 0.27), (0, 0, 1, 1)),
    Case("(d) one sample per bin", (0.05, 0.15, 0.25, 0.35), (0, 0, 1, 1)),
)
CLASS_COLOURS = ("tab:blue", "tab:orange")


def plug_in_information(symbols, labels) -> tuple[float, float]:
    """(H(T), I(T;Y)) in bits of equiprobable samples with symbols ``symbols`` ``(sample,)``
    and labels ``labels`` ``(sample,)``."""
    joint = joint_of_samples(np.asarray(symbols)[:, None], np.asarray(labels))
    return entropy_bits(joint.sum(1)), mutual_information_bits(joint)


def binned_information(values, labels, *, size: float) -> tuple[float, float]:
    """(I(X;T), I(T;Y)) in bits of equiprobable samples X with activations ``values``
    ``(sample,)`` binned as floor(t / size), and labels ``labels`` ``(sample,)``: T is a
    function of X, so I(X;T) = H(T)."""
    return plug_in_information(np.floor(np.asarray(values, dtype=float) / size), labels)


def fig3(_inputs):
    """Four panels, each a row of bins with the samples drawn in them, class = colour."""
    fig, axes = new_figure(2, 2, height=3.6)
    h_x, i_xy = plug_in_information(np.arange(4), CASES[0].labels)  # without binning
    parts = []
    for ax, case in zip(axes.flat, CASES, strict=True):
        i_xt, i_ty = binned_information(case.values, case.labels, size=CASE_BIN)
        edges = np.arange(0, 0.4 + CASE_BIN / 2, CASE_BIN)
        for edge in edges:
            ax.axvline(edge, color="grey", lw=0.6, ls=":")
        for k, (v, y) in enumerate(zip(case.values, case.labels, strict=True)):
            ax.scatter(v, 0, s=180, facecolors="none", edgecolors=CLASS_COLOURS[y], lw=1.5)
            ax.annotate(str(k + 1), (v, 0), ha="center", va="center", color=CLASS_COLOURS[y])
        ax.set_xlim(edges[0] - 0.01, edges[-1] + 0.01)
        ax.set_yticks([])
        ax.set_title(f"{case.title}\nI(X;T) = {i_xt:.2f}, I(T;Y) = {i_ty:.2f} bits")
        parts.append(f"{case.title[:3]} I(X;T) = {i_xt:.2f}, I(T;Y) = {i_ty:.2f}")
        ax.set_xlabel(f"activation t (bins of {CASE_BIN})")
    caption = (
        f"rip Fig. 3: how binning loses information. Four equiprobable samples (numbers), "
        f"classes by colour (1, 2 blue; 3, 4 orange), binned with bin size {CASE_BIN}; without "
        f"binning I(X;T) = H(X) = {h_x:.2f} and I(T;Y) = I(X;Y) = {i_xy:.2f} bits. Computed "
        f"plug-in values per case: {'; '.join(parts)}. (a) two classes sharing a bin lower "
        f"both I(X;T) and I(T;Y); (b), (c) two samples of one class lower only I(X;T); (d) "
        f"one sample per bin loses nothing, as rip states."
    )
    return fig, caption


SATURATING_BINS = 12  # rip Fig. 18
SATURATING_RANGE = 3.0  # drawn pre-activations z in [-3, 3]; z ~ U(-3, 3) for the bin masses


def fig18(_inputs):
    """clip(z, -1, 1) with the 12 bin borders of [-1, 1] and each bin's mass for uniform z."""
    size = 2 / SATURATING_BINS
    probs = bin_probabilities("hard-tanh", SATURATING_RANGE, size=size)
    probs = np.append(probs[:-2], probs[-2:].sum())  # t = 1 joins the top bin: 12 bins of [-1, 1]
    fig, axes = new_figure(1, 2, height=3.0)
    ax, bars = axes.flat
    z = np.linspace(-SATURATING_RANGE, SATURATING_RANGE, 601)
    ax.plot(z, hard_tanh(z), color="black", lw=1.2)
    edges = np.linspace(-1, 1, SATURATING_BINS + 1)
    for edge in edges:
        ax.axhline(edge, color="grey", lw=0.6, ls=":")
    ax.set_xlabel("z (sum of the inputs into the neuron)")
    ax.set_ylabel("t = clip(z, -1, 1)")
    ax.set_title(f"{SATURATING_BINS} bins of [-1, 1]")
    bars.barh((edges[:-1] + edges[1:]) / 2, probs, height=size * 0.9, color="tab:blue")
    bars.set_ylim(ax.get_ylim())
    bars.set_xlabel(f"P(bin), z ~ U(-{SATURATING_RANGE:g}, {SATURATING_RANGE:g})")
    bars.set_yticks([])
    h = entropy_bits(probs)
    caption = (
        f"rip Fig. 18: a double linearly saturating function t = clip(z, -1, 1) binned into "
        f"{SATURATING_BINS} bins of [-1, 1] (dotted borders). Right: the mass of each bin for z "
        f"uniform on [-{SATURATING_RANGE:g}, {SATURATING_RANGE:g}], from the inverse function "
        f"at the bin borders: the two saturated bins hold {probs[0]:.4f} each (= 13/36), the "
        f"other ten {probs[1]:.4f} (= 1/36); H(T) = {h:.3f} bits of at most "
        f"log2 {SATURATING_BINS} = {math.log2(SATURATING_BINS):.3f}: saturation piles the mass "
        f"into the extreme bins."
    )
    return fig, caption


DENSITY_SIGMA = 0.25  # rip Fig. 19's density: here N(0, 0.25^2), whose entropy is known
DENSITY_BINS = (0.4, 0.05)  # b1 (large) and b2 (small)


def gaussian_bin_probabilities(size: float, *, sigma: float = DENSITY_SIGMA,
                               reach: float = 8.0) -> tuple[np.ndarray, np.ndarray]:
    """Edges ``(bin + 1,)`` k * size covering ±``reach`` sigma and the N(0, sigma^2) mass of
    each bin ``(bin,)`` (differences of the normal CDF)."""
    k = math.ceil(reach * sigma / size)
    edges = np.arange(-k, k + 1) * size
    cdf = 0.5 * (1 + np.vectorize(math.erf)(edges / (sigma * math.sqrt(2))))
    return edges, np.diff(cdf)


def discretisation_error(size: float, *, sigma: float = DENSITY_SIGMA) -> float:
    """H(binned) + log2(size) - h(X) in bits for X ~ N(0, sigma^2): the error of the binned
    estimate of the differential entropy h = log2(sigma sqrt(2 pi e)); -> 0 as size -> 0."""
    _, p = gaussian_bin_probabilities(size, sigma=sigma)
    return entropy_bits(p) + math.log2(size) - math.log2(sigma * math.sqrt(2 * math.pi * math.e))


def fig19(_inputs):
    """A density and its histogram approximations at a large and a small bin size."""
    fig, axes = new_figure(1, 1, height=2.8)
    ax = axes[0, 0]
    t = np.linspace(-4 * DENSITY_SIGMA, 4 * DENSITY_SIGMA, 801)
    density = np.exp(-t**2 / (2 * DENSITY_SIGMA**2)) / (DENSITY_SIGMA * math.sqrt(2 * math.pi))
    ax.plot(t, density, color="black", lw=1.2, label="density")
    parts = []
    for name, size, colour in zip(("b1", "b2"), DENSITY_BINS, ("tab:orange", "tab:blue"),
                                  strict=True):
        edges, p = gaussian_bin_probabilities(size)
        ax.stairs(p / size, edges, color=colour, lw=1.0, label=f"{name} = {size}")
        error = discretisation_error(size)
        parts.append(f"{name} = {size}: error {error:+.4f} bits")
    ax.set_xlim(t[0], t[-1])
    ax.set_xlabel("activation t")
    ax.set_ylabel("density")
    ax.legend(loc="upper right")
    caption = (
        f"rip Fig. 19: smaller bins approximate a density better. The density of N(0, "
        f"{DENSITY_SIGMA}^2) (black) and its histograms (bin mass / bin size) at bin sizes "
        f"b1 = {DENSITY_BINS[0]} and b2 = {DENSITY_BINS[1]}. The binned entropy plus log2 of "
        f"the bin size estimates the differential entropy h = log2(sigma sqrt(2 pi e)) = "
        f"{math.log2(DENSITY_SIGMA * math.sqrt(2 * math.pi * math.e)):.4f} bits; "
        f"{'; '.join(parts)}: the error shrinks with the bin size."
    )
    return fig, caption


register(Item("rip/fig3", "figure", fig3,
              description="schematic: four cases of how binning loses information"))
register(Item("rip/fig18", "figure", fig18,
              description="schematic: a double-saturating function binned into 12 bins"))
register(Item("rip/fig19", "figure", fig19,
              description="schematic: smaller bins approximate a density better"))
