"""The shared stopping rules, and the loops that use them (unbounded objectives included)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import descend
from descend.engine.stopping import (
    EXPLODE_FACTOR,
    EXPLODED,
    FINE,
    UNBOUNDED,
    divergence,
    patience_count,
    tol_count,
)


def test_divergence_rules_by_hand():
    # J₀ = 1: the bound is 1e12·(1 + 1) = 2e12 either side of J₀
    assert divergence(1.0 + 2e12, 1.0, True) == FINE
    assert divergence(1.0 + 2.1e12, 1.0, True) == EXPLODED
    assert divergence(1.0 - 2e12, 1.0, True) == FINE
    assert divergence(1.0 - 2.1e12, 1.0, True) == UNBOUNDED
    assert divergence(0.5, 1.0, False) == EXPLODED


def test_patience_and_tol_counters_by_hand():
    assert patience_count(0.5, 1.0, 3) == (0.5, 0)
    assert patience_count(1.0, 1.0, 3) == (1.0, 4)  # equal is no improvement
    assert tol_count(0.95, 1.0, 2, 0.1) == (0.95, 3)  # improved, but by less than tol
    assert tol_count(0.85, 1.0, 2, 0.1) == (0.85, 0)


def _first_step_past_bound() -> int:
    """−x² from x₀ = 1 by gradient descent at α = 0.01: x_t = 1.02ᵗ, J_t = −1.02²ᵗ; the run
    must stop at the first t with J_t < J₀ − 1e12·(1 + |J₀|) = −1 − 2e12."""
    t = 0
    while -(1.02 ** (2 * t)) >= -1.0 - EXPLODE_FACTOR * 2.0:
        t += 1
    return t


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_an_objective_unbounded_below_is_reported_as_diverged(engine):
    t = _first_step_past_bound()
    result = descend.minimize("-x**2", [1.0], lr=0.01, max_iter=5000, engine=engine)
    assert result.status == "diverged"
    assert result.diverged_at == t
    assert result.nit == t - 1
    assert result.x[0] == pytest.approx(1.02 ** (t - 1), rel=1e-9)
    assert result.suggested_lr is None
    assert "unbounded below" in result.message
    assert result.message.startswith(f"diverged after {t - 1} steps: the next step took J below")


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_gradient_ascent_on_a_bowl_is_unbounded_above(engine):
    # ascent on x²: x_t = 3·1.2ᵗ at α = 0.1; stops once x_t² > 9 + 1e12·10
    t = next(t for t in range(1000) if 9 * 1.44**t > 9 + EXPLODE_FACTOR * 10)
    result = descend.minimize("x**2", [3.0], lr=0.1, maximize=True, engine=engine, max_iter=500)
    assert (result.status, result.diverged_at) == ("diverged", t)
    assert "unbounded above" in result.message
    assert math.isfinite(result.fun) and np.isfinite(result.x).all()
