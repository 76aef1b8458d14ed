"""GDRegressor and GDClassifier trained on file sources (and Dask, in tests/dist) equal the
same estimators trained on the arrays in memory."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.exceptions import ConvergenceWarning

import descend
import descend.stream


def _files(tmp_path, X, y):
    frame = pd.DataFrame({f"x{j}": X[:, j] for j in range(X.shape[1])} | {"label": y})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.slice(0, 150), tmp_path / "a.parquet", row_group_size=40)
    pq.write_table(table.slice(150), tmp_path / "b.parquet", row_group_size=64)
    return descend.stream.source(tmp_path, "label", chunk_rows=32)


def _X(m=400, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -1.0]


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("batch_size", ["full", 16])
def test_regressor_on_files_equals_the_regressor_on_arrays(tmp_path, scale, batch_size):
    X = _X()
    y = X @ [1.0, 0.2, 3.0] + 1.0
    kw = dict(batch_size=batch_size, max_epochs=20, shuffle=False, scale=scale, tol=None,
              optimizer="adam", lr=0.01)  # fmt: skip
    mem = descend.GDRegressor(**kw).fit(X, y)
    streamed = descend.GDRegressor(**kw).fit(_files(tmp_path, X, y))
    np.testing.assert_allclose(streamed.coef_, mem.coef_, rtol=1e-9)
    np.testing.assert_allclose(streamed.intercept_, mem.intercept_, rtol=1e-9)
    np.testing.assert_allclose(streamed.predict(X), mem.predict(X), rtol=1e-9)
    if scale:
        np.testing.assert_allclose(streamed.scaler_mean_, X.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(streamed.scaler_scale_, X.std(axis=0), rtol=1e-12)


@pytest.mark.parametrize("loss", ["log_loss", "hinge", "softmax"])
def test_classifier_on_files_with_text_labels(tmp_path, loss):
    X = _X(seed=1)
    z = X[:, 0] - 0.1 * (X[:, 1] - 5) + 0.3 * np.random.default_rng(2).normal(size=len(X))
    names = np.array(["cat", "dog", "eel"])
    y = names[np.digitize(z, [-0.5, 0.5])] if loss == "softmax" else names[(z > 0).astype(int)]
    kw = dict(loss=loss, max_epochs=15, shuffle=False, tol=None, lr=0.1, optimizer="adam")
    mem = descend.GDClassifier(**kw).fit(X, y)
    streamed = descend.GDClassifier(**kw).fit(_files(tmp_path, X, y))
    assert streamed.classes_.tolist() == mem.classes_.tolist()
    np.testing.assert_allclose(streamed.coef_, mem.coef_, rtol=1e-9)
    assert (streamed.predict(X) == mem.predict(X)).all()
    assert streamed.score(X, y) > 0.8


def test_partial_fit_on_a_source_runs_one_epoch(tmp_path):
    X = _X()
    y = X @ [1.0, 0.2, 3.0]
    src = _files(tmp_path, X, y)
    est = descend.GDRegressor(batch_size=32, shuffle=False, lr=0.01)
    est.partial_fit(src, None).partial_fit(src, None)
    assert est.t_ == 2 * 13  # ⌈400 / 32⌉ updates per epoch
    with pytest.raises(descend.DataError, match="without y"):
        est.fit(src, y)


@pytest.mark.parametrize(
    "kw, reads",
    [
        # scale=False, tol=None: the epoch is the only read (its running loss is the history)
        (dict(scale=False, tol=None), 1),
        (dict(scale=True, tol=None), 2),  # + the pass measuring μ and σ
        (dict(scale=False, tol=1e-9, n_iter_no_change=5), 3),  # + J before and after the epoch
    ],
)
def test_a_one_epoch_fit_reads_the_files_only_as_often_as_it_must(tmp_path, kw, reads):
    X = _X()
    src = _files(tmp_path, X, X @ [1.0, 0.2, 3.0])
    plain, rows = src.chunks, [0]

    def chunks(order=None, *, raw=False):
        for X, y in plain(order, raw=raw):
            rows[0] += len(y)
            yield X, y

    src.chunks = chunks
    est = descend.GDRegressor(batch_size=1, max_epochs=1, random_state=0, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # (one epoch is too few for tol)
        est.fit(src)
    assert rows[0] // len(X) == reads  # (and the first chunk of one more, for the head)
