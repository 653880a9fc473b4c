"""Beyond the papers (``compare``): the estimators and the debate's claims side by side.

- ``estimators``: compare/estimators (one run under every estimator);
- ``claims_table``: compare/claims and compare/claims-heatmap (each claim of the debate under
  every estimator, with intervals). It reads chelombiev's runs (``papers.chelombiev.runs``).
"""

from ibrepro.papers.compare import (  # noqa: F401  (importing a module registers its items)
    claims_table,
    estimators,
)
