"""Reading the rows of X in the compiled kernels: prefetching, standardising, dot products.

Every kernel reads a row of X once, into a small float64 buffer (:func:`load_row`), and works
on the buffer while it is in cache. That is where the features are standardised on the fly,
x′ⱼ = (xⱼ − μⱼ)·(1/σⱼ), in X's own dtype, as the NumPy reference standardises a copy of X
(:func:`descend.models.scaling.standardise`, so the same bits): ``scale=True`` costs no copy
of X. With an empty μ the row is read as it is. float32 rows are widened to float64 in the
buffer, so products accumulate in float64.

Shuffled rows come in an order the hardware cannot predict: :func:`prefetch_row` asks for the
row (and its target) :data:`AHEAD` rows in advance. The losses' scalar forms come from
:mod:`descend.models.losses`, compiled here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import binding, ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from descend.models.losses import dz_scalar, value_scalar

_serial = njit(cache=True, error_model="numpy", nogil=True)
_inline = njit(cache=True, error_model="numpy", nogil=True, inline="always")  # into Numba's IR
_fast = njit(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc", "contract"})
#: Shuffled rows (and their targets) are prefetched in two stages: this many rows ahead into
#: the outer caches, and :data:`NEAR` rows ahead into the first-level cache. Random rows defeat
#: the hardware's prefetcher, and the latency of main memory would dominate the epoch; the
#: second, near stage took the per-sample epoch on 1,000,000 × 100 from 0.10–0.12 s to
#: 0.077–0.085 s (one stage, any distance from 8 to 64 rows: 0.10–0.12 s).
AHEAD = 32
NEAR = 6
_PREFETCH = "llvm.prefetch.p0" if binding.llvm_version_info[0] >= 15 else "llvm.prefetch.p0i8"

dz = _serial(dz_scalar)
value = _serial(value_scalar)


def _prefetch_codegen(locality: int) -> Any:
    """Code for llvm.prefetch of the element at args[1:] of the array args[0] (a hint: never
    faults), with LLVM's locality 0..3 (3: into every cache level, the first included)."""

    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, list(args[1:]),
                                       wraparound=False)  # fmt: skip
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]), _PREFETCH
        )
        read, level, data = ir.Constant(i32, 0), ir.Constant(i32, locality), ir.Constant(i32, 1)
        builder.call(fn, [builder.bitcast(ptr, i8p), read, level, data])
        return context.get_dummy_value()

    return codegen


@intrinsic
def prefetch_line(typingctx, X, r, j):
    """Bring the cache line of X[r, j] into every cache level."""
    return types.void(X, r, j), _prefetch_codegen(3)


@intrinsic
def prefetch_line_far(typingctx, X, r, j):
    """Bring the cache line of X[r, j] into the outer cache levels."""
    return types.void(X, r, j), _prefetch_codegen(1)


@intrinsic
def prefetch_item(typingctx, y, r):
    """Bring the cache line of y[r] into every cache level."""
    return types.void(y, r), _prefetch_codegen(3)


@_inline
def row_lines(X):
    """(cache lines of 64 bytes a row of X spans, items of X per line): the counts
    :func:`prefetch_row` takes, worked out once per pass."""
    step = 64 // X.itemsize
    return (X.shape[1] + step - 1) // step, step


@_inline
def prefetch_row(X, y, r, lines, step, far):
    """Prefetch row r of X (``lines`` cache lines of ``step`` items) and its target: into the
    outer caches when ``far``, else into every level (:data:`AHEAD`, :data:`NEAR`).

    The caller tests whether there is a row to prefetch (``if ii + AHEAD < perm.size``: rows
    in order, the hardware sees coming): with that test and the look-up of r inside this
    helper, the loops that call it compiled 1.5× slower.
    """
    if far:
        for q in range(lines):
            prefetch_line_far(X, r, q * step)  # type: ignore[call-arg]
    else:
        for q in range(lines):
            prefetch_line(X, r, q * step)  # type: ignore[call-arg]
        prefetch_item(y, r)  # type: ignore[call-arg]


@_inline
def row_at(perm, ii):
    """Row ii of the epoch's order: perm[ii], or ii when perm is empty (rows in order)."""
    return perm[ii] if perm.size else ii


@_inline
def load_row(X, r, mu, inv, xb):
    """xb = row r of X as float64, standardised ((X[r] − μ)·(1/σ) in X's dtype) when μ is not
    empty."""
    if mu.size:
        for j in range(xb.size):
            xb[j] = np.float64((X[r, j] - mu[j]) * inv[j])
    else:
        for j in range(xb.size):
            xb[j] = np.float64(X[r, j])


@_fast
def dot(x, w):
    """Σⱼ xⱼ·wⱼ, the sum reassociated so that it vectorises.

    (Fast-math flags apply to this function's own instructions only; LLVM inlines it.)
    """
    s = 0.0
    for j in range(w.size):
        s += x[j] * w[j]
    return s


@_fast
def dot_and_square(x, w):
    """(x·w, w·w) in one loop: a row's score and ‖w‖² for its L2 term, w read once."""
    s = 0.0
    q = 0.0
    for j in range(w.size):
        s += x[j] * w[j]
        q += w[j] * w[j]
    return s, q


@_fast
def dot2(x0, x1, w):
    """(x0·w, x1·w) in one loop: two rows at once."""
    a = 0.0
    b = 0.0
    for j in range(w.size):
        a += x0[j] * w[j]
        b += x1[j] * w[j]
    return a, b


@_inline
def axpy(a, x, acc, first):
    """acc += a·x (acc = a·x for the ``first`` row): a row's share of Xᵀδ."""
    if first:
        for j in range(acc.size):
            acc[j] = a * x[j]
    else:
        for j in range(acc.size):
            acc[j] += a * x[j]


@_inline
def axpy2(a, x0, b, x1, acc):
    """acc += a·x0 + b·x1: two rows' share of Xᵀδ."""
    for j in range(acc.size):
        acc[j] += a * x0[j] + b * x1[j]


@_serial
def sign(v):
    """np.sign: −1, 0 or 1, NaN kept."""
    if v > 0.0:
        return 1.0
    if v < 0.0:
        return -1.0
    if v == 0.0:
        return 0.0
    return v  # NaN
