"""Training on a real Dask cluster (LocalCluster on loopback, 2 worker processes): full-batch
fits equal the in-memory fit, mini-batch parameter averaging matches an independent
implementation, a worker killed mid-fit changes nothing."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

import descend

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import descend.dist  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, worker_dashboard_address=None,
    )  # fmt: skip
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def _data(task, m=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, 3))
    z = X @ [1.0, -2.0, 0.5] + 0.3 * rng.normal(size=m)
    if task == "regression":
        return X, z, descend.linear_regression(3, penalty="l2", alpha=0.01)
    if task == "logistic":
        return X, (z > 0).astype(float), descend.logistic_regression(3, penalty="l2", alpha=1e-3)
    if task == "hinge":
        return X, np.where(z > 0, 1.0, -1.0), descend.linear_svm(3)
    return X, np.digitize(z, [-1.0, 1.0]).astype(float), descend.softmax_regression(3, 3)


def _source(X, y, rows=170):
    return descend.dist.source(da.from_array(X, chunks=(rows, 3)), da.from_array(y, chunks=rows))


@pytest.mark.parametrize("task", ["regression", "logistic", "hinge", "softmax"])
def test_full_batch_fit_equals_the_in_memory_fit(client, task):
    X, y, model = _data(task)
    kw = dict(optimizer="adam", lr=0.05, max_epochs=8, tol=None, kernel=False)
    mem = descend.fit(model, X, y, **kw)
    dist = descend.fit(model, _source(X, y), **kw)
    np.testing.assert_allclose(dist.theta, mem.theta, rtol=1e-10, atol=0)
    np.testing.assert_allclose(dist.history.loss, mem.history.loss, rtol=1e-10)


def test_line_search_sums_over_partitions_of_a_dataframe(client):
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    X, y, model = _data("softmax")
    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "c": X[:, 2], "label": y})
    src = descend.dist.source(dd.from_pandas(frame, npartitions=3), target="label")
    assert src.n_partitions == 3
    mem = descend.fit(model, X, y, lr="auto", max_epochs=3, tol=None, kernel=False)
    dist = descend.fit(model, src, lr="auto", max_epochs=3, tol=None, kernel=False)
    np.testing.assert_allclose(dist.theta, mem.theta, rtol=1e-10)


def test_mini_batches_average_the_partitions_parameters(client):
    X, y, model = _data("regression", m=400)
    lr, b = 0.05, 16
    src = _source(X, y, rows=150)  # partitions of 150, 150, 100 rows
    kw = dict(optimizer="sgd", lr=lr, batch_size=b, max_epochs=3, tol=None, seed=9, kernel=False)
    r = descend.fit(model, src, **kw)
    running = descend.fit(model, src, **kw, monitor="running")
    # the same by hand: per partition an epoch of plain SGD from θ, then the row-weighted mean;
    # the running loss: every batch's J_B before its update, averaged over all the partitions'
    # batches (J_B = ½·mean(resid²) + α/2·‖w‖²)
    rng = np.random.default_rng(9)
    theta = np.zeros(4)
    parts = [(X[i : i + 150], y[i : i + 150]) for i in (0, 150, 300)]
    losses = []
    for _ in range(3):
        seeds = rng.integers(0, 2**63 - 1, size=3)
        thetas, values = [], []
        for (Xk, yk), s in zip(parts, seeds, strict=True):
            t = theta.copy()
            perm = np.random.default_rng(int(s)).permutation(len(Xk))
            for lo in range(0, len(Xk), b):
                rows = perm[lo : lo + b]
                resid = Xk[rows] @ t[1:] + t[0] - yk[rows]
                values.append(0.5 * np.mean(resid**2) + 0.005 * t[1:] @ t[1:])
                grad = np.r_[resid.mean(), Xk[rows].T @ resid / len(rows)]
                grad[1:] += 0.01 * t[1:]  # α·w, the gradient of α/2·‖w‖²
                t = t - lr * grad
            thetas.append(t)
        theta = (150 * thetas[0] + 150 * thetas[1] + 100 * thetas[2]) / 400
        losses.append(np.mean(values))
    np.testing.assert_allclose(r.theta, theta, rtol=1e-10)
    np.testing.assert_array_equal(running.theta, r.theta)
    np.testing.assert_allclose(running.history.loss[1:], losses, rtol=1e-10)
    assert np.isnan(running.history.loss[0])


def test_a_worker_killed_mid_fit_changes_nothing(client):
    X, y, model = _data("logistic")
    # the compiled kernels give the same bits on any worker (NumPy's SIMD loops can differ in
    # the last bit with the alignment of a partition's memory)
    kw = dict(optimizer="adam", lr=0.05, max_epochs=10, tol=None)
    clean = descend.fit(model, _source(X, y), **kw)
    pids = list(client.run(os.getpid).values())
    killed = []

    def kill_one(info):
        if info.epoch == 4:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(info.epoch)

    hit = descend.fit(model, _source(X, y), callback=kill_one, **kw)
    assert killed == [4] and hit.n_epochs == 10
    assert np.array_equal(hit.theta, clean.theta)
    client.wait_for_workers(2, timeout=60)


def test_errors(client):
    X, y, model = _data("regression")
    with pytest.raises(descend.DataError, match="give y"):
        descend.dist.source(da.from_array(X))
    with pytest.raises(descend.ShapeError, match="expects 2"):
        descend.fit(descend.linear_regression(2), _source(X, y))
    with pytest.raises(descend.DataError, match="row counts are unknown"):
        lazy = da.from_array(X, chunks=(100, 3))
        descend.dist.source(lazy[lazy[:, 0] > 0], y[:10])


def test_estimators_take_dask_collections(client):
    dd = pytest.importorskip("dask.dataframe")
    import pandas as pd

    X, y, _ = _data("softmax")
    labels = np.array(["low", "mid", "high"])[y.astype(int)]
    kw = dict(loss="softmax", max_epochs=10, tol=None, lr=0.1, optimizer="adam", shuffle=False)
    mem = descend.GDClassifier(**kw).fit(X, labels)
    frame = dd.from_pandas(pd.DataFrame(X, columns=["a", "b", "c"]), npartitions=2)
    dist = descend.GDClassifier(**kw).fit(frame, dd.from_pandas(pd.Series(labels), npartitions=2))
    assert dist.classes_.tolist() == mem.classes_.tolist()
    np.testing.assert_allclose(dist.coef_, mem.coef_, rtol=1e-9)
    reg = descend.GDRegressor(max_epochs=5, tol=None).fit(da.from_array(X, chunks=(200, 3)),
                                                           da.from_array(y, chunks=200))  # fmt: skip
    ref = descend.GDRegressor(max_epochs=5, tol=None).fit(X, y)
    np.testing.assert_allclose(reg.coef_, ref.coef_, rtol=1e-9)


def test_the_command_line_trains_on_the_cluster(client, tmp_path):
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from descend.main import app

    X, y, _ = _data("regression")
    for i in range(2):
        part = slice(300 * i, 300 * (i + 1))
        table = pa.table({"a": X[part, 0], "b": X[part, 1], "c": X[part, 2], "y": y[part]})
        pq.write_table(table, tmp_path / f"p{i}.parquet")
    address = client.scheduler.address
    result = CliRunner().invoke(app, ["fit", str(tmp_path / "*.parquet"), "--target", "y",
                                      "--scheduler", address, "--epochs", "30", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    ref = descend.GDRegressor(max_epochs=30, random_state=0).fit(X, y)
    np.testing.assert_allclose(doc["coef"], ref.coef_, rtol=1e-8)
    assert doc["training"]["source"] == f"cluster {address}"
    bad = CliRunner().invoke(app, ["fit", str(tmp_path), "--target", "y", "--scheduler", "tcp://127.0.0.1:1"])
    assert bad.exit_code == 2 and "cannot reach the Dask scheduler" in bad.stderr
