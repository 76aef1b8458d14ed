"""Tables: training data read from CSV and Parquet files with pyarrow.

``load_table(path, target)`` reads a whole file into a :class:`Table`: the feature matrix ``X``
(m rows, d columns, C-contiguous, ``float64`` unless told otherwise), the target ``y`` and the
column names. ``iter_batches(path, target)`` streams the same arrays chunk by chunk, for files
larger than memory. ``read_table_columns(path)`` lists the columns without reading any data.

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

import csv
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from numpy.typing import DTypeLike, NDArray

from ._exceptions import DataError, ShapeError

__all__ = ["SUPPORTED_EXTENSIONS", "Table", "iter_batches", "load_table", "read_table_columns"]

#: File extensions ``load_table`` reads, and the format each one means.
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}

PathLike = str | os.PathLike[str]

# pandas writes a non-default index into Parquet as a column named like this; it is row
# labels, never a feature, so ``features=None`` leaves it out.
_PANDAS_INDEX = re.compile(r"__index_level_\d+__")
_CSV_COLUMN_ERROR = re.compile(
    r"In CSV column #(\d+): CSV conversion error to \w+: invalid value '(.*)'"
)


class FileNotFoundDataError(DataError, FileNotFoundError):
    """A data file that does not exist: both a ``DataError`` and a ``FileNotFoundError``."""


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


# --------------------------------------------------------------------------------------------
# Files and columns
# --------------------------------------------------------------------------------------------


def _format_of(path: str) -> str:
    """The format of ``path`` from its extension, or a DataError naming the supported ones."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in SUPPORTED_EXTENSIONS:
        shown = repr(ext) if ext else "no extension"
        raise DataError(
            f"cannot read {path!r}: {shown} is not a supported file type; "
            f"use one of {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    return SUPPORTED_EXTENSIONS[ext]


def _checked_path(path: PathLike) -> tuple[str, str]:
    """``(path as str, format)`` once the file is known to exist and not be empty."""
    p = os.fspath(path)
    fmt = _format_of(p)
    if not os.path.exists(p):
        raise FileNotFoundDataError(f"file not found: {p}; check the path and the file name")
    if not os.path.isfile(p):
        raise DataError(f"{p} is not a file; give the path of a {fmt} file")
    if os.path.getsize(p) == 0:
        raise DataError(f"{p} is empty (0 bytes); it needs a header line and at least one row")
    return p, fmt


def _delimiter(fmt: str) -> str:
    return "\t" if fmt == "tsv" else ","


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def _csv_header(path: str, fmt: str) -> list[str]:
    """The names in the first line of a CSV/TSV file (parsed the way pyarrow parses them)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            header = next(csv.reader(f, delimiter=_delimiter(fmt)), None)
    except UnicodeDecodeError as e:
        raise DataError(f"{path} is not UTF-8 text ({e.reason}); save it as UTF-8") from None
    if not header or header == [""]:
        raise DataError(f"{path} has no header line; its first line must name the columns")
    return header


def _parquet_names(path: str) -> list[str]:
    try:
        return list(pq.read_schema(path).names)
    except (pa.ArrowException, OSError) as e:
        raise DataError(f"cannot read {path} as Parquet: {_one_line(e)}") from None


def read_table_columns(path: PathLike) -> tuple[str, ...]:
    """The column names of a CSV, TSV or Parquet file, in file order, without reading data.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.tsv``, ``.parquet`` or ``.pq`` file.

    Returns
    -------
    tuple of str
        The names, as in the CSV header line or the Parquet schema.

    Raises
    ------
    DataError
        The file is missing, empty, unreadable or of an unsupported type.

    Examples
    --------
    >>> import os, tempfile
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "t.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("size,rooms,price\\n50,2,100\\n")
    >>> read_table_columns(path)
    ('size', 'rooms', 'price')
    >>> tmp.cleanup()
    """
    p, fmt = _checked_path(path)
    names = _parquet_names(p) if fmt == "parquet" else _csv_header(p, fmt)
    return tuple(names)


def _resolve_columns(
    names: Sequence[str], target: str, features: Iterable[str] | str | None, path: str
) -> tuple[str, ...]:
    """The feature names to read, checked against the file's column names ``names``."""
    available = ", ".join(repr(n) for n in names)
    if not isinstance(target, str):
        raise DataError(f"target must be a column name (a str), got {target!r}")
    if target not in names:
        raise DataError(f"target column {target!r} is not in {path}; the columns are: {available}")
    listed = (
        None
        if features is None
        else ((features,) if isinstance(features, str) else tuple(features))
    )
    wanted = names if listed is None else (target, *listed)
    for name in wanted:
        if isinstance(name, str) and names.count(name) > 1:
            raise DataError(
                f"column name {name!r} appears {names.count(name)} times in {path}; "
                "rename the columns so each name is unique"
            )
    if listed is None:
        chosen = tuple(n for n in names if n != target and not _PANDAS_INDEX.fullmatch(n))
        if not chosen:
            raise ShapeError(
                f"{path} has no feature columns besides the target {target!r}; "
                "it needs at least one more column"
            )
    else:
        chosen = listed
        if not chosen:
            raise ShapeError("features is empty; name at least one column, or pass None for all")
        for name in chosen:
            if not isinstance(name, str):
                raise DataError(f"feature names must be str, got {name!r}")
            if name not in names:
                raise DataError(
                    f"feature column {name!r} is not in {path}; the columns are: {available}"
                )
            if name == target:
                raise DataError(
                    f"column {target!r} is both the target and a feature; leave it out of features"
                )
        repeated = sorted({n for n in chosen if chosen.count(n) > 1})
        if repeated:
            raise DataError(f"feature column {repeated[0]!r} is listed more than once in features")
    return chosen


# --------------------------------------------------------------------------------------------
# Checking columns and turning them into NumPy arrays
# --------------------------------------------------------------------------------------------


def _is_numeric(t: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(t)
        or pa.types.is_floating(t)
        or pa.types.is_decimal(t)
        or pa.types.is_boolean(t)
    )


def _is_text(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_text(t.value_type)
    return bool(
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or getattr(pa.types, "is_string_view", lambda _: False)(t)
    )


def _first_non_number(col: pa.ChunkedArray) -> tuple[int, str] | None:
    """(0-based row, value) of the first text value that does not read as a number."""
    step = 4096  # convert a slice at a time: the first bad value is usually near the top
    for start in range(0, len(col), step):
        for i, value in enumerate(col.slice(start, step).to_pylist()):
            if value is not None:
                try:
                    float(value)
                except (TypeError, ValueError):
                    return start + i, str(value)
    return None


class _Rows:
    """How rows are numbered in messages: ``offset`` rows came before this table."""

    def __init__(self, path: str, offset: int = 0, n: int | None = None) -> None:
        self.path, self.offset, self.n = path, offset, n

    def row(self, index: int) -> int:
        return self.offset + index + 1

    def count(self, k: int, what: str) -> str:
        noun = what if k == 1 else what + "s"
        if self.n is None:
            return f"{k} {noun}"
        return f"{k} {noun} in data rows {self.offset + 1}-{self.offset + self.n}"


def _check_numeric(col: pa.ChunkedArray, name: str, role: str, rows: _Rows) -> None:
    """Refuse nulls, NaN and infinities in a numeric (or all-null) column."""
    if pa.types.is_null(col.type):  # a column with no value at all
        k, first = len(col), rows.row(0)
    else:
        missing_mask = pc.is_null(col, nan_is_null=pa.types.is_floating(col.type))
        k = int(pc.sum(missing_mask).as_py() or 0)
        first = rows.row(int(pc.index(missing_mask, True).as_py())) if k else 0
    if k:
        raise DataError(
            f"{role} column {name!r} has {rows.count(k, 'missing value')}, the first at data "
            f"row {first}, in {rows.path}; fill in the gaps or drop those rows "
            "(descend never guesses missing values)"
        )
    if pa.types.is_floating(col.type):
        inf_mask = pc.is_inf(col)
        k = int(pc.sum(inf_mask).as_py() or 0)
        if k:
            index = int(pc.index(inf_mask, True).as_py())
            value = col[index].as_py()
            raise DataError(
                f"{role} column {name!r} has {rows.count(k, 'infinite value')}, the first "
                f"({value}) at data row {rows.row(index)}, in {rows.path}; "
                "replace them with finite numbers or drop those rows"
            )


def _non_numeric_feature(col: pa.ChunkedArray, name: str, rows: _Rows) -> DataError:
    example = ""
    if _is_text(col.type):
        kind = "text"
        found = _first_non_number(
            pc.cast(col, col.type.value_type) if pa.types.is_dictionary(col.type) else col
        )
        if found is not None:
            example = f", e.g. {found[1]!r} at data row {rows.row(found[0])}"
    else:
        kind = str(col.type)
    return DataError(
        f"feature column {name!r} is not numeric ({kind}{example}) in {rows.path}; "
        f"one-hot encode it into 0/1 columns or drop it (pass features=[...] without {name!r})"
    )


def _to_float(
    col: pa.ChunkedArray, dtype: np.dtype[Any], name: str, role: str, rows: _Rows
) -> NDArray[Any]:
    """A checked numeric column as a NumPy array of ``dtype``, refusing overflow."""
    if pa.types.is_decimal(col.type):
        col = pc.cast(col, pa.float64())
    values = np.asarray(col.to_numpy())
    with np.errstate(over="ignore", invalid="ignore"):
        out = values.astype(dtype, copy=False)
    finite = np.isfinite(out)
    if not finite.all():
        index = int(np.argmin(finite))
        raise DataError(
            f"{role} column {name!r} holds {values[index].item()!r} at data row "
            f"{rows.row(index)} in {rows.path}, too large for {dtype.name}; "
            "load it with dtype=np.float64"
        )
    return out


def _target(col: pa.ChunkedArray, name: str, dtype: np.dtype[Any], rows: _Rows) -> NDArray[Any]:
    """The target column as floats (numeric) or raw labels (text)."""
    if _is_numeric(col.type) or pa.types.is_null(col.type):
        _check_numeric(col, name, "target", rows)
        return _to_float(col, dtype, name, "target", rows)
    if not _is_text(col.type):
        raise DataError(
            f"target column {name!r} has type {col.type} in {rows.path}; "
            "it must hold numbers (regression) or text class labels (classification)"
        )
    if pa.types.is_dictionary(col.type):
        col = pc.cast(col, col.type.value_type)
    k = col.null_count
    if k:
        index = int(pc.index(pc.is_null(col), True).as_py())
        raise DataError(
            f"target column {name!r} has {rows.count(k, 'missing label')}, the first at data "
            f"row {rows.row(index)}, in {rows.path}; fill in the gaps or drop those rows"
        )
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)


def _arrays(
    table: pa.Table, features: Sequence[str], target: str, dtype: np.dtype[Any], rows: _Rows
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Checked ``(X, y)`` from a pyarrow table holding the feature and target columns."""
    X = np.empty((table.num_rows, len(features)), dtype=dtype, order="C")
    for j, name in enumerate(features):
        col = table.column(name)
        if not (_is_numeric(col.type) or pa.types.is_null(col.type)):
            raise _non_numeric_feature(col, name, rows)
        _check_numeric(col, name, "feature", rows)
        X[:, j] = _to_float(col, dtype, name, "feature", rows)
    y = _target(table.column(target), target, dtype, rows)
    return X, y


def _float_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise DataError(
            f"dtype={dtype!r} is not a NumPy dtype; use np.float64 or np.float32"
        ) from None
    if not np.issubdtype(dt, np.floating):
        raise DataError(f"dtype={dt.name} cannot hold training data; use np.float64 or np.float32")
    return dt


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def _csv_options(fmt: str, columns: Sequence[str], types: dict[str, Any] | None = None) -> Any:
    parse = pa_csv.ParseOptions(delimiter=_delimiter(fmt))
    convert = pa_csv.ConvertOptions(
        include_columns=list(columns), column_types=types or {}, strings_can_be_null=True
    )
    return parse, convert


def _csv_error(
    error: BaseException, header: Sequence[str], path: str, after_row: int, target: str
) -> DataError:
    """A pyarrow CSV error as a one-line DataError naming the column when it can."""
    text = _one_line(error)
    match = _CSV_COLUMN_ERROR.search(text)
    if match and int(match.group(1)) < len(header):
        name = header[int(match.group(1))]
        where = f"after data row {after_row}" if after_row else "in its first rows"
        if name == target:
            return DataError(
                f"target column {name!r} looked numeric in the first rows of {path} but holds "
                f"{match.group(2)!r} ({where}); make the column all numbers or all labels, "
                "or read it whole with load_table"
            )
        return DataError(
            f"column {name!r} is not numeric: it holds {match.group(2)!r} ({where}) in {path}; "
            f"one-hot encode it into 0/1 columns or drop it (pass features=[...] without {name!r})"
        )
    return DataError(f"cannot read {path} as CSV: {text}")


def _read(path: str, fmt: str, columns: Sequence[str]) -> pa.Table:
    if fmt == "parquet":
        try:
            return pq.read_table(path, columns=list(columns))
        except (pa.ArrowException, OSError) as e:
            raise DataError(f"cannot read {path} as Parquet: {_one_line(e)}") from None
    parse, convert = _csv_options(fmt, columns)
    try:
        return pa_csv.read_csv(path, parse_options=parse, convert_options=convert)
    except (pa.ArrowException, OSError) as e:
        raise _csv_error(e, _csv_header(path, fmt), path, 0, "") from None


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
    dt = _float_dtype(dtype)
    p, fmt = _checked_path(path)
    names = read_table_columns(p)
    chosen = _resolve_columns(names, target, features, p)
    table = _read(p, fmt, [*chosen, target])
    if table.num_rows == 0:
        raise DataError(f"{p} has no data rows, only column names; it needs at least one row")
    X, y = _arrays(table, chosen, target, dt, _Rows(p))
    return Table(X=X, y=y, feature_names=chosen, target_name=target, path=p)


def _rebatch(batches: Iterable[pa.RecordBatch], n: int) -> Iterator[pa.Table]:
    """Tables of exactly ``n`` rows (the last one fewer) from record batches of any size."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        pending.append(batch)
        count += batch.num_rows
        while count >= n:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, n)
            rest = table.slice(n)
            pending, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(pending)


def _csv_target_type(
    path: str,
    fmt: str,
    header: Sequence[str],
    columns: Sequence[str],
    features: Sequence[str],
    target: str,
) -> Any:
    """The type to read a streamed CSV target as, judged from the file's first block."""
    float_features = dict.fromkeys(features, pa.float64())
    parse, convert = _csv_options(fmt, columns, float_features)
    try:
        with pa_csv.open_csv(path, parse_options=parse, convert_options=convert) as reader:
            inferred = reader.schema.field(target).type
    except (pa.ArrowException, OSError) as e:
        raise _csv_error(e, header, path, 0, target) from None
    if pa.types.is_boolean(inferred):
        return pa.bool_()
    if _is_numeric(inferred) or pa.types.is_null(inferred):
        return pa.float64()
    return pa.string()


def _stream(
    path: str,
    fmt: str,
    features: Sequence[str],
    target: str,
    batch_rows: int,
    dt: np.dtype[Any],
) -> Iterator[tuple[NDArray[Any], NDArray[Any]]]:
    columns = [*features, target]
    header: Sequence[str] = ()
    if fmt == "parquet":
        try:
            source = pq.ParquetFile(path).iter_batches(batch_size=batch_rows, columns=columns)
        except (pa.ArrowException, OSError) as e:
            raise DataError(f"cannot read {path} as Parquet: {_one_line(e)}") from None
    else:
        header = _csv_header(path, fmt)
        types = dict.fromkeys(features, pa.float64())
        types[target] = _csv_target_type(path, fmt, header, columns, features, target)
        parse, convert = _csv_options(fmt, columns, types)
        source = pa_csv.open_csv(path, parse_options=parse, convert_options=convert)
    done = 0
    chunks = _rebatch(source, batch_rows)
    while True:
        try:
            table = next(chunks)
        except StopIteration:
            break
        except (pa.ArrowException, OSError) as e:
            if fmt == "parquet":
                raise DataError(f"cannot read {path} as Parquet: {_one_line(e)}") from None
            raise _csv_error(e, header, path, done, target) from None
        yield _arrays(table, features, target, dt, _Rows(path, done, table.num_rows))
        done += table.num_rows
    if done == 0:
        raise DataError(f"{path} has no data rows, only column names; it needs at least one row")


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
    path : str or path-like
        The file; its extension (``.csv``, ``.tsv``, ``.parquet``, ``.pq``) picks the reader.
    target : str
        The column to predict.
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
    DataError
        As :func:`load_table`; errors found in the values are raised when that chunk is read.
    ShapeError
        No feature column to read.

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
    dt = _float_dtype(dtype)
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int | np.integer):
        raise DataError(f"batch_rows={batch_rows!r}; give a whole number of rows, e.g. 65536")
    if batch_rows < 1:
        raise DataError(f"batch_rows={batch_rows!r} must be >= 1")
    p, fmt = _checked_path(path)
    chosen = _resolve_columns(read_table_columns(p), target, features, p)
    return _stream(p, fmt, chosen, target, int(batch_rows), dt)
