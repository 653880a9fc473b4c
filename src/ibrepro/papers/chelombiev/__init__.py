"""Chelombiev, Houghton & O'Donnell, ICLR 2019 (``chelombiev``), adaptive estimators: its items
and claims.

- ``runs``: the activation zoo, the weight-decay sweep and the estimators read;
- ``planes``: chelombiev/adaptive-vs-fixed, activations, inits, weight-decay;
- ``generalisation``: chelombiev/compression-vs-generalisation;
- ``claims``: the claims of the reproduction report (CLAIMS.md #79-84).
"""

from ibrepro.papers.chelombiev import (  # noqa: F401  (importing a module registers its items)
    claims,
    generalisation,
    planes,
)
