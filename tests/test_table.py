"""Tests of descend._table: load_table, iter_batches and read_table_columns."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from descend._exceptions import DataError, ShapeError
from descend._table import (
    SUPPORTED_EXTENSIONS,
    Table,
    iter_batches,
    load_features,
    load_table,
    read_table_columns,
)

FORMATS = ["csv", "tsv", "parquet", "pq"]


def write(df: pd.DataFrame, path: Path) -> Path:
    """Write ``df`` (without its index) in the format its extension names."""
    ext = path.suffix
    if ext == ".csv":
        df.to_csv(path, index=False)
    elif ext == ".tsv":
        df.to_csv(path, index=False, sep="\t")
    else:
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    return path


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    m = 23
    return pd.DataFrame(
        {
            "x1": rng.normal(size=m),  # full-precision floats: must round-trip exactly
            "count": rng.integers(-5, 100, size=m),
            "x2": rng.uniform(-1e6, 1e6, size=m),
            "target": rng.normal(10, 3, size=m),
        }
    )


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_exact(tmp_path: Path, frame: pd.DataFrame, fmt: str) -> None:
    path = write(frame, tmp_path / f"data.{fmt}")
    t = load_table(path, "target")
    assert isinstance(t, Table)
    assert t.feature_names == ("x1", "count", "x2")
    assert t.target_name == "target"
    assert t.path == str(path)
    assert t.X.dtype == np.float64 and t.y.dtype == np.float64
    assert t.X.shape == (23, 3) and t.y.shape == (23,)
    assert t.X.flags.c_contiguous
    np.testing.assert_array_equal(t.X, frame[["x1", "count", "x2"]].to_numpy(np.float64))
    np.testing.assert_array_equal(t.y, frame["target"].to_numpy())
    assert t.n_rows == 23 and t.n_features == 3 and not t.is_labelled


def test_accepts_str_and_pathlike(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = write(frame, tmp_path / "data.csv")
    a, b = load_table(str(path), "target"), load_table(path, "target")
    np.testing.assert_array_equal(a.X, b.X)


def test_extension_is_case_insensitive(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = tmp_path / "DATA.CSV"
    frame.to_csv(path, index=False)
    assert load_table(path, "target").X.shape == (23, 3)


@pytest.mark.parametrize("fmt", FORMATS)
def test_features_subset_and_order(tmp_path: Path, frame: pd.DataFrame, fmt: str) -> None:
    path = write(frame, tmp_path / f"data.{fmt}")
    t = load_table(path, "target", features=["x2", "x1"])
    assert t.feature_names == ("x2", "x1")
    np.testing.assert_array_equal(t.X, frame[["x2", "x1"]].to_numpy())
    assert t.X.flags.c_contiguous


def test_single_feature_as_str(tmp_path: Path, frame: pd.DataFrame) -> None:
    t = load_table(write(frame, tmp_path / "d.csv"), "target", features="count")
    assert t.feature_names == ("count",)
    np.testing.assert_array_equal(t.X[:, 0], frame["count"].to_numpy(np.float64))


def test_target_can_be_any_column(tmp_path: Path, frame: pd.DataFrame) -> None:
    t = load_table(write(frame, tmp_path / "d.parquet"), "x1")
    assert t.feature_names == ("count", "x2", "target")
    np.testing.assert_array_equal(t.y, frame["x1"].to_numpy())


@pytest.mark.parametrize("fmt", FORMATS)
def test_float32_honoured(tmp_path: Path, frame: pd.DataFrame, fmt: str) -> None:
    path = write(frame, tmp_path / f"data.{fmt}")
    t = load_table(path, "target", dtype=np.float32)
    assert t.X.dtype == np.float32 and t.y.dtype == np.float32
    assert t.X.flags.c_contiguous
    expected = frame[["x1", "count", "x2"]].to_numpy(np.float64).astype(np.float32)
    np.testing.assert_array_equal(t.X, expected)
    np.testing.assert_array_equal(t.y, frame["target"].to_numpy().astype(np.float32))


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_target_kept_as_labels(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame({"w": [1.5, 2.0, 3.25], "kind": ["cat", "dog", "cat"]})
    t = load_table(write(df, tmp_path / f"pets.{fmt}"), "kind")
    assert t.y.dtype == object
    assert t.y.tolist() == ["cat", "dog", "cat"]
    assert t.is_labelled
    np.testing.assert_array_equal(t.X, [[1.5], [2.0], [3.25]])


def test_categorical_target_in_parquet(tmp_path: Path) -> None:
    df = pd.DataFrame({"w": [1.0, 2.0, 3.0], "kind": pd.Categorical(["b", "a", "b"])})
    t = load_table(write(df, tmp_path / "p.parquet"), "kind")
    assert t.y.tolist() == ["b", "a", "b"]


def test_integer_target_becomes_float(tmp_path: Path) -> None:
    df = pd.DataFrame({"w": [1.0, 2.0], "label": [0, 1]})
    t = load_table(write(df, tmp_path / "p.csv"), "label")
    assert t.y.dtype == np.float64
    assert t.y.tolist() == [0.0, 1.0]


def test_boolean_columns_read_as_zero_one(tmp_path: Path) -> None:
    df = pd.DataFrame({"flag": [True, False, True], "y": [1.0, 2.0, 3.0]})
    t = load_table(write(df, tmp_path / "b.parquet"), "y")
    np.testing.assert_array_equal(t.X[:, 0], [1.0, 0.0, 1.0])


def test_pandas_index_column_not_a_feature(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1.0, 2.0], "y": [3.0, 4.0]}, index=[10, 20])
    path = tmp_path / "indexed.parquet"
    df.to_parquet(path)  # writes the index as a column named __index_level_0__
    assert "__index_level_0__" in read_table_columns(path)
    assert load_table(path, "y").feature_names == ("a",)


@pytest.mark.parametrize("fmt", FORMATS)
def test_read_table_columns(tmp_path: Path, frame: pd.DataFrame, fmt: str) -> None:
    path = write(frame, tmp_path / f"data.{fmt}")
    assert read_table_columns(path) == ("x1", "count", "x2", "target")


def test_table_is_frozen(tmp_path: Path, frame: pd.DataFrame) -> None:
    t = load_table(write(frame, tmp_path / "d.csv"), "target")
    with pytest.raises(AttributeError):
        t.X = np.zeros((1, 1))  # type: ignore[misc]
    assert repr(t).startswith("Table(23 rows, features=('x1', 'count', 'x2'), target='target'")


def test_supported_extensions() -> None:
    assert set(SUPPORTED_EXTENSIONS) == {".csv", ".tsv", ".parquet", ".pq"}


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
        r"one-hot encode it.*or drop it",
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


# --------------------------------------------------------------------------------------------
# iter_batches
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("batch_rows", [1, 5, 23, 100])
def test_batches_concatenate_to_load_table(
    tmp_path: Path, frame: pd.DataFrame, fmt: str, batch_rows: int
) -> None:
    path = write(frame, tmp_path / f"data.{fmt}")
    whole = load_table(path, "target", features=["x2", "count"])
    chunks = list(iter_batches(path, "target", batch_rows, features=["x2", "count"]))
    sizes = [len(y) for _, y in chunks]
    assert sizes == [min(batch_rows, 23 - i) for i in range(0, 23, batch_rows)]
    assert all(X.shape == (len(y), 2) and X.flags.c_contiguous for X, y in chunks)
    np.testing.assert_array_equal(np.vstack([X for X, _ in chunks]), whole.X)
    np.testing.assert_array_equal(np.concatenate([y for _, y in chunks]), whole.y)


def test_batches_across_parquet_row_groups(tmp_path: Path) -> None:
    m = 1000
    df = pd.DataFrame({"a": np.arange(m, dtype=float), "y": np.arange(m) * 2.0})
    path = tmp_path / "groups.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=77)
    chunks = list(iter_batches(path, "y", batch_rows=100))
    assert [len(y) for _, y in chunks] == [100] * 10
    np.testing.assert_array_equal(np.concatenate([y for _, y in chunks]), df["y"].to_numpy())


def test_batches_float32_and_labels(tmp_path: Path) -> None:
    df = pd.DataFrame({"w": [1.0, 2.0, 3.0], "kind": ["a", "b", "a"]})
    path = write(df, tmp_path / "l.csv")
    chunks = list(iter_batches(path, "kind", 2, dtype=np.float32))
    assert [X.dtype for X, _ in chunks] == [np.float32, np.float32]
    assert [y.tolist() for _, y in chunks] == [["a", "b"], ["a"]]


def test_batches_of_a_csv_larger_than_one_block(tmp_path: Path) -> None:
    # Over 1 MB, so pyarrow reads several blocks; the first holds integers only and a later one
    # floats, which a reader that fixed the type from the first block would refuse.
    m = 150_000
    a = np.arange(m, dtype=float)
    a[-1] = 0.5
    df = pd.DataFrame({"a": a, "b": np.arange(m) % 7, "y": np.arange(m) % 3})
    path = tmp_path / "big.csv"
    df.to_csv(path, index=False)
    assert os.path.getsize(path) > 2**20
    chunks = list(iter_batches(path, "y", batch_rows=40_000))
    assert [len(y) for _, y in chunks] == [40_000, 40_000, 40_000, 30_000]
    X = np.vstack([X for X, _ in chunks])
    np.testing.assert_array_equal(X, df[["a", "b"]].to_numpy(np.float64))
    np.testing.assert_array_equal(X, load_table(path, "y").X)


def test_batches_text_deep_in_a_big_csv(tmp_path: Path) -> None:
    m = 120_000
    lines = ["a,y"] + [f"{i},{i % 2}" for i in range(m)] + ["oops,1"]
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match="column 'a' is not numeric: it holds 'oops'"):
        for _ in iter_batches(path, "y", batch_rows=10_000):
            pass


def test_batch_errors_give_the_row_in_the_whole_file(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, np.nan, 8.0], "y": [0.0] * 8})
    path = write(df, tmp_path / "gap.parquet")
    batches = iter_batches(path, "y", batch_rows=3)
    next(batches)
    next(batches)
    with pytest.raises(DataError, match=r"'a' has 1 missing value in data rows 7-8, .*data row 7"):
        next(batches)


@pytest.mark.parametrize("fmt", FORMATS)
def test_batches_check_like_load_table(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "city": ["x", "y", "z"], "y": [1.0, 2.0, 3.0]})
    path = write(df, tmp_path / f"c.{fmt}")
    with pytest.raises(DataError, match="'city' is not numeric"):
        list(iter_batches(path, "y", 2))


def test_batches_check_path_and_columns_at_once(tmp_path: Path, frame: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="file not found"):
        iter_batches(tmp_path / "none.parquet", "y")  # raised before any iteration
    path = write(frame, tmp_path / "d.parquet")
    with pytest.raises(DataError, match="target column 'nope' is not in"):
        iter_batches(path, "nope")
    with pytest.raises(DataError, match=r"not a supported file type"):
        iter_batches(tmp_path / "d.json", "y")


@pytest.mark.parametrize("bad", [0, -3, 2.5, "10", True])
def test_batch_rows_checked(tmp_path: Path, frame: pd.DataFrame, bad: object) -> None:
    path = write(frame, tmp_path / "d.csv")
    with pytest.raises(DataError, match="batch_rows"):
        iter_batches(path, "target", bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_batches_of_an_empty_table(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame({"a": pd.Series([], dtype=float), "y": pd.Series([], dtype=float)})
    path = write(df, tmp_path / f"e.{fmt}")
    with pytest.raises(DataError, match="no data rows"):
        list(iter_batches(path, "y"))


# --------------------------------------------------------------------------------------------
# load_features: data without a target (to predict on)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_features_round_trip_exact(tmp_path: Path, frame: pd.DataFrame, fmt: str) -> None:
    features = frame.drop(columns="target")
    path = write(features, tmp_path / f"new.{fmt}")
    X, names = load_features(path)
    assert names == ("x1", "count", "x2")
    assert X.dtype == np.float64 and X.shape == (23, 3) and X.flags.c_contiguous
    np.testing.assert_array_equal(X, features.to_numpy(np.float64))
    # the same matrix load_table reads from the file with the target
    full = write(frame, tmp_path / f"full.{fmt}")
    np.testing.assert_array_equal(load_features(full, ["x1", "count", "x2"])[0], X)
    np.testing.assert_array_equal(load_table(full, "target").X, X)


def test_features_subset_order_str_and_float32(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = write(frame, tmp_path / "d.parquet")
    X, names = load_features(str(path), ["x2", "x1"], dtype=np.float32)
    assert names == ("x2", "x1") and X.dtype == np.float32 and X.flags.c_contiguous
    np.testing.assert_array_equal(X, frame[["x2", "x1"]].to_numpy(np.float32))
    X1, names1 = load_features(path, "count")
    assert names1 == ("count",) and X1.shape == (23, 1)


def test_features_skip_a_pandas_index_column(tmp_path: Path) -> None:
    df = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.Index([10, 20]))
    path = tmp_path / "i.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=True), path)
    X, names = load_features(path)
    assert names == ("a",)
    np.testing.assert_array_equal(X, [[1.0], [2.0]])


def test_features_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"file not found: .*nowhere.csv"):
        load_features(tmp_path / "nowhere.csv")
    with pytest.raises(DataError, match=r"not a supported file type"):
        load_features(tmp_path / "data.txt")


@pytest.mark.parametrize("fmt", FORMATS)
def test_features_unknown_column_lists_the_columns(
    tmp_path: Path, frame: pd.DataFrame, fmt: str
) -> None:
    path = write(frame, tmp_path / f"data.{fmt}")
    with pytest.raises(
        DataError,
        match=r"feature column 'x9' is not in .*; the columns are: 'x1', 'count', 'x2', 'target'",
    ):
        load_features(path, ["x1", "x9"])


@pytest.mark.parametrize("fmt", FORMATS)
def test_features_non_numeric_column(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame({"size": [50.0, 60.0], "city": ["Oslo", "Rome"]})
    path = write(df, tmp_path / f"houses.{fmt}")
    with pytest.raises(
        DataError, match=r"feature column 'city' is not numeric \(text, e.g. 'Oslo' at data row 1\)"
    ):
        load_features(path)
    assert load_features(path, ["size"])[0].tolist() == [[50.0], [60.0]]


@pytest.mark.parametrize("fmt", FORMATS)
def test_features_missing_values_named_with_rows(tmp_path: Path, fmt: str) -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, np.nan, 3.0, np.nan]})
    path = write(df, tmp_path / f"gaps.{fmt}")
    with pytest.raises(
        DataError, match=r"feature column 'b' has 2 missing values, the first at data row 2"
    ) as info:
        load_features(path)
    assert "\n" not in str(info.value)


def test_features_infinite_values_and_empty_tables(tmp_path: Path) -> None:
    inf = tmp_path / "inf.csv"
    inf.write_text("a\n1\n-inf\n")
    with pytest.raises(
        DataError, match=r"'a' has 1 infinite value, the first \(-inf\) at data row 2"
    ):
        load_features(inf)
    header = tmp_path / "header.csv"
    header.write_text("a,b\n")
    with pytest.raises(DataError, match="no data rows"):
        load_features(header)


def test_features_checks_the_list(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = write(frame, tmp_path / "d.csv")
    with pytest.raises(ShapeError, match="features is empty"):
        load_features(path, [])
    with pytest.raises(DataError, match="'x1' is listed more than once"):
        load_features(path, ["x1", "x1"])
    with pytest.raises(DataError, match="dtype=int64 cannot hold training data"):
        load_features(path, dtype=np.int64)


def test_load_features_is_public() -> None:
    import descend

    assert descend.load_features is load_features
