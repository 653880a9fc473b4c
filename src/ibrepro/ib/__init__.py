"""The theoretical IB curve of a discrete joint p(x, y) (``curve``) and the joints it is drawn
for (``joint``), in bits."""

from .curve import Curve, deterministic_curve, ib_curve
from .joint import (
    check_joint,
    dataset_joint,
    entropy_bits,
    flip_labels,
    joint_of_samples,
    maximal_correlation,
    mutual_information_bits,
)

__all__ = ["Curve", "check_joint", "dataset_joint", "deterministic_curve", "entropy_bits",
           "flip_labels", "ib_curve", "joint_of_samples", "maximal_correlation",
           "mutual_information_bits"]
