"""Claims of the survey (CLAIMS.md #24-32): its retelling of Shwartz-Ziv & Tishby 2017 (the
last hidden layer's peak near epoch 400, the gradient SNR's regime change there, the benefit of
more hidden layers), of Saxe et al. 2018's three claims (the single neuron, relu nets, tanh and
relu generalising alike, full-batch gradient descent, the linear student-teacher nets) and its
own boolean experiment (6 cells, far from class-homogeneous).

Compression is ``figures.compression``'s: a relative drop of I(X;T) of at least ``THRESHOLD``
(5%) from its peak to the last epoch, on the repetition mean; every plane is binned with bin
size 0.07 (``dynamics.ESTIMATOR``). A trend over a sweep (depths, layers) is a Spearman rank
correlation of at least ``TREND`` in size. The survey's single-net numbers (the peak epoch, the
cell count) are held against the spread of our repetitions (``InRange``).
"""

from __future__ import annotations

import math

import numpy as np

from ibrepro.figures.accuracy import final_test_accuracy
from ibrepro.figures.compression import THRESHOLD, compression, of_reps
from ibrepro.figures.plane import mean_plane
from ibrepro.figures.registry import ItemInputs
from ibrepro.figures.stats import correlation
from ibrepro.ib.neuron import binned_entropy
from ibrepro.papers.survey.boolean import EPS, last_partitions
from ibrepro.papers.survey.boolean import EXPERIMENT as BOOLEAN
from ibrepro.papers.survey.dynamics import (
    DEPTHS,
    ESTIMATOR,
    SGD_BGD,
    TANH,
    depth_sweep,
    drift_end,
    gradient_snr,
)
from ibrepro.papers.survey.linear_teacher import STUDENTS, Student, train_student
from ibrepro.papers.survey.single_neuron import NEURON_WEIGHTS
from ibrepro.report.registry import AtLeast, AtMost, Claim, InRange, Measured, Within, register

LAST_HIDDEN = -2  # layers run first to output: -2 is the last hidden layer
RELU = "szt-relu"
# "about the same epoch": the SNR's regime change within a factor of 2 of the I(X;T) peak, one
# octave on the log epoch axis SZT's Fig. 4 and our snapshots use
SAME_EPOCH_OCTAVES = 1.0
# a trend over a sweep: Spearman rho at least 0.5 in size, so that most pairs of nets (or
# layers) are ordered the way the paper says; used for every trend of the survey
TREND = 0.5
# the large-weight limit of the binned tanh neuron: at w = 1e4 all but 0.017% of the inputs
# (|x| < artanh(14/15) / w) saturate into the two extreme bins; 0.01 bits of the 1 bit
LARGE_WEIGHT, LIMIT_TOLERANCE = 1e4, 0.01
MONOTONE_TOLERANCE = 1e-9  # bits: a closed form "increases monotonically" up to rounding
SIMILAR_ACCURACY = 0.02  # "similar generalization": within 2 points (as lorenzen's 8-bit nets)
# "similar IP dynamics": at most one layer in five on the other side of the 5% threshold
AGREEMENT = 0.8
# the linear students: one generalises when its final test error is at most half its initial
# one; it overfits when its final test error ends at least 10% above its minimum over epochs
GENERALISES, OVERFITS = 0.5, 0.1
# "far from homogeneous": with 7% of the labels flipped, cells that each hold one noiseless
# class are 93% pure; at most 80% pure is about three times the flip rate in the minority
FAR_FROM_HOMOGENEOUS = 0.8


def rank_correlation(x, y) -> float:
    """Spearman rho of the pairs ``(x_i, y_i)`` without a NaN (+inf ranks last); NaN with
    fewer than 3 pairs or no variance."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = ~(np.isnan(x) | np.isnan(y))
    return float(correlation(x[keep], y[keep])) if keep.sum() >= 3 else math.nan


# ---- SZT's dynamics (#24, #25) ------------------------------------------------------------

def peak_epochs(inputs: ItemInputs) -> Measured:
    """The epoch at which each repetition's I(X;T) of szt-tanh's last hidden layer peaks."""
    mi = inputs.mi(TANH, ESTIMATOR)
    return Measured.over(mi["epoch"].values[of_reps(mi).peak_index[:, LAST_HIDDEN]])


def last_hidden_drop(inputs: ItemInputs) -> float:
    """Relative drop of szt-tanh's repetition-mean I(X;T) of the last hidden layer from its
    peak to the last epoch."""
    return float(compression(mean_plane(inputs.mi(TANH, ESTIMATOR)).i_xt).relative[LAST_HIDDEN])


def drift_end_octaves(inputs: ItemInputs) -> float:
    """log2 of (1 + the epoch from which the repetition-mean gradient SNR of szt-tanh's last
    hidden layer stays below 1) over (1 + the epoch of the peak of its repetition-mean
    I(X;T)): 0 when the two coincide; +inf when the SNR ends at or above 1 (no regime
    change)."""
    stats = gradient_snr(inputs.metrics(TANH))
    end = drift_end(stats.snr, stats.epochs)[LAST_HIDDEN]
    plane = mean_plane(inputs.mi(TANH, ESTIMATOR))
    peak = plane.epochs[plane.i_xt[:, LAST_HIDDEN].argmax()]
    return math.inf if end < 0 else float(np.log2((end + 1) / (peak + 1)))


DYNAMICS = "SGD Layer Dynamics in Info Plane"
register(Claim("survey/ip-inits:last-hidden-peak-epoch",
               f"epoch at which the last hidden layer's I(X;T) peaks, per repetition, {TANH}, "
               f"{ESTIMATOR}", 400.0, peak_epochs, InRange(), mi=((TANH, ESTIMATOR),),
               statements=(24,), source=DYNAMICS,
               note="the survey: 'reaches a maximum (at around 400 epochs) followed by a final "
                    "decrease', of Shwartz-Ziv & Tishby's 10000-epoch runs; ours train 8000 "
                    "epochs (rip's SZT settings) with log-spaced snapshots"))
register(Claim("survey/ip-inits:last-hidden-falls",
               f"relative drop of the repetition-mean I(X;T) of the last hidden layer from its "
               f"peak to the last epoch, {TANH}, {ESTIMATOR}",
               "reaches a maximum (at around 400 epochs) followed by a final decrease",
               last_hidden_drop, AtLeast(THRESHOLD), mi=((TANH, ESTIMATOR),), statements=(24,),
               source=DYNAMICS))
register(Claim("survey/snr:drift-ends-at-compression",
               f"log2 of (1 + epoch from which the last hidden layer's gradient SNR stays below "
               f"1) / (1 + epoch of its I(X;T) peak), repetition means, {TANH}; 0: the same "
               f"epoch", 0.0, drift_end_octaves, Within(SAME_EPOCH_OCTAVES),
               mi=((TANH, ESTIMATOR),), metrics=(TANH,), statements=(25,),
               source="Drift and Diffusion",
               note="the survey: 'the epoch at which this marked change is observed is the same "
                    "at which we begin to see the compression behavior beginning' (about epoch "
                    "400); SNR = ||mean|| / ||std|| of the weight gradients over an epoch's "
                    "mini-batches; inf: the SNR never stays below 1"))


# ---- more hidden layers (#26) -------------------------------------------------------------

def depth_vs_epochs_to_good(inputs: ItemInputs) -> float:
    """Spearman rho of the number of hidden layers with the epochs a net of the depth sweep
    needs to generalise well (``dynamics.depth_sweep``; never: ranked last)."""
    to_good = np.array(depth_sweep(inputs).to_good, dtype=float)
    return rank_correlation(np.arange(1, len(DEPTHS) + 1), np.where(to_good < 0, np.inf,
                                                                    to_good))


def depth_vs_compression_length(inputs: ItemInputs) -> float:
    """Spearman rho of the number of hidden layers with the mean compression length of a net's
    compressing layers (nets without one left out)."""
    lengths = [Measured.over(v).value for v in depth_sweep(inputs).lengths]
    return rank_correlation(np.arange(1, len(DEPTHS) + 1), lengths)


def position_vs_compression_length(inputs: ItemInputs) -> Measured:
    """Per net of the depth sweep, Spearman rho of a compressing layer's position (first to
    output) with its compression length; NaN for a net with fewer than 3 compressing layers."""
    return Measured.over([rank_correlation(np.arange(len(v)), v)
                          for v in depth_sweep(inputs).lengths], of="nets of the depth sweep")


# what dynamics.depth_sweep reads
SWEEP = {"mi": tuple((e, ESTIMATOR) for e in DEPTHS), "metrics": DEPTHS}
register(Claim("survey/hidden-layers:fewer-epochs-to-generalise",
               "Spearman rho of hidden layers (1 to 6) with the epochs to good generalisation "
               "(test accuracy 0.95 x the sweep's best final one), repetition means",
               "The number of training epochs is reduced for good generalization.",
               depth_vs_epochs_to_good, AtMost(-TREND), **SWEEP, statements=(26,),
               source="Hidden Layers"))
register(Claim("survey/hidden-layers:shorter-compression",
               "Spearman rho of hidden layers (1 to 6) with the mean compression length of the "
               "net's compressing layers (epochs from the I(X;T) peak to 90% of the drop)",
               "Compression phase of each layer is shorter.", depth_vs_compression_length,
               AtMost(-TREND), **SWEEP, statements=(26,), source="Hidden Layers"))
register(Claim("survey/hidden-layers:faster-near-output",
               "Spearman rho of a compressing layer's position (first to output) with its "
               "compression length, mean over the nets of the depth sweep",
               "The compression is faster for layers close to the output.",
               position_vs_compression_length, AtMost(-TREND), **SWEEP,
               statements=(26,), source="Hidden Layers",
               note="nets with fewer than 3 compressing layers have no rho and are left out"))


# ---- Saxe's Claim 1: the single neuron (#27), relu nets (#28) -----------------------------

def rise_and_fall(curve: np.ndarray) -> float:
    """The smaller of the rise from the first value to the maximum and the fall from the
    maximum to the last value, relative to the maximum: > 0 only if the curve rises, then
    falls."""
    curve = np.asarray(curve, dtype=float)
    peak = curve.max()
    return float(min(peak - curve[0], peak - curve[-1]) / peak)


def largest_fall(curve: np.ndarray) -> float:
    """The largest fall of a curve below its running maximum (0 if it never decreases)."""
    curve = np.asarray(curve, dtype=float)
    return float((np.maximum.accumulate(curve) - curve).max())


NEURON = (f"closed-form binned H(T) = I(X;T) of T = {{}}(w x), x ~ U(-1, 1), 30 bins of "
          f"[-1, 1], w = {NEURON_WEIGHTS[0]:g} to {NEURON_WEIGHTS[-1]:g}")
SAXE_NEURON = ("the mutual information with the input decreases as a function of the weights "
               "after increasing first for the [tanh] non-linearity but increases monotonically "
               "for the [ReLU] non-linearity")
register(Claim("survey/single-neuron:tanh-rises-then-falls",
               "the smaller of its rise to the peak and its fall after it, relative to the "
               "peak, " + NEURON.format("tanh"), SAXE_NEURON,
               lambda _: rise_and_fall(binned_entropy("tanh", NEURON_WEIGHTS)),
               AtLeast(THRESHOLD), statements=(27,), source="Claim 1"))
register(Claim("survey/single-neuron:tanh-one-bit",
               f"closed-form binned H(T) of T = tanh(w x) at w = {LARGE_WEIGHT:g} [bits]", 1.0,
               lambda _: float(binned_entropy("tanh", [LARGE_WEIGHT])[0]),
               Within(LIMIT_TOLERANCE), statements=(27,), source="Claim 1",
               note="the survey: for very large weights the unit saturates into the lowest and "
                    "the highest bin, 'leading to the mutual information with the input of just "
                    "one bit'"))
register(Claim("survey/single-neuron:relu-monotone",
               "largest fall below its running maximum [bits], " + NEURON.format("relu"),
               SAXE_NEURON, lambda _: largest_fall(binned_entropy("relu", NEURON_WEIGHTS)),
               AtMost(MONOTONE_TOLERANCE), statements=(27,), source="Claim 1"))


def largest_hidden_drop(inputs: ItemInputs) -> float:
    """The largest relative drop from its peak of a hidden layer's repetition-mean I(X;T),
    szt-relu."""
    return float(compression(mean_plane(inputs.mi(RELU, ESTIMATOR)).i_xt).relative[:-1].max())


register(Claim("survey/sgd-vs-bgd:relu-does-not-compress",
               f"largest relative drop of a hidden layer's repetition-mean I(X;T) from its "
               f"peak, {RELU}, {ESTIMATOR}",
               "The authors report no apparent compression phase for [ReLU] units.",
               largest_hidden_drop, AtMost(THRESHOLD), mi=((RELU, ESTIMATOR),),
               statements=(28,), source="Claim 1"))


# ---- Saxe's Claims 2 and 3: tanh and relu generalise alike (#29), full batch (#30) --------

def tanh_minus_relu_accuracy(inputs: ItemInputs) -> float:
    """Mean final test accuracy of szt-tanh minus szt-relu's."""
    return (final_test_accuracy(inputs.metrics(TANH))[0]
            - final_test_accuracy(inputs.metrics(RELU))[0])


def sgd_bgd_agreement(inputs: ItemInputs) -> float:
    """Fraction of the layers of the tanh and relu nets whose compression verdict (repetition
    mean) is the same under SGD as under full-batch gradient descent."""
    agree = [compression(mean_plane(inputs.mi(sgd, ESTIMATOR)).i_xt).compresses
             == compression(mean_plane(inputs.mi(bgd, ESTIMATOR)).i_xt).compresses
             for (sgd, _), (bgd, _) in zip(SGD_BGD[::2], SGD_BGD[1::2], strict=True)]
    return float(np.concatenate(agree).mean())


register(Claim("survey/sgd-vs-bgd:tanh-relu-generalise-alike",
               f"mean final test accuracy, {TANH} minus {RELU}", 0.0, tanh_minus_relu_accuracy,
               Within(SIMILAR_ACCURACY), metrics=(TANH, RELU), statements=(29,),
               source="Claim 2",
               note="the survey: 'similar generalization performance between [tanh] and [ReLU] "
                    "networks despite different compression dynamics'"))
register(Claim("survey/sgd-vs-bgd:full-batch-like-sgd",
               f"fraction of the layers of the tanh and relu nets with the same compression "
               f"verdict under SGD and full-batch GD, repetition means, {ESTIMATOR}",
               "Batch gradient descent shows similar information plane dynamics",
               sgd_bgd_agreement, AtLeast(AGREEMENT),
               mi=tuple((e, ESTIMATOR) for e, _ in SGD_BGD), statements=(30,),
               source="Claim 3"))


# ---- Saxe's Claim 2: the linear student-teacher nets (#31) -------------------------------

def generalises(student: Student) -> bool:
    return bool(student.test_error[-1] <= GENERALISES * student.test_error[0])


def overfits(student: Student) -> bool:
    return bool(student.test_error[-1] >= (1 + OVERFITS) * student.test_error.min())


def students_compression(selects):
    """The largest relative drop of I(X;T) from its peak among the linear students (``STUDENTS``,
    closed forms) that ``selects``; NaN if none does."""
    def ours(_inputs) -> float:
        drops = [compression(s.i_xt[:, None]).relative[0]
                 for s in (train_student(*student) for student in STUDENTS) if selects(s)]
        return float(max(drops)) if drops else math.nan
    return ours


SAXE_LINEAR = ("networks that do not compress are still capable of generalization and "
               "vice-versa")
register(Claim("survey/linear-teacher:generalises-without-compression",
               f"largest relative drop of I(X;T) from its peak among the linear students whose "
               f"final test error is at most {GENERALISES:g} x their initial one",
               SAXE_LINEAR + "; 'even with networks where it is known that they generalize well "
               "over data, compression might not be possible'",
               students_compression(generalises), AtMost(THRESHOLD), statements=(31,),
               source="Claim 2"))
register(Claim("survey/linear-teacher:overfits-without-compression",
               f"largest relative drop of I(X;T) from its peak among the linear students whose "
               f"final test error ends at least {OVERFITS:.0%} above its minimum",
               "networks that overfit too much might also possibly show no compression",
               students_compression(overfits), AtMost(THRESHOLD), statements=(31,),
               source="Claim 2"))
register(Claim("survey/linear-teacher:compresses-without-generalising",
               "a net that compresses but does not generalise", SAXE_LINEAR, statements=(31,),
               source="Claim 2",
               not_measurable="the survey shows no such net: its figure (Saxe's linear "
                              "student-teacher nets) has nets that generalise, or overfit, "
                              "without compression, and the linear students built here cannot "
                              "compress (their I(X;T) only grows under gradient descent from "
                              "small weights); no run of the workflow is a case of it"))


# ---- the survey's own boolean experiment (#32) -------------------------------------------

def cell_counts(inputs: ItemInputs) -> Measured:
    """Non-empty cells of the epsilon-partition of the boolean net's second-to-last layer at
    the last epoch, per repetition."""
    return Measured.over([len(c.codes) for c in last_partitions(inputs.activations(BOOLEAN))[0]])


def cell_purity(inputs: ItemInputs) -> Measured:
    """The fraction of the samples in their cell's majority class, per repetition."""
    return Measured.over([c.purity for c in last_partitions(inputs.activations(BOOLEAN))[0]])


OWN = "Additional Experiments for verification"
register(Claim("survey/boolean-partition:cells",
               f"cells of the {EPS}-partition of the second-to-last layer (2 units) at the last "
               f"epoch, per repetition, {BOOLEAN}", 6.0, cell_counts, InRange(),
               activations=(BOOLEAN,), statements=(32,), source=OWN,
               note="the survey: 'The number of partitions achieved was 6'; it does not give "
                    "its partition's epsilon (ours: bins of 0.5 per tanh unit)"))
register(Claim("survey/boolean-partition:far-from-homogeneous",
               f"fraction of the samples in their cell's majority class (cells of the "
               f"{EPS}-partition of the second-to-last layer, last epoch), {BOOLEAN}",
               "the partitions were far from homogeneous among class labels", cell_purity,
               AtMost(FAR_FROM_HOMOGENEOUS), activations=(BOOLEAN,), statements=(32,),
               source=OWN))
