"""Goldfeld et al., ICML 2019 (``goldfeld``): noisy nets, sample propagation, clustering.

- ``runs``: the experiments and the estimators and measures (Sec. 5's clustering) read;
- ``binning``: Fig. 1 (I(X;Bin(T)) of the deterministic SZT net, several bin sizes);
- ``noisy``: Fig. 4 (one noisy neuron), Fig. 5 (noisy SZT nets), Fig. 6 (pairwise distances);
- ``errors``: Table 1 (the MNIST CNNs' validation errors);
- ``cnn``: Figs. 3, 7, 8 and the unit slopes (the MNIST CNNs' representations);
- ``clusters``: the pairwise-distance panels Figs. 6 and 8 share;
- ``claims``: the claims of the reproduction report; ``checks``: what they measure, on arrays,
  and their verdict rules for rounded numbers and means over seeds.
"""

from ibrepro.papers.goldfeld import (  # noqa: F401  (importing a module registers its items)
    binning,
    claims,
    cnn,
    errors,
    noisy,
)
