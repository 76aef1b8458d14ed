"""Streamed fits from CSV/Parquet files equal the in-memory fit; the shuffled order is the
documented one; the read-ahead is bounded."""

from __future__ import annotations

import importlib
import itertools
import threading
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import descend
import descend.stream
from descend.stream.reader import RowBuffers, prefetch, shuffle_buffer

source_module = importlib.import_module("descend.stream.source")  # (the name is the function)
parquet_module = importlib.import_module("descend.stream.parquet")


def _frame(m=700, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 3))
    z = X @ [1.0, -2.0, 0.5]
    return X, pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "z": z})


def _files(folder, df, kind="parquet"):
    """The rows of df over three files (Parquet with uneven row groups, or CSV)."""
    cuts = [0, 230, 231, len(df)]
    for i, (lo, hi) in enumerate(itertools.pairwise(cuts)):
        part = df.iloc[lo:hi]
        if kind == "parquet":
            table = pa.Table.from_pandas(part, preserve_index=False)
            pq.write_table(table, folder / f"part{i}.parquet", row_group_size=97)
        else:
            part.to_csv(folder / f"part{i}.csv", index=False, float_format="%.17g")
    return folder


def _targets(X, z, task, seed=1):
    rng = np.random.default_rng(seed)
    noisy = z + 0.3 * rng.normal(size=len(z))
    if task == "regression":
        return noisy, descend.linear_regression(3, penalty="l2", alpha=0.01)
    if task == "logistic":
        return (noisy > 0).astype(float), descend.logistic_regression(3)
    if task == "hinge":
        return np.where(noisy > 0, 1.0, -1.0), descend.linear_svm(3)
    return np.digitize(noisy, [-1.0, 1.0]).astype(float), descend.softmax_regression(3, 3)


@pytest.mark.parametrize("task", ["regression", "logistic", "hinge", "softmax"])
@pytest.mark.parametrize(
    "batch_size, optimizer",
    [("full", "sgd"), ("full", "adam"), (1, "momentum"), (13, "adam"), (64, "rmsprop")],
)
def test_streamed_fit_equals_the_in_memory_fit(tmp_path, task, batch_size, optimizer):
    X, df = _frame()
    y, model = _targets(X, df["z"].to_numpy(), task)
    df["y"] = y
    src = descend.stream.source(_files(tmp_path, df.drop(columns="z")), "y", chunk_rows=50)
    lr = descend.exponential(0.05, 0.999)  # a schedule: its t must carry across chunks
    # kernel=True: both fits on the compiled kernels (a fit this small would otherwise run on
    # the NumPy reference in memory, which agrees with the kernels to 1e-9, not to the bit)
    kw = dict(optimizer=optimizer, lr=lr, batch_size=batch_size, max_epochs=4, shuffle=False,
              tol=None, kernel=True)  # fmt: skip
    mem = descend.fit(model, X, y, **kw)
    streamed = descend.fit(model, src, **kw)
    assert streamed.n_steps == mem.n_steps
    np.testing.assert_allclose(streamed.theta, mem.theta, rtol=1e-12, atol=0)
    np.testing.assert_allclose(streamed.history.loss, mem.history.loss, rtol=1e-12)


@pytest.mark.parametrize("task", ["regression", "softmax"])
@pytest.mark.parametrize("batch_size, optimizer", [("full", "adam"), (1, "sgd"), (13, "adam")])
def test_streamed_running_loss_equals_the_in_memory_one(tmp_path, task, batch_size, optimizer):
    """monitor="running": one pass per epoch, each batch's J_B summed across chunk and file
    boundaries (batches of 13 straddle them), as the in-memory epoch measures it."""
    X, df = _frame()
    y, model = _targets(X, df["z"].to_numpy(), task)
    df["y"] = y
    src = descend.stream.source(_files(tmp_path, df.drop(columns="z")), "y", chunk_rows=50)
    kw = dict(optimizer=optimizer, lr=0.05, batch_size=batch_size, max_epochs=3, shuffle=False,
              tol=None, kernel=True, monitor="running")  # fmt: skip
    mem = descend.fit(model, X, y, **kw)
    streamed = descend.fit(model, src, **kw)
    np.testing.assert_allclose(streamed.theta, mem.theta, rtol=1e-12, atol=0)
    assert np.isnan(streamed.history.loss[0]) and np.isnan(streamed.history.grad_norm).all()
    np.testing.assert_allclose(streamed.history.loss[1:], mem.history.loss[1:], rtol=1e-12)
    full = descend.fit(model, X, y, **{**kw, "monitor": "full", "max_epochs": 1})
    if batch_size == "full":  # the running loss of a full-batch epoch is J before its step
        assert streamed.history.loss[1] == pytest.approx(full.history.loss[0], rel=1e-12)


def test_line_search_sums_over_chunks_and_csv_streams(tmp_path):
    X, df = _frame(m=300)
    y, model = _targets(X, df["z"].to_numpy(), "regression")
    df["y"] = y
    src = descend.stream.source(_files(tmp_path, df.drop(columns="z"), "csv"), "y",
                                chunk_rows=64)  # fmt: skip
    assert src.n_rows == 300 and len(src.files) == 3
    mem = descend.fit(model, X, y, lr="auto", max_epochs=30, tol=None)
    streamed = descend.fit(model, src, lr="auto", max_epochs=30, tol=None)
    np.testing.assert_allclose(streamed.theta, mem.theta, rtol=1e-12)
    # the least-squares fit by a closed form: (XᵀX/m + αI)w = Xᵀy/m, centred data
    assert streamed.loss < descend.fit(model, X, y, max_epochs=1).loss


def test_the_shuffled_order_is_row_groups_permuted_then_the_shuffle_buffer(tmp_path):
    _X, df = _frame(m=500)
    df["y"] = np.arange(500.0)  # each row's number
    _files(tmp_path, df.drop(columns="z"))
    src = descend.stream.source(tmp_path, "y", chunk_rows=40, shuffle_buffer=120)
    rows = np.concatenate([y for _, y in src.epoch_chunks(np.random.default_rng(5), True)])
    # the same order, written out independently: pieces (file, row group) by name and offset
    pieces, start = [], 0
    for n_file in (230, 1, 269):
        for lo in range(0, n_file, 97):
            pieces.append(np.arange(start + lo, start + min(lo + 97, n_file)))
        start += n_file
    rng = np.random.default_rng(5)
    stream = np.concatenate([pieces[i] for i in rng.permutation(len(pieces))])
    # each buffer draws a permutation of 120 slots, its k-th row goes to slot perm[k], the
    # slots are handed on in order; the last buffer (20 rows) hands on the slots it filled
    buffers = np.split(stream, [120, 240, 360, 480])
    expected = np.concatenate([b[np.argsort(rng.permutation(120)[: len(b)])] for b in buffers])
    assert np.array_equal(rows, expected)
    again = np.concatenate([y for _, y in src.epoch_chunks(np.random.default_rng(5), True)])
    assert np.array_equal(rows, again)


def test_shuffled_streamed_fits_are_reproducible_and_learn(tmp_path):
    X, df = _frame()
    y, model = _targets(X, df["z"].to_numpy(), "regression")
    df["y"] = y
    src = descend.stream.source(_files(tmp_path, df.drop(columns="z")), "y", chunk_rows=50,
                                shuffle_buffer=100)  # fmt: skip
    kw = dict(optimizer="adam", lr=0.05, batch_size=16, max_epochs=20, seed=2, tol=None)
    a, b = descend.fit(model, src, **kw), descend.fit(model, src, **kw)
    assert np.array_equal(a.theta, b.theta)
    w = np.linalg.lstsq(np.c_[np.ones(len(X)), X], y, rcond=None)[0]
    np.testing.assert_allclose(a.theta, w, atol=0.05)


def test_prefetch_keeps_at_most_depth_tasks_ahead():
    live, most = 0, 0
    lock = threading.Lock()

    def task(i):
        nonlocal live, most
        with lock:
            live += 1
            most = max(most, live)
        time.sleep(0.002)
        return i

    out = []
    for value in prefetch((lambda i=i: task(i) for i in range(30)), workers=4, depth=3):
        out.append(value)
        with lock:
            live -= 1
    assert out == list(range(30))
    assert most <= 3 + 1  # depth submitted, one more being consumed


def test_shuffle_buffer_keeps_every_row_once():
    chunks = [(np.arange(i, i + 7.0)[:, None], np.arange(i, i + 7.0)) for i in range(0, 70, 7)]
    out = list(shuffle_buffer(iter(chunks), 16, np.random.default_rng(0)))
    assert [len(y) for _, y in out] == [16, 16, 16, 16, 6]
    rows = np.concatenate([y for _, y in out])
    assert sorted(rows.tolist()) == list(range(70)) and rows.tolist() != list(range(70))
    assert all(np.array_equal(Xb[:, 0], yb) for Xb, yb in out)
    cut = list(shuffle_buffer(iter(chunks), 16, np.random.default_rng(0), piece=5))
    assert [len(y) for _, y in cut] == [5, 5, 5, 1] * 4 + [5, 1]
    np.testing.assert_array_equal(np.concatenate([y for _, y in cut]), rows)


def test_source_errors_are_one_line(tmp_path):
    _X, df = _frame(m=20)
    df["y"] = 0.0
    _files(tmp_path, df)
    with pytest.raises(descend.DataError, match="no such file or folder"):
        descend.stream.source(tmp_path / "nope.parquet", "y")
    with pytest.raises(descend.DataError, match="target column 'w' is not in"):
        descend.stream.source(tmp_path, "w")
    src = descend.stream.source(tmp_path, "y")
    with pytest.raises(descend.ShapeError, match="the model expects 2"):
        descend.fit(descend.linear_regression(2), src)
    with pytest.raises(descend.DataError, match="pass y=None"):
        descend.fit(descend.linear_regression(4), src, np.zeros(20))
    with pytest.raises(descend.HyperparameterError, match="early_stopping"):
        descend.fit(descend.linear_regression(4), src, early_stopping=True)
    with pytest.raises(descend.HyperparameterError, match="chunk_rows=0"):
        descend.stream.source(tmp_path, "y", chunk_rows=0)
    with pytest.raises(descend.DataError, match=r"wrap it as descend\.dist\.source"):
        descend.fit(descend.linear_regression(4), type("Lazy", (), {"__dask_graph__": 1})(), None)


def test_targets_the_loss_cannot_take_are_refused(tmp_path):
    _X, df = _frame(m=30)
    df["y"] = np.arange(30.0) % 4
    _files(tmp_path, df.drop(columns="z"))
    src = descend.stream.source(tmp_path, "y")
    with pytest.raises(descend.DataError, match=r"takes encoded targets \[0, 1, 2\]"):
        descend.fit(descend.softmax_regression(3, 3), src)


def _pyarrow_only(monkeypatch):
    """The source reads every row group with pyarrow (its own footer reader declines)."""
    monkeypatch.setattr(parquet_module, "read_footer", lambda path: None)


@pytest.mark.parametrize("kind", ["float32", "float64", "mixed"])
@pytest.mark.parametrize("part_columns", [1, 2, None, "compiled"])
@pytest.mark.parametrize("writer", [{}, {"compression": "snappy", "use_dictionary": False},
                                    {"compression": "none", "data_page_version": "2.0"}])
def test_parquet_chunks_are_the_columns_as_rows(tmp_path, monkeypatch, kind, part_columns,
                                                writer):  # fmt: skip
    """pyarrow's columns, read a few at a time or a row group at once, and the compiled reader
    of descend.kernels.parquet, give the same rows."""
    if part_columns != "compiled":
        _pyarrow_only(monkeypatch)
    if isinstance(part_columns, int):  # row groups read a few columns at a time
        monkeypatch.setattr(parquet_module, "PART_BYTES", 8 * 110 * part_columns)
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    types = {"float32": [pa.float32()] * 4, "float64": [pa.float64()] * 4,
             "mixed": [pa.float32(), pa.float64()] * 2}[kind]  # fmt: skip
    arrays = [pa.array(X[:, j]).cast(t) for j, t in enumerate(types)]
    table = pa.Table.from_arrays([*arrays, pa.array(X.sum(1))], names=["a", "b", "c", "d", "y"])
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=110, **writer)
    src = descend.stream.source(tmp_path / "t.parquet", "y", chunk_rows=40)
    compiled = source_module.FileSource._compiled_rows
    used = []
    monkeypatch.setattr(source_module.FileSource, "_compiled_rows",
                        lambda self, *a: used.append(compiled(self, *a)) or used[-1])  # fmt: skip
    parts = list(src.chunks())
    assert [len(y) for _, y in parts] == [40, 40, 30] * 2 + [40, 40]
    got = np.concatenate([Xc for Xc, _ in parts])
    want = np.column_stack([a.to_numpy() for a in arrays]).astype(np.float64)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.concatenate([yc for _, yc in parts]), X.sum(1))
    assert all(Xc.flags.c_contiguous and Xc.flags.writeable for Xc, _ in parts)
    assert len(used) == 3 and all((u is not None) == (part_columns == "compiled") for u in used)


def test_a_parquet_value_that_is_not_finite_is_named(tmp_path):
    X = np.random.default_rng(4).normal(size=(50, 2))
    X[37, 1] = np.inf
    table = pa.table({"a": X[:, 0], "b": X[:, 1], "y": X[:, 0]})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=20)
    src = descend.stream.source(tmp_path / "t.parquet", "y", chunk_rows=8)
    with pytest.raises(descend.DataError, match=r"feature column .b. has 1 infinite value"):
        list(src.chunks())


@pytest.mark.parametrize("keep", [1, 3, 1000])
def test_chunks_kept_are_never_written_over(tmp_path, keep):
    """The reader uses its X buffers again once the chunks cut from them are let go: chunks
    still held (every one, every third, or only the last) keep their rows."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2000, 3))
    pq.write_table(pa.table({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "y": X[:, 0]}),
                   tmp_path / "t.parquet", row_group_size=64)  # fmt: skip
    src = descend.stream.source(tmp_path / "t.parquet", "y", chunk_rows=40, read_ahead=1,
                                workers=1)  # fmt: skip
    held, lo = [], 0
    for k, (Xc, yc) in enumerate(src.chunks()):
        np.testing.assert_array_equal(Xc, X[lo : lo + len(Xc)])
        if k % keep == 0:
            held.append((lo, Xc, yc))
        lo += len(Xc)
    assert lo == len(X)
    for start, Xc, yc in held:
        np.testing.assert_array_equal(Xc, X[start : start + len(Xc)])
        np.testing.assert_array_equal(yc, X[start : start + len(Xc), 0])


def test_a_parquet_value_too_large_for_float32_is_named(tmp_path):
    pq.write_table(pa.table({"a": [1.0, 1e300, 2.0], "b": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 3.0]}),
                   tmp_path / "t.parquet")  # fmt: skip
    src = descend.stream.source(tmp_path / "t.parquet", "y", dtype=np.float32)
    with pytest.raises(descend.DataError, match="too large for float32"):
        list(src.chunks())


def test_a_row_buffer_is_used_again_only_when_nothing_refers_to_it():
    rows = RowBuffers(3)
    a = rows.take((4, 2), np.float64)
    b = rows.take((4, 2), np.float64)
    assert not np.shares_memory(a, b)
    del a
    c = rows.take((3, 2), np.float64)  # the first one again, cut to 3 rows
    assert c.shape == (3, 2) and np.shares_memory(c, rows._held[0])
    view = c[1:]
    del c
    d = rows.take((3, 2), np.float64)  # a view of it is still held
    assert not np.shares_memory(d, view) and not np.shares_memory(d, b)
