"""Claims of Chelombiev et al. 2019 (CLAIMS.md #79-84), under each of the two adaptive
estimators (``runs.ADAPTIVE``: 30 equal-mass bins, the adaptive KDE upper bound): relu nets
compress, whether one does depends on its initialisation, weight decay makes more layers
compress and pulls the layers together, softplus and centred softplus differ, and compression
goes with test accuracy in the softmax layer only.

Compression is ``figures.compression``'s: a relative drop of I(X;T) of at least ``THRESHOLD``
(5%) from its peak to the last epoch, on the repetition mean unless said otherwise. The
correlations are ``generalisation``'s: Spearman rho across every repetition of the activation
zoo and the weight-decay sweep between a layer's drop and the final test accuracy, with its 95%
percentile bootstrap interval; significant when the interval excludes 0.
"""

from __future__ import annotations

import math

import numpy as np

from ibrepro.figures.compression import THRESHOLD, Compression, compression
from ibrepro.figures.plane import mean_plane
from ibrepro.figures.registry import ItemInputs
from ibrepro.papers.chelombiev.generalisation import generalisation_links, runs_compression
from ibrepro.papers.chelombiev.planes import hidden_compression, layer_spread
from ibrepro.papers.chelombiev.runs import ADAPTIVE_NAMES, RUNS, WEIGHT_DECAY
from ibrepro.report.registry import AtLeast, AtMost, Claim, register

RELU = "szt-relu"
SOFTPLUS = ("szt-softplus", "szt-centred-softplus")
NONE, STRONGEST = WEIGHT_DECAY[0], WEIGHT_DECAY[-1]  # lambda = 0 (szt-relu) and 1e-2
# "depends strongly on the initialisation": both behaviours, compressing and not, in at least
# one of five initialisations (a rare outlier either way would not be a strong dependence)
MINORITY = 0.2
# "pulled towards a single point": the layers' end points at least twice as close together
PULLED = 0.5
# "large variation in compression": hidden-layer relative drops differing by twice the
# compression threshold (10 points of the peak)
DIFFERENT = 2 * THRESHOLD
# "no significant correlation" for the hidden layers: at most one in five may exclude 0 by
# chance (each interval does with probability 5% when there is no link)
NOT_SIGNIFICANT = 0.8


def mean_compression(inputs: ItemInputs, experiment: str, estimator: str) -> Compression:
    """``figures.compression`` of the repetition-mean I(X;T) of a run, per layer."""
    return compression(mean_plane(inputs.mi(experiment, estimator)).i_xt)


def minority_share(compresses: np.ndarray) -> float:
    """The share of the rarer outcome among the repetitions' verdicts (0: all alike)."""
    k, n = int(np.count_nonzero(compresses)), np.size(compresses)
    return min(k, n - k) / n


def compressing_layers_added(inputs: ItemInputs, estimator: str) -> float:
    """Compressing layers of the repetition-mean plane at the strongest weight decay minus
    those without weight decay."""
    return float(mean_compression(inputs, STRONGEST, estimator).compresses.sum()
                 - mean_compression(inputs, NONE, estimator).compresses.sum())


def spread_ratio(inputs: ItemInputs, estimator: str) -> float:
    """The layers' spread (``planes.layer_spread``) at the strongest weight decay over the
    spread without weight decay (NaN if that is 0)."""
    none, strongest = (layer_spread(mean_plane(inputs.mi(e, estimator)))
                       for e in (NONE, STRONGEST))
    return strongest / none if none else math.nan


def softplus_difference(inputs: ItemInputs, estimator: str) -> float:
    """Absolute difference of the hidden layers' mean relative drop (repetition-mean planes)
    between softplus and centred softplus."""
    softplus, centred = (mean_compression(inputs, e, estimator).relative[:-1].mean()
                         for e in SOFTPLUS)
    return float(abs(softplus - centred))


def hidden_not_significant(inputs: ItemInputs, estimator: str) -> float:
    """The fraction of the hidden layers whose compression's correlation with the final test
    accuracy has a bootstrap interval containing 0 (layers without an interval left out)."""
    drops, performance, *_ = runs_compression(inputs, estimator)
    links = [ci for ci in generalisation_links(drops, performance["accuracy"])[:-1]
             if not math.isnan(ci.value)]
    return float(np.mean([ci.low <= 0 <= ci.high for ci in links])) if links else math.nan


def softmax_link_low(inputs: ItemInputs, estimator: str) -> float:
    """The lower end of the bootstrap interval of the correlation of the softmax layer's
    compression with the final test accuracy."""
    drops, performance, *_ = runs_compression(inputs, estimator)
    return generalisation_links(drops, performance["accuracy"])[-1].low


SOURCE = "summary"
ACROSS = (f"across every repetition of {len(RUNS)} runs (activation zoo and weight-decay "
          f"sweep)")
for s in ADAPTIVE_NAMES:
    register(Claim(
        f"chelombiev/adaptive-vs-fixed:relu-compresses-{s}",
        f"largest relative drop of a hidden layer's repetition-mean I(X;T) from its peak, "
        f"{RELU}, {s}",
        "networks implemented with non-saturating activation functions can exhibit "
        "compression. Similar results are obtained with both binning and non parametric KDE "
        "method that is applied adaptively.",
        lambda inputs, s=s: float(mean_compression(inputs, RELU, s).relative[:-1].max()),
        AtLeast(THRESHOLD), mi=((RELU, s),), statements=(79,), source=SOURCE))
    register(Claim(
        f"chelombiev/inits:depends-on-initialisation-{s}",
        f"share of the rarer verdict among the {RELU} repetitions, one compressing when its "
        f"hidden layers' mean relative drop of I(X;T) from the peak is at least "
        f"{THRESHOLD:g}, {s}",
        "Networks implemented with ReLU and other non-saturating functions can compress "
        "information, but do not necessarily do so, depending on initialization.",
        lambda inputs, s=s: minority_share(hidden_compression(inputs.mi(RELU, s)) >= THRESHOLD),
        AtLeast(MINORITY), mi=((RELU, s),), statements=(80,), source=SOURCE,
        note="0.5: half the initialisations compress; 0: all alike"))
    register(Claim(
        f"chelombiev/weight-decay:more-layers-compress-{s}",
        f"compressing layers of the repetition-mean plane, {STRONGEST} minus {NONE} (no "
        f"weight decay), {s}",
        "The increase in regularization penalty induced more layers to compress information.",
        lambda inputs, s=s: compressing_layers_added(inputs, s), AtLeast(1),
        mi=((NONE, s), (STRONGEST, s)), statements=(81,), source=SOURCE))
    register(Claim(
        f"chelombiev/weight-decay:pulled-to-a-point-{s}",
        f"mean distance of the layers' last (I(X;T), I(T;Y)) points from their centroid, "
        f"repetition means, {STRONGEST} over {NONE} (no weight decay), {s}",
        "Mutual information values were also pulled towards a single point.",
        lambda inputs, s=s: spread_ratio(inputs, s), AtMost(PULLED),
        mi=((NONE, s), (STRONGEST, s)), statements=(81,), source=SOURCE))
    register(Claim(
        f"chelombiev/activations:softplus-differs-{s}",
        f"absolute difference of the hidden layers' mean relative drop of the repetition-mean "
        f"I(X;T) from its peak, {' vs '.join(SOFTPLUS)}, {s}",
        "Seemingly similar activation functions, such as softplus and centered softplus show "
        "large variation in compression behaviour.",
        lambda inputs, s=s: softplus_difference(inputs, s),
        AtLeast(DIFFERENT), mi=tuple((e, s) for e in SOFTPLUS), statements=(82,),
        source=SOURCE))
    register(Claim(
        f"chelombiev/compression-vs-generalisation:hidden-no-link-{s}",
        f"fraction of the hidden layers whose compression (drop of I(X;T) from its peak) has "
        f"a Spearman rho with the final test accuracy whose 95% bootstrap interval contains 0, "
        f"{ACROSS}, {s}",
        "When we quantitatively compared the level of compression in hidden layers with the "
        "networks' performance, the was no significant correlation.",
        lambda inputs, s=s: hidden_not_significant(inputs, s), AtLeast(NOT_SIGNIFICANT),
        mi=tuple((e, s) for e in RUNS), metrics=RUNS, statements=(83,), source=SOURCE))
    register(Claim(
        f"chelombiev/compression-vs-generalisation:softmax-link-{s}",
        f"lower end of the 95% bootstrap interval of Spearman rho of the softmax layer's "
        f"compression (drop of I(X;T) from its peak) with the final test accuracy, {ACROSS}, "
        f"{s}",
        "we discovered a strong link between the degree of compression in the softmax layer "
        "and the network's generalization",
        lambda inputs, s=s: softmax_link_low(inputs, s), AtLeast(0.0),
        mi=tuple((e, s) for e in RUNS), metrics=RUNS, statements=(84,), source=SOURCE,
        note="above 0: a significant positive link (more compression, higher accuracy)"))
