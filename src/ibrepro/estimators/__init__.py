"""Mutual-information estimators, looked up by method name in :data:`METHODS`; measures
(``measures.MEASURES``) alike."""

from . import (
    adaptive,  # noqa: F401  (registers adaptive-bins)
    binning,  # noqa: F401  (registers the binning estimators)
    clustering,  # noqa: F401  (registers Goldfeld's clustering measures)
    discrete,  # noqa: F401  (registers exact-discrete)
    kde,  # noqa: F401  (registers kde-* and adaptive-kde-*)
    sample_propagation,  # noqa: F401  (registers sample-propagation)
)
from .entropy import MI
from .registry import (
    METHODS,
    Estimator,
    fingerprint,
    get,
    provides,
    register,
    skip_reason,
    validate_params,
)

__all__ = ["MI", "Estimator", "METHODS", "get", "register", "validate_params", "fingerprint",
           "provides", "skip_reason"]
