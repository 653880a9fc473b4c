"""float32 elementary functions that LLVM can vectorise inside numba loops.

numba lowers ``math.exp``/``math.tanh`` to scalar libm calls (~17 ns for a tanh here, 180 ms for
one SZT epoch's 10.7 M values); these are branch-free polynomials with bit-level range reduction,
so a loop over them compiles to AVX2/AVX-512 code. Accuracy (tests/test_kernels_elementary.py,
against float64 on dense grids): a few ulp. Coefficients are Cephes' single-precision ones
(S. L. Moshier, Cephes Math Library: expf.c, logf.c), tanh's are Eigen's.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ibrepro.kernel_cache import njit

# LLVM fast-math flags of every kernel: all of fastmath=True but "arcp", so x / y stays a
# correctly rounded division (a quantizer's (a - low) / step at a rounding tie must round as
# torch's does: with arcp, relu's zeros fell on the other side of 127.5 in 56% of cases)
FASTMATH = {"nnan", "ninf", "nsz", "contract", "afn", "reassoc"}
F32 = np.float32
LN2_HI, LN2_LO = F32(0.693359375), F32(-2.12194440e-4)  # ln 2 = LN2_HI + LN2_LO
LOG2E = F32(1.44269504088896341)
EXP_LOW, EXP_HIGH = F32(-87.33654), F32(88.0)  # exp(88) = 1.65e38: 2^n stays finite


@intrinsic
def float_from_bits(typingctx, bits):
    """The float32 whose IEEE bits are the int32 ``bits`` (a bit cast, no conversion)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


@intrinsic
def bits_from_float(typingctx, value):
    """The IEEE bits of the float32 ``value`` as an int32 (a bit cast, no conversion)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))
    return types.int32(types.float32), codegen


@intrinsic
def fused_multiply_add(typingctx, a, b, c):
    """a * b + c rounded once (LLVM's ``llvm.fma``): unlike a product and a sum under the
    "reassoc" flag, which LLVM may regroup, the call is kept as written."""
    def codegen(context, builder, signature, args):
        return builder.fma(*args)
    return types.float32(types.float32, types.float32, types.float32), codegen


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def exp(x):
    """e^x; 0 below -87.3 (no subnormals), 1.65e38 above 88."""
    x = min(max(F32(x), EXP_LOW), EXP_HIGH)
    # n stays a float32: math.floor's int64 turned the rest into float64 (int64 * float32 is
    # float64 in numba) with lane-by-lane conversions, as slow as a scalar loop (a softplus
    # epoch took 2x a relu one). x - n ln 2 in two fused steps, which "reassoc" would
    # otherwise fold into one product by a rounded ln 2 (2.3 ulp instead of 1)
    n = np.floor(x * LOG2E + F32(0.5))
    r = fused_multiply_add(-n, LN2_LO, fused_multiply_add(-n, LN2_HI, x))
    p = fused_multiply_add(F32(1.9875691500e-4), r, F32(1.3981999507e-3))
    p = fused_multiply_add(p, r, F32(8.3334519073e-3))
    p = fused_multiply_add(p, r, F32(4.1665795894e-2))
    p = fused_multiply_add(p, r, F32(1.6666665459e-1))
    p = fused_multiply_add(p, r, F32(5.0000001201e-1))
    p = fused_multiply_add(fused_multiply_add(p, r, F32(1.0)), r, F32(1.0))
    return p * float_from_bits(np.int32(n + F32(127.0)) << np.int32(23))


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def _log1p_core(t):
    """ln(1 + t) for t in [sqrt(1/2) - 1, sqrt(2) - 1]: t - t^2/2 + t^3 P(t)."""
    z = t * t
    p = F32(7.0376836292e-2)
    p = p * t - F32(1.1514610310e-1)
    p = p * t + F32(1.1676998740e-1)
    p = p * t - F32(1.2420140846e-1)
    p = p * t + F32(1.4249322787e-1)
    p = p * t - F32(1.6668057665e-1)
    p = p * t + F32(2.0000714765e-1)
    p = p * t - F32(2.4999993993e-1)
    p = p * t + F32(3.3333331174e-1)
    return p * t * z - F32(0.5) * z + t


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def log(x):
    """ln x for finite x > 0 (normal numbers)."""
    bits = bits_from_float(F32(x))
    # x = m 2^e with m in [0.5, 1); int32 throughout (an int64 has no vector conversion in AVX2)
    e = F32((bits >> np.int32(23)) - np.int32(126))
    m = float_from_bits((bits & np.int32(0x007FFFFF)) | np.int32(0x3F000000))
    small = m < F32(0.70710678)  # fold m into [sqrt(1/2), sqrt(2)): m -> 2m, e -> e - 1
    e = e - F32(1.0) if small else e
    return _log1p_core((m + m if small else m) - F32(1.0)) + e * LN2_LO + e * LN2_HI


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def log1p(x):
    """ln(1 + x) for x > -1, accurate near 0: the core polynomial on x itself where 1 + x
    lies in [sqrt(1/2), sqrt(2)), else ln of the rounded 1 + x (then |ln| > 0.34, so its
    rounding costs < 1 ulp)."""
    x = F32(x)
    near = (x > F32(-0.29289322)) & (x < F32(0.41421356))
    return _log1p_core(x) if near else log(F32(1.0) + x)


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def expm1(x):
    """e^x - 1, accurate near 0 (a Taylor polynomial for |x| < 0.5)."""
    x = F32(x)
    p = F32(1.0 / 5040.0)
    p = p * x + F32(1.0 / 720.0)
    p = p * x + F32(1.0 / 120.0)
    p = p * x + F32(1.0 / 24.0)
    p = p * x + F32(1.0 / 6.0)
    p = p * x + F32(0.5)
    small = p * x * x + x
    return small if abs(x) < F32(0.5) else exp(x) - F32(1.0)


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def tanh(x):
    """tanh x as a 13/6 rational function of x on [-c, c], c = 7.9053 (beyond, tanh rounds to
    within 3e-7 of +-1); the coefficients are Eigen's and XLA's fast float tanh. 4.4 ulp at
    most, 4x faster than the exp-based form (one division, no range reduction)."""
    c = F32(7.90531110763549805)
    x = min(max(F32(x), -c), c)
    z = x * x
    p = F32(-2.76076847742355e-16)
    p = p * z + F32(2.00018790482477e-13)
    p = p * z + F32(-8.60467152213735e-11)
    p = p * z + F32(5.12229709037114e-08)
    p = p * z + F32(1.48572235717979e-05)
    p = p * z + F32(6.37261928875436e-04)
    p = p * z + F32(4.89352455891786e-03)
    q = F32(1.19825839466702e-06)
    q = q * z + F32(1.18534705686654e-04)
    q = q * z + F32(2.26843463243900e-03)
    q = q * z + F32(4.89352518554385e-03)
    return p * x / q


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def sigmoid(x):
    """1 / (1 + e^-x)."""
    return F32(1.0) / (F32(1.0) + exp(-F32(x)))


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def softplus(x):
    """ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|), without overflow."""
    x = F32(x)
    return max(x, F32(0.0)) + log1p(exp(-abs(x)))


@njit(inline="always", fastmath=FASTMATH, error_model="numpy")
def cos_turns(v):
    """cos(2 pi v) for v in [0, 1] (Box-Muller's angle): folded to [0, pi/2], Taylor to x^12."""
    w = abs(F32(v) - F32(0.5))  # cos(2 pi v) = -cos(2 pi w), w in [0, 0.5]
    flip = w > F32(0.25)
    w = F32(0.5) - w if flip else w  # cos(2 pi w) = -cos(2 pi (0.5 - w))
    x = F32(2.0 * math.pi) * w
    z = x * x
    p = F32(1.0 / 479001600.0)
    p = p * z - F32(1.0 / 3628800.0)
    p = p * z + F32(1.0 / 40320.0)
    p = p * z - F32(1.0 / 720.0)
    p = p * z + F32(1.0 / 24.0)
    p = p * z - F32(0.5)
    c = p * z + F32(1.0)
    return c if flip else -c
