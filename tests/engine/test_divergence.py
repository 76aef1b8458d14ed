"""Divergence in minimize: a status with the step and a suggested learning rate, never an
exception, a NaN in x or an overflow warning (huge but finite values included)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from support import run_square

import descend
from descend.engine.stopping import EXPLODE_FACTOR

# --------------------------------------------------------------------------------------------
# Divergence.
# --------------------------------------------------------------------------------------------


def test_divergence_is_a_status():
    # α = 1.1: x ← x − 2.2x = −1.2x, so x_t = 10·(−1.2)ᵗ and f_t = 100·1.44ᵗ. The run stops at
    # the first t with f_t above f₀ + EXPLODE_FACTOR·(1 + f₀), and keeps θ_{t−1}.
    threshold = 100.0 + EXPLODE_FACTOR * 101.0
    t = 1
    while 100.0 * 1.44**t <= threshold:
        t += 1
    result = run_square(1.1, max_iter=1000)
    assert result.status == "diverged"
    assert not result.success
    assert isinstance(result.diverged_at, int)
    assert result.diverged_at == t
    assert result.nit == t - 1
    np.testing.assert_allclose(result.history.x[:, 0], 10.0 * (-1.2) ** np.arange(t), rtol=1e-12)
    assert np.all(np.isfinite(result.x))
    for array in (
        result.history.x,
        result.history.fun,
        result.history.grad_norm,
        result.history.lr,
        result.history.step_size,
    ):
        assert not np.any(np.isnan(array))
    assert result.suggested_lr is not None
    assert result.suggested_lr < 1.1
    assert result.suggested_lr == pytest.approx(0.11)
    assert "smaller learning rate" in result.message
    # one step count everywhere: the history holds t − 1 steps, and so does the message
    assert f"diverged after {t - 1} steps" in result.message
    assert result.message.count("diverged") == 1


def exp_square(x):
    return float(np.exp(x[0] ** 2))


def exp_square_grad(x):
    return 2 * x * np.exp(x**2)


def test_divergence_when_the_value_overflows_to_inf():
    # f = exp(x²): f(10) = e¹⁰⁰ ≈ 2.7e43, f'(10) = 20e¹⁰⁰ ≈ 5.4e44. One step of α = 0.1 goes to
    # x ≈ −5.4e43, where exp(x²) overflows to inf: divergence at the first update, θ stays x₀.
    result = descend.minimize(exp_square, [10.0], grad=exp_square_grad, lr=0.1, max_iter=10)
    assert result.status == "diverged"
    assert result.diverged_at == 1
    assert result.nit == 0
    np.testing.assert_array_equal(result.x, [10.0])
    assert result.fun == pytest.approx(math.exp(100.0), rel=1e-12)
    assert result.suggested_lr == pytest.approx(0.01)
    assert "lr=0.01" in result.message
    assert np.all(np.isfinite(result.history.fun))


def test_unbounded_descent_gives_no_suggested_lr():
    # f = −x, taken to −inf from x = 100 on: x_t = 10t with α = 10, so f(x₁₀) = −inf. The value
    # went down, not up: the step was not "too large", the function is unbounded below.
    def f(x):
        return -math.inf if x[0] >= 100 else float(-x[0])

    result = descend.minimize(f, [0.0], grad=lambda x: -np.ones(1), lr=10.0, tol=0)
    assert result.status == "diverged"
    assert result.diverged_at == 10
    assert result.nit == 9
    np.testing.assert_array_equal(result.x, [90.0])
    assert result.suggested_lr is None
    assert "unbounded" in result.message


def test_stepping_out_of_the_domain_suggests_a_smaller_lr():
    # f = x − log x (minimum at x = 1, domain x > 0): from x₀ = 5, f' = 0.8 and α = 10 jump to
    # x = −3 where f is NaN. A smaller step (α = 1 converges) is the fix, not unboundedness.
    def f(x):
        return float(x[0] - np.log(x[0]))

    result = descend.minimize(f, [5.0], grad=lambda x: 1 - 1 / x, lr=10.0)
    assert result.status == "diverged"
    assert result.suggested_lr is not None
    assert result.suggested_lr < 10.0
    assert "smaller learning rate" in result.message


def test_huge_but_finite_gradient_norm():
    # cosh(700) ≈ 5.07e303 and sinh(700) ≈ 5.07e303 are finite; ‖∇f(x₀)‖ = sinh(700).
    result = descend.minimize(
        lambda x: float(np.cosh(x[0])), [700.0], grad=np.sinh, lr=1.0, max_iter=10, tol=0
    )
    assert result.history.grad_norm[0] == pytest.approx(math.sinh(700.0), rel=1e-12)
    assert result.status == "diverged"
    assert result.diverged_at == 1


def test_huge_but_finite_steps():
    # ∇f = −1 with α = 1e307: x_t = t·1e307, finite up to t = 17; every step has size 1e307.
    # (J is held at 0, so that only the step sizes are at stake: −x itself is unbounded below.)
    result = descend.minimize(
        lambda x: 0.0, [0.0], grad=lambda x: -np.ones(1), lr=1e307, max_iter=10, tol=0
    )
    np.testing.assert_allclose(result.history.step_size, np.full(10, 1e307), rtol=1e-12)


def test_divergence_after_a_finite_huge_value():
    # x₀ = 1e154: f₀ = 1e308; x₁ = −1.2e154, f₁ = 1.44e308 (finite); x₂ = 1.44e154, f₂ = inf.
    result = descend.minimize(
        lambda x: x[0] * x[0], [1e154], grad=lambda x: 2 * x, lr=1.1, max_iter=10, tol=0
    )
    assert result.status == "diverged"
    assert result.diverged_at == 2
    np.testing.assert_allclose(result.x, [-1.2e154], rtol=1e-12)


def test_to_dict_is_json_after_divergence():
    for result in (
        descend.minimize(exp_square, [10.0], grad=exp_square_grad, lr=0.1),
        run_square(1.1, max_iter=1000),
    ):
        assert result.status == "diverged"
        d = json.loads(json.dumps(result.to_dict(), allow_nan=False))
        assert d["status"] == "diverged"
        assert d["diverged_at"] == result.diverged_at
        assert d["suggested_lr"] == result.suggested_lr
        assert d["success"] is False
        assert len(d["history"]["fun"]) == result.nit + 1
