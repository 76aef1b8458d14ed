"""Reading table files with pyarrow: whole (:func:`read_columns`) or streamed in chunks
(:func:`stream_batches`).

The values are checked by :mod:`descend.io.validate` as each table or chunk is read;
pyarrow's CSV conversion errors are turned into one-line messages naming the column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from descend.base.errors import DataError
from descend.io.formats import csv_header, delimiter_of, no_rows_error, one_line, parquet_error
from descend.io.validate import RowNumbers, is_numeric, table_arrays

_CSV_COLUMN_ERROR = re.compile(
    r"In CSV column #(\d+): CSV conversion error to \w+: invalid value '(.*)'"
)


def _csv_options(
    path: str, fmt: str, columns: Sequence[str], types: dict[str, Any] | None = None
) -> Any:
    parse = pa_csv.ParseOptions(delimiter=delimiter_of(fmt, path))
    convert = pa_csv.ConvertOptions(
        include_columns=list(columns), column_types=types or {}, strings_can_be_null=True
    )
    return parse, convert


def _csv_error(
    error: BaseException, header: Sequence[str], path: str, after_row: int, target: str
) -> DataError:
    """A pyarrow CSV error as a one-line DataError naming the column when it can."""
    text = one_line(error)
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
            f"one-hot encode it into 0/1 columns or leave it out of the features (--features "
            f"on the command line, features=[...] in Python, without {name!r})"
        )
    return DataError(f"cannot read {path} as CSV: {text}")


def read_columns(path: str, fmt: str, columns: Sequence[str]) -> pa.Table:
    if fmt == "parquet":
        try:
            return pq.read_table(path, columns=list(columns))
        except (pa.ArrowException, OSError) as e:
            raise parquet_error(path, e) from None
    parse, convert = _csv_options(path, fmt, columns)
    try:
        return pa_csv.read_csv(path, parse_options=parse, convert_options=convert)
    except (pa.ArrowException, OSError) as e:
        raise _csv_error(e, csv_header(path, fmt), path, 0, "") from None


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
    parse, convert = _csv_options(path, fmt, columns, float_features)
    try:
        with pa_csv.open_csv(path, parse_options=parse, convert_options=convert) as reader:
            inferred = reader.schema.field(target).type
    except (pa.ArrowException, OSError) as e:
        raise _csv_error(e, header, path, 0, target) from None
    if pa.types.is_boolean(inferred):
        return pa.bool_()
    if is_numeric(inferred) or pa.types.is_null(inferred):
        return pa.float64()
    return pa.string()


def stream_batches(
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
            raise parquet_error(path, e) from None
    else:
        header = csv_header(path, fmt)
        types = dict.fromkeys(features, pa.float64())
        types[target] = _csv_target_type(path, fmt, header, columns, features, target)
        parse, convert = _csv_options(path, fmt, columns, types)
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
                raise parquet_error(path, e) from None
            raise _csv_error(e, header, path, done, target) from None
        yield table_arrays(table, features, target, dt, RowNumbers(path, done, table.num_rows))
        done += table.num_rows
    if done == 0:
        raise no_rows_error(path)
