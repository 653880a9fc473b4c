"""Lorenzen, Igel & Nielsen (ICLR 2022), MNIST items: Sec. 4.2 (Fig. 4), App. B (Fig. B.9),
App. E (Fig. E.13) and App. F (Fig. F.16).

Five 8-bit quantized relu nets trained on MNIST (``lorenzen-mnist-*`` experiments; exact MI of
their integer codes on all samples, ``exact-quantized``): BOTTLENECK-2 784-16-8-4-2-10, the
paper's main MNIST net, and App. E's BOTTLENECK-4, HOURGLASS, 4X10 and CONV. The figures reuse
the SZT items' panels (``quantized``); captions give the nets' accuracies against the
paper's (about 90% for BOTTLENECK-2, close to or above 95% for the others but HOURGLASS) and
how many hidden layers keep a trivial I(X;T), the largest one, at every epoch.
"""

from __future__ import annotations

from ibrepro.figures.plane import Plane, mean_plane, plane_summary
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.papers.lorenzen.quantized import (
    accuracy_figure,
    last_epoch,
    plane_panel,
    run_summary,
    variance_figure,
    zoomed_figure,
)
from ibrepro.papers.lorenzen.runs import MNIST_MAIN as MAIN
from ibrepro.papers.lorenzen.runs import MNIST_NETS as NETS
from ibrepro.papers.lorenzen.runs import exact_estimator

OTHERS = tuple(name for name in NETS if name != MAIN)
TRIVIAL_FRACTION = 0.99  # a layer is "trivial" when its I(X;T) stays above this x the largest
CLAIMED_ACCURACY = {MAIN: 0.90, "wide": 0.95}  # Sec. 4.3, App. E: ~90%; close to or above 95%


def trivial_layers(plane: Plane) -> list[str]:
    """The hidden layers whose mean I(X;T) is at least ``TRIVIAL_FRACTION`` of the plane's
    largest at every epoch: they keep (almost) all of H(X), an uninformative IB curve."""
    ceiling = TRIVIAL_FRACTION * plane.i_xt.max()
    hidden = range(plane.i_xt.shape[1] - 1)
    return [plane.layer_names[k] for k in hidden if (plane.i_xt[:, k] >= ceiling).all()]


def fig4(inputs: ItemInputs):
    """Sec. 4.2: BOTTLENECK-2, mean exact-MI plane and its upper-right area (1x2)."""
    return zoomed_figure(
        inputs, NETS[MAIN], "8-bit BOTTLENECK-2 MNIST net (784-16-8-4-2-10, relu)", "4",
        "a non-trivial plane with a clear fitting phase in the output layer and the three "
        "last hidden layers, small compression phases in the relu layers around epoch 1500, "
        f"and a maximum accuracy around {CLAIMED_ACCURACY[MAIN]:.0%} (mean of 20 repetitions, "
        "3000 epochs there).")


def fig_b9(inputs: ItemInputs):
    """App. B: BOTTLENECK-2 MI mean ± spread and the median-deviating repetition (1x3)."""
    return variance_figure(inputs, NETS[MAIN], "8-bit BOTTLENECK-2 MNIST net", "B.9")


def fig_e13(inputs: ItemInputs):
    """App. E: mean planes of BOTTLENECK-4, HOURGLASS, 4X10 and CONV (2x2)."""
    fig, axes = new_figure(2, 2)
    parts = []
    for ax, name in zip(axes.flat, OTHERS, strict=True):
        plane = mean_plane(inputs.mi(NETS[name], exact_estimator(8)))
        plane_panel(ax, plane, name)
        trivial = trivial_layers(plane)
        parts.append(
            f"{name} ({NETS[name]}): {last_epoch(plane)}; hidden layers with a trivial I(X;T) "
            f"(at least {TRIVIAL_FRACTION:.0%} of the largest at every epoch): "
            f"{len(trivial)} of {plane.i_xt.shape[1] - 1} ({', '.join(trivial) or 'none'}); "
            f"{run_summary(inputs.metrics(NETS[name]), name)}")
    caption = (
        f"lorenzen Fig. E.13: information planes of the 8-bit MNIST nets of App. E, exact MI "
        f"of the integer codes. {plane_summary(plane)} {' '.join(p + '.' for p in parts)} "
        f"lorenzen: BOTTLENECK-4 "
        f"like BOTTLENECK-2 with higher MI, HOURGLASS's last three hidden layers almost "
        f"coincide, and 4X10 and CONV have almost completely trivial planes (limited fitting "
        f"in 4X10's output layer, compression in both output layers); 20 repetitions there."
    )
    return fig, caption


def fig_f16(inputs: ItemInputs):
    """App. F: accuracies of the five MNIST nets with 95% CIs (1x2)."""
    fig, finals = accuracy_figure(inputs, NETS, "MNIST, 8 bits")
    caption = (
        f"lorenzen Fig. F.16: training (left) and test (right) accuracy of the 8-bit MNIST "
        f"nets, mean over repetitions with its 95% confidence interval (normal approximation). "
        f"{'; '.join(finals)}. lorenzen: BOTTLENECK-2 reaches about "
        f"{CLAIMED_ACCURACY[MAIN]:.0%}, the wider nets close to or above "
        f"{CLAIMED_ACCURACY['wide']:.0%} (all but HOURGLASS), the more complex ones (BOTTLENECK-4, "
        f"4X10, CONV) with lower variance than the low-width bottlenecks; 20 repetitions there."
    )
    return fig, caption


def _main() -> dict:
    return {"mi": ((NETS[MAIN], exact_estimator(8)),), "metrics": (NETS[MAIN],)}


register(Item("lorenzen/fig4", "figure", fig4, **_main(),
              description="MNIST BOTTLENECK-2, 8-bit, exact MI, full IP and upper-right zoom"))
register(Item("lorenzen/figB9", "figure", fig_b9, **_main(),
              description="MNIST BOTTLENECK-2: MI mean and variance, median-deviating rep"))
register(Item("lorenzen/figE13", "figure", fig_e13,
              mi=tuple((NETS[n], exact_estimator(8)) for n in OTHERS),
              metrics=tuple(NETS[n] for n in OTHERS),
              description="MNIST BOTTLENECK-4, HOURGLASS, 4X10, CONV: exact-MI planes"))
register(Item("lorenzen/figF16", "figure", fig_f16, metrics=tuple(NETS.values()),
              description="MNIST accuracies of all five architectures with 95% CI"))
