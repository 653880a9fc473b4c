"""The typed experiment spec: one frozen ``Experiment`` per configured network variant.

``Experiment.of`` is the one place an experiment's optional settings get their defaults, and
those come from the config schema (``$defs/experiment``'s ``default`` values), so code reads
``spec.noise_std`` instead of repeating ``spec.get("noise_std", 0.0)``. ``to_dict`` is the
JSON form the rules pass on the command line and the run files keep as provenance (settings
that are absent stay absent). Imports no torch.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from ibrepro.paths import CONFIG_SCHEMA


@dataclass(frozen=True)
class ConvLayer:
    """``channels`` k x k filters (``kernel`` k, odd), then a ``pool`` x ``pool`` max-pool."""

    channels: int
    kernel: int
    pool: int


@dataclass(frozen=True)
class BadFit:
    """Lorenzen et al. 2022's bad-fit policy (``train.restart``)."""

    min_accuracy: float
    epoch: int
    max_restarts: int


@dataclass(frozen=True)
class Prefit:
    """``epochs`` epochs on labels permuted with ``label_seed`` before the true labels."""

    epochs: int
    label_seed: int


@dataclass(frozen=True)
class Experiment:
    """One network variant x repetitions, as the schema's ``$defs/experiment`` describes it;
    the optional settings without a default are None when absent."""

    name: str
    dataset: str
    hidden: tuple[int, ...]
    activations: tuple[str, ...]
    init: str
    optimizer: str
    lr: float
    batch_size: int
    epochs: int
    repetitions: int
    snapshots: int
    seed: int
    noise_std: float
    weight_decay: float
    parseval: float
    weight_norm: bool
    dropout: float
    gradient_stats: bool
    trainer: str
    conv: tuple[ConvLayer, ...] = ()
    record_epochs: tuple[int, ...] | None = None
    record_split: str | None = None
    significant_bits: int | None = None
    bits: int | None = None
    bad_fit: BadFit | None = None
    prefit: Prefit | None = None

    @classmethod
    def of(cls, spec: Experiment | Mapping[str, Any]) -> Experiment:
        """The typed spec of a mapping (a resolved config entry, or its JSON from a rule):
        the schema's defaults filled, nested settings typed. An ``Experiment`` is returned
        as it is. Keys the type does not know (e.g. a config entry's ``quick``) are an
        error naming them."""
        if isinstance(spec, Experiment):
            return spec
        values = _with_defaults(spec)
        known = {f.name for f in dataclasses.fields(cls)}
        if unknown := sorted(set(values) - known):
            raise ValueError(f"experiment {values.get('name')!r}: unknown setting(s) "
                             f"{', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if missing := sorted(f.name for f in dataclasses.fields(cls)
                             if f.default is dataclasses.MISSING and f.name not in values):
            raise ValueError(f"experiment {values.get('name')!r}: missing {', '.join(missing)}")
        values["hidden"], values["activations"] = (tuple(values["hidden"]),
                                                   tuple(values["activations"]))
        values["conv"] = tuple(ConvLayer(**layer) for layer in values.get("conv") or ())
        if values.get("record_epochs") is not None:
            values["record_epochs"] = tuple(values["record_epochs"])
        if values.get("bad_fit") is not None:
            values["bad_fit"] = BadFit(**values["bad_fit"])
        if values.get("prefit") is not None:
            values["prefit"] = Prefit(**values["prefit"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able mapping ``of`` reads back (absent settings left out)."""
        out = dataclasses.asdict(self)
        for key, value in list(out.items()):
            if value is None or (key == "conv" and not value):
                del out[key]
            elif isinstance(value, tuple):
                out[key] = list(value)
        return out

    def replace(self, **changes) -> Experiment:
        """A copy with ``changes`` (e.g. fewer repetitions for a rerun batch)."""
        return dataclasses.replace(self, **changes)

    @property
    def total_epochs(self) -> int:
        """Epochs a run trains, numbered 1.. continuously: the random-label prefit's, then
        ``epochs`` on the true labels."""
        return (self.prefit.epochs if self.prefit else 0) + self.epochs


@cache
def _experiment_schema() -> dict:
    return yaml.safe_load(CONFIG_SCHEMA.read_text())["$defs"]["experiment"]


def _with_defaults(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` with the schema's default of each absent setting (nested ones too)."""
    schema = _experiment_schema()["properties"]
    out = copy.deepcopy(dict(spec))
    for key, sub in schema.items():
        if key not in out and "default" in sub:
            out[key] = copy.deepcopy(sub["default"])
        if isinstance(out.get(key), dict):
            for inner, inner_schema in sub.get("properties", {}).items():
                if inner not in out[key] and "default" in inner_schema:
                    out[key][inner] = copy.deepcopy(inner_schema["default"])
    return out
