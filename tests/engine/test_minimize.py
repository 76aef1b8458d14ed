"""The minimize loop: paths, stopping rules, divergence, ascent, line search, errors, results.

Every expected number is computed here by hand or in closed form (x_t = 10·0.8ᵗ for the
seeds' f(x) = x², x₀ = 10, α = 0.1), never read back from descend.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from support import run_square, square, square_grad

import descend
from descend import DescendError, ExpressionError, HyperparameterError, ShapeError, Step, expression
from descend.optim.line_search import ARMIJO_C

# --------------------------------------------------------------------------------------------
# The seeds' examples.
# --------------------------------------------------------------------------------------------


def test_seeds_first_example_path():
    # x_{t+1} = x_t − 0.1·2x_t = 0.8·x_t: 10, 8, 6.4, 5.12, 4.096, ...
    result = run_square(0.1, max_iter=30)
    x = result.history.x[:, 0]
    np.testing.assert_allclose(x[:5], [10.0, 8.0, 6.4, 5.12, 4.096], rtol=1e-12)
    want = 10.0 * 0.8 ** np.arange(31)
    np.testing.assert_allclose(x, want, rtol=1e-12)
    np.testing.assert_allclose(result.history.fun, want**2, rtol=1e-12)
    np.testing.assert_allclose(result.history.grad_norm, 2 * want, rtol=1e-12)
    np.testing.assert_allclose(result.history.lr, np.full(30, 0.1), rtol=0)
    np.testing.assert_allclose(result.history.step_size, 0.2 * want[:-1], rtol=1e-12)
    assert result.nit == 30
    assert result.status == "max_iter"
    assert result.x[0] == pytest.approx(10.0 * 0.8**30, rel=1e-12)
    assert result.fun == pytest.approx((10.0 * 0.8**30) ** 2, rel=1e-12)
    np.testing.assert_allclose(result.grad, [2 * 10.0 * 0.8**30], rtol=1e-12)
    assert len(result.history) == 31


def test_seeds_two_variable_gradient():
    # f(x, y) = x² + y², ∇f = [2x, 2y]: at (3, 4) the gradient is [6, 8]
    expr = expression("x**2 + y**2")
    np.testing.assert_allclose(expr.grad(np.array([3.0, 4.0])), [6.0, 8.0], rtol=1e-15)
    result = descend.minimize(expr, [3.0, 4.0], max_iter=0, engine="numpy")
    np.testing.assert_allclose(result.grad, [6.0, 8.0], rtol=1e-15)
    assert result.grad_norm == pytest.approx(10.0)
    assert result.fun == pytest.approx(25.0)
    assert result.nit == 0
    numeric = descend.numeric_grad(lambda v: v[0] ** 2 + v[1] ** 2, np.array([3.0, 4.0]))
    np.testing.assert_allclose(numeric, [6.0, 8.0], rtol=1e-8)


def test_seeds_two_variable_descent_is_geometric():
    # each coordinate shrinks by 1 − 2α = 0.8 per step
    result = descend.minimize(
        expression("x**2 + y**2"), [3.0, 4.0], lr=0.1, max_iter=10, tol=0, engine="numpy"
    )
    want = np.outer(0.8 ** np.arange(11), [3.0, 4.0])
    np.testing.assert_allclose(result.history.x, want, rtol=1e-12)


# --------------------------------------------------------------------------------------------
# Stopping rules.
# --------------------------------------------------------------------------------------------


def test_tol_stops_at_the_first_small_gradient():
    # |∇f(x_t)| = 2·10·0.8ᵗ; the first t with that < 1e-6 is the number of updates made.
    t = 0
    while 2 * 10 * 0.8**t >= 1e-6:
        t += 1
    assert t == 76  # ln(2e7)/ln(1.25) = 75.3
    result = run_square(0.1, tol=1e-6, max_iter=1000)
    assert result.status == "converged"
    assert result.success
    assert result.nit == t
    assert result.grad_norm < 1e-6 <= result.history.grad_norm[-2]
    assert "tol=1e-06" in result.message


def test_converged_at_the_start_makes_no_update():
    result = descend.minimize(square, [0.0], grad=square_grad, lr=0.1)
    assert result.status == "converged"
    assert result.nit == 0
    np.testing.assert_array_equal(result.history.x, [[0.0]])


def test_tol_zero_runs_exactly_max_iter():
    result = run_square(0.1, tol=0, max_iter=250)
    assert result.nit == 250
    assert result.status == "max_iter"
    assert not result.success
    assert len(result.history.x) == 251
    assert "max_iter=250" in result.message


def test_max_iter_zero():
    result = run_square(0.1, max_iter=0)
    assert result.nit == 0
    assert result.status == "max_iter"
    np.testing.assert_array_equal(result.x, [10.0])


@pytest.mark.parametrize("patience", [1, 3, 7])
def test_patience_stalls_an_oscillation(patience):
    # α = 1: x ← x − 2x = −x, so 10, −10, 10, ...; f stays 100 and never improves.
    result = run_square(1.0, max_iter=100, patience=patience)
    assert result.status == "stalled"
    assert result.nit == patience
    want = [10.0 * (-1) ** t for t in range(patience + 1)]
    np.testing.assert_array_equal(result.history.x[:, 0], want)
    np.testing.assert_array_equal(result.history.fun, np.full(patience + 1, 100.0))
    assert f"patience={patience}" in result.message


def test_patience_counts_steps_since_the_best_value():
    # f = |x| with a fixed step of 0.75·sign(x) from x₀ = 1: 1, 0.25, −0.5, 0.25, −0.5, ...
    # The best value 0.25 is reached at t = 1; nothing beats it afterwards, so with patience 4
    # the run stops after 1 + 4 = 5 updates.
    result = descend.minimize(
        lambda x: float(abs(x[0])), [1.0], grad=np.sign, lr=0.75, patience=4, tol=0
    )
    assert result.status == "stalled"
    assert result.nit == 5
    np.testing.assert_allclose(result.history.x[:, 0], [1.0, 0.25, -0.5, 0.25, -0.5, 0.25])


def test_patience_is_not_triggered_while_improving():
    result = run_square(0.1, tol=1e-6, max_iter=1000, patience=1)
    assert result.status == "converged"


# --------------------------------------------------------------------------------------------
# Gradient ascent.
# --------------------------------------------------------------------------------------------


def test_maximize():
    # θ ← θ + 0.1·(−2(θ − 3)) = θ − 0.2(θ − 3), so θ_t = 3 − 3·0.8ᵗ.
    result = descend.minimize(
        lambda x: float(-((x[0] - 3) ** 2)),
        [0.0],
        grad=lambda x: -2 * (x - 3),
        lr=0.1,
        maximize=True,
        tol=1e-10,
        max_iter=1000,
    )
    assert result.status == "converged"
    assert result.x[0] == pytest.approx(3.0, abs=1e-10)
    assert result.fun == pytest.approx(0.0, abs=1e-18)
    assert result.fun <= 0.0
    t = np.arange(result.nit + 1)
    np.testing.assert_allclose(result.history.x[:, 0], 3 - 3 * 0.8**t, rtol=1e-12, atol=1e-14)
    # the history holds the true values −(x − 3)² (not negated): −9, −5.76, −3.6864, ...
    np.testing.assert_allclose(result.history.fun[:3], [-9.0, -5.76, -3.6864], rtol=1e-12)
    np.testing.assert_allclose(result.history.fun, -((result.history.x[:, 0] - 3) ** 2), rtol=1e-12)
    assert np.all(np.diff(result.history.fun) > 0)
    # and the true gradient −2(x − 3)
    assert result.grad[0] == pytest.approx(-2 * (result.x[0] - 3), abs=1e-18)
    assert "maximum" in result.message


def test_maximize_callback_and_text_see_true_values():
    seen = []
    descend.minimize(
        expression("-(x - 3)**2"),
        [0.0],
        lr=0.1,
        maximize=True,
        max_iter=2,
        tol=0,
        engine="numpy",
        callback=seen.append,
    )
    # θ₁ = 0.6, f = −5.76, ∇f = −2(0.6 − 3) = 4.8;  θ₂ = 1.08, f = −3.6864, ∇f = 3.84
    assert [s.t for s in seen] == [1, 2]
    np.testing.assert_allclose([s.fun for s in seen], [-5.76, -3.6864], rtol=1e-12)
    np.testing.assert_allclose([s.grad[0] for s in seen], [4.8, 3.84], rtol=1e-12)


# --------------------------------------------------------------------------------------------
# lr="auto": Armijo backtracking.
# --------------------------------------------------------------------------------------------


def ill(x):
    return float(x[0] ** 2 + 100 * x[1] ** 2)


def ill_grad(x):
    return np.array([2 * x[0], 200 * x[1]])


def rosen(x):
    return float((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2)


def rosen_grad(x):
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


def assert_armijo(result, f, grad):
    """f(θ_{t+1}) ≤ f(θ_t) − c·α_t·‖∇f(θ_t)‖² for every accepted sgd step (d = −∇f)."""
    xs, fs, lrs = result.history.x, result.history.fun, result.history.lr
    assert len(lrs) == len(xs) - 1 > 0
    for t in range(len(lrs)):
        g = grad(xs[t])
        assert fs[t] == pytest.approx(f(xs[t]), rel=1e-15)
        np.testing.assert_allclose(xs[t + 1], xs[t] - lrs[t] * g, rtol=1e-15, atol=1e-300)
        bound = fs[t] - 1e-4 * lrs[t] * float(g @ g)
        assert fs[t + 1] <= bound + 1e-15 * abs(fs[t]), t


def test_armijo_constant_is_the_usual_one():
    assert ARMIJO_C == 1e-4


def test_auto_lr_converges_on_an_ill_conditioned_quadratic():
    result = descend.minimize(
        ill, [1.0, 1.0], grad=ill_grad, optimizer="sgd", lr="auto", max_iter=5000, tol=1e-6
    )
    assert result.status == "converged"
    np.testing.assert_allclose(result.x, [0.0, 0.0], atol=1e-6)
    assert np.all(result.history.lr > 0)
    assert_armijo(result, ill, ill_grad)


def test_auto_lr_beats_a_fixed_small_lr_on_rosenbrock():
    kwargs = dict(grad=rosen_grad, optimizer="sgd", max_iter=300, tol=0)
    auto = descend.minimize(rosen, [-1.2, 1.0], lr="auto", **kwargs)
    fixed = descend.minimize(rosen, [-1.2, 1.0], lr=1e-3, **kwargs)
    assert auto.nit == fixed.nit == 300
    assert auto.status == fixed.status == "max_iter"
    assert auto.fun < fixed.fun
    assert auto.fun < rosen(np.array([-1.2, 1.0]))
    assert_armijo(auto, rosen, rosen_grad)


def test_auto_lr_is_monotone():
    result = descend.minimize(rosen, [-1.2, 1.0], grad=rosen_grad, lr="auto", max_iter=200, tol=0)
    assert np.all(np.diff(result.history.fun) <= 0)


def test_auto_lr_with_momentum_direction_decreases_f():
    result = descend.minimize(
        rosen, [-1.2, 1.0], grad=rosen_grad, optimizer="momentum", lr="auto", max_iter=200, tol=0
    )
    assert np.all(np.diff(result.history.fun) <= 1e-15)
    assert result.fun < 1.0


# --------------------------------------------------------------------------------------------
# Numeric gradients.
# --------------------------------------------------------------------------------------------


def smooth(x):
    return float((x[0] - 1) ** 2 + 2 * (x[1] + 2) ** 2 + 0.1 * x[0] ** 4 + math.sin(x[1]))


def smooth_grad(x):
    return np.array([2 * (x[0] - 1) + 0.4 * x[0] ** 3, 4 * (x[1] + 2) + math.cos(x[1])])


def test_numeric_gradient_path_matches_the_analytic_one():
    kwargs = dict(optimizer="momentum", lr=0.02, max_iter=150, tol=0)
    analytic = descend.minimize(smooth, [2.0, 1.0], grad=smooth_grad, **kwargs)
    numeric = descend.minimize(smooth, [2.0, 1.0], **kwargs)
    np.testing.assert_allclose(numeric.history.x, analytic.history.x, atol=1e-6)
    np.testing.assert_allclose(numeric.grad, analytic.grad, atol=1e-6)


def test_check_grad():
    x = [0.7, -1.3]
    assert descend.check_grad(smooth, smooth_grad, x) < 1e-6

    def wrong(v):  # forgot the 0.4x³ term
        return np.array([2 * (v[0] - 1), 4 * (v[1] + 2) + math.cos(v[1])])

    # the missing term is 0.4·0.7³ = 0.1372
    assert descend.check_grad(smooth, wrong, x) == pytest.approx(0.4 * 0.7**3, rel=1e-5)


def test_check_grad_shape_error():
    with pytest.raises(ShapeError, match=r"shape \(3,\)"):
        descend.check_grad(smooth, lambda v: np.zeros(3), [1.0, 2.0])


# --------------------------------------------------------------------------------------------
# Callback and trace.
# --------------------------------------------------------------------------------------------


def test_callback_receives_steps_and_can_stop():
    seen: list[Step] = []

    def callback(step):
        assert isinstance(step, Step)
        seen.append(step)
        return step.t == 3

    result = run_square(0.1, max_iter=100, callback=callback)
    assert result.status == "stopped"
    assert result.nit == 3
    assert not result.success
    assert "callback" in result.message
    assert [s.t for s in seen] == [1, 2, 3]
    for s in seen:
        x = 10.0 * 0.8**s.t
        assert s.x[0] == pytest.approx(x, rel=1e-12)
        assert s.fun == pytest.approx(x * x, rel=1e-12)
        assert s.grad[0] == pytest.approx(2 * x, rel=1e-12)
        assert s.lr == 0.1


def test_callback_returning_none_does_not_stop():
    calls = []
    result = run_square(0.1, max_iter=5, callback=lambda s: calls.append(s.t))
    assert result.status == "max_iter"
    assert calls == [1, 2, 3, 4, 5]


def test_callback_steps_are_copies():
    seen = []
    run_square(0.1, max_iter=3, callback=seen.append)
    seen[0].x[0] = 123.0
    assert seen[1].x[0] == pytest.approx(6.4)


def test_log_every_prints_the_step_numbers(capsys):
    run_square(0.1, max_iter=5, log_every=2)
    out = capsys.readouterr().out
    assert re.findall(r"^step\s+(\d+)", out, flags=re.MULTILINE) == ["0", "2", "4"]
    assert "100" in out.splitlines()[0]  # J(x₀) = 10² = 100
    assert "6.4" in out.splitlines()[1]  # x₂ = 6.4


def test_no_output_without_log_every(capsys):
    run_square(0.1, max_iter=5)
    assert capsys.readouterr().out == ""


# --------------------------------------------------------------------------------------------
# Errors.
# --------------------------------------------------------------------------------------------


def test_wrong_length_x0():
    with pytest.raises(ShapeError, match=r"3 value\(s\).*takes 2"):
        descend.minimize(expression("x**2 + y**2"), [1.0, 2.0, 3.0])


def test_x0_must_be_one_finite_point():
    with pytest.raises(ShapeError, match=r"shape \(2, 2\)"):
        descend.minimize(square, [[1.0, 2.0], [3.0, 4.0]], grad=square_grad)
    with pytest.raises(ShapeError, match="non-finite"):
        descend.minimize(square, [float("nan")], grad=square_grad)
    with pytest.raises(ShapeError, match="not a list of numbers"):
        descend.minimize(square, ["a"], grad=square_grad)


def test_gradient_of_the_wrong_shape():
    with pytest.raises(ShapeError, match=r"shape \(3,\).*\(2,\)"):
        descend.minimize(lambda x: float(x @ x), [1.0, 2.0], grad=lambda x: np.zeros(3))


def test_text_not_finite_at_the_start():
    with pytest.raises(ExpressionError, match=r"not finite at the start x0=\[-1\.0\]") as info:
        descend.minimize(expression("log(x)"), [-1.0])
    assert isinstance(info.value, DescendError)


def test_callable_not_finite_at_the_start():
    with pytest.raises(DescendError, match="not finite at the start"):
        descend.minimize(lambda x: float("nan"), [1.0], grad=lambda x: np.zeros(1))
    with pytest.raises(DescendError, match="not finite at the start"):
        descend.minimize(square, [1.0], grad=lambda x: np.array([np.inf]))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(max_iter=-1), r"max_iter=-1"),
        (dict(max_iter=2.5), r"max_iter=2\.5"),
        (dict(max_iter=True), r"max_iter=True"),
        (dict(max_iter="10"), r"max_iter='10'"),
        (dict(tol=-1e-3), r"tol=-0\.001"),
        (dict(tol=float("nan")), r"tol=nan"),
        (dict(tol="small"), r"tol='small'"),
        (dict(patience=0), r"patience=0"),
        (dict(patience=-3), r"patience=-3"),
        (dict(patience=2.5), r"patience=2\.5"),
        (dict(log_every=0), r"log_every=0"),
        (dict(lr="fast"), r"lr='fast'"),
        (dict(lr=-0.1), r"lr=-0\.1"),
        (dict(lr=0.1, optimizer=descend.sgd(0.1)), r"lr was given"),
        (dict(engine="gpu"), r"engine='gpu'"),
        (dict(optimizer="adam", lr=float("nan")), r"lr=nan"),
    ],
)
def test_bad_loop_arguments(kwargs, match):
    with pytest.raises(HyperparameterError, match=match):
        descend.minimize(square, [1.0], grad=square_grad, **kwargs)


def test_unknown_optimizer_in_minimize():
    with pytest.raises(descend.UnknownNameError, match="choose one of"):
        descend.minimize(square, [1.0], grad=square_grad, optimizer="lbfgs")


# --------------------------------------------------------------------------------------------
# Result.
# --------------------------------------------------------------------------------------------


def test_result_repr():
    result = run_square(0.1, max_iter=3)
    text = repr(result)
    assert "status: max_iter" in text
    assert "x: [5.12]" in text
    assert "nit: 3" in text


def test_result_repr_after_divergence():
    text = repr(run_square(1.1, max_iter=1000))
    assert "status: diverged" in text
    assert "diverged_at:" in text
    assert "suggested_lr: 0.11" in text


def test_to_dict_is_json():
    result = run_square(0.1, max_iter=3)
    d = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert d["status"] == "max_iter"
    assert d["nit"] == 3
    np.testing.assert_allclose(d["x"], [5.12])
    np.testing.assert_allclose(d["history"]["x"], [[10.0], [8.0], [6.4], [5.12]])
    assert "history" not in result.to_dict(with_history=False)


def test_to_dict_turns_non_finite_numbers_into_none():
    history = descend.History(
        x=np.array([[1.0, np.nan]]),
        fun=np.array([np.inf]),
        grad_norm=np.array([np.nan]),
        lr=np.array([]),
        step_size=np.array([]),
    )
    result = descend.Result(
        x=np.array([1.0, np.nan]),
        fun=float("inf"),
        grad=np.array([np.nan, 2.0]),
        grad_norm=float("nan"),
        nit=0,
        status="diverged",
        message="m",
        history=history,
    )
    d = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert d["x"] == [1.0, None]
    assert d["fun"] is None
    assert d["grad"] == [None, 2.0]
    assert d["grad_norm"] is None
    assert d["history"]["x"] == [[1.0, None]]
    assert d["history"]["fun"] == [None]


def test_history_records_the_learning_rate_inside_a_chain():
    # clip(10) then sgd with α_t = 0.1 / (1 + 0.5 t): from x₀ = 10, ∇ = 20 is clipped to 10,
    # so x₁ = 10 − 0.1·10 = 9; then ∇ = 18 → 10, x₂ = 9 − (0.1/1.5)·10 = 8.3333...
    opt = descend.chain(descend.clip(10.0), descend.sgd(descend.time_decay(0.1, k=0.5)))
    result = descend.minimize(
        lambda x: float(x[0] ** 2), [10.0], grad=lambda x: 2 * x, optimizer=opt, max_iter=3, tol=0
    )
    np.testing.assert_allclose(result.history.lr, [0.1, 0.1 / 1.5, 0.1 / 2.0], rtol=1e-15)
    np.testing.assert_allclose(result.history.x[:3, 0], [10.0, 9.0, 9.0 - 1 / 1.5], rtol=1e-15)
