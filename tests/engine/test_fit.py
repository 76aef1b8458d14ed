"""The training loop: the seeds' examples, exact solutions, classifiers, stopping, auto lr."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression, Ridge

from descend import (
    OPTIMIZERS,
    DataError,
    HyperparameterError,
    ShapeError,
    adam,
    chain,
    clip,
    fit,
    linear_regression,
    linear_svm,
    logistic_regression,
    scale_by_learning_rate,
    sgd,
    softmax_regression,
    time_decay,
)
from descend.engine.batches import EpochOrder, batches, epoch_order, train_validation_split
from descend.engine.fit import EpochInfo, lr_range_test, run_epoch

HOURS = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
SCORES = np.array([2.0, 4.0, 5.0, 4.0, 5.0])


def regression_data(n: int = 400, d: int = 5, noise: float = 0.5, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 3.0 + noise * rng.normal(size=n)
    return X, y


def least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(np.c_[np.ones(len(X)), X], y, rcond=None)[0]


# --- batches -------------------------------------------------------------------------------


def test_batches_cover_every_row_once_per_epoch() -> None:
    rng = np.random.default_rng(3)
    assert list(batches(7, "full", rng)) == [slice(0, 7)]
    assert list(batches(3, 1, rng, shuffle=False)) == [slice(0, 1), slice(1, 2), slice(2, 3)]
    first = [b.tolist() for b in batches(7, 3, rng)]
    second = [b.tolist() for b in batches(7, 3, rng)]
    assert [len(b) for b in first] == [3, 3, 1]
    assert sorted(np.concatenate(first)) == list(range(7)) == sorted(np.concatenate(second))
    assert first != second  # a fresh permutation each epoch
    order = epoch_order(10, 4, np.random.default_rng(0), shuffle=False)
    assert isinstance(order, EpochOrder) and order.perm is None and len(order) == 3


@pytest.mark.parametrize("bad", [0, -2, 2.5, "half", None, True])
def test_invalid_batch_size(bad) -> None:
    with pytest.raises(HyperparameterError, match="batch_size"):
        list(batches(10, bad, np.random.default_rng(0)))


def test_train_validation_split() -> None:
    train, val = train_validation_split(20, 0.25, np.random.default_rng(0))
    assert len(val) == 5 and len(train) == 15
    assert sorted(np.r_[train, val].tolist()) == list(range(20))
    with pytest.raises(HyperparameterError):
        train_validation_split(20, 1.5, np.random.default_rng(0))
    with pytest.raises(DataError):
        train_validation_split(1, 0.5, np.random.default_rng(0))


# --- the seeds ------------------------------------------------------------------------------


def test_seed_example_least_squares_is_0_6x_plus_2_2() -> None:
    np.testing.assert_allclose(least_squares(HOURS, SCORES), [2.2, 0.6], rtol=1e-12)
    r = fit(linear_regression(1), HOURS, SCORES, lr="auto", max_epochs=1000, tol=None)
    np.testing.assert_allclose(r.theta, [2.2, 0.6], rtol=1e-12)


def test_seed_example_mse_gradient_descent_matches_an_independent_loop() -> None:
    """The seeds' loop: MSE with the (2/n) gradient, lr=0.01, 1000 epochs from m = b = 0."""
    X, y, n = HOURS[:, 0], SCORES, 5
    m = b = 0.0
    trace = {}
    for epoch in range(1000):
        y_pred = m * X + b
        dm = -(2 / n) * np.sum(X * (y - y_pred))
        db = -(2 / n) * np.sum(y - y_pred)
        m, b = m - 0.01 * dm, b - 0.01 * db
        trace[epoch] = (m, b)
    r = fit(linear_regression(1, loss="mse"), HOURS, SCORES, lr=0.01, max_epochs=1000, tol=None)
    np.testing.assert_allclose(r.theta, [b, m], rtol=1e-13)
    assert r.n_epochs == r.n_steps == 1000 and r.history.loss[0] == pytest.approx(17.2)
    # Exact arithmetic disagrees with the seed's printed output ("Epoch 0: m = 0.4000,
    # b = 0.2800", "Epoch 900: Loss = 0.4714, m = 0.6000, b = 2.2000"): after the first update
    # m = 0.264, b = 0.08, and at epoch 900 gradient descent is still on its way to 0.6x + 2.2
    # (the printed loss is even below the least-squares minimum 0.48).
    np.testing.assert_allclose(trace[0], (0.264, 0.08), rtol=1e-14)
    np.testing.assert_allclose(trace[900], (0.6247430021002038, 2.110669911506212), rtol=1e-12)
    np.testing.assert_allclose((m, b), (0.6176946148762643, 2.136116825825789), rtol=1e-12)
    assert r.history.loss[901] == pytest.approx(0.4814524, abs=1e-7)
    assert min(r.history.loss) > 0.48


def compute_gradient(X, y, theta):
    """The seeds' ``compute_gradient``: (1/m)·Xᵀ(Xθ − y)."""
    return (1 / len(y)) * X.T.dot(X.dot(theta) - y)


def test_seed_batch_stochastic_and_mini_batch_functions_agree_with_fit() -> None:
    X, y, lr, epochs = HOURS, SCORES, 0.01, 100
    model = linear_regression(1, fit_intercept=False)  # the seeds' θ has no intercept

    theta = np.zeros(1)
    for _ in range(epochs):
        theta = theta - lr * compute_gradient(X, y, theta)
    r = fit(model, X, y, lr=lr, max_epochs=epochs, tol=None, batch_size="full")
    np.testing.assert_allclose(r.theta, theta, rtol=1e-13)

    theta = np.zeros(1)
    for _ in range(epochs):
        for i in range(len(X)):
            theta = theta - lr * compute_gradient(X[i : i + 1], y[i : i + 1], theta)
    r = fit(model, X, y, lr=lr, max_epochs=epochs, tol=None, batch_size=1, shuffle=False)
    np.testing.assert_allclose(r.theta, theta, rtol=1e-13)
    assert r.n_steps == 5 * epochs

    rng, theta = np.random.default_rng(11), np.zeros(1)
    for _ in range(epochs):
        idx = rng.permutation(len(X))
        Xs, ys = X[idx], y[idx]
        for i in range(0, len(X), 2):
            theta = theta - lr * compute_gradient(Xs[i : i + 2], ys[i : i + 2], theta)
    r = fit(model, X, y, lr=lr, max_epochs=epochs, tol=None, batch_size=2, seed=11)
    np.testing.assert_allclose(r.theta, theta, rtol=1e-13)
    assert r.n_steps == 3 * epochs
    np.testing.assert_allclose(theta, 66 / 55, atol=0.05)  # near the least squares Σxy/Σx²


def test_same_seed_is_bit_identical_different_seed_differs() -> None:
    X, y = regression_data(100, 3)
    kw = dict(optimizer="adam", lr=0.05, batch_size=8, max_epochs=5, tol=None)
    a = fit(linear_regression(3), X, y, seed=5, **kw)
    b = fit(linear_regression(3), X, y, seed=5, **kw)
    c = fit(linear_regression(3), X, y, seed=6, **kw)
    assert np.array_equal(a.theta, b.theta) and not np.array_equal(a.theta, c.theta)


# --- exact solutions ------------------------------------------------------------------------


def test_converged_linear_regression_equals_lstsq() -> None:
    X, y = regression_data(200, 4)
    r = fit(linear_regression(4), X, y, lr="auto", max_epochs=300, tol=None)
    exact = least_squares(X, y)
    assert np.max(np.abs(r.theta - exact)) <= 1e-8 * np.max(np.abs(exact))
    r2 = fit(linear_regression(4), X, y, lr=0.5, max_epochs=400, tol=None)
    assert np.max(np.abs(r2.theta - exact)) <= 1e-8 * np.max(np.abs(exact))


def test_l2_penalty_matches_the_ridge_closed_form() -> None:
    X, y = regression_data(150, 4, seed=2)
    alpha, m = 0.3, len(X)
    r = fit(linear_regression(4, penalty="l2", alpha=alpha), X, y, lr="auto", max_epochs=400,
            tol=None)  # fmt: skip
    # mean ½(z − y)² + α/2‖w‖²  ⇒  (XcᵀXc/m + αI) w = Xcᵀyc/m,  b = ȳ − x̄·w
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc / m + alpha * np.eye(4), Xc.T @ yc / m)
    b = y.mean() - X.mean(axis=0) @ w
    np.testing.assert_allclose(r.theta, np.r_[b, w], rtol=1e-6)
    ridge = Ridge(alpha=alpha * m).fit(X, y)  # sklearn's Ridge: ‖y − Xw‖² + α‖w‖²
    np.testing.assert_allclose(r.theta, np.r_[ridge.intercept_, ridge.coef_], rtol=1e-6)


# --- classifiers ----------------------------------------------------------------------------


def test_logistic_regression_accuracy_close_to_sklearn() -> None:
    X, y = make_classification(n_samples=400, n_features=6, n_informative=4, n_redundant=0,
                               class_sep=1.5, n_clusters_per_class=1, random_state=0)  # fmt: skip
    r = fit(logistic_regression(6), X, y, optimizer="adam", lr=0.05, batch_size=32,
            max_epochs=60, seed=0)  # fmt: skip
    z = logistic_regression(6).decision(r.theta, X)
    ours = np.mean((z > 0) == y)
    theirs = LogisticRegression().fit(X, y).score(X, y)
    assert ours >= theirs - 0.02 and ours > 0.9


def test_softmax_regression_on_iris() -> None:
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    model = softmax_regression(4, 3)
    r = fit(model, X, y, lr="auto", max_epochs=300, tol=None)
    accuracy = np.mean(model.decision(r.theta, X).argmax(axis=1) == y)
    assert accuracy >= 0.95 and r.history.loss[-1] < 0.2 * r.history.loss[0]


def test_hinge_svm_separates_a_separable_set() -> None:
    rng = np.random.default_rng(1)
    shift = np.array([3.0, 3.0])
    X = np.r_[rng.normal(size=(60, 2)) + shift, rng.normal(size=(60, 2)) - shift]
    y = np.r_[np.ones(60), -np.ones(60)]
    model = linear_svm(2)
    r = fit(model, X, y, lr=0.05, batch_size=1, max_epochs=20, seed=0)
    assert np.all(np.sign(model.decision(r.theta, X)) == y)


# --- stopping, divergence, auto lr ----------------------------------------------------------


def test_divergence_is_a_status_with_a_finite_theta() -> None:
    X, y = regression_data(100, 3)
    for batch_size in ("full", 1):
        r = fit(linear_regression(3), X * 100, y, lr=1.0, batch_size=batch_size, max_epochs=50)
        assert r.status == "diverged" and not r.success
        assert np.all(np.isfinite(r.theta)) and np.all(np.isfinite(r.history.loss))
        assert "scale the features" in r.message.lower() and "lr=0.1" in r.message
        assert "diverged at epoch" in r.message


def test_auto_lr_reaches_the_least_squares_loss() -> None:
    X, y = regression_data(2000, 5, seed=4)  # well conditioned: XᵀX/m ≈ I
    model = linear_regression(5)
    best = model.loss_value(least_squares(X, y), X, y)
    full = fit(model, X, y, lr="auto", max_epochs=100, tol=None)
    assert abs(full.loss - best) <= 1e-3 * best and full.lr_chosen is None
    # Constant-lr SGD ends in a noise floor of relative size ≈ lr·tr(H)/(2b): b = 500 keeps it
    # well below 1e-3 at the chosen lr.
    mini = fit(model, X, y, lr="auto", batch_size=500, max_epochs=30, tol=None, seed=0)
    assert abs(mini.loss - best) <= 1e-3 * best
    assert mini.lr_chosen is not None and 1e-3 < mini.lr_chosen < 2.0
    assert np.all(mini.history.lr[1:] == mini.lr_chosen)
    chosen = lr_range_test(model, X, y, np.zeros(6), "sgd", 500, np.random.default_rng(0))
    assert chosen == mini.lr_chosen


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_trains(name: str) -> None:
    X, y = regression_data(300, 4, seed=1)
    r = fit(linear_regression(4), X, y, optimizer=name, lr=0.05, batch_size=16, max_epochs=40,
            tol=None, seed=0)  # fmt: skip
    assert r.status == "max_epochs" and r.loss <= 0.1 * r.history.loss[0]


def test_tol_stops_when_the_loss_stops_improving() -> None:
    X, y = regression_data(200, 3)
    r = fit(linear_regression(3), X, y, lr=0.1, max_epochs=1000, tol=1e-4, n_iter_no_change=3)
    assert r.status == "converged" and r.success and r.n_epochs < 1000
    assert "training loss" in r.message
    assert np.all(np.diff(r.history.loss[-4:]) > -1e-4)
    assert np.all(np.isnan(r.history.val_loss))


def test_early_stopping_uses_the_validation_loss() -> None:
    X, y = regression_data(200, 3)
    tol, patience = 1e-3, 4
    r = fit(linear_regression(3), X, y, optimizer="sgd", lr=0.05, batch_size=10, max_epochs=500,
            tol=tol, n_iter_no_change=patience, early_stopping=True, validation_fraction=0.2,
            seed=0)  # fmt: skip
    assert r.status == "converged" and "validation loss" in r.message
    val = r.history.val_loss
    assert np.all(np.isfinite(val))
    assert np.all(val[-patience:] > np.min(val[:-patience]) - tol)  # no improvement > tol
    assert r.n_steps == r.n_epochs * 16  # 160 training rows, batches of 10


def test_history_and_recorded_path() -> None:
    X, y = regression_data(50, 2)
    schedule = time_decay(0.1, k=0.01)
    r = fit(linear_regression(2), X, y, lr=schedule, batch_size=20, max_epochs=4, tol=None,
            seed=0, record_path=True)  # fmt: skip
    h = r.history
    assert r.n_steps == 12 and len(h) == 5 and np.isnan(h.lr[0])
    assert h.path is not None and h.step_loss is not None
    assert h.path.shape == (13, 3) and h.step_loss.shape == (12,)
    np.testing.assert_array_equal(h.path[0], np.zeros(3))
    np.testing.assert_array_equal(h.path[-1], r.theta)
    np.testing.assert_allclose(h.lr[1:], [schedule(t) for t in (2, 5, 8, 11)])
    grad = linear_regression(2).gradient(r.theta, X, y)
    assert h.grad_norm[-1] == pytest.approx(np.linalg.norm(grad))
    assert fit(linear_regression(2), X, y, max_epochs=1).history.path is None


def test_continue_from_theta_and_opt_state() -> None:
    X, y = regression_data(60, 2)
    kw = dict(optimizer="adam", lr=0.1, batch_size=7, shuffle=False, tol=None)
    whole = fit(linear_regression(2), X, y, max_epochs=6, **kw)
    first = fit(linear_regression(2), X, y, max_epochs=3, **kw)
    rest = fit(linear_regression(2), X, y, max_epochs=3, theta0=first.theta,
               opt_state=first.opt_state, **kw)  # fmt: skip
    np.testing.assert_array_equal(rest.theta, whole.theta)


def test_callback_verbose_and_kernel(capsys) -> None:
    X, y = regression_data(40, 2)
    seen: list[EpochInfo] = []
    calls = []

    def kernel(*args, **kwargs):
        calls.append(1)
        return run_epoch(*args, **kwargs)

    r = fit(linear_regression(2), X, y, lr=0.1, max_epochs=50, verbose=True, kernel=kernel,
            callback=lambda info: seen.append(info) or info.epoch == 3)  # fmt: skip
    assert r.status == "stopped" and r.n_epochs == 3 and len(seen) == 3 and len(calls) == 3
    assert seen[-1].loss == r.loss and seen[-1].n_steps == 3
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith("epoch     0") and "loss" in lines[1]


def test_built_optimizers_and_float32() -> None:
    X, y = regression_data(100, 2)
    a = fit(linear_regression(2), X, y, optimizer=sgd(0.1), max_epochs=20, tol=None)
    b = fit(linear_regression(2), X, y, lr=0.1, max_epochs=20, tol=None)
    np.testing.assert_array_equal(a.theta, b.theta)
    clipped = chain(clip(1.0), scale_by_learning_rate(0.1))
    assert fit(linear_regression(2), X, y, optimizer=clipped, max_epochs=5).loss < b.history.loss[0]
    with pytest.raises(HyperparameterError, match="lr was given"):
        fit(linear_regression(2), X, y, optimizer=adam(0.1), lr=0.5)
    with pytest.raises(HyperparameterError, match="named"):
        fit(linear_regression(2), X, y, optimizer=clipped, lr="auto", batch_size=10)
    f32 = fit(linear_regression(2), X.astype(np.float32), y, lr=0.1, max_epochs=20, tol=None)
    np.testing.assert_allclose(f32.theta, b.theta, rtol=1e-5)


def test_invalid_arguments() -> None:
    X, y = regression_data(20, 2)
    model = linear_regression(2)
    with pytest.raises(ShapeError, match=r"\(20, 2\).*\(19,\)"):
        fit(model, X, y[:-1])
    bad = X.copy()
    bad[4, 1] = np.inf
    with pytest.raises(DataError, match="row 4, column 1"):
        fit(model, bad, y)
    with pytest.raises(HyperparameterError, match="lr="):
        fit(model, X, y, lr="fast")
    with pytest.raises(HyperparameterError, match="lr="):
        fit(model, X, y, lr=-1.0)
    with pytest.raises(HyperparameterError, match="max_epochs"):
        fit(model, X, y, max_epochs=-1)
    with pytest.raises(HyperparameterError, match="tol"):
        fit(model, X, y, tol=-1.0)
    with pytest.raises(HyperparameterError, match="n_iter_no_change"):
        fit(model, X, y, n_iter_no_change=0)
    with pytest.raises(HyperparameterError, match="batch_size"):
        fit(model, X, y, batch_size=0)
    assert fit(model, X, y, max_epochs=0).n_epochs == 0
