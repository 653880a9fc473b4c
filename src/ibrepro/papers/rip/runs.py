"""The runs rip's items and claims read: experiment names of config.yaml and the binning
estimators (rip §2: the SZT net, SGD, batch 256, 8000 epochs; App. D: MNIST-138)."""

from __future__ import annotations

BIN_SIZES = (0.01, 0.07, 0.15, 0.3)  # rip Figs. 1 and 11
TANH, RELU = "szt-tanh", "szt-relu"
CURVES = ((TANH, "TanH net"), (RELU, "ReLU net"))
MIXED = (("szt-relu-tanh", "Leading ReLU"), ("szt-tanh-relu", "Leading TanH"))
BOTTLENECK = "szt-bottleneck"  # Fig. 6: 12-3-2-12-2-2
BIG_NETS = (("szt-tanh-big", "TanH"), ("szt-relu-big", "ReLU"))  # Fig. 8, Table 2
# App. D: MNIST-138 (digits 1, 3, 8), net 784-10-7-5-4-3-3
MNIST138_TANH, MNIST138_RELU = "mnist138-tanh", "mnist138-relu"
MNIST138_CURVES = ((MNIST138_TANH, "TanH net"), (MNIST138_RELU, "ReLU net"))
MNIST138_MIXED = (("mnist138-relu-tanh", "Leading ReLU"), ("mnist138-tanh-relu", "Leading TanH"))


def bin_size_estimator(size: float) -> str:
    """The configured estimator name of fixed-width binning with bin size ``size``."""
    return f"bin-size-{size}"


ESTIMATOR = bin_size_estimator(0.07)  # rip's planes but Figs. 1 and 11: 30 bins over [-1, 1]
