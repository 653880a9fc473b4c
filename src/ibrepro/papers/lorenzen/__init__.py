"""Lorenzen, Igel & Nielsen, ICLR 2022 (``lorenzen``): exact MI of quantized nets.

- ``runs``: the experiments (k-bit SZT nets, prefit, MNIST nets) and estimators read;
- ``binning``: Figs. A.5 and A.6 (non-quantized nets, 30, 100, 256 bins);
- ``quantized``: Figs. 1-3, B.7, B.8, C.10, C.11, D.12, F.14, F.15 (the SZT nets);
- ``mnist``: Figs. 4, B.9, E.13, F.16 (the MNIST nets);
- ``quantities``: what the claims measure on the planes (phases, falls, bounds, distances);
- ``claims``: the claims of the reproduction report (CLAIMS.md #33-54).
"""

from ibrepro.papers.lorenzen import (  # noqa: F401  (importing a module registers its items)
    binning,
    claims,
    mnist,
    quantized,
)
