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
from ibrepro.registry import Registry

# what an estimator can need, and what provides it (``provides``)
NEEDS = {
    "activations": "every run",
    "weights": "every run (weights.nc)",
    "noise": "a noisy network (noise_std > 0)",
    "codes": "a quantized network",
}
_ENTROPY_MODULE = "ibrepro.estimators.entropy"
_BASELINE_MODULE = "ibrepro.estimators.baseline"


@dataclass(frozen=True)
class Estimator:
    """One estimation method. ``fn(acts, labels, **params)`` returns an ``MI``.

    needs: what it reads (keys of :data:`NEEDS`); an estimator applies to an experiment only
    if the experiment provides all of it (:func:`skip_reason`).
    """

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
        if unknown := sorted(set(self.needs) - set(NEEDS)):
            raise ValueError(f"{self.method}: unknown needs {unknown}; allowed: {sorted(NEEDS)}")
        if overlap := set(self.params) & set(self.defaults):
            raise ValueError(f"{self.method}: parameters both required and defaulted: {overlap}")

    @property
    def module(self) -> str:
        return self.fn.__module__

    @property
    def param_types(self) -> dict[str, type]:
        """Type of every parameter; an optional one has the type of its default."""
        return {**self.params, **{name: type(value) for name, value in self.defaults.items()}}


METHODS: Registry[Estimator] = Registry("estimator method")


def register(estimator: Estimator) -> Estimator:
    """Add ``estimator`` to :data:`METHODS`; a method name can be registered only once."""
    return METHODS.add(estimator.method, estimator)


def get(method: str) -> Estimator:
    """The registered estimator called ``method``."""
    return METHODS.lookup(method)


def provides(experiment: Mapping[str, object]) -> set[str]:
    """What a run of the resolved ``experiment`` spec offers estimators (keys of :data:`NEEDS`):
    activations and weights always, noise when ``noise_std`` > 0; codes never yet (quantized
    networks come later)."""
    offered = {"activations", "weights"}
    if experiment.get("noise_std", 0.0) > 0:
        offered.add("noise")
    return offered


def skip_reason(experiment: Mapping[str, object], method: str) -> str | None:
    """None if estimator ``method`` applies to ``experiment`` (a resolved spec), else why not."""
    missing = [need for need in get(method).needs if need not in provides(experiment)]
    if not missing:
        return None
    return (f"estimator method {method!r} needs " + ", ".join(f"{need} ({NEEDS[need]})"
            for need in missing) + f", which experiment {experiment.get('name')!r} lacks")


def _check_type(method: str, name: str, value: object, expected: type) -> object:
    """``value`` as ``expected``; an int is accepted (and converted) for a float, a bool never."""
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, expected) and (expected is bool or not isinstance(value, bool)):
        return value
    raise ValueError(
        f"{method}: parameter {name!r} must be {expected.__name__}, "
        f"got {type(value).__name__} ({value!r})"
    )


def validate_params(method: str, params: Mapping[str, object]) -> dict[str, object]:
    """Check an instance's parameters (a ``"method"`` key is ignored); return them with defaults."""
    estimator = get(method)
    given = {name: value for name, value in params.items() if name != "method"}
    types = estimator.param_types
    for name in estimator.params:
        if name not in given:
            raise ValueError(
                f"{method}: missing required parameter {name!r} "
                f"(required: {sorted(estimator.params)})"
            )
    given, shuffle_seed = split_shuffle(given)  # the baseline option every method accepts
    for name in given:
        if name not in types:
            raise ValueError(
                f"{method}: unknown parameter {name!r} (allowed: {sorted([*types, SHUFFLE_PARAM])})"
            )
    resolved = {**estimator.defaults, **given}
    checked = {name: _check_type(method, name, resolved[name], types[name]) for name in types}
    return checked if shuffle_seed is None else {**checked, SHUFFLE_PARAM: shuffle_seed}


def fingerprint(method: str, params: Mapping[str, object]) -> str:
    """sha256 of the estimator's module source, ``entropy.py``'s (and ``baseline.py``'s for a
    shuffled-label instance), and the resolved parameters."""
    resolved = validate_params(method, params)
    modules = [get(method).module, _ENTROPY_MODULE]
    if SHUFFLE_PARAM in resolved:
        modules.append(_BASELINE_MODULE)
    return source_fingerprint(modules, {"method": method, "params": resolved})
