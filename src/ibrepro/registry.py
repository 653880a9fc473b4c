"""A name → entry mapping shared by the estimator and figure registries.

Each entry is registered once, by the module that defines it; looking up an unknown name fails
with the list of registered names (as xarray's ``get_backend`` does).
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(dict[str, T], Generic[T]):
    """Entries by name; ``kind`` names what they are in error messages."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

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
            raise ValueError(f"unknown {self.kind} {name!r}; registered: {known}") from None
