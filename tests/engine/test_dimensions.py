"""The n-dimensional built-ins (sphere, rosenbrock, rastrigin, ackley) take their dimension
from x0 or the domain in every entry point, and the strategies take an analytic ``grad=``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import descend
from descend import random_restarts, simulated_annealing


def test_minimize_sphere_in_five_dimensions_is_the_closed_form():
    # ∇(Σx²) = 2x, so x ← x − 0.1·2x = 0.8x in every coordinate.
    r = descend.minimize("sphere", [1.0, -2.0, 3.0, 0.5, 4.0], lr=0.1, max_iter=3, tol=0)
    expected = np.array([1.0, -2.0, 3.0, 0.5, 4.0]) * 0.8 ** np.arange(4)[:, None]
    np.testing.assert_allclose(r.history.x, expected, rtol=1e-12)


def test_minimize_rastrigin_in_ten_dimensions_takes_one_gradient_step():
    # ∂/∂xᵢ [10n + Σ(xᵢ² − 10cos 2πxᵢ)] = 2xᵢ + 20π sin 2πxᵢ, written out here.
    x0 = np.full(10, 0.3)
    r = descend.minimize("rastrigin", x0, lr=0.001, max_iter=1, tol=0)
    step = 2 * 0.3 + 20 * math.pi * math.sin(2 * math.pi * 0.3)
    np.testing.assert_allclose(r.x, x0 - 0.001 * step, rtol=1e-12)
    assert r.fun == pytest.approx(
        100 + sum(v**2 - 10 * math.cos(2 * math.pi * v) for v in r.x), rel=1e-12
    )


def test_random_restarts_takes_the_dimension_from_the_domain():
    # On the sphere, α = 0.5 reaches the minimum in one step: x − 0.5·2x = 0.
    rr = random_restarts("sphere", 4, domain=[(-1.0, 1.0)] * 3, optimizer="sgd", lr=0.5, seed=0)
    assert rr.starts.shape == (4, 3)
    np.testing.assert_allclose(rr.x, 0.0, atol=1e-15)
    rr = random_restarts("rastrigin", 3, domain=[(-5.12, 5.12)] * 10, max_iter=5, seed=0)
    assert rr.starts.shape == (3, 10) and rr.best.x.shape == (10,)


def test_simulated_annealing_takes_the_dimension_from_x0():
    r = simulated_annealing("sphere", [1.0, 1.0, 1.0], lr=0.1, noise=0.0, max_iter=1, seed=0)
    np.testing.assert_allclose(r.x, [0.8, 0.8, 0.8], rtol=1e-12)  # one pure gradient step


def test_random_restarts_uses_an_analytic_grad():
    calls = {"grad": 0}

    def f(x):
        return float((x[0] - 1) ** 2 + (x[1] + 2) ** 2)

    def grad(x):
        calls["grad"] += 1
        return np.array([2 * (x[0] - 1), 2 * (x[1] + 2)])

    rr = random_restarts(
        f, 3, grad=grad, domain=[(-3, 3), (-3, 3)], optimizer="sgd", lr=0.25, seed=0
    )
    assert calls["grad"] > 0
    np.testing.assert_allclose(rr.best.x, [1.0, -2.0], atol=1e-6)  # the minimum by hand
    r = simulated_annealing(f, [0.0, 0.0], grad=grad, lr=0.5, noise=0.0, max_iter=1, seed=0)
    np.testing.assert_allclose(r.x, [1.0, -2.0], atol=1e-12)  # α = 1/2 lands in one step


def test_restarts_default_is_adam_in_python_and_on_the_command_line():
    from typer.testing import CliRunner

    from descend.main import app

    out = CliRunner().invoke(app, ["minimize", "sphere", "--restarts", "3", "--json"])
    assert out.exit_code == 0, out.output
    import json

    d = json.loads(out.stdout)
    assert d["optimizer"] == "adam" and d["lr"] == 0.001  # adam's own default α (Kingma & Ba)
    ref = random_restarts("sphere", 3, seed=0)
    np.testing.assert_allclose(d["x"], ref.best.x, rtol=1e-12)
