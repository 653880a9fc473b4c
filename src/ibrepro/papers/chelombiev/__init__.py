"""Chelombiev, Houghton & O'Donnell, ICLR 2019 (``chelombiev``): adaptive estimators.

- ``runs``: the activation zoo, the weight-decay sweep and the estimators read;
- ``planes``: chelombiev/adaptive-vs-fixed, activations, inits, weight-decay;
- ``generalisation``: chelombiev/compression-vs-generalisation.

No claim of Chelombiev et al. is registered yet (CLAIMS.md #79-84: a ``claims`` module here).
"""

from ibrepro.papers.chelombiev import (  # noqa: F401  (importing a module registers its items)
    generalisation,
    planes,
)
