"""Claims of Lorenzen et al. 2022 (CLAIMS.md #33-54): the 8-bit SZT nets' planes (Sec. 4.1,
Sec. 5: fitting and compression phases, trivial layers, the layers' upper bounds, the
likeness to binning), the precision (Sec. 4.3, App. C: 32 and 4 bits), binning with 30, 100
and 256 bins (App. A, on Lorenzen's own float nets, Adam lr 1e-4: ``runs.APP_A``), the
variance over repetitions (App. B), the random-label prefit (App. D), the accuracies (App. F),
the MNIST nets (Sec. 4.2, App. E) and the bad-fit restarts (footnote 5).

Every qualitative statement is a number measured on the repetition-mean plane (the plotted
one), held against a bound fixed here, with why: compression is ``figures.compression``'s
5% drop from the peak (``THRESHOLD``), and a rise or a fall of I(X;T) counts alike at 5% of
the larger value (``quantities``). Lorenzen's accuracies are read off Figs. F.14-F.16, which
plot means over repetitions: they are held against our mean, not against the spread of our
repetitions (the distribution rule is for the number of one net).
"""

from __future__ import annotations

import json

import numpy as np

from ibrepro.figures.accuracy import final_test_accuracy
from ibrepro.figures.compression import THRESHOLD, compression
from ibrepro.figures.plane import mean_plane
from ibrepro.figures.registry import ItemInputs
from ibrepro.papers.lorenzen import mnist
from ibrepro.papers.lorenzen.binning import dpi_violations, grows_with_bins
from ibrepro.papers.lorenzen.quantities import (
    at_bound,
    change_after,
    distinguishable_layers,
    fraction_not_below,
    largest_fall,
    layer_falls,
    low_variance_where_high,
    phases,
    plane_distance,
    relative_change,
    upper_bounds,
)
from ibrepro.papers.lorenzen.quantized import SZT_WIDTHS, ZOOM_FRACTION, restarts
from ibrepro.papers.lorenzen.runs import (
    ACTIVATIONS,
    APP_A,
    BIN_COUNTS,
    BITS,
    MNIST_DATASET,
    SZT_DATASET,
    exact_estimator,
    global_bin_estimator,
    prefit_run,
    qnn,
)
from ibrepro.report.registry import AtLeast, AtMost, Claim, Within, register
from ibrepro.stopping import snapshot_at

ESTIMATORS = tuple(global_bin_estimator(bins) for bins in BIN_COUNTS)
EXACT = exact_estimator(8)
TANH8, RELU8 = qnn("tanh", 8), qnn("relu", 8)
PRUNING = "ibrepro.train.pruning"  # its plane_scale and trajectory_distance (torch)

# ---- verdict bounds, fixed before any number of ours was seen ----
# "for every layer", "almost completely trivial": at 99% of the points (or layers) or more
EVERYWHERE = 0.99
AS_STATED = 1.0  # "only non-trivial for the last two layers": each of the 6 layers as stated
# "generally higher", "lower overall", "higher MI in general": at 9 of 10 points or more
GENERALLY = 0.9
# two trajectories are "very similar", "coincide": within 0.05 of a plane's side on average,
# axes divided by H(X) and H(Y): the pruning loop's threshold for rip's "similar
# trajectories" (config pruning.threshold; about a marker's width on a square plot)
SIMILAR = 0.05
SEVERAL = 2  # "several more layers become distinguishable": more than one
USUALLY = 0.5  # "the variance is usually low": at half of the high-mean points or more
LARGER = 1.0  # "slightly larger variance for the RELU activations": a ratio of 1 or more
DPI_EPOCHS = 0.5  # "broke down completely": the DPI violated at half the epochs or more, not
# at an isolated one
RARE = 0.05  # "this occurred in rare cases": at most one trial in twenty was rerun
NONE = 0  # "where a RELU network got stuck": no TANH trial rerun
RISE_EPOCH = 1800  # Sec. 4.1: "a slight increase in I(X;T) after approximately 1800 epochs"
WINDOW = (1000, 2000)  # Sec. 4.2: "small compression phases ... around 1500 epochs", +-500
RELU_LAYERS = 2  # "in the RELU layers": compression in two of them or more (plural)
ACCURACY_TOLERANCE = 0.02  # "similar accuracies": 8-bit within 2 points of the float net
# "around 90%", "close to or above 95%": a value the paper rounds to the 5-point step it names
# lies nearer it than the next step: within 2.5 points
CLOSE = 0.025


def _scale(inputs: ItemInputs, dataset: str) -> tuple[float, float]:
    """H(X) and H(Y) of ``dataset`` in bits: the largest I(X;T) and I(T;Y), the plane's sides."""
    from ibrepro.train.pruning import plane_scale  # local: it loads torch

    data = inputs.dataset(dataset)
    return plane_scale(data["x"].values, data["y"].values)


def _plane(inputs: ItemInputs, experiment: str, estimator: str = EXACT):
    plane = mean_plane(inputs.mi(experiment, estimator))
    if plane.units != "bits":
        raise ValueError(f"{experiment}/{estimator}: claims compare bits, got {plane.units}")
    return plane


# ---- Sec. 4.1, Sec. 5: the 8-bit SZT nets (Figs. 2, 3) ----

def softmax_phases(activation: str):
    """The smaller of the 8-bit net's softmax layer's fitting and compression phases."""
    return lambda inputs: float(phases(_plane(inputs, qnn(activation, 8)).i_xt)[-1])


def last_hidden_phases(inputs: ItemInputs) -> float:
    """The smaller of the 8-bit TANH net's last hidden layer's fitting and compression phases."""
    return float(phases(_plane(inputs, TANH8).i_xt)[-2])


def _bounds(inputs: ItemInputs, bits: int):
    return upper_bounds(_scale(inputs, SZT_DATASET)[0], SZT_WIDTHS[1:], bits)


def trivial_as_stated(inputs: ItemInputs) -> float:
    """Fraction of the 8-bit TANH net's layers trivial (at their upper bound at every epoch) or
    not as Sec. 5 says: all but the last two trivial."""
    trivial = at_bound(_plane(inputs, TANH8).i_xt, _bounds(inputs, 8))
    stated = np.arange(len(trivial)) < len(trivial) - 2
    return float((trivial == stated).mean())


def hidden_compression(inputs: ItemInputs) -> float:
    """The largest relative drop from the peak among the 8-bit RELU net's hidden layers."""
    return float(compression(_plane(inputs, RELU8).i_xt).relative[:-1].max())


def late_rise(inputs: ItemInputs) -> float:
    """Change of the 8-bit RELU net's last hidden layer's I(X;T) from epoch ``RISE_EPOCH`` to the
    last (NaN in a shorter run)."""
    plane = _plane(inputs, RELU8)
    return change_after(plane.i_xt[:, -2], plane.epochs, RISE_EPOCH)


def bound_ratio(inputs: ItemInputs) -> float:
    """The largest ratio of the 8-bit RELU net's I(X;T) to its layer's upper bound."""
    return float((_plane(inputs, RELU8).i_xt / _bounds(inputs, 8)).max())


def binned_distance(inputs: ItemInputs) -> float:
    """The largest distance, over layers, of the 8-bit TANH net's exact trajectory from the
    float TANH net's with 256 bins (App. A's standard setting)."""
    binned = _plane(inputs, APP_A["figA5"][0], global_bin_estimator(256))
    return float(plane_distance(_plane(inputs, TANH8), binned, _scale(inputs, SZT_DATASET)).max())


def exact_above_binned(inputs: ItemInputs) -> float:
    """Fraction of the points of both 8-bit nets where the exact I(X;T), I(T;Y) is at least the
    float net's with 256 bins."""
    return fraction_not_below(
        (_plane(inputs, qnn(net.lower(), 8)), _plane(inputs, experiment, global_bin_estimator(256)))
        for experiment, net in APP_A.values())


# ---- App. F, C: accuracies and precision ----

def quantization_cost(activation: str, bits: int):
    """Mean final test accuracy of the ``bits`` net minus the 32-bit (float) net's."""
    def measure(inputs: ItemInputs) -> float:
        return (final_test_accuracy(inputs.metrics(qnn(activation, bits)))[0]
                - final_test_accuracy(inputs.metrics(qnn(activation, 32)))[0])

    return measure


def float_layer_falls(inputs: ItemInputs) -> float:
    """The largest fall of I(X;T) from a layer to the next (relative to the earlier), over the
    epochs and both 32-bit nets."""
    return float(np.max([layer_falls(_plane(inputs, qnn(a, 32), exact_estimator(32)).i_xt)
                         for a in ACTIVATIONS]))


def four_bits_lower(inputs: ItemInputs) -> float:
    """Fraction of the points of both nets where the 8-bit estimate is at least the 4-bit one."""
    return fraction_not_below((_plane(inputs, qnn(a, 8)), _plane(inputs, qnn(a, 4)))
                              for a in ACTIVATIONS)


def more_distinguishable(inputs: ItemInputs) -> float:
    """Distinguishable layers of the 4-bit TANH net minus the 8-bit one's."""
    scale = _scale(inputs, SZT_DATASET)
    return float(distinguishable_layers(_plane(inputs, qnn("tanh", 4)), scale, SIMILAR)
                 - distinguishable_layers(_plane(inputs, TANH8), scale, SIMILAR))


# ---- App. A: the float nets binned ----

def more_bins_more_information(experiment: str, name: str = "i_xt"):
    """Fraction of (epoch, layer) points of the repetition-mean plane where the estimate
    ``name`` ("i_xt" or "i_ty") does not decrease from 30 to 100 to 256 bins (1 = the claim
    holds everywhere)."""
    def measure(inputs: ItemInputs) -> float:
        return grows_with_bins([mean_plane(inputs.mi(experiment, s)) for s in ESTIMATORS], name)

    return measure


def binned_phases(inputs: ItemInputs) -> float:
    """The smallest over the float TANH net's layers, 30 bins, of the smaller phase."""
    return float(phases(_plane(inputs, APP_A["figA5"][0], global_bin_estimator(30)).i_xt).min())


def binned_compression(inputs: ItemInputs) -> float:
    """The largest relative drop from the peak over the float RELU net's layers, 100 bins."""
    plane = _plane(inputs, APP_A["figA6"][0], global_bin_estimator(100))
    return float(compression(plane.i_xt).relative.max())


def dpi_fraction(inputs: ItemInputs) -> float:
    """Fraction of the snapshot epochs at which the float RELU net's I(T;Y), 30 bins, rises from
    some layer to the next."""
    plane = _plane(inputs, APP_A["figA6"][0], global_bin_estimator(30))
    return dpi_violations(plane.i_ty) / len(plane.epochs)


# ---- App. B: variance over repetitions ----

def _values(inputs: ItemInputs, experiment: str, name: str) -> np.ndarray:
    return inputs.mi(experiment, EXACT)[name].transpose("rep", "epoch", "layer").values


def variance_where_high(experiment: str):
    """The smaller, over I(X;T) and I(T;Y), of the fraction of high-mean points (at least
    ``ZOOM_FRACTION`` of the largest mean) whose variance is at most the median variance."""
    return lambda inputs: min(low_variance_where_high(_values(inputs, experiment, name),
                                                      ZOOM_FRACTION)
                              for name in ("I_XT", "I_TY"))


def relu_variance_ratio(inputs: ItemInputs) -> float:
    """The smaller, over I(X;T) and I(T;Y), of the 8-bit RELU net's mean variance over the
    (epoch, layer) points divided by the TANH net's."""
    with np.errstate(divide="ignore", invalid="ignore"):  # no TANH variance: inf or NaN
        return float(np.min([_values(inputs, RELU8, name).var(axis=0).mean()
                             / _values(inputs, TANH8, name).var(axis=0).mean()
                             for name in ("I_XT", "I_TY")]))


# ---- App. D: prefit on random labels ----

def _prefit(inputs: ItemInputs, activation: str):
    """The mean plane of the prefit net, and the change of each layer's I(X;T) from the first
    snapshot to the last one of the prefit (NaN without a prefit)."""
    run = prefit_run(activation)
    plane = _plane(inputs, run)
    epochs = json.loads(inputs.metrics(run).attrs["spec"]).get("prefit", {}).get("epochs", 0)
    if not epochs:
        return plane, np.full(plane.i_xt.shape[1], np.nan)
    end = snapshot_at(plane.epochs, epochs)
    return plane, relative_change(plane.i_xt[0], plane.i_xt[end])


def prefit_rise(inputs: ItemInputs) -> float:
    """The smallest rise of I(X;T) during the prefit over the hidden layers of both nets that
    are not trivial (at their upper bound at every epoch); NaN if none is left."""
    rises = []
    for activation in ACTIVATIONS:
        plane, change = _prefit(inputs, activation)
        rises += list(change[:-1][~at_bound(plane.i_xt, _bounds(inputs, 8))[:-1]])
    return float(np.min(rises)) if rises else float("nan")


def prefit_output_shift(inputs: ItemInputs) -> float:
    """The largest change (either way) of the output layer's I(X;T) during the prefit, over
    both nets."""
    return float(np.max([abs(_prefit(inputs, a)[1][-1]) for a in ACTIVATIONS]))


# ---- Sec. 4.2, App. E, F: MNIST ----

def mnist_accuracy(names: tuple[str, ...]):
    """The smallest mean final test accuracy among the MNIST nets ``names``."""
    def measure(inputs: ItemInputs) -> float:
        return min(final_test_accuracy(inputs.metrics(mnist.NETS[n]))[0] for n in names)

    return measure


def best_mean_accuracy(experiment: str):
    """The largest over epochs of the repetition-mean test accuracy (Sec. 4.2's "maximum")."""
    return lambda inputs: float(
        inputs.metrics(experiment)["accuracy"].sel(split="test").mean("rep").max())


def trivial_hidden_fraction(names: tuple[str, ...]):
    """Fraction of the hidden layers of the nets ``names`` whose mean exact I(X;T) stays at
    least ``TRIVIAL_FRACTION`` of the plane's largest at every epoch (``trivial_layers``)."""
    def measure(inputs: ItemInputs) -> float:
        planes = [mean_plane(inputs.mi(mnist.NETS[n], EXACT)) for n in names]
        return (sum(len(mnist.trivial_layers(p)) for p in planes)
                / sum(p.i_xt.shape[1] - 1 for p in planes))

    return measure


def compressing_near_1500(inputs: ItemInputs) -> float:
    """How many hidden layers of BOTTLENECK-2 fall by at least ``THRESHOLD`` within ``WINDOW``
    (NaN in a shorter run)."""
    plane = _plane(inputs, mnist.NETS[mnist.MAIN])
    falls = largest_fall(plane.i_xt[:, :-1], plane.epochs, *WINDOW)
    return float("nan") if np.isnan(falls).any() else float((falls >= THRESHOLD).sum())


def wider_bottleneck_higher(inputs: ItemInputs) -> float:
    """Fraction of the points where BOTTLENECK-4's estimate is at least BOTTLENECK-2's."""
    return fraction_not_below([(_plane(inputs, mnist.NETS["BOTTLENECK-4"]),
                                _plane(inputs, mnist.NETS[mnist.MAIN]))])


def hourglass_spread(inputs: ItemInputs) -> float:
    """The larger distance of HOURGLASS's 4th to 5th and 5th to 6th hidden layer trajectories."""
    from ibrepro.train.pruning import trajectory_distance  # local: it loads torch

    plane = _plane(inputs, mnist.NETS["HOURGLASS"])
    distance = trajectory_distance(plane.i_xt, plane.i_ty, scale=_scale(inputs, MNIST_DATASET))
    return float(distance[3:5].max())  # pairs (T4, T5), (T5, T6); the softmax after them


# ---- footnote 5: bad-fit restarts ----

SZT_RUNS = tuple(qnn(a, b) for a in ACTIVATIONS for b in BITS) + tuple(
    prefit_run(a) for a in ACTIVATIONS)


def restarted_fraction(inputs: ItemInputs) -> float:
    """Of all trials of the SZT runs (kept repetitions and reruns), the fraction rerun."""
    reruns = sum(sum(restarts(inputs.metrics(r))) for r in SZT_RUNS)
    kept = sum(inputs.metrics(r).sizes["rep"] for r in SZT_RUNS)
    return reruns / (kept + reruns)


def tanh_restarts(inputs: ItemInputs) -> float:
    """How many trials of the TANH SZT runs were rerun."""
    return float(sum(sum(restarts(inputs.metrics(r))) for r in SZT_RUNS if "tanh" in r))


# ---- registrations, in CLAIMS.md's order ----

def _mi(*runs: str, estimator: str = EXACT) -> tuple[tuple[str, str], ...]:
    return tuple((r, estimator) for r in runs)


for activation, figure in zip(ACTIVATIONS, ("fig2", "fig3"), strict=True):
    register(Claim(f"lorenzen/{figure}:softmax-fits-then-compresses",
                   f"the smaller of the softmax layer's rise of mean exact I(X;T) to its peak and "
                   f"drop from it, relative to the peak, 8-bit {activation.upper()} net",
                   "a fitting and a compression phase in the output SOFTMAX layer",
                   softmax_phases(activation), AtLeast(THRESHOLD), mi=_mi(qnn(activation, 8)),
                   source=f"Fig. {figure[3:]}, Sec. 4.1, Sec. 5", statements=(33,)))
register(Claim("lorenzen/fig2:last-hidden-fits-then-compresses",
               "the smaller of the last hidden layer's rise of mean exact I(X;T) to its peak and "
               "drop from it, relative to the peak, 8-bit TANH net",
               "looking at the hidden layer before the output layer, we do observe a fitting and "
               "a compression phase", last_hidden_phases, AtLeast(THRESHOLD), mi=_mi(TANH8),
               source="Sec. 4.1, Sec. 5", statements=(34,),
               note="the paper's compression there is small; ours counts from a 5% drop"))
register(Claim("lorenzen/fig2:trivial-but-last-two",
               f"fraction of the 8-bit TANH net's 6 layers trivial or not as stated (trivial: "
               f"mean exact I(X;T) at least {mnist.TRIVIAL_FRACTION:.0%} of the layer's upper "
               f"bound min(H(X), 8 d) at every epoch; stated: T1-T4 trivial, T5 and the "
               f"softmax not)", "for the TANH network, the MI was only non-trivial for the last "
               "two layers", trivial_as_stated, AtLeast(AS_STATED), mi=_mi(TANH8),
               datasets=(SZT_DATASET,), uses=(PRUNING,), source="Sec. 5, Sec. 4.1",
               statements=(35,)))
register(Claim("lorenzen/fig3:hidden-no-compression",
               "the largest relative drop of mean exact I(X;T) from its peak among the 8-bit "
               "RELU net's hidden layers",
               "no compression was observed in any of the hidden layers using RELU activations",
               hidden_compression, AtMost(THRESHOLD), mi=_mi(RELU8),
               source="Sec. 4.1, Sec. 4.3, Sec. 5", statements=(36,)))
register(Claim("lorenzen/fig3:late-rise",
               f"change of the 8-bit RELU net's last hidden layer's mean exact I(X;T) from epoch "
               f"{RISE_EPOCH} to the last, relative to the larger value",
               "a slight increase in I(X;T) after approximately 1800 epochs, observed only for "
               "the hidden layer before the output layer", late_rise, AtLeast(THRESHOLD),
               mi=_mi(RELU8), source="Sec. 4.1", statements=(36,),
               note="a rise counts from 5% of the larger value, as a compression does"))
register(Claim("lorenzen/fig3:below-bound",
               "the largest ratio, over layers and epochs, of the 8-bit RELU net's mean exact "
               "I(X;T) to the layer's upper bound min(H(X), 8 d) (softmax: 8 (d - 1))",
               "for the RELU network, the MI was below its upper bound in all layers",
               bound_ratio, AtMost(mnist.TRIVIAL_FRACTION), mi=_mi(RELU8),
               datasets=(SZT_DATASET,), uses=(PRUNING,), source="Sec. 5", statements=(37,),
               note=f"at {mnist.TRIVIAL_FRACTION:.0%} of the bound a layer counts as trivial"))
for activation, figure in zip(ACTIVATIONS, ("figF14", "figF15"), strict=True):
    register(Claim(f"lorenzen/{figure}:8bit-fits-like-float",
                   f"final test accuracy, 8-bit minus 32-bit (float) {activation.upper()} net "
                   f"(repetition means)", 0.0, quantization_cost(activation, 8),
                   Within(ACCURACY_TOLERANCE),
                   metrics=(qnn(activation, 8), qnn(activation, 32)),
                   source="Sec. 4.1, App. F", statements=(38,)))
register(Claim("lorenzen/fig2:like-256-bins",
               "the largest, over layers, mean distance between the 8-bit TANH net's exact and "
               "the float TANH net's 256-bin trajectories, axes divided by H(X) and H(Y)",
               "for the quantized TANH network, the information plane is very similar to the "
               "plane obtained in the standard setting using 2^8 = 256 bins", binned_distance,
               AtMost(SIMILAR), mi=(*_mi(TANH8), (APP_A["figA5"][0], global_bin_estimator(256))),
               datasets=(SZT_DATASET,), uses=(PRUNING,), source="Sec. 4.1", statements=(39,)))
register(Claim("lorenzen/fig2:exact-above-binned",
               "fraction of the (epoch, layer) points of the 8-bit TANH and RELU nets where the "
               "mean exact I(X;T) and I(T;Y) are at least the float net's with 256 bins",
               "the MI generally being higher in our experiments", exact_above_binned,
               AtLeast(GENERALLY),
               mi=(*_mi(TANH8, RELU8),
                   *((e, global_bin_estimator(256)) for e, _ in APP_A.values())),
               source="Sec. 4.3, Sec. 4.1", statements=(40,),
               note="binned at 256 bins, as many levels as the 8-bit codes have"))
register(Claim("lorenzen/figC11:little-loss-between-layers",
               "the largest fall of mean I(X;T) from a layer to the next, relative to the "
               "earlier layer's, over epochs and both 32-bit nets (2^32 levels per layer)",
               "almost no loss of information is observed between layers",
               float_layer_falls, AtMost(THRESHOLD),
               mi=tuple((qnn(a, 32), exact_estimator(32)) for a in ACTIVATIONS),
               source="Sec. 4.3, App. C", statements=(41,)))
register(Claim("lorenzen/figC10:4bit-lower-mi",
               "fraction of the (epoch, layer) points of the TANH and RELU nets where the mean "
               "exact I(X;T) and I(T;Y) at 8 bits are at least those at 4 bits",
               "as expected we see lower overall MI measurements", four_bits_lower,
               AtLeast(GENERALLY), mi=_mi(*(qnn(a, b) for a in ACTIVATIONS for b in (4, 8))),
               source="App. C", statements=(42,)))
register(Claim("lorenzen/figC10:4bit-more-distinguishable",
               f"distinguishable layers of the 4-bit TANH net minus the 8-bit one's (a layer is "
               f"distinguishable when its trajectory lies at least {SIMILAR} from the previous "
               f"layer's, axes divided by H(X) and H(Y))",
               "for the TANH network, several more layers become distinguishable",
               more_distinguishable, AtLeast(SEVERAL), mi=_mi(qnn("tanh", 4), TANH8),
               datasets=(SZT_DATASET,), uses=(PRUNING,), source="App. C, Sec. 4.3",
               statements=(42,)))
for activation, figure in zip(ACTIVATIONS, ("figF14", "figF15"), strict=True):
    register(Claim(f"lorenzen/{figure}:4bit-fits-worse",
                   f"final test accuracy, 4-bit minus 32-bit (float) {activation.upper()} net "
                   f"(repetition means)",
                   "the 4-bit quantized networks also provide a worse fit",
                   quantization_cost(activation, 4), AtMost(-ACCURACY_TOLERANCE),
                   metrics=(qnn(activation, 4), qnn(activation, 32)),
                   source="Sec. 4.3, App. C, App. F", statements=(42,),
                   note="worse: more than the 2 points within which 8 bits count as similar"))
for item, (experiment, _) in APP_A.items():
    for name, estimate in (("i_xt", "I(X;T)"), ("i_ty", "I(T;Y)")):
        register(Claim(f"lorenzen/{item}:more-bins-more-"
                       f"{'information' if name == 'i_xt' else 'label-information'}",
                       f"fraction of (epoch, layer) points of {experiment} whose mean {estimate} "
                       f"grows with the bin count ({', '.join(map(str, BIN_COUNTS))}, global "
                       f"range)", "for every layer T with binned T' = B(T), I(X;T') and I(T';Y) "
                       "increase with the number of bins used",
                       more_bins_more_information(experiment, name), AtLeast(EVERYWHERE),
                       mi=tuple((experiment, s) for s in ESTIMATORS), source="App. A, Sec. 3.1",
                       statements=(43,)))
register(Claim("lorenzen/figA5:two-phases-30-bins",
               "the smallest, over the float TANH net's layers (30 bins), of the smaller of the "
               "rise of mean I(X;T) to its peak and the drop from it, relative to the peak",
               "two phases are clearly visible in each layer", binned_phases, AtLeast(THRESHOLD),
               mi=((APP_A["figA5"][0], global_bin_estimator(30)),), source="App. A",
               statements=(44,)))
register(Claim("lorenzen/figA6:no-compression-100-bins",
               "the largest relative drop of mean I(X;T) from its peak over the float RELU net's "
               "layers, 100 bins", "for the RELU network with 100 bins ... the compression phase "
               "was not observed", binned_compression, AtMost(THRESHOLD),
               mi=((APP_A["figA6"][0], global_bin_estimator(100)),), source="App. A",
               statements=(45,)))
register(Claim("lorenzen/figA6:dpi-violated-30-bins",
               "fraction of the snapshot epochs at which the float RELU net's mean I(T;Y), 30 "
               "bins, rises from some layer to the next",
               "when using only 30 bins for the RELU network, the estimation broke down "
               "completely in the sense that the DPI is violated: I(T';Y) is non-monotone",
               dpi_fraction, AtLeast(DPI_EPOCHS),
               mi=((APP_A["figA6"][0], global_bin_estimator(30)),), source="App. A",
               statements=(46,)))
for figure, experiment, net in (("figB7", TANH8, "8-bit TANH net"),
                                ("figB8", RELU8, "8-bit RELU net"),
                                ("figB9", mnist.NETS[mnist.MAIN], "MNIST BOTTLENECK-2")):
    register(Claim(f"lorenzen/{figure}:low-variance-where-mi-high",
                   f"the smaller, over exact I(X;T) and I(T;Y), of the fraction of the {net}'s "
                   f"(epoch, layer) points with a mean at least {ZOOM_FRACTION:.0%} of the "
                   f"largest whose variance over repetitions is at most the median variance",
                   "when the mean MI is large, the variance is usually low",
                   variance_where_high(experiment), AtLeast(USUALLY), mi=_mi(experiment),
                   source="App. B", statements=(47,),
                   note=f"{ZOOM_FRACTION:.0%}: the upper-right area of Figs. 2 and 3"))
register(Claim("lorenzen/figB8:relu-variance-larger",
               "the smaller, over exact I(X;T) and I(T;Y), of the 8-bit RELU net's mean "
               "variance over repetitions divided by the TANH net's",
               "the variance is similar across the different networks ..., with slightly larger "
               "variance for the RELU activations", relu_variance_ratio, AtLeast(LARGER),
               mi=_mi(TANH8, RELU8), source="App. B", statements=(47,)))
register(Claim("lorenzen/figD12:prefit-raises-ixt",
               "the smallest change of mean exact I(X;T) from the first snapshot to the end of "
               "the random-label prefit, relative to the larger value, over the hidden layers "
               "of both 8-bit nets that are not trivial (at their upper bound at every epoch)",
               "for all discernible layers, I(X;T) appears to increase when fitted to random "
               "labels", prefit_rise, AtLeast(THRESHOLD),
               mi=_mi(*(prefit_run(a) for a in ACTIVATIONS)),
               metrics=tuple(prefit_run(a) for a in ACTIVATIONS), datasets=(SZT_DATASET,),
               uses=(PRUNING,), source="App. D", statements=(48,)))
register(Claim("lorenzen/figD12:output-still-in-prefit",
               "the largest change (either way) of the output layer's mean exact I(X;T) from "
               "the first snapshot to the end of the random-label prefit, relative to the "
               "larger value, both 8-bit nets",
               "there is no lateral movement in the information plane for the output layer",
               prefit_output_shift, AtMost(THRESHOLD),
               mi=_mi(*(prefit_run(a) for a in ACTIVATIONS)),
               metrics=tuple(prefit_run(a) for a in ACTIVATIONS), source="App. D",
               statements=(48,),
               note="lateral: along I(X;T); the paper ties it to the accuracy not rising"))
register(Claim("lorenzen/figF16:bottleneck-accuracy",
               "the largest over epochs of the 8-bit MNIST BOTTLENECK-2 net's repetition-mean "
               "test accuracy", mnist.CLAIMED_ACCURACY[mnist.MAIN],
               best_mean_accuracy(mnist.NETS[mnist.MAIN]), Within(CLOSE),
               metrics=(mnist.NETS[mnist.MAIN],), source="Sec. 4.2, Sec. 4.3",
               statements=(49,), note="the paper's \"maximum accuracy of around 90%\": of the "
               "mean curve of Fig. F.16"))
register(Claim("lorenzen/fig4:relu-compression-near-1500",
               f"hidden layers of MNIST BOTTLENECK-2 whose mean exact I(X;T) falls by at least "
               f"{THRESHOLD:.0%} (of the earlier value) between two snapshots in epochs "
               f"{WINDOW[0]}-{WINDOW[1]}",
               "small compression phases are also observed in the RELU layers around 1500 "
               "epochs", compressing_near_1500, AtLeast(RELU_LAYERS),
               mi=_mi(mnist.NETS[mnist.MAIN]), source="Sec. 4.2, Sec. 5", statements=(50,)))
register(Claim("lorenzen/figE13:bottleneck-4-higher-mi",
               "fraction of the (epoch, layer) points where MNIST BOTTLENECK-4's mean exact "
               "I(X;T) and I(T;Y) are at least BOTTLENECK-2's",
               "the information curves for the BOTTLENECK-4 network [are] similar in shape to "
               "the BOTTLENECK-2, but with higher MI measurements in general",
               wider_bottleneck_higher, AtLeast(GENERALLY),
               mi=_mi(mnist.NETS["BOTTLENECK-4"], mnist.NETS[mnist.MAIN]), source="App. E",
               statements=(51,), note="the likeness of shape is left to the figure"))
register(Claim("lorenzen/figE13:hourglass-last-three-coincide",
               "the larger mean distance between HOURGLASS's trajectories of hidden layers 4 "
               "and 5, and 5 and 6 (widths 2, 4, 8), axes divided by H(X) and H(Y)",
               "the two expanding layers of widths 4 and 8 almost coincide completely with the "
               "bottleneck layer", hourglass_spread, AtMost(SIMILAR),
               mi=_mi(mnist.NETS["HOURGLASS"]), datasets=(MNIST_DATASET,), uses=(PRUNING,),
               source="App. E, Fig. E.13", statements=(51,)))
NO_BOTTLENECK = ("4X10", "CONV")
register(Claim("lorenzen/figE13:trivial-planes",
               f"fraction of the hidden layers of {' and '.join(NO_BOTTLENECK)} with a trivial "
               f"exact I(X;T) (at least {mnist.TRIVIAL_FRACTION:.0%} of the largest, every "
               f"epoch)",
               "4X10 and CONV have almost completely trivial information curves",
               trivial_hidden_fraction(NO_BOTTLENECK), AtLeast(EVERYWHERE),
               mi=tuple((mnist.NETS[n], EXACT) for n in NO_BOTTLENECK),
               source="App. E", statements=(52,)))
WIDE = ("BOTTLENECK-4", "4X10", "CONV")
register(Claim("lorenzen/figF16:wide-nets-accuracy",
               f"smallest mean final test accuracy of the 8-bit MNIST {', '.join(WIDE)} nets",
               "close to or above 0.95", mnist_accuracy(WIDE),
               AtLeast(mnist.CLAIMED_ACCURACY["wide"] - CLOSE),
               metrics=tuple(mnist.NETS[n] for n in WIDE), source="App. E, App. F, Sec. 4.3",
               statements=(53,)))
register(Claim("lorenzen/figF16:hourglass-accuracy",
               "mean final test accuracy of the 8-bit MNIST HOURGLASS net",
               "accuracies close to or above 95% for all networks except the HOURGLASS network",
               mnist_accuracy(("HOURGLASS",)), AtMost(mnist.CLAIMED_ACCURACY["wide"] - CLOSE),
               metrics=(mnist.NETS["HOURGLASS"],), source="App. E", statements=(53,)))
register(Claim("lorenzen/fig3:restarts-rare",
               "fraction of the trials of the SZT runs (4, 8, 32 bits, prefit; both "
               "activations) rerun for training accuracy below 0.55",
               "we repeated any trial with an accuracy less than 0.55. This occurred in rare "
               "cases", restarted_fraction, AtMost(RARE), metrics=SZT_RUNS,
               source="footnote 5", statements=(54,)))
register(Claim("lorenzen/fig3:no-tanh-restarts",
               "trials of the TANH SZT runs rerun for training accuracy below 0.55",
               "[this occurred] where a RELU network got stuck with a 'dead' layer",
               tanh_restarts, AtMost(NONE), metrics=tuple(r for r in SZT_RUNS if "tanh" in r),
               source="footnote 5", statements=(54,)))
register(Claim("lorenzen/fig3:restarts-dead-layers",
               "whether each rerun RELU trial had a dead layer (all activations 0 on all inputs)",
               "a RELU network got stuck with a 'dead' layer ... from which it could not recover",
               source="footnote 5", statements=(54,),
               not_measurable="the bad-fit policy (train.restart) replaces a rerun trial's "
                              "activations, weights and history by the rerun's, so the "
                              "discarded trial's layers are not recorded"))
