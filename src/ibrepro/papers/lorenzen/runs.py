"""The runs Lorenzen et al.'s items and claims read: experiment names of config.yaml and the
estimators (Sec. 4: the SZT net, Adam lr 1e-4, batch 256, 8000 epochs, k-bit quantization-aware
training, k = 32 the float net; Sec. 4.2, App. E: the MNIST nets)."""

from __future__ import annotations

ACTIVATIONS = ("tanh", "relu")
BITS = (4, 8, 32)
BIN_COUNTS = (30, 100, 256)  # App. A
SZT_DATASET = "szt"  # the configured datasets the SZT and the MNIST nets train on
MNIST_DATASET = "mnist-80-20"


def qnn(activation: str, bits: int) -> str:
    """The configured experiment of the ``activation`` SZT net at ``bits``."""
    return f"lorenzen-{activation}-{bits}bit"


def prefit_run(activation: str) -> str:
    """The configured experiment of the 8-bit ``activation`` net prefitted on random labels."""
    return f"lorenzen-{activation}-prefit"


def exact_estimator(bits: int) -> str:
    """Exact MI of the codes for 4 and 8 bits; the 32-bit float net's 2^32 levels per layer."""
    return "bin-count-32bit" if bits == 32 else "exact-quantized"


def global_bin_estimator(bins: int) -> str:
    """The configured estimator name of ``bins`` equal-width bins over the global range."""
    return f"bin-count-{bins}-global"


# App. A: "non-quantized TANH and RELU networks trained in the standard setting" (Adam, lr 1e-4,
# the fan-out truncated normal init): the 32-bit nets, which train unquantized (App. C's, 30
# repetitions; App. A plots the mean of 50)
APP_A = {"figA5": (qnn("tanh", 32), "TANH"), "figA6": (qnn("relu", 32), "RELU")}

# Sec. 4.2 and App. E, MNIST: paper name -> configured experiment; the first is Sec. 4.2's net
MNIST_NETS = {
    "BOTTLENECK-2": "lorenzen-mnist-bottleneck-2",
    "BOTTLENECK-4": "lorenzen-mnist-bottleneck-4",
    "HOURGLASS": "lorenzen-mnist-hourglass",
    "4X10": "lorenzen-mnist-4x10",
    "CONV": "lorenzen-mnist-conv",
}
MNIST_MAIN = "BOTTLENECK-2"
