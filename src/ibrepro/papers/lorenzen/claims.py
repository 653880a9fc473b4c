"""Claims of Lorenzen et al. 2022: App. A (figA5, figA6): binning estimates depend on the bin
count, "the smaller the number of bins m, the smaller the estimated H(T)" (Sec. 3.1); Sec. 4.1
(figs. 2, 3, F.14, F.15): the 8-bit nets fit about as well as the float nets, and the softmax
output layer compresses under exact MI; MNIST (figs. E.13, F.16): the BOTTLENECK-2 net reaches
about 90% test accuracy, the wider nets close to or above 95%, and the nets without a bottleneck
(4X10, CONV) have trivial hidden-layer planes."""

from __future__ import annotations

from ibrepro.figures.accuracy import final_test_accuracy
from ibrepro.figures.compression import THRESHOLD, compression
from ibrepro.figures.plane import mean_plane
from ibrepro.figures.registry import ItemInputs
from ibrepro.papers.lorenzen import mnist
from ibrepro.papers.lorenzen.binning import grows_with_bins
from ibrepro.papers.lorenzen.runs import (
    ACTIVATIONS,
    APP_A,
    BIN_COUNTS,
    exact_estimator,
    global_bin_estimator,
    qnn,
)
from ibrepro.report.registry import AtLeast, Claim, Within, register

ESTIMATORS = tuple(global_bin_estimator(bins) for bins in BIN_COUNTS)


def more_bins_more_information(experiment: str):
    """Fraction of (epoch, layer) points of the repetition-mean plane where I(X;T) does not
    decrease from 30 to 100 to 256 bins (1 = the claim holds everywhere)."""
    def measure(inputs: ItemInputs) -> float:
        return grows_with_bins([mean_plane(inputs.mi(experiment, s)) for s in ESTIMATORS],
                               "i_xt")

    return measure


for item, (experiment, _) in APP_A.items():
    register(Claim(f"lorenzen/{item}:more-bins-more-information",
                   f"fraction of (epoch, layer) points of {experiment} whose mean I(X;T) grows "
                   f"with the bin count ({', '.join(map(str, BIN_COUNTS))}, global range)",
                   "the smaller the number of bins, the smaller the estimated H(T) = I(X;T)",
                   more_bins_more_information(experiment), AtLeast(0.99),
                   mi=tuple((experiment, s) for s in ESTIMATORS), source="App. A, Sec. 3.1"))


ACCURACY_TOLERANCE = 0.02  # "similar accuracies": 8-bit within 2 points of the float net


def quantization_cost(activation: str):
    """Mean final test accuracy of the 8-bit net minus the 32-bit (float) net's."""
    def measure(inputs: ItemInputs) -> float:
        return (final_test_accuracy(inputs.metrics(qnn(activation, 8)))[0]
                - final_test_accuracy(inputs.metrics(qnn(activation, 32)))[0])

    return measure


def softmax_compression(activation: str):
    """Relative drop of the 8-bit net's mean exact I(X;T) of the softmax layer from its peak."""
    def measure(inputs: ItemInputs) -> float:
        plane = mean_plane(inputs.mi(qnn(activation, 8), exact_estimator(8)))
        return float(compression(plane.i_xt).relative[-1])

    return measure


for activation, figure in zip(ACTIVATIONS, ("figF14", "figF15"), strict=True):
    register(Claim(f"lorenzen/{figure}:8bit-fits-like-float",
                   f"final test accuracy, 8-bit minus 32-bit (float) {activation.upper()} net",
                   0.0, quantization_cost(activation), Within(ACCURACY_TOLERANCE),
                   metrics=(qnn(activation, 8), qnn(activation, 32)), source="Sec. 4.1, App. F"))
for activation, figure in zip(ACTIVATIONS, ("fig2", "fig3"), strict=True):
    register(Claim(f"lorenzen/{figure}:softmax-compresses",
                   f"relative drop of the softmax layer's mean exact I(X;T) from its peak, "
                   f"8-bit {activation.upper()} net",
                   "a fitting and a compression phase in the output SOFTMAX layer",
                   softmax_compression(activation), AtLeast(THRESHOLD),
                   mi=((qnn(activation, 8), exact_estimator(8)),), source=f"Fig. {figure[3:]}"))


# ---- MNIST (Sec. 4.2, 4.3, App. E, F): accuracies, trivial planes of the wide nets ----

MNIST_ACCURACY_TOLERANCE = 0.03  # "around 90%"


def mnist_accuracy(names: tuple[str, ...]):
    """The smallest mean final test accuracy among the MNIST nets ``names``."""
    def measure(inputs: ItemInputs) -> float:
        return min(final_test_accuracy(inputs.metrics(mnist.NETS[n]))[0] for n in names)

    return measure


def trivial_hidden_fraction(names: tuple[str, ...]):
    """Fraction of the hidden layers of the nets ``names`` whose mean exact I(X;T) stays at
    least ``TRIVIAL_FRACTION`` of the plane's largest at every epoch (``trivial_layers``)."""
    def measure(inputs: ItemInputs) -> float:
        planes = [mean_plane(inputs.mi(mnist.NETS[n], exact_estimator(8))) for n in names]
        return (sum(len(mnist.trivial_layers(p)) for p in planes)
                / sum(p.i_xt.shape[1] - 1 for p in planes))

    return measure


WIDE = ("BOTTLENECK-4", "4X10", "CONV")
NO_BOTTLENECK = ("4X10", "CONV")
register(Claim("lorenzen/figF16:bottleneck-accuracy",
               "final test accuracy of the 8-bit MNIST BOTTLENECK-2 net (mean of repetitions)",
               mnist.CLAIMED_ACCURACY[mnist.MAIN], mnist_accuracy((mnist.MAIN,)),
               Within(MNIST_ACCURACY_TOLERANCE), metrics=(mnist.NETS[mnist.MAIN],),
               source="Sec. 4.2"))
register(Claim("lorenzen/figF16:wide-nets-accuracy",
               f"smallest final test accuracy of the 8-bit MNIST {', '.join(WIDE)} nets",
               "close to or above 0.95", mnist_accuracy(WIDE),
               AtLeast(mnist.CLAIMED_ACCURACY["wide"] - MNIST_ACCURACY_TOLERANCE),
               metrics=tuple(mnist.NETS[n] for n in WIDE), source="App. E, F"))
register(Claim("lorenzen/figE13:trivial-planes",
               f"fraction of the hidden layers of {' and '.join(NO_BOTTLENECK)} with a trivial "
               f"exact I(X;T) (at least {mnist.TRIVIAL_FRACTION:.0%} of the largest, every "
               f"epoch)",
               "4X10 and CONV have almost completely trivial information curves",
               trivial_hidden_fraction(NO_BOTTLENECK), AtLeast(0.99),
               mi=tuple((mnist.NETS[n], exact_estimator(8)) for n in NO_BOTTLENECK),
               source="App. E"))
