"""Figures and tables: the item registry and the shared drawing helpers (the information plane,
the compression measure, statistics over repetitions, saving with provenance).

Each paper's items live in its package, ``ibrepro.papers.<key>``, and register themselves when
it is imported (``import ibrepro.papers`` registers them all); nothing here imports a paper.
"""

from ibrepro.figures.registry import (
    ITEMS,
    Item,
    ItemInputs,
    Reads,
    fingerprint,
    get,
    input_paths,
    item_options,
    output_paths,
    register,
    render,
)

__all__ = ["ITEMS", "Item", "ItemInputs", "Reads", "fingerprint", "get", "input_paths",
           "item_options", "output_paths", "register", "render"]
