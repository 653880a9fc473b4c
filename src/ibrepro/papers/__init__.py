"""One package per paper: its run names and analysis, its figures and tables, and its claims.

Each ``ibrepro.papers.<key>`` (keys as FIGURES.md: rip, survey, lorenzen, chelombiev, goldfeld,
and compare, beyond the papers) registers its items (``figures.ITEMS``) and claims
(``report.CLAIMS``) when imported; its ``__init__`` says which module holds which item. Importing
this package registers them all: the command line, the config loader and the workflow do, and
nothing shared (``figures``, ``report``, ``estimators``, ...) imports a paper.

An item or claim ID names its package: ``rip/fig5`` is in ``papers/rip``, and
``rip/table1:szt-train-ixy`` in ``papers/rip/claims.py``.
"""

from ibrepro.figures import ITEMS
from ibrepro.papers import chelombiev, compare, goldfeld, lorenzen, rip, survey
from ibrepro.report import CLAIMS, PAPERS

PACKAGES = {"rip": rip, "survey": survey, "lorenzen": lorenzen, "chelombiev": chelombiev,
            "goldfeld": goldfeld, "compare": compare}

__all__ = ["CLAIMS", "ITEMS", "PACKAGES", "PAPERS"]
