"""Table files and their columns: which files ``load_table`` reads, and which columns to take.

``read_table_columns(path)`` lists a file's columns without reading any data; the private
helpers check a path (its extension, that it exists and is not empty), read a CSV header or a
Parquet schema, and resolve the ``target`` and ``features`` a caller asks for against the
columns the file has.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

from descend.base.errors import DataError, ShapeError
from descend.base.extras import require

__all__ = ["SUPPORTED_EXTENSIONS", "FileNotFoundDataError", "read_table_columns"]

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


def pyarrow() -> Any:
    """The pyarrow module (CSV and Parquet reading), with its parquet and csv parts loaded."""
    pa = require("pyarrow", "parquet", "CSV and Parquet tables")
    require("pyarrow.parquet", "parquet")
    require("pyarrow.csv", "parquet")
    return pa


class FileNotFoundDataError(DataError, FileNotFoundError):
    """A data file that does not exist: both a ``DataError`` and a ``FileNotFoundError``."""


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


#: The separators a ``.csv`` file may use; the header line tells which one it does.
CSV_DELIMITERS = (",", ";", "\t", "|")


def delimiter_of(fmt: str, path: str | None = None) -> str:
    """The field separator: a tab for ``.tsv``; for ``.csv`` the one its header line uses.

    A comma when the header holds one; otherwise the most frequent of ``; TAB |`` in the
    header (files written with a semicolon where the decimal mark is a comma), else a comma.
    """
    if fmt == "tsv":
        return "\t"
    if path is None:
        return ","
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            line = f.readline()
    except OSError:
        return ","
    if "," in line:
        return ","
    counts = {d: line.count(d) for d in CSV_DELIMITERS[1:]}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def parquet_error(path: str, error: BaseException) -> DataError:
    return DataError(f"cannot read {path} as Parquet: {one_line(error)}")


def no_rows_error(path: str) -> DataError:
    return DataError(f"{path} has no data rows, only column names; it needs at least one row")


def csv_header(path: str, fmt: str) -> list[str]:
    """The names in the first line of a CSV/TSV file (parsed the way pyarrow parses them)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            header = next(csv.reader(f, delimiter=delimiter_of(fmt, path)), None)
    except UnicodeDecodeError as e:
        raise DataError(f"{path} is not UTF-8 text ({e.reason}); save it as UTF-8") from None
    if not header or header == [""]:
        raise DataError(f"{path} has no header line; its first line must name the columns")
    return header


def _parquet_names(path: str) -> list[str]:
    pa = pyarrow()
    try:
        return list(pa.parquet.read_schema(path).names)
    except (pa.ArrowException, OSError) as e:
        raise parquet_error(path, e) from None


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
    names = _parquet_names(p) if fmt == "parquet" else csv_header(p, fmt)
    return tuple(names)


def _resolve_columns(
    names: Sequence[str], target: str | None, features: Iterable[str] | str | None, path: str
) -> tuple[str, ...]:
    """The feature names to read, checked against the file's column names ``names``.

    ``target=None`` is for data without a target (prediction): ``features=None`` then takes
    every column (except a pandas index column).
    """
    available = ", ".join(repr(n) for n in names)
    if target is not None:
        if not isinstance(target, str):
            raise DataError(f"target must be a column name (a str), got {target!r}")
        if target not in names:
            raise DataError(
                f"target column {target!r} is not in {path}; the columns are: {available}"
            )
    listed = (
        None
        if features is None
        else ((features,) if isinstance(features, str) else tuple(features))
    )
    wanted = names if listed is None else (*([] if target is None else [target]), *listed)
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
                f"{path} has no feature columns"
                + ("" if target is None else f" besides the target {target!r}")
                + "; it needs at least one more column"
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
