"""Information Theory for Deep Learning (the survey): its own items.

``survey/single-neuron``: Saxe et al.'s single neuron as the survey retells it, T = f(w x) with
x ~ U(-1, 1), binned into 30 bins of [-1, 1] (``ibrepro.ib.neuron``): binned entropy =
I(X;T) against the weight w, for tanh and relu, in closed form and from samples.
"""

from __future__ import annotations

import numpy as np

from ibrepro.figures.registry import Item, register
from ibrepro.figures.save import new_figure
from ibrepro.ib.neuron import BIN_SIZE, binned_entropy, sampled_entropy

NEURON_WEIGHTS = np.geomspace(0.05, 10.0, 200)  # closed form; tanh(w x) < 1 in float64 here
NEURON_SAMPLED = np.geomspace(0.05, 10.0, 15)  # sampled: 100000 draws, one shared draw
NEURON_SAMPLES = 100_000


def single_neuron(_inputs):
    """Binned entropy vs w (log axis), tanh and relu side by side."""
    fig, axes = new_figure(1, 2, height=3.0, sharey=True)
    parts = []
    for ax, activation in zip(axes.flat, ("tanh", "relu"), strict=True):
        exact = binned_entropy(activation, NEURON_WEIGHTS)
        sampled = sampled_entropy(activation, NEURON_SAMPLED, samples=NEURON_SAMPLES)
        ax.plot(NEURON_WEIGHTS, exact, color="black", lw=1.2, label="closed form")
        ax.scatter(NEURON_SAMPLED, sampled, s=14, color="tab:red", zorder=3,
                   label=f"{NEURON_SAMPLES} samples")
        ax.set_xscale("log")
        ax.set_xlabel("weight w")
        ax.set_title(f"T = {activation}(w x)")
        ax.label_outer()
        peak = int(exact.argmax())
        error = np.abs(sampled - binned_entropy(activation, NEURON_SAMPLED)).max()
        if (np.diff(exact) >= 0).all():
            shape = f"keeps rising, {exact[0]:.3f} to {exact[-1]:.3f} bits"
        elif 0 < peak < exact.size - 1:
            shape = (f"rises to {exact[peak]:.3f} bits at w = {NEURON_WEIGHTS[peak]:.2f}, then "
                     f"falls to {exact[-1]:.3f} bits")
        else:
            shape = "is neither monotone nor single-peaked"
        parts.append(f"{activation}: H(T) {shape} over w = {NEURON_WEIGHTS[0]:g} to "
                     f"{NEURON_WEIGHTS[-1]:g}; sampled vs closed form within {error:.4f} bits")
    axes[0, 0].set_ylabel("binned H(T) = I(X;T) [bits]")
    axes[0, 0].legend(loc="upper left")
    caption = (
        f"survey (Saxe et al.'s single neuron): one input x ~ U(-1, 1), T = f(w x), binned "
        f"into bins of size {BIN_SIZE:.4f} (30 bins of [-1, 1], continued above 1 for relu); "
        f"T is a function of x, so I(X;T) is the binned entropy H(T). Black: closed form, bin "
        f"masses F(g(edge) / w) differences with F the uniform CDF and g the inverse "
        f"activation (artanh; for relu every w x < bin size falls in the first bin); red: the "
        f"plug-in entropy of floor(f(w x) / bin size) over {NEURON_SAMPLES} draws. "
        f"{'; '.join(parts)}. The survey: for tanh the mutual information first rises, then "
        f"falls with the weight (saturation piles the values into the two extreme bins, "
        f"-> 1 bit); for relu it keeps rising."
    )
    return fig, caption


register(Item("survey/single-neuron", "figure", single_neuron,
              description="binned entropy of tanh(w x) and relu(w x), x uniform, vs w"))
