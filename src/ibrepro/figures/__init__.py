"""Figures and tables of the papers: the registry and one module per paper (importing registers)."""

from ibrepro.figures import (  # noqa: F401  (importing a paper module registers its items)
    boolean,
    chelombiev,
    claims,
    compare,
    goldfeld,
    goldfeld_cnn,
    goldfeld_noisy,
    ib_bound,
    linear_teacher,
    lorenzen,
    lorenzen_mnist,
    pruning,
    rip,
    rip_mnist,
    rip_variants,
    schematics,
    stopping,
    survey,
    survey_dynamics,
)
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
