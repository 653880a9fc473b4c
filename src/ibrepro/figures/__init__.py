"""Figures and tables of the papers: the registry and one module per paper (importing registers)."""

from ibrepro.figures import rip  # noqa: F401  (registers the rip items)
from ibrepro.figures.registry import (
    ITEMS,
    Item,
    ItemInputs,
    fingerprint,
    get,
    input_paths,
    output_paths,
    register,
    render,
)

__all__ = ["ITEMS", "Item", "ItemInputs", "fingerprint", "get", "input_paths", "output_paths",
           "register", "render"]
