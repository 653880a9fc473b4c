"""Claims of Lorenzen et al. 2022, App. A (figA5, figA6): binning estimates depend on the bin
count, "the smaller the number of bins m, the smaller the estimated H(T)" (Sec. 3.1)."""

from __future__ import annotations

from ibrepro.figures.lorenzen import BIN_COUNTS, NETS, global_bin_estimator, grows_with_bins
from ibrepro.figures.plane import mean_plane
from ibrepro.figures.registry import ItemInputs
from ibrepro.report.registry import AtLeast, Claim, register

ESTIMATORS = tuple(global_bin_estimator(bins) for bins in BIN_COUNTS)


def more_bins_more_information(experiment: str):
    """Fraction of (epoch, layer) points of the repetition-mean plane where I(X;T) does not
    decrease from 30 to 100 to 256 bins (1 = the claim holds everywhere)."""
    def measure(inputs: ItemInputs) -> float:
        return grows_with_bins([mean_plane(inputs.mi(experiment, s)) for s in ESTIMATORS],
                               "i_xt")

    return measure


for item, (experiment, _) in NETS.items():
    register(Claim(f"lorenzen/{item}:more-bins-more-information",
                   f"fraction of (epoch, layer) points of {experiment} whose mean I(X;T) grows "
                   f"with the bin count ({', '.join(map(str, BIN_COUNTS))}, global range)",
                   "the smaller the number of bins, the smaller the estimated H(T) = I(X;T)",
                   more_bins_more_information(experiment), AtLeast(0.99),
                   mi=tuple((experiment, s) for s in ESTIMATORS)))
