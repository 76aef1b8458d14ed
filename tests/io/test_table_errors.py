"""load_table's errors: one-line DataErrors naming the file, column or row, and what to do."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support import FORMATS, write

from descend import DataError, ShapeError, load_table

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(DataError, match=r"file not found: .*nowhere.csv"):
        load_table(path, "y")
    with pytest.raises(FileNotFoundError):  # also catchable as the builtin
        load_table(path, "y")


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(DataError, match="is not a file"):
        load_table(folder, "y")


@pytest.mark.parametrize("name", ["data.txt", "data.xlsx", "data"])
def test_unsupported_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("a,y\n1,2\n")
    with pytest.raises(DataError, match=r"not a supported file type; use one of \.csv, \.tsv"):
        load_table(path, "y")


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet"])
def test_empty_file(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"empty.{fmt}"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"empty \(0 bytes\)"):
        load_table(path, "y")


def test_header_only_csv(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("a,y\n")
    with pytest.raises(DataError, match="no data rows"):
        load_table(path, "y")


def test_blank_first_line(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("\n1,2\n")
    with pytest.raises(DataError, match="no header line"):
        load_table(path, "y")


def test_parquet_without_rows(tmp_path: Path) -> None:
    path = write(pd.DataFrame({"a": pd.Series([], dtype=float), "y": []}), tmp_path / "e.parquet")
    with pytest.raises(DataError, match="no data rows"):
        load_table(path, "y")


def test_not_a_parquet_file(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_text("a,y\n1,2\n")
    with pytest.raises(DataError, match=r"cannot read .*fake.parquet as Parquet"):
        load_table(path, "y")


def test_malformed_csv(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,y\n1,2\n3,4,5\n")
    with pytest.raises(DataError, match=r"cannot read .*ragged.csv as CSV: .*Expected 2 columns"):
        load_table(path, "y")


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_target_lists_columns(tmp_path: Path, frame: pd.DataFrame, fmt: str) -> None:
    path = write(frame, tmp_path / f"data.{fmt}")
    with pytest.raises(
        DataError,
        match=r"target column 'price' is not in .*; the columns are: 'x1', 'count', 'x2', 'target'",
    ):
        load_table(path, "price")


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_feature(tmp_path: Path, frame: pd.DataFrame, fmt: str) -> None:
    path = write(frame, tmp_path / f"data.{fmt}")
    with pytest.raises(DataError, match=r"feature column 'x9' is not in .*the columns are: 'x1'"):
        load_table(path, "target", features=["x1", "x9"])


def test_target_among_features(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = write(frame, tmp_path / "d.csv")
    with pytest.raises(DataError, match="'target' is both the target and a feature"):
        load_table(path, "target", features=["x1", "target"])


def test_feature_listed_twice(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = write(frame, tmp_path / "d.csv")
    with pytest.raises(DataError, match="'x1' is listed more than once"):
        load_table(path, "target", features=["x1", "x2", "x1"])


def test_no_features(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = write(frame, tmp_path / "d.csv")
    with pytest.raises(ShapeError, match="features is empty"):
        load_table(path, "target", features=[])
    only_target = write(frame[["target"]], tmp_path / "t.csv")
    with pytest.raises(ShapeError, match="no feature columns besides the target 'target'"):
        load_table(only_target, "target")


def test_duplicate_column_names(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("a,a,y\n1,2,3\n")
    with pytest.raises(DataError, match="column name 'a' appears 2 times"):
        load_table(path, "y")


def test_not_a_float_dtype(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = write(frame, tmp_path / "d.csv")
    with pytest.raises(DataError, match="dtype=int64 cannot hold training data"):
        load_table(path, "target", dtype=np.int64)


@pytest.mark.parametrize("fmt", FORMATS)
def test_non_numeric_feature(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame(
        {"size": [50.0, 60.0, 70.0], "city": ["Oslo", "Rome", "Oslo"], "y": [1, 2, 3]}
    )
    path = write(df, tmp_path / f"houses.{fmt}")
    with pytest.raises(
        DataError,
        match=r"feature column 'city' is not numeric \(text, e.g. 'Oslo' at data row 1\).*"
        r"one-hot encode it.*leave it out of the features \(--features on the command line, "
        r"features=\[...\] in Python, without 'city'\)",
    ):
        load_table(path, "y")
    assert load_table(path, "y", features=["size"]).X.shape == (3, 1)  # dropping it works


def test_non_numeric_value_named_with_its_row(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text("a,y\n1,1\n2,2\n?,3\n4,4\n")
    with pytest.raises(DataError, match=r"'a' is not numeric \(text, e.g. '\?' at data row 3\)"):
        load_table(path, "y")


def test_categorical_feature_refused(tmp_path: Path) -> None:
    df = pd.DataFrame({"c": pd.Categorical(["x", "y"]), "y": [1.0, 2.0]})
    with pytest.raises(DataError, match="feature column 'c' is not numeric"):
        load_table(write(df, tmp_path / "c.parquet"), "y")


def test_date_feature_refused(tmp_path: Path) -> None:
    df = pd.DataFrame({"day": pd.to_datetime(["2024-01-01", "2024-01-02"]), "y": [1.0, 2.0]})
    with pytest.raises(DataError, match=r"feature column 'day' is not numeric \(timestamp"):
        load_table(write(df, tmp_path / "d.parquet"), "y")


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_values_named_with_row_and_count(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": [1.0, 2.0, np.nan, 4.0, np.nan], "y": [1.0] * 5}
    )
    path = write(df, tmp_path / f"gaps.{fmt}")
    with pytest.raises(
        DataError, match=r"feature column 'b' has 2 missing values, the first at data row 3"
    ):
        load_table(path, "y")


@pytest.mark.parametrize("cell", ["", "NA", "NaN", "null", "nan", "N/A"])
def test_missing_value_spellings_in_csv(tmp_path: Path, cell: str) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text(f"a,y\n1,1\n{cell},2\n")
    with pytest.raises(DataError, match="'a' has 1 missing value, the first at data row 2"):
        load_table(path, "y")


def test_nan_and_null_both_count_in_parquet(tmp_path: Path) -> None:
    table = pa.table({"a": pa.array([np.nan, 1.0, None, 2.0]), "y": [1.0, 2.0, 3.0, 4.0]})
    path = tmp_path / "nan.parquet"
    pq.write_table(table, path)
    assert table.column("a").null_count == 1  # one null and one NaN
    with pytest.raises(DataError, match="'a' has 2 missing values, the first at data row 1"):
        load_table(path, "y")


def test_empty_column_is_all_missing(tmp_path: Path) -> None:
    path = tmp_path / "hollow.csv"
    path.write_text("a,b,y\n1,,1\n2,,2\n")
    with pytest.raises(DataError, match="'b' has 2 missing values, the first at data row 1"):
        load_table(path, "y")


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_target(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "y": [1.0, 2.0, np.nan]})
    with pytest.raises(DataError, match=r"target column 'y' has 1 missing value, .*data row 3"):
        load_table(write(df, tmp_path / f"t.{fmt}"), "y")


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_label(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "kind": ["cat", None, "dog"]})
    with pytest.raises(DataError, match=r"target column 'kind' has 1 missing label, .*data row 2"):
        load_table(write(df, tmp_path / f"t.{fmt}"), "kind")


@pytest.mark.parametrize("fmt", FORMATS)
def test_infinite_values(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, -np.inf, np.inf], "y": [1.0, 2.0, 3.0, 4.0]})
    path = write(df, tmp_path / f"inf.{fmt}")
    with pytest.raises(
        DataError,
        match=r"feature column 'a' has 2 infinite values, the first \(-inf\) at data row 3",
    ):
        load_table(path, "y")


def test_infinite_target(tmp_path: Path) -> None:
    path = tmp_path / "inf.csv"
    path.write_text("a,y\n1,1\n2,inf\n")
    with pytest.raises(DataError, match=r"target column 'y' has 1 infinite value.*data row 2"):
        load_table(path, "y")


def test_float32_overflow_refused(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1.0, 1e300], "y": [1.0, 2.0]})
    path = write(df, tmp_path / "huge.parquet")
    with pytest.raises(DataError, match=r"'a' holds 1e\+300 at data row 2 .*too large for float32"):
        load_table(path, "y", dtype=np.float32)
    assert load_table(path, "y").X[1, 0] == 1e300


def test_errors_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,y\n1,2\n3,4,5\n")
    with pytest.raises(DataError) as info:
        load_table(path, "y")
    assert "\n" not in str(info.value)
