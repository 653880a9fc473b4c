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
from ibrepro.nets.precision import quantized
from ibrepro.registry import Registry, check_params

# what an estimator can need, and what provides it (``provides``)
NEEDS = {
    "activations": "every run",
    "weights": "an MLP's run (weights.nc of dense layers; conv nets are not re-propagated)",
    "noise": "a noisy network (noise_std > 0)",
    "codes": "a quantized network",
}
# the entropy core, numba and torch: every method's results depend on them
ENTROPY_MODULES = ("ibrepro.estimators.entropy", "ibrepro.estimators.entropy_torch")
_BASELINE_MODULE = "ibrepro.estimators.baseline"


@dataclass(frozen=True)
class Estimator:
    """One estimation method. ``fn(acts, labels, **params)`` returns an ``MI``, or a NamedTuple
    with the MI's fields first and then one field per name in ``outputs``.

    needs: what it reads (keys of :data:`NEEDS`); an estimator applies to an experiment only
    if the experiment provides all of it (:func:`skip_reason`).
    choices: the allowed values of parameters that take one of a fixed set.
    outputs: attrs (``long_name``, ``units``) of the result's fields beyond I_XT and I_TY, each
    ``(...)`` per group; ``apply.py`` writes them as ``(rep, epoch, layer)`` variables.
    observed_range: given the resolved parameters, None or the scope of the activations' observed
    range (min, max) the method needs and cannot see in one block of epochs: ``"layer"`` (each
    layer over all epochs of a repetition) or ``"global"`` (all layers and epochs of a
    repetition). ``apply.py`` finds it in a first pass and passes it as ``low`` and ``high``.
    uses: modules outside ``estimators`` whose code the results depend on (e.g. the network's
    forward pass for sample propagation): editing one reruns the method's MI files too.
    """

    method: str
    fn: Callable
    params: Mapping[str, type]
    units: str
    reference: str
    description: str
    needs: tuple[str, ...] = ("activations",)
    defaults: Mapping[str, object] = field(default_factory=dict)
    choices: Mapping[str, tuple] = field(default_factory=dict)
    outputs: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    observed_range: Callable[[Mapping[str, object]], str | None] | None = None
    uses: tuple[str, ...] = ()  # further modules its results depend on (for ``fingerprint``)

    def __post_init__(self):
        if self.units not in ("bits", "nats"):
            raise ValueError(f"{self.method}: units must be 'bits' or 'nats', got {self.units!r}")
        if unknown := sorted(set(self.needs) - set(NEEDS)):
            raise ValueError(f"{self.method}: unknown needs {unknown}; allowed: {sorted(NEEDS)}")
        if overlap := set(self.params) & set(self.defaults):
            raise ValueError(f"{self.method}: parameters both required and defaulted: {overlap}")
        if unknown := set(self.choices) - set(self.params) - set(self.defaults):
            raise ValueError(f"{self.method}: choices for unknown parameters: {unknown}")
        for name, allowed in self.choices.items():
            if name in self.defaults and self.defaults[name] not in allowed:
                raise ValueError(f"{self.method}: default of {name!r} is not one of {allowed}")

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


def provides(experiment: Mapping[str, object]) -> set[str]:
    """What a run of the resolved ``experiment`` spec offers estimators (keys of :data:`NEEDS`):
    weights unless it has conv layers, noise when ``noise_std`` > 0, and the integer codes of
    a quantized net (``bits`` 4 or 8) or else the float activations."""
    offered = {"codes" if quantized(experiment.get("bits")) else "activations"}
    if not experiment.get("conv"):
        offered.add("weights")
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


def validate_params(method: str, params: Mapping[str, object]) -> dict[str, object]:
    """Check an instance's parameters (a ``"method"`` key is ignored); return them with defaults."""
    estimator = get(method)
    given = {name: value for name, value in params.items() if name != "method"}
    given, shuffle_seed = split_shuffle(given)  # the baseline option every method accepts
    checked = check_params(method, estimator.params, estimator.defaults, given,
                           also_allowed=[SHUFFLE_PARAM])
    for name, allowed in estimator.choices.items():
        if checked[name] not in allowed:
            raise ValueError(f"{method}: parameter {name!r} must be one of "
                             f"{', '.join(map(repr, allowed))}; got {checked[name]!r}")
    return checked if shuffle_seed is None else {**checked, SHUFFLE_PARAM: shuffle_seed}


def fingerprint(method: str, params: Mapping[str, object]) -> str:
    """sha256 of the estimator's module source, the entropy core's (``entropy.py``,
    ``entropy_torch.py``), those it ``uses`` (and ``baseline.py``'s for a shuffled-label
    instance), and the resolved parameters."""
    resolved = validate_params(method, params)
    modules = [get(method).module, *ENTROPY_MODULES, *get(method).uses]
    if SHUFFLE_PARAM in resolved:
        modules.append(_BASELINE_MODULE)
    return source_fingerprint(modules, {"method": method, "params": resolved})
