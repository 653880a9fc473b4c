"""Registry of measures: quantities of a run's activations that are not I(X;T) and I(T;Y).

A measure (e.g. Goldfeld's clustering measures, ``clustering.py``) reads one activations file
and writes its own variables to ``measures/<experiment>/<name>.nc``. Modules register with one
``register(Measure(...))`` line; the workflow checks an instance with :func:`validate_params`
and reruns it when :func:`fingerprint` (its module's source and its parameters) changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ibrepro.estimators.registry import ENTROPY_MODULES
from ibrepro.fingerprint import source_fingerprint
from ibrepro.registry import Registry, check_params


@dataclass(frozen=True)
class Measure:
    """One measure. ``fn(acts, device, **params)`` maps an open activations dataset to an
    ``xarray.Dataset`` of its variables, each with a ``units`` attr."""

    method: str
    fn: Callable
    params: Mapping[str, type]
    reference: str
    description: str
    variables: tuple[str, ...]
    defaults: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        if overlap := set(self.params) & set(self.defaults):
            raise ValueError(f"{self.method}: parameters both required and defaulted: {overlap}")

    @property
    def module(self) -> str:
        return self.fn.__module__


MEASURES: Registry[Measure] = Registry("measure method")


def register(measure: Measure) -> Measure:
    """Add ``measure`` to :data:`MEASURES`; a method name can be registered only once."""
    return MEASURES.add(measure.method, measure)


def get(method: str) -> Measure:
    """The registered measure called ``method``."""
    return MEASURES.lookup(method)


def validate_params(method: str, params: Mapping[str, object]) -> dict[str, object]:
    """Check an instance's parameters (a ``"method"`` key is ignored); return them with defaults."""
    measure = get(method)
    given = {name: value for name, value in params.items() if name != "method"}
    return check_params(method, measure.params, measure.defaults, given)


def fingerprint(method: str, params: Mapping[str, object]) -> str:
    """sha256 of the measure's module source, the entropy core's (numba and torch) and the
    resolved parameters."""
    resolved = validate_params(method, params)
    return source_fingerprint([get(method).module, *ENTROPY_MODULES],
                              {"method": method, "params": resolved})
