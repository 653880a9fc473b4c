"""rip App. D: the MNIST-138 items (Figs. 11-15), drawn by the SZT items' functions with the
MNIST-138 runs (digits 1, 3, 8; net 784-10-7-5-4-3-3).

Fig. 11 is Fig. 1's bin sizes, Fig. 12 Fig. 2's mixed nets, Figs. 13 and 14 Fig. 5's
histograms (tanh at bin size 0.07, relu at 0.2 as rip's Fig. 14 caption: its relu values spread
too far for 0.07-bins to draw), Fig. 15 Figs. 7 and 10's early / perfect stopping, side by side.
"""

from __future__ import annotations

from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.papers.rip.histograms import HISTOGRAM_SIZE, histogram_figure
from ibrepro.papers.rip.planes import bin_sizes_figure, mixed_figure
from ibrepro.papers.rip.runs import (
    BIN_SIZES,
    ESTIMATOR,
    MNIST138_CURVES,
    MNIST138_MIXED,
    MNIST138_RELU,
    MNIST138_TANH,
    bin_size_estimator,
)
from ibrepro.papers.rip.training import draw_stopping, stopping_caption

RELU_HISTOGRAM_SIZE = 0.2  # rip Fig. 14


def fig11(inputs: ItemInputs):
    fig, caption = bin_sizes_figure(inputs, MNIST138_TANH, "tanh MNIST-138 net",
                                    "no score printed")
    return fig, (f"rip Fig. 11: {caption} rip: as on SZT, the smaller the bin size, the closer "
                 f"the layers stay to the top right (I(X;T) = H(X)).")


def fig12(inputs: ItemInputs):
    fig, caption = mixed_figure(inputs, MNIST138_MIXED, "MNIST-138")
    return fig, (f"rip Fig. 12: {caption} rip: no influence of the activations when ReLU "
                 f"layers lead (a); with leading TanH layers the ReLU layers start low (b).")


def fig13(inputs: ItemInputs):
    fig, caption = histogram_figure(inputs, ((MNIST138_TANH, "TanH", HISTOGRAM_SIZE),),
                                    "MNIST-138")
    return fig, (f"rip Fig. 13: {caption} rip: the bins empty out and redistribute as for the "
                 f"SZT nets (rip/fig5).")


def fig14(inputs: ItemInputs):
    fig, caption = histogram_figure(inputs, ((MNIST138_RELU, "ReLU", RELU_HISTOGRAM_SIZE),),
                                    "MNIST-138")
    return fig, (f"rip Fig. 14: {caption} Bin size {RELU_HISTOGRAM_SIZE} as rip's (its relu "
                 f"values spread too far for thinner bins to draw). rip: the bins empty out and "
                 f"redistribute as for the SZT nets (rip/fig5).")


def fig15(inputs: ItemInputs):
    """rip's stopping layout (2×2) for the tanh (left) and relu (right) nets."""
    fig, axes = new_figure(2, 4, sharex=True, sharey=True)
    parts = [draw_stopping(inputs, experiment, axes[:, 2 * k:2 * k + 2], label=f"{title}: ")
             for k, (experiment, title) in enumerate(MNIST138_CURVES)]
    opening = stopping_caption("15", "MNIST-138 tanh (left) and relu (right) nets",
                               ", ".join(e for e, _ in MNIST138_CURVES),
                               inputs.option("early_stopping")["patience"])
    caption = (
        f"{opening} {'. '.join(parts)}. rip: on MNIST-138 early "
        f"stopping shows no distinct behaviour (on SZT it falls where the output layer turns "
        f"into compression)."
    )
    return fig, caption


register(Item("rip/fig11", "figure", fig11,
              mi=tuple((MNIST138_TANH, bin_size_estimator(s)) for s in BIN_SIZES),
              metrics=(MNIST138_TANH,),
              description="MNIST-138 IPs at the four bin sizes"))
register(Item("rip/fig12", "figure", fig12,
              mi=tuple((e, ESTIMATOR) for e, _ in MNIST138_MIXED),
              metrics=tuple(e for e, _ in MNIST138_MIXED),
              description="MNIST-138 mixed nets, bin size 0.07"))
register(Item("rip/fig13", "figure", fig13, activations=(MNIST138_TANH,),
              description="MNIST-138 tanh bin histograms (layers 4, 5, output; 3 epochs)"))
register(Item("rip/fig14", "figure", fig14, activations=(MNIST138_RELU,),
              description="MNIST-138 relu bin histograms (bin size 0.2)"))
register(Item("rip/fig15", "figure", fig15,
              mi=tuple((e, ESTIMATOR) for e, _ in MNIST138_CURVES),
              metrics=tuple(e for e, _ in MNIST138_CURVES), options=("early_stopping",),
              description="MNIST-138 early / perfect stopping vs full, tanh and relu"))
