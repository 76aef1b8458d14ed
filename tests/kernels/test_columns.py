"""Columns to rows: rows_from_columns writes the matrix NumPy's column_stack makes."""

from __future__ import annotations

import numpy as np
import pytest

from descend.kernels.columns import ROWS, rows_from_columns


def _addresses(cols):
    return np.array([c.ctypes.data for c in cols], dtype=np.int64)


@pytest.mark.parametrize("m", [1, ROWS - 1, ROWS, 3 * ROWS + 5])
@pytest.mark.parametrize(
    "source, target",
    [
        (np.float64, np.float64),
        (np.float32, np.float32),
        (np.float32, np.float64),
        (np.float64, np.float32),
    ],
)
def test_rows_from_columns_is_column_stack(m, source, target):
    rng = np.random.default_rng(m)
    cols = [rng.normal(size=m).astype(source) for _ in range(7)]
    out = np.full((m, 7), np.nan, dtype=target)
    assert rows_from_columns(_addresses(cols), source, out)
    np.testing.assert_array_equal(out, np.column_stack(cols).astype(target))


def test_rows_from_columns_reads_columns_at_an_offset():
    base = np.arange(40.0).reshape(4, 10)  # each row a column; values 3.. of each
    cols = [row[3:] for row in base]
    out = np.empty((7, 4))
    assert rows_from_columns(_addresses(cols), np.float64, out)
    np.testing.assert_array_equal(out, base[:, 3:].T)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_rows_from_columns_tells_a_value_that_is_not_finite(bad):
    cols = [np.ones(3 * ROWS), np.zeros(3 * ROWS)]
    cols[1][2 * ROWS + 1] = bad
    out = np.empty((3 * ROWS, 2))
    assert not rows_from_columns(_addresses(cols), np.float64, out)
    huge = [np.full(5, 1e300), np.full(5, 1e300)]  # finite: the sum of all would overflow
    assert rows_from_columns(_addresses(huge), np.float64, np.empty((5, 2)))


def test_rows_from_columns_tells_a_value_too_large_for_float32():
    cols = [np.array([1.0, 1e300, 2.0])]
    out = np.empty((3, 1), dtype=np.float32)
    assert not rows_from_columns(_addresses(cols), np.float64, out)  # it became inf
