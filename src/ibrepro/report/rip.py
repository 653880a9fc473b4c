"""Claims of Revisiting the Information Plane: Table 1, the scores of Fig. 1 and Fig. 17,
compression of the last hidden tanh layer under binning (Fig. 1), and the pruning loop of
Table 2 (the score never falls; every added layer goes)."""

from __future__ import annotations

from ibrepro.figures.pruning import NETS, round_accuracy
from ibrepro.figures.registry import ItemInputs
from ibrepro.figures.rip import (
    TABLE1_ROWS,
    bin_size_estimator,
    final_test_accuracy,
    mean_plane,
    subset_information,
)
from ibrepro.report.registry import AtLeast, Claim, Within, register

TABLE1_TOLERANCE = 1e-3  # bits: Table 1 is exact arithmetic on the data, up to rounding
SCORE_TOLERANCE = 0.01  # rip's scores are single nets; ours are means over repetitions
COMPRESSION_ESTIMATOR = bin_size_estimator(0.07)  # 30 bins over [-1, 1], as Shwartz-Ziv & Tishby
COMPRESSION_BITS = 0.1  # the smallest drop of I(X;T) we call compression


def _table1(dataset: str, subset: str, index: int):
    return lambda inputs: subset_information(inputs.dataset(dataset), subset)[index]


def _score(experiment: str):
    return lambda inputs: final_test_accuracy(inputs.metrics(experiment))[0]


def last_hidden_compression(inputs: ItemInputs) -> float:
    """Drop of the repetition-mean I(X;T) of szt-tanh's last hidden layer from its maximum over
    epochs to the last epoch, in the estimator's units (bits)."""
    plane = mean_plane(inputs.mi("szt-tanh", COMPRESSION_ESTIMATOR))
    curve = plane.i_xt[:, -2]  # layers run first to output; -2 is the last hidden layer
    return float(curve.max() - curve[-1])


for row in TABLE1_ROWS:
    if row.paper_hx is None:
        continue
    name = {"szt": "SZT", "mnist138": "MNIST-138"}.get(row.dataset, row.dataset)
    for index, (key, label, value) in enumerate((("hx", "H(X)", row.paper_hx),
                                                 ("ixy", "I(X;Y)", row.paper_ixy))):
        register(Claim(f"rip/table1:{row.dataset}-{row.subset}-{key}",
                       f"{label}, {name} {row.subset} split [bits]", value,
                       _table1(row.dataset, row.subset, index), Within(TABLE1_TOLERANCE),
                       datasets=(row.dataset,)))

register(Claim("rip/fig1:score", "final test accuracy, tanh SZT net (szt-tanh)", 0.9707,
               _score("szt-tanh"), Within(SCORE_TOLERANCE), metrics=("szt-tanh",)))
register(Claim("rip/fig17:score-tanh", "final test accuracy, tanh SZT net (szt-tanh)", 0.946,
               _score("szt-tanh"), Within(SCORE_TOLERANCE), metrics=("szt-tanh",)))
register(Claim("rip/fig17:score-relu", "final test accuracy, relu SZT net (szt-relu)", 0.937,
               _score("szt-relu"), Within(SCORE_TOLERANCE), metrics=("szt-relu",)))
register(Claim("rip/fig1:tanh-last-hidden-compresses",
               f"max − final I(X;T) of the last hidden tanh layer, {COMPRESSION_ESTIMATOR} [bits]",
               "the last hidden tanh layers compress (I(X;T) falls late in training) under "
               "binning with bin size 0.07",
               last_hidden_compression, AtLeast(COMPRESSION_BITS),
               mi=(("szt-tanh", COMPRESSION_ESTIMATOR),)))


def _score_change(experiment: str):
    """Test accuracy at the last round's early stop minus the big net's (repetition means)."""
    def measure(inputs: ItemInputs) -> float:
        rounds = inputs.pruning(experiment)
        return round_accuracy(rounds, rounds.sizes["round"] - 1)[0] - round_accuracy(rounds, 0)[0]
    return measure


def _added_removed(experiment: str):
    """How many of the big net's layers from ``prunable_from`` on (the added layers) are gone
    after the last round."""
    def measure(inputs: ItemInputs) -> float:
        rounds = inputs.pruning(experiment)
        origin = rounds["origin"].isel(round=-1).values
        added = set(range(int(rounds.attrs["prunable_from"]), rounds.sizes["layer"]))
        return float(len(added - set(origin.tolist())))
    return measure


for experiment, title in NETS:
    net = title.lower()
    register(Claim(f"rip/table2:score-kept-{net}",
                   f"test accuracy after the last pruning − big net's, {net} ({experiment}; "
                   f"early stop) [fraction]",
                   "all pruning actions do not result in decreased score",
                   _score_change(experiment), AtLeast(-SCORE_TOLERANCE), pruning=(experiment,)))
    register(Claim(f"rip/table2:added-removed-{net}",
                   f"added 3-unit layers removed by the pruning loop, {net} ({experiment})",
                   5.0, _added_removed(experiment), AtLeast(5), pruning=(experiment,)))
