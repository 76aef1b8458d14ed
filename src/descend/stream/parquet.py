"""Reading Parquet row groups into the C-order X the kernels read.

Two readers. :func:`compiled_rows` reads the bytes of a row group with one ``pread`` and
decodes them in one compiled call (:mod:`descend.kernels.parquet`: flat float columns, PLAIN
or dictionary pages, uncompressed or snappy), from the footer :func:`read_footer` parsed
(a few arrays where pyarrow's parsed footer holds some 20 MB); no pyarrow at all. What it
declines goes to :func:`plain_rows` (pyarrow decodes some columns at a time,
:func:`descend.kernels.columns.rows_from_columns` writes them into X), and what that declines
to the checked readers of :mod:`descend.io`, which name the offending rows.

The buffers: each pass over the files holds its X buffers in :class:`RowBuffers` (used
again once every chunk cut from one is let go) and its open files in :class:`Files`; each
reading thread keeps its byte buffers.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from descend.base.types import Array
from descend.stream.reader import RowBuffers

if TYPE_CHECKING:
    from descend.kernels.thrift import Footer


#: Bytes of values decoded per read of a row group (some columns of it): pyarrow holds about
#: twice what it decodes (14 MB for a whole row group of 8,192 × 101 float64), and a part
#: this size is still in the core's cache when its columns are written into X. Measured on
#: row groups of 8,192 × 101 float64 (one thread): a whole row group at once 5.4 ms (2.8 ms
#: decoding), parts of 25 columns 4.2 ms, parts of 17 (1.1 MB) 3.8 ms, of 5 3.8 ms.
PART_BYTES = 1 << 20


def _plain_arrays(cols: list[Any], n: int) -> list[Any] | None:
    """The arrays of float32/64 columns of one chunk of n values each, without nulls; else
    None."""
    import pyarrow as pa

    if any(c.num_chunks != 1 or c.null_count or len(c) != n for c in cols):
        return None
    arrays = [c.chunk(0) for c in cols]
    if not all(pa.types.is_float32(a.type) or pa.types.is_float64(a.type) for a in arrays):
        return None
    return arrays


def _dtype(array: Any) -> np.dtype[Any]:
    return np.dtype(np.float64 if array.type.bit_width == 64 else np.float32)


def _values(array: Any) -> Array:
    """A float array without nulls as a NumPy view of its buffer (no copy; ``to_numpy``
    would import pandas)."""
    dt = _dtype(array)
    data = array.buffers()[1]
    return np.frombuffer(data, dtype=dt, count=len(array), offset=array.offset * dt.itemsize)


def _addresses(arrays: list[Any]) -> tuple[Array, np.dtype[Any]] | None:
    """The addresses of the values of float arrays of one dtype, and that dtype (else None)."""
    dt = _dtype(arrays[0])
    if any(_dtype(a) != dt for a in arrays):
        return None
    return np.array([a.buffers()[1].address + a.offset * dt.itemsize for a in arrays],
                    dtype=np.int64), dt  # fmt: skip


_OPEN = threading.local()


class Files:
    """The files of one pass, opened once and read at offsets (``pread``) by every reading
    thread; closed when the pass ends."""

    def __init__(self) -> None:
        self._fds: dict[str, int] = {}
        self._lock = threading.Lock()

    def fd(self, path: str) -> int:
        with self._lock:
            if path not in self._fds:
                self._fds[path] = os.open(path, os.O_RDONLY)
            return self._fds[path]

    def __enter__(self) -> Files:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            for fd in self._fds.values():
                os.close(fd)
            self._fds.clear()


class _ThreadBytes(threading.local):
    """A reading thread's byte buffers (a row group's bytes, the scratch its compressed pages
    are inflated into), reused from row group to row group and let go with the thread."""

    def __init__(self) -> None:
        self.buffers: dict[str, np.ndarray[Any, np.dtype[np.uint8]]] = {}

    def take(self, name: str, size: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
        buf = self.buffers.get(name)
        if buf is None or len(buf) < size:
            buf = self.buffers[name] = np.empty(size, dtype=np.uint8)
        return buf[:size]


_BYTES = _ThreadBytes()


def read_footer(path: str) -> Footer | None:
    """The footer of a Parquet file as :func:`descend.kernels.parquet.parse_footer` reads it:
    None when it is not one it reads (encrypted, nested, ...) or cannot be read (pyarrow's
    reader then says why)."""
    from descend.kernels.parquet import parse_footer

    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 12:
                return None
            f.seek(size - 8)
            tail = f.read(8)
            n = int.from_bytes(tail[:4], "little")
            if tail[4:] != b"PAR1" or n > size - 12:
                return None
            f.seek(size - 8 - n)
            data = f.read(n)
    except OSError:
        return None
    return parse_footer(np.frombuffer(data, dtype=np.uint8))


def parquet_file(path: str, footer: Any) -> Any:
    """``pq.ParquetFile(path)`` with its parsed footer, opened once per reading thread (the
    threads of one pass over the files; their files close when the pass ends)."""
    import pyarrow.parquet as pq

    opened: dict[str, tuple[Any, Any]] = _OPEN.__dict__.setdefault("files", {})
    held = opened.get(path)
    if held is None or held[0] is not footer:
        held = opened[path] = (footer, pq.ParquetFile(path, metadata=footer))
    return held[1]


def compiled_rows(fd: int, footer: Footer, leaves: Array, group: int,
                  rows: RowBuffers | None, dtype: Any) -> tuple[Array, Array] | None:  # fmt: skip
    """``(X, y)`` of row group ``group`` of the file open as ``fd``, decoded by
    :mod:`descend.kernels.parquet`: the bytes of its chunks read at once (one ``pread`` of the
    span of the chosen columns, ``leaves``: the features', then the target's), decoded
    straight into C-order X and y in one compiled call each. None when a column is not one
    it reads (a non-float column, a null, NaN or ±inf, another codec): pyarrow's readers then
    take the row group, and name what is wrong."""
    from descend.kernels.parquet import decode_columns

    g = group
    n = int(footer.group_rows[g])
    starts, lengths = footer.start[g, leaves], footer.length[g, leaves]
    lo, hi = int(starts.min()), int((starts + lengths).max())
    if lo < 0 or hi <= lo:
        return None
    buf = _BYTES.take("bytes", hi - lo)
    try:
        if os.preadv(fd, [buf.data], lo) != hi - lo:
            return None  # cut short: pyarrow's reader says how
    except OSError:
        return None
    scratch = _BYTES.take("scratch", 2 * (hi - lo)) if footer.codec[g, leaves].any() else None
    shape = (n, len(leaves) - 1)
    X = np.empty(shape, dtype=dtype) if rows is None else rows.take(shape, dtype)
    y = np.empty(n, dtype=dtype)
    for cols, out in ((leaves[-1:], y[:, None]), (leaves[:-1], X)):  # (integer labels: y)
        if not decode_columns(buf, footer.start[g, cols] - lo, footer.length[g, cols],
                              footer.n_values[g, cols], footer.physical[cols],
                              footer.codec[g, cols], footer.max_def[cols], n, out,
                              scratch):  # fmt: skip
            return None
    return X, y


def plain_rows(pf: Any, group: int, columns: list[str], rows: RowBuffers | None, dtype: Any
               ) -> tuple[Array, Array] | None:  # fmt: skip
    """``(X, y)`` of a row group (pyarrow's ``ParquetFile`` pf; ``columns`` the features',
    then the target) of plain float columns (no nulls, NaN or ±inf), X in C
    order: decoded :data:`PART_BYTES` of columns at a time, each part written straight into
    its columns of X by :func:`descend.kernels.columns.rows_from_columns`. None when a
    column is not plain (the checked readers then take the whole row group)."""
    from descend.kernels.columns import rows_from_columns

    n = pf.metadata.row_group(group).num_rows
    shape = (n, len(columns) - 1)
    X = np.empty(shape, dtype=dtype) if rows is None else rows.take(shape, dtype)
    y = None
    step = max(1, PART_BYTES // (8 * max(n, 1)))
    for j0 in range(0, len(columns), step):
        names = columns[j0 : j0 + step]
        part = pf.read_row_group(group, columns=names, use_threads=False)
        arrays = _plain_arrays([part.column(name) for name in names], n)
        if arrays is None:
            return None
        if j0 + len(names) == len(columns):  # the last part holds the target
            y = np.array(_values(arrays.pop()), dtype=dtype)
            if not np.isfinite(y).all():
                return None
        if arrays:
            found = _addresses(arrays)
            j1 = j0 + len(arrays)
            if found is None or not rows_from_columns(*found, X[:, j0:j1]):
                return None
    assert y is not None
    return X, y
