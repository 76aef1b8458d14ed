"""Tests of descend.io.table: load_table, iter_batches and read_table_columns."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support import FORMATS, write

from descend import DataError, ShapeError, Table, iter_batches, load_features, load_table
from descend.io.table import SUPPORTED_EXTENSIONS, read_table_columns

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


@pytest.mark.parametrize("sep", [";", "|", "\t"])
def test_a_csv_with_another_separator_is_read(tmp_path: Path, sep: str) -> None:
    path = tmp_path / "semi.csv"
    path.write_text(sep.join(["size", "price"]) + "\n" + f"50{sep}100\n60.5{sep}121\n")
    t = load_table(path, "price")
    np.testing.assert_array_equal(t.X, [[50.0], [60.5]])
    np.testing.assert_array_equal(t.y, [100.0, 121.0])
    assert read_table_columns(path) == ("size", "price")
