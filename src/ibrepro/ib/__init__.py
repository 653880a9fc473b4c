"""Information-theoretic closed forms, in bits: the theoretical IB curve of a discrete joint
p(x, y) (``curve``), the joints it is drawn for (``joint``), the curve held against data and
trained layers (``bound``), and the binned entropy of one saturating neuron (``neuron``)."""

from .bound import curve_gap, flip_rate, least_compression, szt_curves
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

__all__ = ["Curve", "check_joint", "curve_gap", "dataset_joint", "deterministic_curve",
           "entropy_bits", "flip_labels", "flip_rate", "ib_curve", "joint_of_samples",
           "least_compression", "maximal_correlation", "mutual_information_bits", "szt_curves"]
