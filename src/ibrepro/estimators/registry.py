"""Registry of mutual-information estimators: what each method needs, validates and hashes to.

Every estimator module ends with ``register(Estimator(...))`` lines; the workflow looks methods
up by name, checks an instance's parameters with :func:`validate_params`, and uses
:func:`fingerprint` as a Snakemake params trigger so that editing an estimator's source reruns
exactly the estimates that depend on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ibrepro.estimators.baseline import SHUFFLE_PARAM, split_shuffle
from ibrepro.fingerprint import source_fingerprint
from ibrepro.registry import Registry, check_params

_ENTROPY_MODULE = "ibrepro.estimators.entropy"
_BASELINE_MODULE = "ibrepro.estimators.baseline"


@dataclass(frozen=True)
class Estimator:
    """One estimation method. ``fn(acts, labels, **params)`` returns an ``MI``."""

    method: str
    fn: Callable
    params: Mapping[str, type]
    units: str
    reference: str
    description: str
    needs: tuple[str, ...] = ("activations",)
    defaults: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        if self.units not in ("bits", "nats"):
            raise ValueError(f"{self.method}: units must be 'bits' or 'nats', got {self.units!r}")
        if overlap := set(self.params) & set(self.defaults):
            raise ValueError(f"{self.method}: parameters both required and defaulted: {overlap}")

    @property
    def module(self) -> str:
        return self.fn.__module__


METHODS: Registry[Estimator] = Registry("estimator method")


def register(estimator: Estimator) -> Estimator:
    """Add ``estimator`` to :data:`METHODS`; a method name can be registered only once."""
    return METHODS.add(estimator.method, estimator)


def get(method: str) -> Estimator:
    """The registered estimator called ``method``."""
    return METHODS.lookup(method)


def validate_params(method: str, params: Mapping[str, object]) -> dict[str, object]:
    """Check an instance's parameters (a ``"method"`` key is ignored); return them with defaults."""
    estimator = get(method)
    given = {name: value for name, value in params.items() if name != "method"}
    given, shuffle_seed = split_shuffle(given)  # the baseline option every method accepts
    checked = check_params(method, estimator.params, estimator.defaults, given,
                           also_allowed=[SHUFFLE_PARAM])
    return checked if shuffle_seed is None else {**checked, SHUFFLE_PARAM: shuffle_seed}


def fingerprint(method: str, params: Mapping[str, object]) -> str:
    """sha256 of the estimator's module source, ``entropy.py``'s (and ``baseline.py``'s for a
    shuffled-label instance), and the resolved parameters."""
    resolved = validate_params(method, params)
    modules = [get(method).module, _ENTROPY_MODULE]
    if SHUFFLE_PARAM in resolved:
        modules.append(_BASELINE_MODULE)
    return source_fingerprint(modules, {"method": method, "params": resolved})
