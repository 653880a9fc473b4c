"""Exact MI of a quantized network from the integer codes it computed with (Lorenzen et al. 2022).

A quantized layer takes finitely many values, so with X uniform over the N inputs the joint
distribution of (X, T, Y) is known exactly and no density estimate or binning is involved:
I(X;T) = H(T) because T is a function of X, and I(T;Y) = H(T) - sum_y p(y) H(T | Y=y)
(Lorenzen, Igel & Nielsen 2022, Sec. 3). The code rows are used as they are: two inputs share
a value of T iff their code rows are equal.
"""

from __future__ import annotations

import numpy as np

from .entropy import mutual_information
from .inputs import check_layer
from .mi import MI, is_tensor
from .registry import Estimator, register


def exact_discrete(codes, labels) -> MI:
    """I(X;T), I(T;Y) in bits, exactly, from integer codes ``(..., sample, unit)``.

    codes: integer (or bool) numpy array or tensor, one layer's quantization levels per sample
    and unit, e.g. uint8 for 8-bit activations; any integer values, negative included. labels:
    int ``(sample,)``. Returns float64 ``(...)`` arrays (tensors). Float input is rejected: an
    exact estimate needs the codes the network computed with, not real-valued activations.
    """
    floating = (codes.dtype.is_floating_point or codes.dtype.is_complex if is_tensor(codes)
                else not (np.issubdtype(codes.dtype, np.integer) or codes.dtype == np.bool_))
    if floating:
        raise TypeError(
            f"codes must be an integer tensor of quantization levels, got {codes.dtype}: "
            "exact-discrete needs the integer codes of a quantized network, not activations"
        )
    check_layer(codes, labels)
    return mutual_information(codes, labels)


register(Estimator(
    method="exact-discrete", fn=exact_discrete, params={}, units="bits",
    reference="Lorenzen, Igel & Nielsen 2022 (exact MI of quantized networks)",
    description="Plug-in entropies of the integer code rows of a quantized net: exact, no bins.",
    needs=("codes",),
))
