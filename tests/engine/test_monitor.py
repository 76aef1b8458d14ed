"""``fit(monitor="running")``: the running loss, against a hand-written SGD loop that measures
each batch's J_B(θ) just before its update; and the estimators' choice of monitor."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from descend import GDClassifier, GDRegressor
from descend.base.errors import HyperparameterError
from descend.engine.fit import fit
from descend.models.linear import LinearModel

ALPHA = 0.01


def _hand_sgd(X: Any, y: Any, loss: str, batch: int, lr: float, epochs: int, seed: int) -> Any:
    """Mini-batch SGD on [b, w] with an L2 penalty α/2·‖w‖², written from the formulas:
    returns θ and, per epoch, the mean over its batches of J_B(θ) before each update."""
    m, d = X.shape
    theta = np.zeros(d + 1)
    rng = np.random.default_rng(seed)
    running, first = [], math.nan
    for _ in range(epochs):
        perm = rng.permutation(m)
        values = []
        for start in range(0, m, batch):
            rows = perm[start : start + batch]
            Xb, yb = X[rows], y[rows]
            z = Xb @ theta[1:] + theta[0]
            if loss == "squared":
                data, dz = np.mean(0.5 * (z - yb) ** 2), z - yb
            else:  # log loss, y in {0, 1}
                data = np.mean(np.logaddexp(0.0, z) - yb * z)
                dz = 1.0 / (1.0 + np.exp(-z)) - yb
            values.append(data + 0.5 * ALPHA * theta[1:] @ theta[1:])
            first = values[0] if math.isnan(first) else first
            grad = np.concatenate([[dz.mean()], Xb.T @ dz / len(rows) + ALPHA * theta[1:]])
            theta = theta - lr * grad
        running.append(np.mean(values))
    return theta, np.array(running), first


@pytest.mark.parametrize("loss", ["squared", "log_loss"])
@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize("kernel", [True, "numpy"])
def test_running_loss_equals_the_hand_loop(loss: str, batch: int, kernel: Any) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 4))
    y = X @ [1.0, -2.0, 0.5, 0.0] + 0.3 + 0.1 * rng.normal(size=90)
    if loss == "log_loss":
        y = (y > 0).astype(float)
    model = LinearModel(4, 1, loss, "l2", ALPHA, 0.15, True)
    r = fit(model, X, y, optimizer="sgd", lr=0.05, batch_size=batch, max_epochs=3, tol=None,
            seed=5, kernel=kernel, monitor="running")  # fmt: skip
    theta, running, _ = _hand_sgd(X, y, loss, batch, 0.05, 3, 5)
    np.testing.assert_allclose(r.theta, theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r.history.loss[1:], running, rtol=1e-10)
    assert math.isnan(r.history.loss[0]) and np.isnan(r.history.grad_norm).all()
    full = fit(model, X, y, optimizer="sgd", lr=0.05, batch_size=batch, max_epochs=3, tol=None,
               seed=5, kernel=kernel)  # fmt: skip
    np.testing.assert_array_equal(full.theta, r.theta)  # the monitor does not change θ
    assert full.history.loss[-1] < running[0]  # J after training, below the first epoch's


def test_running_loss_of_the_full_batch_is_j_before_each_step() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    model = LinearModel(3, 1, "squared", None, 0.0, 0.15, True)
    full = fit(model, X, y, lr=0.1, max_epochs=4, tol=None)
    for kernel in (True, "numpy"):
        r = fit(model, X, y, lr=0.1, max_epochs=4, tol=None, monitor="running", kernel=kernel)
        np.testing.assert_allclose(r.history.loss[1:], full.history.loss[:-1], rtol=1e-12)


def test_running_divergence_is_reported() -> None:
    rng = np.random.default_rng(1)
    X, y = 100 * rng.normal(size=(200, 3)), rng.normal(size=200)
    model = LinearModel(3, 1, "squared", None, 0.0, 0.15, True)
    for kernel in (True, "numpy"):
        r = fit(model, X, y, lr=1.0, batch_size=1, max_epochs=5, tol=None, monitor="running",
                kernel=kernel)  # fmt: skip
        assert r.status == "diverged" and np.isfinite(r.theta).all()


def test_tol_applies_to_the_running_loss_and_bad_monitor_is_refused() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 2))
    y = X @ [1.0, 2.0] + rng.normal(size=300)
    model = LinearModel(2, 1, "squared", None, 0.0, 0.15, True)
    r = fit(model, X, y, lr=0.05, batch_size=10, max_epochs=500, tol=1e-2, monitor="running",
            seed=0)  # fmt: skip
    assert r.status == "converged" and r.n_epochs < 500
    with pytest.raises(HyperparameterError, match="monitor='partial'"):
        fit(model, X, y, monitor="partial")


def test_estimators_skip_the_full_passes_only_when_nothing_reads_them() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(500, 3))
    y = X @ [1.0, -1.0, 2.0] + 0.5
    quiet = GDRegressor(batch_size=1, max_epochs=2, tol=None, random_state=0).fit(X, y)
    with pytest.warns(ConvergenceWarning):  # (two epochs are too few for tol)
        stops = GDRegressor(batch_size=1, max_epochs=2, tol=1e-4, random_state=0).fit(X, y)
    assert math.isnan(quiet.history_.loss[0]) and np.isfinite(quiet.history_.loss[1:]).all()
    assert np.isfinite(stops.history_.loss).all() and np.isfinite(stops.history_.grad_norm).all()
    np.testing.assert_array_equal(quiet.coef_, stops.coef_)  # the same two epochs
    labels = (y > 0.5).astype(int)
    clf = GDClassifier(batch_size=1, max_epochs=1, tol=None, random_state=0).fit(X, labels)
    assert clf.history_.loss[1] > 0 and clf.score(X, labels) > 0.9


def test_an_unknown_monitor_is_refused_by_both_loops(tmp_path: Any) -> None:
    import descend

    X, y = np.ones((10, 2)), np.arange(10.0)
    model = LinearModel(2, 1, "squared", None, 0.0, 0.15, True)
    for extra in ({}, {"checkpoint": tmp_path / "ck"}):
        with pytest.raises(HyperparameterError, match="monitor='batch'; give 'full' or"):
            descend.fit(model, X, y, monitor="batch", **extra)
