"""The runs Goldfeld et al.'s items and claims read: experiment names of config.yaml, their
noise, and the estimators and measures (config.yaml ``measures``: Sec. 5's clustering measures,
built by the measure stage) read from them."""

from __future__ import annotations

import json

import xarray as xr

# Fig. 1: the deterministic SZT tanh net under binning; the paper does not print its bin sizes:
# ours are the decades 1e-4 to 1e-1 of its Sec. 5 unit-slope analysis
SZT_TANH = "szt-tanh"
BIN_SIZES = (0.0001, 0.001, 0.01, 0.1)

# Sec. 4, Fig. 4: one noisy tanh neuron
NEURON, NEURON_DATA = "goldfeld-neuron", "single-neuron"
# Sec. 5.1, Fig. 5: the noisy SZT nets, (a) tanh, (b) orthonormal, (c) linear; Fig. 6 (b') the
# weight-normalised net of its caption
SZT = {"a": "szt-tanh-noisy", "b": "szt-tanh-noisy-orthonormal", "c": "szt-linear-noisy"}
WEIGHT_NORM = "szt-tanh-noisy-weightnorm"
# beta of each run: config.yaml's noise_std, the paper's values
BETA = {SZT["a"]: 0.005, SZT["b"]: 0.005, SZT["c"]: 0.01, WEIGHT_NORM: 0.005, NEURON: 0.01}
SP, SP_2X = "sample-propagation", "sample-propagation-2x"

# Sec. 2 and 5.2: the MNIST CNNs (validation samples recorded: MNIST's test split)
DATASET = "mnist"
DETERMINISTIC = "goldfeld-cnn"
DROPOUT = "goldfeld-cnn-dropout"  # Sec. 5.2: "the MNIST CNN trained with dropout"
CNNS = (DETERMINISTIC, "goldfeld-cnn-noisy-0.05", "goldfeld-cnn-noisy-0.1",
        "goldfeld-cnn-noisy-0.2", "goldfeld-cnn-noisy-0.5", DROPOUT)

# measures (config.yaml): H(Bin(T_l)) with bin size 10 beta (Fig. 5), with two bins per unit
# (Fig. 7), per-unit slopes (Sec. 5.2), within/between-class pairwise distances (Figs. 6, 8)
BINNED_ENTROPY = {0.005: "binned-entropy-0.05", 0.01: "binned-entropy-0.1"}  # beta -> measure
TWO_BINS = "binned-entropy-2"
UNIT_SLOPES = {size: f"unit-slopes-{size}" for size in BIN_SIZES}
DISTANCES = "pairwise-distances"  # the noisy SZT nets (Fig. 6)
CNN_DISTANCES = "pairwise-distances-100"  # the dropout CNN (Fig. 8)


def binned_entropy(experiment: str) -> str:
    """The measure of H(Bin(T_l)) with bins of 10 beta for ``experiment`` (Fig. 5)."""
    return BINNED_ENTROPY[BETA[experiment]]


# describe's training settings of a run spec (config.yaml keys)
SETTINGS = {"optimizer": "{}", "lr": "lr {:g}", "batch_size": "batch {}", "epochs": "{} epochs",
            "repetitions": "{} seeds", "init": "{} init"}


def describe(run: xr.Dataset) -> str:
    """The net and training of a run file (from its ``spec`` attr; what it lacks is left out),
    for captions: our architecture is inferred, so every caption states it."""
    spec = json.loads(run.attrs.get("spec", "{}"))
    layers = [f"conv {c['kernel']}x{c['kernel']} x {c['channels']} + {c['pool']}x{c['pool']} "
              f"max-pool" for c in spec.get("conv", [])]
    layers += [f"dense {width}" for width in spec.get("hidden", [])]
    layers += ["/".join(dict.fromkeys(spec.get("activations", []))), "softmax"]
    training = [form.format(spec[key]) for key, form in SETTINGS.items() if key in spec]
    return (f"{', '.join(layers)}; {', '.join(training)}; inferred, the paper's supplement "
            f"8.3 being unavailable")
