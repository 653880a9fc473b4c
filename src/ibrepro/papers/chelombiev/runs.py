"""The runs Chelombiev et al.'s items read: the SZT net with the activations of the zoo, the
relu weight-decay sweep (config.yaml ``szt-<activation>``, ``szt-relu-wd-*``), and the estimators
(fixed binning against the two adaptive ones)."""

from __future__ import annotations

NETS = (("szt-tanh", "tanh"), ("szt-relu", "relu"))
ESTIMATORS = (("bin-size-0.07", "fixed bins (size 0.07)"),
              ("adaptive-bins-30", "adaptive: 30 equal-mass bins"),
              ("adaptive-kde-upper", "adaptive KDE (upper)"))
ADAPTIVE = ESTIMATORS[1:]
# the activation zoo (config.yaml: szt-<activation>, all hidden layers alike)
ZOO = (("szt-tanh", "tanh"), ("szt-relu", "relu"), ("szt-softplus", "softplus"),
       ("szt-centred-softplus", "centred softplus"), ("szt-sigmoid", "sigmoid"),
       ("szt-elu", "elu"), ("szt-leaky-relu", "leaky relu"), ("szt-swish", "swish"),
       ("szt-linear", "linear"))
# relu with coupled L2 weight decay; the strengths are read from each run's spec
WEIGHT_DECAY = ("szt-relu", "szt-relu-wd-1e-4", "szt-relu-wd-1e-3", "szt-relu-wd-1e-2")
RUNS = tuple(dict.fromkeys([e for e, _ in ZOO] + list(WEIGHT_DECAY)))  # zoo and sweep, once
ADAPTIVE_NAMES = tuple(s for s, _ in ADAPTIVE)
