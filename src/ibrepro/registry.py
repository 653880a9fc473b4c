"""A name → entry mapping shared by the estimator, measure and figure registries.

Each entry is registered once, by the module that defines it; looking up an unknown name fails
with the list of registered names (as xarray's ``get_backend`` does). :func:`check_params`
checks a configured instance's parameters against what its method declares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(dict[str, T], Generic[T]):
    """Entries by name; ``kind`` names what they are in error messages, ``empty`` says what
    fills an empty registry (where its entries register from elsewhere)."""

    def __init__(self, kind: str, *, empty: str = ""):
        super().__init__()
        self.kind = kind
        self.empty = empty

    def add(self, name: str, entry: T) -> T:
        """Register ``entry`` as ``name``; a name can be registered only once."""
        if name in self:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self[name] = entry
        return entry

    def lookup(self, name: str) -> T:
        """The entry called ``name``; an unknown name raises ``ValueError`` listing all."""
        try:
            return self[name]
        except KeyError:
            known = ", ".join(repr(n) for n in sorted(self))
            if not self and self.empty:
                known = f"none ({self.empty})"
            raise ValueError(f"unknown {self.kind} {name!r}; registered: {known}") from None


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


def check_params(method: str, required: Mapping[str, type], defaults: Mapping[str, object],
                 given: Mapping[str, object], *, also_allowed: Iterable[str] = ()) -> dict:
    """``given`` checked against a method's ``required`` parameters (name → type) and optional
    ``defaults`` (name → value, whose type is the parameter's): every required one present, no
    unknown one, each of its type; returned with the defaults filled. ``also_allowed`` names
    parameters the caller handles itself, listed as allowed in the error message only."""
    types = {**required, **{name: type(value) for name, value in defaults.items()}}
    for name in required:
        if name not in given:
            raise ValueError(
                f"{method}: missing required parameter {name!r} (required: {sorted(required)})"
            )
    for name in given:
        if name not in types:
            raise ValueError(f"{method}: unknown parameter {name!r} "
                             f"(allowed: {sorted([*types, *also_allowed])})")
    resolved = {**defaults, **given}
    return {name: _check_type(method, name, resolved[name], types[name]) for name in types}
