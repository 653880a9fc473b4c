"""Information Theory for Deep Learning (the survey, ``survey``): its items and claims.

- ``dynamics``: survey/ip-inits, snr, hidden-layers, sgd-vs-bgd (Shwartz-Ziv & Tishby's and
  Saxe et al.'s training dynamics);
- ``bound``: survey/ib-bound (the layers against the IB curve of the data);
- ``single_neuron``: survey/single-neuron (Saxe's binned neuron, closed form and sampled);
- ``linear_teacher``: survey/linear-teacher (Saxe's linear student-teacher nets);
- ``boolean``: survey/boolean-partition and bound-tightness (the survey's own experiment);
- ``claims``: the claims of the reproduction report (CLAIMS.md #24-32).
"""

from ibrepro.papers.survey import (  # noqa: F401  (importing a module registers its items)
    boolean,
    bound,
    claims,
    dynamics,
    linear_teacher,
    single_neuron,
)
