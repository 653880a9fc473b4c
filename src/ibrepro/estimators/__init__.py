"""Mutual-information estimators, looked up by method name in :data:`METHODS`."""

from . import binning  # noqa: F401  (registers the binning estimators)
from .entropy import MI
from .registry import METHODS, Estimator, fingerprint, get, register, validate_params

__all__ = ["MI", "Estimator", "METHODS", "get", "register", "validate_params", "fingerprint"]
