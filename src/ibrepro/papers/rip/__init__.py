"""Revisiting the Information Plane (ICLR 2020 submission, ``rip``): its items and claims.

- ``runs``: the experiments and binning estimators its items read;
- ``planes``: Fig. 1 (bin sizes), Fig. 2 (mixed nets), Fig. 6 (bottleneck), Fig. 9 (inits);
- ``histograms``: Fig. 4 (bins tracked) and Fig. 5 (bin-occupancy histograms);
- ``training``: Fig. 17 (accuracy and loss), Figs. 7 and 10 (early and perfect stopping);
- ``pruning``: Fig. 8 and Table 2 (the pruning loop's rounds);
- ``data``: Table 1 (I(X;Y), H(X)) and Fig. 16 (the IB bound of the data);
- ``schematics``: Figs. 3, 18 and 19 (drawn from code);
- ``mnist138``: App. D, Figs. 11-15 (the MNIST-138 nets);
- ``claims``: the claims of the reproduction report (CLAIMS.md #1-23);
- ``quantities``: the numbers its qualitative statements become, for ``claims``.
"""

from ibrepro.papers.rip import (  # noqa: F401  (importing a module registers its items)
    claims,
    data,
    histograms,
    mnist138,
    planes,
    pruning,
    schematics,
    training,
)
