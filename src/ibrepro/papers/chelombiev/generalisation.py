"""Chelombiev et al.: compression against generalisation across runs
(``chelombiev/compression-vs-generalisation``). Over every repetition of the activation zoo and
the weight-decay sweep, each layer's compression (``figures.compression``: the drop of its
I(X;T) from the maximum over snapshot epochs to the last snapshot, in bits) against the final
test accuracy and loss: Spearman rho with a bootstrap interval (``figures.stats``)."""

from __future__ import annotations

import numpy as np

from ibrepro.figures.accuracy import fit_summary
from ibrepro.figures.compression import of_reps
from ibrepro.figures.registry import Item, ItemInputs, register
from ibrepro.figures.save import new_figure
from ibrepro.figures.stats import Interval, bootstrap_correlation
from ibrepro.papers.chelombiev.planes import ADAPTIVE_CAPTION
from ibrepro.papers.chelombiev.runs import ADAPTIVE, ADAPTIVE_NAMES, RUNS


def generalisation_links(drops: np.ndarray, performance: np.ndarray, *,
                         seed: int = 0) -> list[Interval]:
    """Spearman correlation, with a bootstrap 95% CI, of each layer's compression with test
    performance across runs: ``drops`` ``(run, layer)``, ``performance`` ``(run,)``."""
    return [bootstrap_correlation(drops[:, layer], performance, method="spearman",
                                  seed=seed + layer) for layer in range(drops.shape[1])]


def runs_compression(inputs: ItemInputs, estimator: str):
    """Per repetition of every run of the zoo and sweep: compression drop ``(run, layer)``, the
    last epoch's test accuracy and loss ``(run,)``, each run's experiment, the layer names."""
    drops, metric, nets = [], {"accuracy": [], "loss": []}, []
    for experiment in RUNS:
        mi = inputs.mi(experiment, estimator)
        drops.append(of_reps(mi).drop)
        test = inputs.metrics(experiment).sel(split="test").isel(epoch=-1)
        for name in metric:
            metric[name].append(test[name].sel(rep=mi["rep"]).values)
        nets += [experiment] * mi.sizes["rep"]
    layers = mi.sizes["layer"]  # the nets differ in activation: name layers by position
    layer_names = [f"hidden {k}" for k in range(1, layers)] + ["softmax"]
    return (np.concatenate(drops), {k: np.concatenate(v) for k, v in metric.items()},
            nets, layer_names)


def _interval(ci: Interval) -> str:
    return f"{ci.value:+.2f} [{ci.low:+.2f}, {ci.high:+.2f}]"


def compression_vs_generalisation(inputs: ItemInputs):
    """Per layer: Spearman rho of compression with test accuracy and with test loss (bootstrap
    95% CI), one marker per adaptive estimator; and the softmax layer's scatter."""
    fig, axes = new_figure(1, 3)
    parts = []
    for k, (estimator, label) in enumerate(ADAPTIVE):
        drops, metric, nets, layer_names = runs_compression(inputs, estimator)
        layers = np.arange(1, drops.shape[1] + 1) + (k - 0.5) * 0.2
        for ax, name in zip(axes[0, :2], ("accuracy", "loss"), strict=True):
            links = generalisation_links(drops, metric[name])
            values = np.array([ci.value for ci in links])
            errors = np.abs(np.array([[ci.low, ci.high] for ci in links]).T - values)
            ax.errorbar(layers, values, yerr=errors, fmt="o", ms=3, capsize=2, label=label)
            parts.append(f"{estimator} vs test {name}: " + ", ".join(
                f"{n} {_interval(ci)}" for n, ci in zip(layer_names, links, strict=True)))
        axes[0, 2].scatter(drops[:, -1], metric["accuracy"], s=6, label=label)
    for ax, name in zip(axes[0, :2], ("accuracy", "loss"), strict=True):
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_xticks(np.arange(1, len(layer_names) + 1), layer_names, rotation=45, ha="right")
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel(f"Spearman rho, compression vs test {name}")
        ax.legend(loc="best")
    axes[0, 2].set_xlabel("softmax compression (drop from peak) [bits]")
    axes[0, 2].set_ylabel("final test accuracy")
    axes[0, 2].legend(loc="best")
    caption = (
        f"chelombiev compression vs generalisation: across {len(nets)} runs (every repetition "
        f"of {', '.join(RUNS)}), the compression of each layer (the drop of its I(X;T) from "
        f"the maximum over snapshot epochs, where the fitting phase ends, to the last snapshot, "
        f"in bits) against the final test accuracy and test loss: Spearman rho with a 95% "
        f"percentile bootstrap interval (2000 resamples of runs, seeded), under "
        f"{ADAPTIVE_CAPTION}. Right: softmax compression against test accuracy. "
        f"{fit_summary({e: inputs.metrics(e) for e in RUNS})} "
        f"{'; '.join(parts)}. chelombiev: no significant link for the hidden layers, "
        f"compression of the softmax layer goes with better generalisation."
    )
    return fig, caption


register(Item("chelombiev/compression-vs-generalisation", "figure",
              compression_vs_generalisation,
              mi=tuple((e, s) for e in RUNS for s in ADAPTIVE_NAMES), metrics=RUNS,
              description="per-layer compression vs test accuracy and loss, bootstrap CIs"))
