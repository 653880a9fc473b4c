"""Claims of Revisiting the Information Plane (CLAIMS.md #1-23): Table 1; the scores of Fig. 1
and App. F; the bin sizes' planes (§2.2.1, App. D); why the planes look as they do (§2.3: the
top-right limit, clustering and compression, the output's 1 bit, relu's bins, tanh's extreme
bins); the mixed nets (§2.2.2); the bottleneck (§2.4); early stopping (§2.4.1, App. D, F); the
pruning loop (§2.5, Table 2).

rip's numbers are of single nets: each is held against the spread of our repetitions (the
distribution rule, ``InRange``). Its qualitative statements become the numbers of
``quantities`` with a threshold fixed here (constants, each with why), compression being
``figures.compression``'s relative drop from the peak (``THRESHOLD``) as for every paper. rip's
SZT training split is random and unpublished, and I(X;Y) of a split depends on its class count:
Table 1's I(X;Y) is held against the spread over random splits of the same size.

Early stopping reads the config's ``early_stopping.patience``, which claims are not passed (they
take no config options): the pruning loop, which early-stops with it, records it in its file
(attr ``patience``), and the stopping claims read it there.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from ibrepro.figures.accuracy import final_test_accuracies
from ibrepro.figures.compression import THRESHOLD, compression
from ibrepro.figures.plane import Plane, mean_plane
from ibrepro.figures.registry import ItemInputs
from ibrepro.papers.rip.data import TABLE1_ROWS, subset_information
from ibrepro.papers.rip.histograms import HISTOGRAM_SIZE, bin_occupancy, histogram_epochs
from ibrepro.papers.rip.planes import BOTTLENECK_LAYERS
from ibrepro.papers.rip.pruning import PAPER_ACCURACY, round_accuracy, round_name
from ibrepro.papers.rip.quantities import (
    accuracy_after_minimum,
    clustering_agrees,
    corner_distance,
    depth_rank,
    endpoint_spread,
    extreme_bin_fraction,
    fills_bins,
    minimum_after_stop,
    nearer_with_smaller_bins,
    relative_rise,
    stop_to_turn,
    trajectory_gap,
)
from ibrepro.papers.rip.runs import (
    BIG_NETS,
    BIN_SIZES,
    BOTTLENECK,
    CURVES,
    ESTIMATOR,
    MIXED,
    MNIST138_CURVES,
    MNIST138_TANH,
    RELU,
    TANH,
    bin_size_estimator,
)
from ibrepro.report.registry import AtLeast, AtMost, Claim, InRange, Measured, Within, register
from ibrepro.stopping import perfect_stop_epoch

TABLE1_TOLERANCE = 1e-3  # bits: Table 1 is exact arithmetic on the data, up to rounding
PRUNING_TOLERANCE = 0.01  # a lower score after pruning: by more than this (fraction)
SPLITS, SPLIT_SEED = 10_000, 0  # random splits drawn for Table 1's I(X;Y)
# rip: smaller bins move the layers to the top right, a rule that "generalizes perfectly" (App.
# D); 5% of the (epoch, layer) points may break it, for estimator noise between bin sizes
NEARER_FRACTION = 0.95
# a per-layer ordering by depth: a Spearman rank correlation of 0.8 still allows two adjacent
# layers of five swapped (one swap: 0.9, two: 0.8)
DEPTH_RANK = 0.8
# the layers "exactly" reach the top-right corner: within 1% of the plane's side
CORNER_DISTANCE = 0.01
# "not affected": the point moves less than 5% of the plane's side, about a marker's width on
# rip's plots (as config pruning.threshold judges two trajectories similar)
SAME_POINT = 0.05
# "the layers" of a rule rip says fits "roughly": at least 4 in 5 of them
MOST = 0.8
# "drifting towards I(X;T) = 1": within 0.2 bits, a fifth of the target, read off a plot
ONE_BIT_TOLERANCE = 0.2
# the leading activation "decides" the later layers: most of them (4 of the 6 of both nets)
# follow it; rip itself says the effect weakens with depth, so the deepest may not
FOLLOWING = 4
# early stopping "in the curve turning point": within a factor 2 of its epoch (|log2| <= 1), on
# planes drawn at log-spaced epochs whose turning point rip reads by eye
TURN_LOG2 = 1.0
# "does not guarantee to stop at the global minimum": it misses it in half of our nets or more
MISSED = 0.5
ACCURACY_DROP = PRUNING_TOLERANCE  # accuracy "stays high": falls by at most one point
PATIENCE_FROM = BIG_NETS[0][0]  # the pruning file recording config early_stopping.patience
SZT, MNIST138 = "szt", "mnist138"
ENTROPY = ("ibrepro.estimators.entropy",)  # the corner's H(X), I(X;Y): data.subset_information


def random_split_information(data: xr.Dataset, *, draws: int = SPLITS,
                             seed: int = SPLIT_SEED) -> Measured:
    """I(X;Y) in bits of the training split of ``draws`` uniformly random splits of a data file
    into as many training samples as its own split has: each draw's class counts are
    multivariate hypergeometric (numpy, seeded), and with distinct inputs I(X;Y) = H(Y) of the
    split's labels."""
    x, y = data["x"].values, data["y"].values
    if len(np.unique(x, axis=0)) != len(x):
        raise ValueError("random_split_information needs distinct inputs (then I(X;Y) = H(Y))")
    train = int((data["split"].values.astype(str) == "train").sum())
    counts = np.random.default_rng(seed).multivariate_hypergeometric(
        np.bincount(y), train, size=draws)
    p = counts / train
    with np.errstate(divide="ignore", invalid="ignore"):
        bits = -np.where(p > 0, p * np.log2(p), 0.0).sum(axis=1)
    return Measured.over(bits, of="random splits")


# ---- Table 1 (#1-4), scores of Fig. 1 and App. F (#5-7) ----

def _table1(dataset: str, subset: str, index: int):
    return lambda inputs: subset_information(inputs.dataset(dataset), subset)[index]


def _scores(experiment: str):
    """Our final test accuracies of ``experiment``, one per repetition."""
    return lambda inputs: Measured.over(final_test_accuracies(inputs.metrics(experiment)))


STATEMENTS = {("szt", "ixy"): 1, ("szt", "hx"): 2, ("mnist138", "ixy"): 3, ("mnist138", "hx"): 4}
for row in TABLE1_ROWS:
    if row.paper_hx is None:
        continue
    name = {"szt": "SZT", "mnist138": "MNIST-138"}.get(row.dataset, row.dataset)
    register(Claim(f"rip/table1:{row.dataset}-{row.subset}-hx",
                   f"H(X), {name} {row.subset} split [bits]", row.paper_hx,
                   _table1(row.dataset, row.subset, 0), Within(TABLE1_TOLERANCE),
                   datasets=(row.dataset,), uses=ENTROPY, source="Table 1",
                   statements=(STATEMENTS[row.dataset, "hx"],)))
    if row.dataset == "szt":
        register(Claim(
            f"rip/table1:{row.dataset}-{row.subset}-ixy",
            f"I(X;Y), SZT {row.subset} split of a uniformly random 80/20 split (3276 of the "
            f"4096 inputs) [bits]", row.paper_ixy, lambda inputs: random_split_information(
                inputs.dataset("szt")), InRange(), datasets=("szt",), source="Table 1",
            statements=(STATEMENTS[row.dataset, "ixy"],),
            note=f"rip's split is random and unpublished, and I(X;Y) = H(Y) of the split's "
                 f"labels: its {row.paper_ixy:.7f} bits means 1731 (or 1545) positives of "
                 f"3276; our stratified split has 1694 (0.999157 bits). Ours: {SPLITS} uniformly "
                 f"random splits of the SZT data into 3276 training inputs (seed "
                 f"{SPLIT_SEED}), whose positives are hypergeometric (mean 1694, sd 12.8)"))
    else:
        register(Claim(f"rip/table1:{row.dataset}-{row.subset}-ixy",
                       f"I(X;Y), {name} {row.subset} split [bits]", row.paper_ixy,
                       _table1(row.dataset, row.subset, 1), Within(TABLE1_TOLERANCE),
                       datasets=(row.dataset,), uses=ENTROPY, source="Table 1",
                       statements=(STATEMENTS[row.dataset, "ixy"],)))

register(Claim("rip/fig1:score", f"final test accuracy, tanh SZT net ({TANH})", 0.97073174,
               _scores(TANH), InRange(), metrics=(TANH,), source="Fig. 1 titles",
               statements=(5,), note="rip's score is 796 of its 820 test samples, one net"))
register(Claim("rip/fig17:score-tanh", f"final test accuracy, tanh SZT net ({TANH})", 0.946,
               _scores(TANH), InRange(), metrics=(TANH,), source="App. F", statements=(6,)))
register(Claim("rip/fig17:score-relu", f"final test accuracy, relu SZT net ({RELU})", 0.937,
               _scores(RELU), InRange(), metrics=(RELU,), source="App. F", statements=(7,)))


# ---- the bin sizes' planes and their top-right limit (§2.2.1, §2.3, App. D: #8, #9, #22) ----

def _corner(inputs: ItemInputs, dataset: str) -> tuple[float, float]:
    """(H(X), I(X;Y)) in bits of all samples of ``dataset``: the estimators see them all."""
    h_x, i_xy, _ = subset_information(inputs.dataset(dataset), "all")
    return h_x, i_xy


def _bits_plane(inputs: ItemInputs, experiment: str, estimator: str) -> Plane:
    plane = mean_plane(inputs.mi(experiment, estimator))
    if plane.units != "bits":
        raise ValueError(f"{experiment}/{estimator}: rip's planes are in bits, got {plane.units}")
    return plane


def _bin_planes(inputs: ItemInputs, experiment: str) -> list[Plane]:
    """The repetition-mean planes of ``experiment`` at rip's bin sizes, largest first."""
    return [_bits_plane(inputs, experiment, bin_size_estimator(s))
            for s in sorted(BIN_SIZES, reverse=True)]


def _bin_mi(experiment: str) -> tuple[tuple[str, str], ...]:
    return tuple((experiment, bin_size_estimator(s)) for s in BIN_SIZES)


def _nearer(experiment: str, dataset: str):
    """Fraction of (epoch, layer) points nearer the top right at each smaller bin size."""
    def ours(inputs: ItemInputs) -> float:
        return nearer_with_smaller_bins(_bin_planes(inputs, experiment), _corner(inputs, dataset))
    return ours


def drift_by_depth(inputs: ItemInputs) -> float:
    """Rank correlation of szt-tanh's hidden layers' depth with their last-epoch distance from
    the top-right corner, averaged over the four bin sizes (a layer at the corner at more bin
    sizes has a smaller mean): positive when the layers nearer the input drift further."""
    planes, corner = _bin_planes(inputs, TANH), _corner(inputs, SZT)
    distance = np.mean([corner_distance(p.i_xt[-1], p.i_ty[-1], corner) for p in planes], axis=0)
    return depth_rank(distance[:-1])


def output_endpoint_spread(inputs: ItemInputs) -> float:
    """Largest distance between szt-tanh's output layer's last-epoch points at two bin sizes."""
    return endpoint_spread(_bin_planes(inputs, TANH), _corner(inputs, SZT))


def _limit(experiment: str, dataset: str):
    """Smallest distance of any (epoch, layer) point of the bin-size-0.01 plane from the
    corner: 0 when a layer reaches (H(X), I(X;Y))."""
    def ours(inputs: ItemInputs) -> float:
        plane = _bits_plane(inputs, experiment, bin_size_estimator(min(BIN_SIZES)))
        return float(np.nanmin(corner_distance(plane.i_xt, plane.i_ty,
                                               _corner(inputs, dataset))))
    return ours


NEARER_QUANTITY = ("fraction of the (epoch, layer) points of {} whose repetition-mean point "
                   "comes no farther from the top-right corner (H(X), I(X;Y)) at each smaller "
                   f"bin size ({', '.join(map(str, sorted(BIN_SIZES, reverse=True)))})")
PLANE_NOTE = ("distances on the plane divide each axis by the corner's coordinate, the corner "
              "being (H(X), I(X;Y)) of all samples of the data file, which our estimators see "
              "(rip's Table 1 is of its training split)")
register(Claim("rip/fig1:smaller-bins-nearer-top-right", NEARER_QUANTITY.format(TANH),
               "for TanH-networks depending on the bin size more layers drift towards the top "
               "right when the bin size decreases", _nearer(TANH, SZT),
               AtLeast(NEARER_FRACTION), mi=_bin_mi(TANH), datasets=(SZT,), uses=ENTROPY,
               source="§2.2.1, Fig. 1", statements=(8,), note=PLANE_NOTE))
register(Claim("rip/fig1:top-right-drift-by-depth",
               f"rank correlation of depth with the last-epoch distance from the top-right "
               f"corner, mean over the four bin sizes, hidden layers of {TANH}",
               "The effect is stronger the higher level the layer is.", drift_by_depth,
               AtLeast(DEPTH_RANK), mi=_bin_mi(TANH), datasets=(SZT,), uses=ENTROPY,
               source="§2.2.1, Fig. 1", statements=(8,),
               note=f"rip's higher layers are those nearer the input (§2.2.2: its leading-ReLU "
                    f"net has 'the higher layers ReLU'), so the distance should grow with "
                    f"depth; {PLANE_NOTE}"))
register(Claim("rip/fig1:output-endpoint-fixed",
               f"largest distance between the output layer's last-epoch points at two of the "
               f"four bin sizes, {TANH} (plane's side = 1)",
               "the output layers end point is not affected by that", output_endpoint_spread,
               AtMost(SAME_POINT), mi=_bin_mi(TANH), datasets=(SZT,), uses=ENTROPY,
               source="§2.2.1, Fig. 1", statements=(8,), note=PLANE_NOTE))
for _item, _experiment, _dataset in (("fig1", TANH, SZT), ("fig11", MNIST138_TANH, MNIST138)):
    register(Claim(f"rip/{_item}:top-right-limit",
                   f"smallest distance of any (epoch, layer) point of {_experiment}'s "
                   f"repetition-mean plane at bin size {min(BIN_SIZES)} from the corner (H(X), "
                   f"I(X;Y)) (plane's side = 1)",
                   "these values seem to exactly represent the most extreme point of the "
                   "information plane on the top right where the layers drift towards if the "
                   "bin size is reduced (H(X) as max I(X;T) and I(X;Y) as max I(T;Y))",
                   _limit(_experiment, _dataset), AtMost(CORNER_DISTANCE),
                   mi=((_experiment, bin_size_estimator(min(BIN_SIZES))),), datasets=(_dataset,),
                   uses=ENTROPY, source="§2.3, Table 1", statements=(9,), note=PLANE_NOTE))
register(Claim("rip/fig11:smaller-bins-nearer-top-right", NEARER_QUANTITY.format(MNIST138_TANH),
               "What generalizes perfectly though is that the smaller the bin size used to "
               "estimate mutual information, the more the layers tend to be close to the "
               "maximum point in the top right", _nearer(MNIST138_TANH, MNIST138),
               AtLeast(NEARER_FRACTION), mi=_bin_mi(MNIST138_TANH), datasets=(MNIST138,),
               uses=ENTROPY, source="App. D, Fig. 11", statements=(22,), note=PLANE_NOTE))


# ---- clustering and compression (§2.3, Figs. 4, 5: #10-13) ----

def _occupancy(inputs: ItemInputs, experiment: str, layers=None):
    """Occupied 0.07-bins ``(layer, epoch)`` (repetition means) of ``layers`` (1-based; all by
    default) at rip's histogram epochs (1, 4000, 8000 of 8000, scaled to the run)."""
    acts = inputs.activations(experiment)
    if layers is None:
        layers = list(range(1, int(acts["layer"].values.max()) + 1))
    return bin_occupancy(acts, histogram_epochs(acts["epoch"].values), layers).occupied


def last_hidden_compression(inputs: ItemInputs) -> float:
    """Relative drop of the repetition-mean I(X;T) of szt-tanh's last hidden layer from its
    peak over epochs to the last epoch."""
    plane = mean_plane(inputs.mi(TANH, ESTIMATOR))
    return float(compression(plane.i_xt).relative[-2])  # -2: the last hidden layer


def clustering_matches_compression(inputs: ItemInputs) -> float:
    """Fraction of the layers of the tanh and relu nets that cluster exactly when they
    compress (``clustering_agrees``)."""
    agree = [clustering_agrees(_occupancy(inputs, e), mean_plane(inputs.mi(e, ESTIMATOR)).i_xt)
             for e, _ in CURVES]
    return float(np.concatenate(agree).mean())


def _output_bits(experiment: str):
    """The output layer's last-epoch I(X;T) per repetition, bin size 0.07 (bits)."""
    def ours(inputs: ItemInputs) -> Measured:
        mi = inputs.mi(experiment, ESTIMATOR)
        return Measured.over(mi["I_XT"].isel(epoch=-1, layer=-1).values)
    return ours


def relu_largest_drop(inputs: ItemInputs) -> float:
    """The largest relative drop of I(X;T) from its peak among szt-relu's hidden layers."""
    return float(compression(mean_plane(inputs.mi(RELU, ESTIMATOR)).i_xt).relative[:-1].max())


def relu_filling(inputs: ItemInputs) -> float:
    """Fraction of szt-relu's hidden layers whose occupied bins rise (``fills_bins``)."""
    hidden = int(inputs.activations(RELU)["layer"].values.max()) - 1
    return float(fills_bins(_occupancy(inputs, RELU, list(range(1, hidden + 1)))).mean())


def extreme_by_depth(inputs: ItemInputs) -> float:
    """Rank correlation of depth with the fraction of values in the extreme 0.07-bins of
    szt-tanh's hidden layers at the last epoch (all repetitions, samples and units pooled)."""
    acts = inputs.activations(TANH)
    last = acts["activation"].isel(epoch=-1).values  # (rep, sample, unit)
    layer = acts["layer"].values
    return depth_rank([extreme_bin_fraction(last[..., layer == k], HISTOGRAM_SIZE)
                       for k in range(1, int(layer.max()))])


register(Claim("rip/fig1:tanh-last-hidden-compresses",
               f"relative drop of the repetition-mean I(X;T) of the last hidden tanh layer "
               f"from its peak to the last epoch, {ESTIMATOR}",
               "The two layers that get clustered show compression",
               last_hidden_compression, AtLeast(THRESHOLD), mi=((TANH, ESTIMATOR),),
               source="§2.3, Figs. 1, 4", statements=(10,)))
register(Claim("rip/fig4:clustering-matches-compression",
               f"fraction of the layers of {TANH} and {RELU} (hidden and output) whose occupied "
               f"0.07-bins fall by at least {THRESHOLD:.0%} from their peak at rip's histogram "
               f"epochs exactly when their I(X;T) does ({ESTIMATOR})",
               "The two layers that get clustered show compression while the others do not.",
               clustering_matches_compression, AtLeast(MOST),
               mi=tuple((e, ESTIMATOR) for e, _ in CURVES),
               activations=tuple(e for e, _ in CURVES), source="§2.3, Figs. 4, 5",
               statements=(10,),
               note="occupied bins: non-empty bins of floor(t / 0.07) over the layer's units "
                    "and samples, repetition mean, at rip's epochs 1, 4000 and 8000 of 8000 "
                    "scaled to the run (as rip/fig4 and rip/fig5)"))
for _experiment, _title in CURVES:
    register(Claim(f"rip/fig4:output-one-bit-{_title.split()[0].lower()}",
                   f"last-epoch I(X;T) of the output layer of {_experiment}, {ESTIMATOR} [bits]",
                   1.0, _output_bits(_experiment), Within(ONE_BIT_TOLERANCE),
                   mi=((_experiment, ESTIMATOR),), source="§2.3", statements=(11,),
                   note="rip: 'the output layer is drifting towards I(X;T) = 1'"))
register(Claim("rip/fig4:relu-no-compression",
               f"largest relative drop of the repetition-mean I(X;T) from its peak among the "
               f"hidden layers of {RELU}, {ESTIMATOR}",
               "this \"frees\" information which results in the ReLU-layers path towards the "
               "top right", relu_largest_drop, AtMost(THRESHOLD), mi=((RELU, ESTIMATOR),),
               source="§2.3, Fig. 4b", statements=(12,),
               note=f"a layer compresses when the drop is at least {THRESHOLD:.0%}"))
register(Claim("rip/fig5:relu-fills-bins",
               f"fraction of the hidden layers of {RELU} whose occupied 0.07-bins rise by at "
               f"least {THRESHOLD:.0%} from rip's epoch 1 to its last epoch (scaled to the run)",
               "As training goes on, the amount of empty bins is decreasing for the ReLU-layers.",
               relu_filling, AtLeast(MOST), activations=(RELU,), source="§2.3, Fig. 5",
               statements=(12,),
               note="rip: activations leave the 0 bin and fill previously empty bins; ours "
                    "counts the occupied bins (all units and samples pooled, repetition mean)"))
register(Claim("rip/fig5:tanh-extreme-bins-by-depth",
               f"rank correlation of depth with the fraction of values in the two outermost "
               f"0.07-bins of (-1, 1) at the last epoch, hidden layers of {TANH}",
               "the deeper the layer, the more the activations get binned into the extreme bins "
               "for TanH", extreme_by_depth, AtLeast(DEPTH_RANK), activations=(TANH,),
               source="§2.3, Fig. 5", statements=(13,)))


# ---- mixed nets (§2.2.2: #14) and the bottleneck (§2.4: #15) ----

PURE = {"relu": RELU, "tanh": TANH}
LATER = (3, 4, 5)  # 1-based: the layers after the two leading ones, of the other activation


def leading_decides(inputs: ItemInputs) -> float:
    """How many of the mixed nets' later layers whose repetition-mean trajectory lies nearer
    that of the same layer of the pure net of the leading activation than of their own."""
    corner = _corner(inputs, SZT)
    pure = {a: _bits_plane(inputs, e, ESTIMATOR) for a, e in PURE.items()}
    follows = []
    for experiment, title in MIXED:
        leading = title.split()[1].lower()  # "Leading ReLU" -> relu
        own = next(a for a in PURE if a != leading)
        mixed = _bits_plane(inputs, experiment, ESTIMATOR)
        follows += [trajectory_gap(mixed, pure[leading], k - 1, corner)
                    < trajectory_gap(mixed, pure[own], k - 1, corner) for k in LATER]
    return float(np.sum(follows))


def bottleneck_margin(inputs: ItemInputs) -> float:
    """Relative drop of the bottleneck's repetition-mean I(X;T) minus that of the 12-unit layer
    after it."""
    relative = compression(mean_plane(inputs.mi(BOTTLENECK, ESTIMATOR)).i_xt).relative
    before, after = (k - 1 for k in BOTTLENECK_LAYERS)
    return float(relative[before] - relative[after])


register(Claim("rip/fig2:leading-activation-decides",
               f"how many of the layers {', '.join(map(str, LATER))} of "
               f"{' and '.join(e for e, _ in MIXED)} whose repetition-mean trajectory "
               f"({ESTIMATOR}) lies nearer the same layer's in the pure net of the leading "
               f"activation than in the pure net of their own",
               "one can see that ReLU-layers influence deeper TanH-layers ... The ReLU-layers "
               "take on a similar behaviour to the TanH-layers",
               leading_decides, AtLeast(FOLLOWING),
               mi=tuple((e, ESTIMATOR) for e in (*PURE.values(), *(m for m, _ in MIXED))),
               datasets=(SZT,), uses=ENTROPY, source="§2.2.2, Fig. 2", statements=(14,),
               note=f"trajectory distance: the mean over epochs of the distance between the two "
                    f"points; {PLANE_NOTE}"))
register(Claim("rip/fig6:bottleneck-compresses-more",
               f"relative drop of I(X;T) from its peak, the 2-unit bottleneck (rip's 3rd layer) "
               f"minus the 12-unit layer after it, {BOTTLENECK}, {ESTIMATOR}",
               "The 3rd layer which is the bottleneck actually shows higher compression than the "
               "4th.", bottleneck_margin, AtLeast(THRESHOLD), mi=((BOTTLENECK, ESTIMATOR),),
               source="§2.4, Fig. 6", statements=(15,),
               note=f"more compression: a relative drop larger by at least {THRESHOLD:.0%} of "
                    f"the peak, the margin that tells compression from none"))


# ---- early stopping (§2.4.1, Figs. 7, 10, 15: #16, #17, #23) and App. F (#18) ----

def _patience(inputs: ItemInputs) -> int:
    return int(inputs.pruning(PATIENCE_FROM).attrs["patience"])


def _val_loss(metrics: xr.Dataset) -> np.ndarray:
    """The validation (our test split) loss ``(rep, epoch)``."""
    return metrics["loss"].sel(split="test").transpose("rep", "epoch").values


def _stop_to_turn(experiment: str):
    """``stop_to_turn`` of the repetition-mean validation loss and output-layer I(X;T), as
    rip/fig7, fig10 and fig15 draw them."""
    def ours(inputs: ItemInputs) -> float:
        metrics = inputs.metrics(experiment)
        plane = mean_plane(inputs.mi(experiment, ESTIMATOR))
        return stop_to_turn(_val_loss(metrics).mean(axis=0), metrics["epoch"].values,
                            plane.i_xt[:, -1], plane.epochs, patience=_patience(inputs))
    return ours


def missed_minimum(inputs: ItemInputs) -> Measured:
    """Per repetition of szt-tanh: 1 when its global validation-loss minimum comes after its
    own early stop."""
    metrics = inputs.metrics(TANH)
    return Measured.over(minimum_after_stop(_val_loss(metrics), metrics["epoch"].values,
                                            patience=_patience(inputs)))


def _loss_minimum(experiment: str):
    """The epoch of each repetition's minimum validation loss."""
    def ours(inputs: ItemInputs) -> Measured:
        metrics = inputs.metrics(experiment)
        return Measured.over(perfect_stop_epoch(_val_loss(metrics), metrics["epoch"].values))
    return ours


def _loss_rise(experiment: str):
    """Relative rise of the repetition-mean validation loss from its minimum to the end."""
    return lambda inputs: relative_rise(_val_loss(inputs.metrics(experiment)).mean(axis=0))


def _accuracy_kept(experiment: str):
    """Per repetition: final test accuracy minus that at its minimum validation loss."""
    def ours(inputs: ItemInputs) -> Measured:
        metrics = inputs.metrics(experiment)
        accuracy = metrics["accuracy"].sel(split="test").transpose("rep", "epoch").values
        return Measured.over(accuracy_after_minimum(_val_loss(metrics), accuracy,
                                                    metrics["epoch"].values))
    return ours


STOP_QUANTITY = ("|log2((early stop + 1) / (peak + 1))|: early stop epoch of the "
                 "repetition-mean validation loss against the peak epoch of the output layer's "
                 f"repetition-mean I(X;T), {{}}, {ESTIMATOR} (1 = a factor 2 apart)")
STOP_NOTE = ("early stopping with the config's early_stopping.patience (read from the pruning "
             "loop's file), on the test split's loss as rip/fig7, fig10 and fig15")
for _item, _experiment in (("fig7", TANH), ("fig10", RELU)):
    register(Claim(f"rip/{_item}:early-stop-at-output-turn", STOP_QUANTITY.format(_experiment),
                   "It seems that early stopping occurs when the network is starting to enter "
                   "the compression phase of the output-layer (early stop point is in the curve "
                   "turning point). The same happens for a ReLU network",
                   _stop_to_turn(_experiment), AtMost(TURN_LOG2),
                   mi=((_experiment, ESTIMATOR),), metrics=(_experiment,),
                   pruning=(PATIENCE_FROM,), source="§2.4.1, Figs. 7, 10", statements=(16,),
                   note=STOP_NOTE))
for _experiment, _title in MNIST138_CURVES:
    register(Claim(f"rip/fig15:no-early-stop-at-output-turn-{_title.split()[0].lower()}",
                   STOP_QUANTITY.format(_experiment),
                   "there is no distinct behaviour for Early Stopping on this dataset findable",
                   _stop_to_turn(_experiment), AtLeast(TURN_LOG2),
                   mi=((_experiment, ESTIMATOR),), metrics=(_experiment,),
                   pruning=(PATIENCE_FROM,), source="App. D, Fig. 15", statements=(23,),
                   note=f"no distinct behaviour: the early stop misses the output layer's "
                        f"turning point by more than a factor 2 (the SZT claims' bound); "
                        f"{STOP_NOTE}"))
register(Claim("rip/fig7:early-stop-before-global-minimum",
               f"fraction of the repetitions of {TANH} whose minimum validation loss comes "
               f"after their own early stop",
               "early stopping does not guarantee to stop at the global minimum",
               missed_minimum, AtLeast(MISSED), metrics=(TANH,), pruning=(PATIENCE_FROM,),
               source="§2.4.1, Fig. 7b", statements=(17,), note=STOP_NOTE))
for _experiment, _title in CURVES:
    _net = _title.split()[0].lower()
    register(Claim(f"rip/fig17:loss-minimum-epoch-{_net}",
                   f"epoch of the minimum validation (test split) loss, {_experiment}", 1000.0,
                   _loss_minimum(_experiment), InRange(), metrics=(_experiment,),
                   source="App. F, Fig. 17", statements=(18,),
                   note="rip: 'the cross entropy loss starts to increase around the same region' "
                        "(roughly 1000 iterations), one net"))
    register(Claim(f"rip/fig17:loss-rises-{_net}",
                   f"relative rise of the repetition-mean validation loss of {_experiment} from "
                   f"its minimum to the last epoch",
                   "these models are very overfitted", _loss_rise(_experiment),
                   AtLeast(THRESHOLD), metrics=(_experiment,), source="App. F, Fig. 17",
                   statements=(18,),
                   note=f"rises: ends at least {THRESHOLD:.0%} above its minimum, as a "
                        f"compressing I(X;T) ends that far below its peak"))
    register(Claim(f"rip/fig17:accuracy-stays-high-{_net}",
                   f"final test accuracy minus that at the epoch of minimum validation loss, "
                   f"per repetition of {_experiment}",
                   "the model already reached a very good accuracy after roughly 1000 "
                   "iterations and then just continuous to be very high",
                   _accuracy_kept(_experiment), AtLeast(-ACCURACY_DROP),
                   metrics=(_experiment,), source="App. F, Fig. 17", statements=(18,)))


# ---- the pruning loop (§2.5, Table 2: #19-21) ----

def _round_scores(experiment: str, k: int):
    """Round ``k``'s test accuracy at its early stop, per repetition (NaN past our rounds)."""
    def ours(inputs: ItemInputs) -> Measured:
        rounds = inputs.pruning(experiment)
        if k >= rounds.sizes["round"]:
            return Measured(math.nan)
        return Measured.over(rounds["accuracy"].isel(round=k).sel(split="test").values)
    return ours


def _worst_pruning(experiment: str):
    """The smallest change of the repetition-mean test accuracy (at the early stop) over one
    pruning, round k against round k - 1; NaN without a pruning."""
    def ours(inputs: ItemInputs) -> float:
        rounds = inputs.pruning(experiment)
        means = [round_accuracy(rounds, k)[0] for k in range(rounds.sizes["round"])]
        return float(np.diff(means).min()) if len(means) > 1 else math.nan
    return ours


def _added_removed(experiment: str):
    """How many of the big net's layers from ``prunable_from`` on (the added layers) are gone
    after the last round."""
    def ours(inputs: ItemInputs) -> float:
        rounds = inputs.pruning(experiment)
        origin = rounds["origin"].isel(round=-1).values
        added = set(range(int(rounds.attrs["prunable_from"]), rounds.sizes["layer"]))
        return float(len(added - set(origin.tolist())))
    return ours


def _prunings(experiment: str):
    """The number of prunings: the rounds after the big net's (the last removes nothing)."""
    return lambda inputs: float(inputs.pruning(experiment).sizes["round"] - 1)


for experiment, title in BIG_NETS:
    net = title.lower()
    paper = PAPER_ACCURACY[experiment]
    for k, score in enumerate(paper):
        register(Claim(f"rip/table2:score-{net}-round-{k}",
                       f"test accuracy at the early stop, {net} ({experiment}), "
                       f"{round_name(k)}", score, _round_scores(experiment, k), InRange(),
                       pruning=(experiment,), source="Table 2", statements=(19,),
                       note="our loop removes every similar layer of a round at once (rip: by "
                            "eye), so our round k may hold another net than rip's"))
    register(Claim(f"rip/table2:score-kept-{net}",
                   f"smallest change of the test accuracy over one pruning (round k minus round "
                   f"k - 1, early stop, repetition means), {net} ({experiment}) [fraction]",
                   "All pruning actions does not result in decreased score.",
                   _worst_pruning(experiment), AtLeast(-PRUNING_TOLERANCE),
                   pruning=(experiment,), source="§2.5, Table 2", statements=(21,),
                   note=f"rip's own Table 2 ({' → '.join(map(str, paper))}) has a smallest "
                        f"change of {np.diff(paper).min():+.4f}: this rule "
                        f"{'holds' if np.diff(paper).min() >= -PRUNING_TOLERANCE else 'fails'} "
                        f"on rip's own numbers"))
    register(Claim(f"rip/table2:added-removed-{net}",
                   f"added 3-unit layers removed by the pruning loop, {net} ({experiment})",
                   5.0, _added_removed(experiment), AtLeast(5), pruning=(experiment,),
                   source="§2.5, Table 2", statements=(20,),
                   note="rip: 'Both network types have shown prune-able layers until all added "
                        "layers have been removed.'"))
    register(Claim(f"rip/table2:prunings-{net}",
                   f"number of prunings (rounds after the big net), {net} ({experiment})",
                   float(len(paper) - 1), _prunings(experiment), Within(0),
                   pruning=(experiment,), source="Table 2", statements=(20,),
                   note="our loop removes every similar layer of a round at once (rip: by eye)"))
