"""Subnormal floats flushed to zero on the threads that run the trainer's kernels.

Late in training a relu SZT net's backward pass makes subnormal float32 values (gradients of
confident outputs), and x86 cores take a slow microcoded path for each: the szt-relu epoch grew
from 16 ms to 45 ms over 2400 epochs here, flat at ~24 ms with them flushed (docs/performance.md,
fourteenth session). A subnormal is below 1.2e-38; added to a weight of magnitude 1e-30 or more
it rounds away anyway, so flushing changes no trained weight but in such corner cases.

x86 only (the MXCSR register's FTZ and DAZ bits, per thread); elsewhere these do nothing.
"""

from __future__ import annotations

import platform

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from ibrepro.kernel_cache import njit

X86 = platform.machine().lower() in ("x86_64", "amd64")
FLUSH = 0x8040  # MXCSR's FTZ (bit 15: results to zero) and DAZ (bit 6: inputs as zero)


@intrinsic
def _update_control(typingctx, keep, add):
    """MXCSR becomes (MXCSR & ``keep``) | ``add`` (int64s, low 32 bits); returns what it was."""
    def codegen(context, builder, signature, args):
        i32, pointer = ir.IntType(32), ir.IntType(8).as_pointer()
        function = ir.FunctionType(ir.VoidType(), [pointer])
        save = cgutils.get_or_insert_function(builder.module, function, "llvm.x86.sse.stmxcsr")
        load = cgutils.get_or_insert_function(builder.module, function, "llvm.x86.sse.ldmxcsr")
        slot = cgutils.alloca_once(builder, i32)
        builder.call(save, [builder.bitcast(slot, pointer)])
        old = builder.load(slot)
        keep, add = (builder.trunc(arg, i32) for arg in args)
        builder.store(builder.or_(builder.and_(old, keep), add), slot)
        builder.call(load, [builder.bitcast(slot, pointer)])
        return builder.zext(old, ir.IntType(64))
    return types.int64(types.int64, types.int64), codegen


@njit(cache=True)
def _update(keep, add):
    return _update_control(keep, add)


def flush_subnormals() -> int:
    """Flush subnormals to zero on this thread; returns the control word to :func:`restore`."""
    return _update(-1, FLUSH) if X86 else 0


def restore(control: int) -> None:
    """Put back the control word :func:`flush_subnormals` returned."""
    if X86:
        _update(0, control)
