"""Linear models on a flat θ: packing, penalties, gradients against central differences."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from descend import (
    DataError,
    HyperparameterError,
    LinearModel,
    ShapeError,
    linear_regression,
    linear_svm,
    logistic_regression,
    softmax_regression,
)
from descend.models.linear import check_data, check_theta

RNG = np.random.default_rng(42)
X = RNG.normal(size=(30, 4))
Y_REG = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.3 + RNG.normal(size=30)
Y_01 = (X[:, 0] + 0.5 * RNG.normal(size=30) > 0).astype(float)
Y_PM = 2 * Y_01 - 1
Y_K = RNG.integers(0, 3, size=30)


def central_gradient(model: LinearModel, theta: np.ndarray, X: np.ndarray, y: np.ndarray):
    """∇J(θ) by central differences, independent of the model's gradient code."""
    h = 1e-6
    grad = np.empty_like(theta)
    for i in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (model.loss_value(up, X, y) - model.loss_value(down, X, y)) / (2 * h)
    return grad


PENALTIES = [(None, 0.0), ("l2", 0.3), ("l1", 0.2), ("elasticnet", 0.25)]


@pytest.mark.parametrize(("penalty", "alpha"), PENALTIES)
@pytest.mark.parametrize(
    ("make", "y"),
    [
        (lambda **kw: linear_regression(4, loss="squared", **kw), Y_REG),
        (lambda **kw: linear_regression(4, loss="mse", **kw), Y_REG),
        (lambda **kw: linear_regression(4, loss="absolute", **kw), Y_REG),
        (lambda **kw: linear_regression(4, loss="huber", **kw), Y_REG),
        (lambda **kw: logistic_regression(4, **kw), Y_01),
        (lambda **kw: linear_svm(4, **kw), Y_PM),
        (lambda **kw: softmax_regression(4, 3, **kw), Y_K),
    ],
    ids=["squared", "mse", "absolute", "huber", "log_loss", "hinge", "softmax"],
)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gradient_matches_central_differences(make, y, penalty, alpha, fit_intercept) -> None:
    model = make(penalty=penalty, alpha=alpha, fit_intercept=fit_intercept)
    theta = np.random.default_rng(7).normal(size=model.n_params)  # no weight at the L1 kink
    value, grad = model.value_and_grad(theta, X, y)
    assert value == pytest.approx(model.loss_value(theta, X, y), rel=1e-15)
    np.testing.assert_allclose(grad, model.gradient(theta, X, y), rtol=1e-15)
    np.testing.assert_allclose(grad, central_gradient(model, theta, X, y), rtol=1e-6, atol=1e-7)


def test_packing_layout_and_round_trip() -> None:
    model = softmax_regression(2, 3)
    theta = np.arange(9.0)
    coef, intercept = model.unpack(theta)
    np.testing.assert_array_equal(intercept, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(coef, [[3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
    np.testing.assert_array_equal(model.pack(coef, intercept), theta)
    assert np.shares_memory(coef, theta)  # views, not copies

    reg = linear_regression(3)
    assert reg.n_params == 4 and reg.init_params().tolist() == [0.0] * 4
    coef, b = reg.unpack(np.array([0.5, 1.0, 2.0, 3.0]))
    assert b == 0.5 and coef.tolist() == [1.0, 2.0, 3.0]
    no_b = linear_regression(3, fit_intercept=False)
    assert no_b.n_params == 3 and no_b.unpack(np.ones(3))[1] == 0.0
    assert softmax_regression(2, 3, fit_intercept=False).n_params == 6
    with pytest.raises(ShapeError, match="4 parameters"):
        reg.unpack(np.zeros(5))
    with pytest.raises(ShapeError):
        reg.pack(np.zeros(2))


def test_decision_is_xw_plus_b() -> None:
    model = linear_regression(4)
    theta = np.array([0.5, 1.0, -1.0, 2.0, 0.0])
    np.testing.assert_allclose(model.decision(theta, X), X @ theta[1:] + 0.5, rtol=1e-15)
    soft = softmax_regression(4, 3)
    th = RNG.normal(size=soft.n_params)
    np.testing.assert_allclose(soft.decision(th, X), X @ th[3:].reshape(4, 3) + th[:3])


def test_intercept_is_never_penalised() -> None:
    for penalty in ("l2", "l1", "elasticnet"):
        model = linear_regression(4, penalty=penalty, alpha=0.7)
        theta = np.array([5.0, 1.0, -2.0, 0.5, 3.0])
        shifted = theta.copy()
        shifted[0] = -40.0
        assert model.penalty_value(theta) == model.penalty_value(shifted)
        assert model.penalty_gradient(theta)[0] == 0.0
    w = np.array([1.0, -2.0, 0.5, 3.0])
    theta = np.r_[5.0, w]
    assert linear_regression(4, penalty="l2", alpha=0.5).penalty_value(theta) == pytest.approx(
        0.25 * w @ w
    )
    assert linear_regression(4, penalty="l1", alpha=0.5).penalty_value(theta) == 0.5 * 6.5
    enet = linear_regression(4, penalty="elasticnet", alpha=0.5, l1_ratio=0.4)
    assert enet.penalty_value(theta) == pytest.approx(0.5 * (0.4 * 6.5 + 0.6 * 0.5 * (w @ w)))


def test_loss_is_mean_over_rows_given() -> None:
    model = linear_regression(4)
    theta = RNG.normal(size=5)
    rows = [model.gradient(theta, X[i : i + 1], Y_REG[i : i + 1]) for i in range(len(X))]
    np.testing.assert_allclose(np.mean(rows, axis=0), model.gradient(theta, X, Y_REG))
    halves = [model.loss_value(theta, X[s], Y_REG[s]) for s in (slice(0, 15), slice(15, 30))]
    assert np.mean(halves) == pytest.approx(model.loss_value(theta, X, Y_REG))


def test_float32_data_is_not_copied_to_float64() -> None:
    X32 = np.random.default_rng(0).normal(size=(4000, 250)).astype(np.float32)  # 4 MB
    y = np.zeros(4000)
    model = linear_regression(250)
    theta = np.random.default_rng(1).normal(size=251)
    model.gradient(theta, X32[:5], y[:5])  # warm up
    tracemalloc.start()
    z = model.decision(theta, X32)
    grad = model.gradient(theta, X32, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000, peak  # a float64 copy of X would be 8 MB
    assert z.dtype == np.float64 and grad.dtype == np.float64
    X64 = X32.astype(np.float64)
    np.testing.assert_allclose(z, model.decision(theta, X64), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(grad, model.gradient(theta, X64, y), rtol=1e-4, atol=1e-3)


def test_invalid_models() -> None:
    with pytest.raises(HyperparameterError, match="penalty"):
        linear_regression(2, penalty="l3")  # type: ignore[arg-type]
    with pytest.raises(HyperparameterError, match="alpha"):
        linear_regression(2, penalty="l2", alpha=-1.0)
    with pytest.raises(HyperparameterError, match="l1_ratio"):
        linear_regression(2, penalty="elasticnet", l1_ratio=1.5)
    with pytest.raises(HyperparameterError, match="n_features"):
        linear_regression(0)
    with pytest.raises(HyperparameterError, match="n_outputs >= 2"):
        LinearModel(3, 1, "softmax")
    with pytest.raises(HyperparameterError, match="softmax"):
        LinearModel(3, 2, "squared")
    assert linear_svm(2).penalty == "l2" and linear_svm(2).alpha == 1e-4
    assert logistic_regression(2).loss_fn.name == "log_loss"


def test_check_data_messages() -> None:
    model = linear_regression(2)
    with pytest.raises(ShapeError, match=r"\(3, 2\).*\(4,\)"):
        check_data(model, np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ShapeError, match="2-D"):
        check_data(model, np.zeros(3), np.zeros(3))
    with pytest.raises(ShapeError, match="expects 2 features"):
        check_data(model, np.zeros((3, 5)), np.zeros(3))
    bad = np.zeros((4, 2))
    bad[2, 1] = np.nan
    with pytest.raises(DataError, match="row 2, column 1"):
        check_data(model, bad, np.zeros(4))
    with pytest.raises(DataError, match="row 3"):
        check_data(model, np.zeros((4, 2)), np.array([0, 1, 2, np.inf]))
    with pytest.raises(DataError, match="not numeric"):
        check_data(model, np.array([["a", "b"]]), np.zeros(1))
    with pytest.raises(DataError, match=r"y\[1\]"):
        check_data(logistic_regression(2), np.zeros((2, 2)), np.array([0, 2]))
    with pytest.raises(DataError, match=r"\[-1.0, 1.0\]"):
        check_data(linear_svm(2), np.zeros((2, 2)), np.array([0, 1]))
    with pytest.raises(DataError, match="encode"):
        check_data(softmax_regression(2, 3), np.zeros((2, 2)), np.array([0, 3]))
    Xc, yc = check_data(softmax_regression(2, 3), np.zeros((2, 2), dtype=int), np.array([2.0, 0]))
    assert Xc.dtype == np.float64 and yc.dtype == np.intp
    X32, _ = check_data(model, np.zeros((2, 2), dtype=np.float32), [1, 2])
    assert X32.dtype == np.float32
    assert check_theta(model, None).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ShapeError):
        check_theta(model, [1.0, 2.0])
    with pytest.raises(DataError):
        check_theta(model, [1.0, np.nan, 2.0])


def test_probabilities_are_the_logistic_and_the_softmax() -> None:
    from descend.models.linear import probabilities

    # σ(ln 3) = 3/4; softmax(0, ln 2, ln 5) = (1, 2, 5)/8
    np.testing.assert_allclose(probabilities(np.array([np.log(3.0)])), [[0.25, 0.75]])
    np.testing.assert_allclose(
        probabilities(np.array([[0.0, np.log(2.0), np.log(5.0)]])), [[1 / 8, 2 / 8, 5 / 8]]
    )
    far = probabilities(np.array([-800.0, 800.0]))  # no overflow far from 0
    np.testing.assert_array_equal(far, [[1.0, 0.0], [0.0, 1.0]])
