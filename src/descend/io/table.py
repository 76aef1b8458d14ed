"""Tables: training data read from CSV and Parquet files with pyarrow.

``load_table(path, target)`` reads a whole file into a :class:`Table`: the feature matrix ``X``
(m rows, d columns, C-contiguous, ``float64`` unless told otherwise), the target ``y`` and the
column names. ``load_features(path)`` reads only the feature matrix and its column names, for
data without a target (data to predict on). ``iter_batches(path, target)`` streams the same
arrays chunk by chunk, for files larger than memory. ``read_table_columns(path)`` lists the
columns without reading any data.

=================  =========================  ===========================================
extension          reader                     notes
=================  =========================  ===========================================
``.csv``           ``pyarrow.csv``            comma-separated, first line is the header
``.tsv``           ``pyarrow.csv``            tab-separated, first line is the header
``.parquet``       ``pyarrow.parquet``        any compression pyarrow reads
``.pq``            ``pyarrow.parquet``
=================  =========================  ===========================================

What the data must be, checked before anything is returned (nothing is coerced silently):

- every feature column numeric: integers, floats, decimals, or booleans (read as 0 and 1);
  a text column is refused, naming it, with the advice to one-hot encode or drop it;
- the target numeric (returned as floats of ``dtype``) or text class labels (returned as
  the raw labels, a NumPy ``object`` array, for classification);
- no missing values (empty cells, ``NA``, ``null``, ``NaN``) and no infinities anywhere:
  the error names the column, the first 1-based data row (the row after the header is row
  1) and how many there are.

Every problem raises :class:`~descend.DataError` (a ``ValueError``) with a one-line message
that says what is wrong and what to do; a missing file raises one that is also a
``FileNotFoundError``.

This module holds :class:`Table` and the three readers; the steps live beside it:
``_table_files`` (paths, extensions, column names and the columns to take), ``_table_read``
(pyarrow reading, whole or streamed) and ``_table_validate`` (the checks above, into NumPy).

>>> import os, tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> path = os.path.join(tmp.name, "scores.csv")
>>> with open(path, "w") as f:
...     _ = f.write("hours,slept,score\\n1,8,2\\n2,7,4\\n3,6,5\\n")
>>> t = load_table(path, "score")
>>> t.X
array([[1., 8.],
       [2., 7.],
       [3., 6.]])
>>> t.y, t.feature_names
(array([2., 4., 5.]), ('hours', 'slept'))
>>> tmp.cleanup()
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from descend.base.errors import DataError
from descend.io.formats import (
    SUPPORTED_EXTENSIONS,
    FileNotFoundDataError,
    PathLike,
    _checked_path,
    _resolve_columns,
    no_rows_error,
    pyarrow,
    read_table_columns,
)

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "FileNotFoundDataError",
    "Table",
    "iter_batches",
    "load_columns",
    "load_features",
    "load_table",
    "read_table_columns",
]


@dataclass(frozen=True, eq=False, repr=False)
class Table:
    """Training data read from a file: features, target and the names of both.

    Parameters
    ----------
    X : ndarray of shape (m, d)
        The feature matrix, C-contiguous, one row per example and one column per feature.
    y : ndarray of shape (m,)
        The target: floats (the dtype of ``X``) for a numeric column, or the raw class
        labels (an ``object`` array of ``str``) for a text column.
    feature_names : tuple of str
        The names of the columns of ``X``, in order.
    target_name : str
        The name of the target column.
    path : str
        Where the data came from: a file path, or ``"<bundled:NAME>"`` for a bundled data set.

    Examples
    --------
    >>> import numpy as np
    >>> t = Table(np.array([[1.0], [2.0]]), np.array([3.0, 5.0]), ("x",), "y", "<memory>")
    >>> t
    Table(2 rows, features=('x',), target='y', path='<memory>')
    >>> t.n_rows, t.n_features, t.is_labelled
    (2, 1, False)
    """

    X: NDArray[np.floating[Any]]
    y: NDArray[Any]
    feature_names: tuple[str, ...]
    target_name: str
    path: str

    @property
    def n_rows(self) -> int:
        """The number of examples, m.

        >>> import numpy as np
        >>> Table(np.zeros((4, 2)), np.zeros(4), ("a", "b"), "y", "<memory>").n_rows
        4
        """
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """The number of features, d.

        >>> import numpy as np
        >>> Table(np.zeros((4, 2)), np.zeros(4), ("a", "b"), "y", "<memory>").n_features
        2
        """
        return int(self.X.shape[1])

    @property
    def is_labelled(self) -> bool:
        """Whether ``y`` holds text class labels rather than numbers.

        >>> import numpy as np
        >>> y = np.array(["cat", "dog"], dtype=object)
        >>> Table(np.zeros((2, 1)), y, ("a",), "animal", "<memory>").is_labelled
        True
        """
        return not np.issubdtype(self.y.dtype, np.number)

    def __repr__(self) -> str:
        return (
            f"Table({self.n_rows} rows, features={self.feature_names!r}, "
            f"target={self.target_name!r}, path={self.path!r})"
        )

    def _repr_html_(self, rows: int = 5) -> str:
        """The table in a notebook: its source, size and first ``rows`` rows."""
        from html import escape

        head = "".join(f"<th>{escape(n)}</th>" for n in (*self.feature_names, self.target_name))
        body = "".join(
            "<tr>"
            + "".join(f"<td>{float(v):.6g}</td>" for v in self.X[i])
            + f"<td>{escape(str(self.y[i]))}</td></tr>"
            for i in range(min(rows, self.n_rows))
        )
        more = f"<p>… {self.n_rows - rows} more rows</p>" if self.n_rows > rows else ""
        return (
            f"<div><p><b>Table</b> {escape(self.path)}: {self.n_rows} rows, "
            f"{self.n_features} features, target <code>{escape(self.target_name)}</code></p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}</div>"
        )


def _source(
    path: PathLike, target: str | None, features: Sequence[str] | str | None
) -> tuple[str, str, tuple[str, ...]]:
    """``(path as str, format, feature names)``: the file checked, and the columns to read."""
    p, fmt = _checked_path(path)
    return p, fmt, _resolve_columns(read_table_columns(p), target, features, p)


def _read_rows(path: str, fmt: str, columns: Sequence[str]) -> Any:
    """The columns of the file as a pyarrow table; a file with no data row is a DataError."""
    from descend.io.read import read_columns

    table = read_columns(path, fmt, columns)
    if table.num_rows == 0:
        raise no_rows_error(path)
    return table


def load_table(
    path: PathLike,
    target: str,
    *,
    features: Sequence[str] | str | None = None,
    dtype: DTypeLike = np.float64,
) -> Table:
    """Read a CSV, TSV or Parquet file into a checked :class:`Table`.

    Parameters
    ----------
    path : str or path-like
        The file; its extension (``.csv``, ``.tsv``, ``.parquet``, ``.pq``) picks the reader.
    target : str
        The column to predict.
    features : sequence of str, str or None, default None
        The feature columns, in the order wanted for the columns of ``X``; ``None`` takes
        every column except the target (and except a pandas index column).
    dtype : float dtype, default np.float64
        The dtype of ``X`` and of a numeric ``y``.

    Returns
    -------
    Table
        ``X`` (m, d) C-contiguous of ``dtype``; ``y`` (m,) of ``dtype``, or an ``object``
        array of labels when the target column holds text.

    Raises
    ------
    DataError
        A missing file (also a ``FileNotFoundError``), an unsupported extension, an empty
        file or one with no rows, an unknown column, a non-numeric feature, missing or
        infinite values; each message names the column and the first bad row.
    ShapeError
        No feature column to read.

    Examples
    --------
    >>> import os, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "pets.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("weight,age,kind\\n4.5,3,cat\\n30,5,dog\\n")
    >>> t = load_table(path, "kind", features=["age"], dtype=np.float32)
    >>> t.X, t.y
    (array([[3.],
           [5.]], dtype=float32), array(['cat', 'dog'], dtype=object))
    >>> tmp.cleanup()
    """
    pyarrow()
    from descend.io.validate import RowNumbers, float_dtype, table_arrays

    dt = float_dtype(dtype)
    p, fmt, chosen = _source(path, target, features)
    table = _read_rows(p, fmt, [*chosen, target])
    X, y = table_arrays(table, chosen, target, dt, RowNumbers(p))
    return Table(X=X, y=y, feature_names=chosen, target_name=target, path=p)


def load_features(
    path: PathLike,
    features: Sequence[str] | str | None = None,
    *,
    dtype: DTypeLike = np.float64,
) -> tuple[NDArray[np.floating[Any]], tuple[str, ...]]:
    """Read the feature columns of a CSV, TSV or Parquet file that need not hold a target.

    For data to predict on: the same file types and the same checks as :func:`load_table`
    (every feature numeric, no missing or infinite value), without a target column.

    Parameters
    ----------
    path : str or path-like
        The file; its extension (``.csv``, ``.tsv``, ``.parquet``, ``.pq``) picks the reader.
    features : sequence of str, str or None, default None
        The columns to read, in the order wanted for the columns of ``X``; ``None`` takes
        every column (except a pandas index column).
    dtype : float dtype, default np.float64
        The dtype of ``X``.

    Returns
    -------
    X : ndarray of shape (m, d)
        C-contiguous, of ``dtype``.
    feature_names : tuple of str
        The names of the columns of ``X``, in order.

    Raises
    ------
    DataError
        As :func:`load_table`: a missing file (also a ``FileNotFoundError``), an unsupported
        extension, an empty file or one with no rows, an unknown column (the message lists
        the columns there are), a non-numeric column, missing or infinite values (the
        message names the column and the first bad row).
    ShapeError
        No column to read.

    Examples
    --------
    >>> import os, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "new.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("hours,slept\\n4,5\\n6,7\\n")
    >>> X, names = load_features(path, ["slept", "hours"])
    >>> X, names
    (array([[5., 4.],
           [7., 6.]]), ('slept', 'hours'))
    >>> tmp.cleanup()
    """
    pyarrow()
    from descend.io.validate import RowNumbers, feature_matrix, float_dtype

    dt = float_dtype(dtype)
    p, fmt, chosen = _source(path, None, features)
    table = _read_rows(p, fmt, chosen)
    return feature_matrix(table, chosen, dt, RowNumbers(p)), chosen


def load_columns(path: PathLike) -> tuple[tuple[str, ...], list[list[Any]]]:
    """Every column of a CSV, TSV or Parquet file as it is, without checks on the values.

    For writing a file back with columns added (``descend predict``): integers stay ``int``,
    text stays ``str``, a missing value is ``None``.

    Returns
    -------
    names : tuple of str
        The column names, in file order.
    columns : list of list
        One list of Python values per column.

    Examples
    --------
    >>> import os, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "new.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("id;size\\n7;2.5\\n8;3\\n")
    >>> load_columns(path)
    (('id', 'size'), [[7, 8], [2.5, 3.0]])
    >>> tmp.cleanup()
    """
    pyarrow()
    p, fmt = _checked_path(path)
    names = read_table_columns(p)
    table = _read_rows(p, fmt, names)
    return tuple(names), [table.column(i).to_pylist() for i in range(table.num_columns)]


def iter_batches(
    path: PathLike,
    target: str,
    batch_rows: int = 65536,
    features: Sequence[str] | str | None = None,
    *,
    dtype: DTypeLike = np.float64,
) -> Iterator[tuple[NDArray[Any], NDArray[Any]]]:
    """Stream a CSV, TSV or Parquet file as checked ``(X, y)`` chunks of ``batch_rows`` rows.

    For data larger than memory: only one chunk (and pyarrow's read buffer) is held at a time.
    The chunks, stacked, equal ``load_table(path, target, features=features)``'s ``X`` and
    ``y``, with the same checks; a bad value is reported with its row number in the whole
    file. The path and the column names are checked at once; the values as they are read.

    Parameters
    ----------
    path, target
        As for :func:`load_table`: the file, whose extension picks the reader, and the column
        to predict.
    batch_rows : int, default 65536
        Rows per chunk; the last chunk holds the rows left over.
    features : sequence of str, str or None, default None
        The feature columns, in order; ``None`` takes every column except the target.
    dtype : float dtype, default np.float64
        The dtype of each ``X`` and of a numeric ``y``.

    Yields
    ------
    X : ndarray of shape (batch_rows, d)
        C-contiguous features of ``dtype``.
    y : ndarray of shape (batch_rows,)
        Floats of ``dtype``, or the raw labels (``object``) for a text target. A streamed
        CSV target is judged numeric or text from the file's first block (about 1 MB).

    Raises
    ------
    DataError, ShapeError
        As :func:`load_table`; errors found in the values are raised when that chunk is read.

    Examples
    --------
    >>> import os, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "line.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("x,y\\n" + "".join(f"{i},{2 * i}\\n" for i in range(5)))
    >>> [(X.shape, y.tolist()) for X, y in iter_batches(path, "y", batch_rows=2)]
    [((2, 1), [0.0, 2.0]), ((2, 1), [4.0, 6.0]), ((1, 1), [8.0])]
    >>> tmp.cleanup()
    """
    pyarrow()
    from descend.io.read import stream_batches
    from descend.io.validate import float_dtype

    dt = float_dtype(dtype)
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int | np.integer):
        raise DataError(f"batch_rows={batch_rows!r}; give a whole number of rows, e.g. 65536")
    if batch_rows < 1:
        raise DataError(f"batch_rows={batch_rows!r} must be >= 1")
    p, fmt, chosen = _source(path, target, features)
    return stream_batches(p, fmt, chosen, target, int(batch_rows), dt)
