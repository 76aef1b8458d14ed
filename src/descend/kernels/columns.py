"""Columns to rows: decoded Parquet columns written into the C-ordered X the kernels read.

Parquet (and Arrow) hold a table column by column; the kernels read X row by row. Copying
column j into ``X[:, j]`` writes one element per row, 8 or 4 bytes of every cache line of X
at a time: over the 100 columns of a row group every line of X is fetched and written back
again and again, and NumPy does it one column (one Python call, one release of the GIL) at a
time. :func:`rows_from_columns` makes the whole matrix in one compiled call that releases the
GIL: it reads the columns straight from their buffers (their addresses, so that no list of
arrays has to be built) in blocks of :data:`ROWS` rows, and writes the rows of a block while
the block is in cache. It also tells whether every value was
finite (the reader sends a chunk with NaN or ±inf to the checked reader, which names the row).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import carray, njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from descend.base.types import Array

#: Rows per block. Each column is read ROWS values at a time (ROWS × 8 bytes, whole cache
#: lines in sequence), and the block of X written, ROWS rows, stays in cache while the columns
#: fill it. Arrow aligns its buffers to pages, so the columns' values r of all the columns map
#: to the same cache sets: short visits (8 rows, one line) run 2-3x slower, measured.
ROWS = 64


@intrinsic
def _pointer(typingctx, address):
    """The address (an integer) as a ``void*`` that :func:`numba.carray` takes."""

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], cgutils.voidptr_t)

    return types.voidptr(address), codegen


@njit(cache=True, error_model="numpy", nogil=True, fastmath={"reassoc"})
def _rows_from(addresses, like, out):
    """out[r, j] = column j's value r for the columns at ``addresses`` (of like's dtype);
    returns whether all were finite (v − v is 0 for a finite v, NaN for NaN or ±inf, so the
    sum of all v − v is 0 exactly when all are; reassociated, it is summed in several lanes)."""
    m, d = out.shape
    check = 0.0
    for r0 in range(0, m, ROWS):
        r1 = min(r0 + ROWS, m)
        for j in range(d):
            col = carray(_pointer(addresses[j]), m, like.dtype)  # type: ignore[call-arg]
            for r in range(r0, r1):
                v = out.dtype.type(col[r])  # as stored: float64 → float32 may overflow
                out[r, j] = v
                check += np.float64(v) - np.float64(v)
    return check == 0.0


def rows_from_columns(addresses: Array, dtype: Any, out: Array) -> bool:
    """Fill ``out`` (m × d float32/64: a C-order matrix, or some of its columns) with the d
    columns of m values of ``dtype`` (float32/64) held at ``addresses`` (int64, one per
    column); whether all were finite.

    The caller keeps the columns' buffers alive during the call.

    >>> cols = [np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])]
    >>> out = np.empty((3, 2))
    >>> rows_from_columns(np.array([c.ctypes.data for c in cols]), np.float64, out), out
    (True, array([[1., 4.],
           [2., 5.],
           [3., 6.]]))
    """
    like = np.empty(0, dtype=dtype)
    return bool(_rows_from(np.ascontiguousarray(addresses, dtype=np.int64), like, out))
