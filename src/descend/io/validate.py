"""Checking table columns and turning them into NumPy arrays.

Every feature column must be numeric (integers, floats, decimals or booleans) and the target
numeric or text labels, with no missing or infinite value; :func:`table_arrays` checks the columns
of a pyarrow table and returns ``(X, y)`` (:func:`feature_matrix` only ``X``, for data without a
target), or raises a :class:`~descend.DataError` that names
the column and the first bad data row (numbered in the whole file, see :class:`RowNumbers`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import DTypeLike, NDArray

from descend.base.errors import DataError


def is_numeric(t: pa.DataType) -> bool:
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


class RowNumbers:
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


def _check_numeric(col: pa.ChunkedArray, name: str, role: str, rows: RowNumbers) -> None:
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


def _non_numeric_feature(col: pa.ChunkedArray, name: str, rows: RowNumbers) -> DataError:
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
        f"one-hot encode it into 0/1 columns or leave it out of the features (--features on "
        f"the command line, features=[...] in Python, without {name!r})"
    )


def _to_float(
    col: pa.ChunkedArray, dtype: np.dtype[Any], name: str, role: str, rows: RowNumbers
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


def _target(
    col: pa.ChunkedArray, name: str, dtype: np.dtype[Any], rows: RowNumbers
) -> NDArray[Any]:
    """The target column as floats (numeric) or raw labels (text)."""
    if is_numeric(col.type) or pa.types.is_null(col.type):
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


def feature_matrix(
    table: pa.Table, features: Sequence[str], dtype: np.dtype[Any], rows: RowNumbers
) -> NDArray[Any]:
    """The checked feature matrix ``X`` (C-contiguous, ``dtype``) from a pyarrow table."""
    X = np.empty((table.num_rows, len(features)), dtype=dtype, order="C")
    for j, name in enumerate(features):
        col = table.column(name)
        if not (is_numeric(col.type) or pa.types.is_null(col.type)):
            raise _non_numeric_feature(col, name, rows)
        _check_numeric(col, name, "feature", rows)
        X[:, j] = _to_float(col, dtype, name, "feature", rows)
    return X


def table_arrays(
    table: pa.Table, features: Sequence[str], target: str, dtype: np.dtype[Any], rows: RowNumbers
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Checked ``(X, y)`` from a pyarrow table holding the feature and target columns."""
    X = feature_matrix(table, features, dtype, rows)
    y = _target(table.column(target), target, dtype, rows)
    return X, y


def float_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise DataError(
            f"dtype={dtype!r} is not a NumPy dtype; use np.float64 or np.float32"
        ) from None
    if not np.issubdtype(dt, np.floating):
        raise DataError(f"dtype={dt.name} cannot hold training data; use np.float64 or np.float32")
    return dt
