"""Claims of Goldfeld et al. 2019: Fig. 1's limit I(X;Bin(T)) → H(X) = ln 4096 for small bins."""

from __future__ import annotations

import math

from ibrepro.figures.goldfeld import BIN_SIZES, EXPERIMENT, H_X
from ibrepro.figures.plane import mean_plane
from ibrepro.figures.registry import ItemInputs
from ibrepro.figures.rip import bin_size_estimator
from ibrepro.report.registry import Claim, Within, register

SMALL_BINS = bin_size_estimator(min(BIN_SIZES))  # the smallest bin size of goldfeld/fig1
LIMIT_TOLERANCE = 0.05  # nats; Goldfeld states "≈ 8.3"


def first_layer_limit(inputs: ItemInputs) -> float:
    """Last-epoch repetition-mean I(X;Bin(T_1)) of szt-tanh in nats (our estimators give bits)."""
    plane = mean_plane(inputs.mi(EXPERIMENT, SMALL_BINS))
    scale = {"bits": math.log(2), "nats": 1.0}[plane.units]
    return float(plane.i_xt[-1, 0]) * scale


register(Claim("goldfeld/fig1:small-bin-limit",
               f"last-epoch I(X;Bin(T_1)) of {EXPERIMENT}, {SMALL_BINS} [nats]", H_X,
               first_layer_limit, Within(LIMIT_TOLERANCE), mi=((EXPERIMENT, SMALL_BINS),)))
