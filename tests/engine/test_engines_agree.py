"""Property: every expression the parser accepts runs on both engines, and they agree.

Expressions are drawn by hypothesis from the fuzz alphabet (``tests/fuzz.py``); the NumPy loop
is the reference, and the compiled loop must reach the same points (1e-9 relative), the same
status, or the same error. Each new expression costs a Numba compilation (about a second), so
the number of examples is small here; ``make fuzz`` runs the parser on many more inputs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from fuzz import CONSTANTS, FUNCTIONS, NUMBERS, OPERATORS, VARIABLES
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import descend
from descend import DescendError

leaves = st.sampled_from(VARIABLES + NUMBERS + CONSTANTS)
formulas = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(
            lambda t: f"({t[0]}){t[1]}({t[2]})"
        ),
        st.tuples(st.sampled_from(FUNCTIONS), inner).map(lambda t: f"{t[0]}({t[1]})"),
        inner.map(lambda s: f"-({s})"),
    ),
    max_leaves=6,
)


def outcome(text: str, x0: list[float], engine: str) -> tuple[Any, ...]:
    try:
        r = descend.minimize(text, x0, lr=0.01, max_iter=5, tol=0, engine=engine)
    except DescendError as exc:
        return ("error", type(exc).__name__)
    return ("result", r.status, r.nit, r.x, r.fun)


def sign(u: float) -> float:
    return math.copysign(1.0, u) if u else 0.0


# the gradients written by hand, for plain gradient descent by the seeds' loop below
HAND = {
    "abs(x)": lambda x, y: [sign(x)],
    "sqrt(x**2)": lambda x, y: [sign(x)],
    "(x**2)**0.5 + y**2": lambda x, y: [sign(x), 2 * y],
    "abs(x - y)": lambda x, y: [sign(x - y), -sign(x - y)],
    "abs(x**x) + x": lambda x, y: [x**x * (math.log(x) + 1) + 1],
}


@pytest.mark.parametrize("text", list(HAND))
def test_abs_compiles_and_agrees(text: str) -> None:
    """Both engines follow θ ← θ − 0.01·∇J(θ) with ∇J written by hand (d|u| = sign(u)·du)."""
    n = 1 if "y" not in text else 2
    theta = [0.5, -0.25][:n]
    a, b = outcome(text, theta, "numpy"), outcome(text, theta, "compiled")
    for _ in range(5):
        g = HAND[text](*theta, *([0.0] * (2 - n)))
        theta = [t - 0.01 * gi for t, gi in zip(theta, g, strict=True)]
    assert a[0] == b[0] == "result" and a[1] == b[1] == "max_iter"
    np.testing.assert_allclose(a[3], theta, rtol=1e-12)
    np.testing.assert_allclose(b[3], theta, rtol=1e-12)


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # shrinking would compile hundreds of variants
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(text=formulas, start=st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_every_accepted_expression_compiles_and_agrees(text: str, start: list[float]) -> None:
    """The compiled J and ∇J equal the NumPy engine's at a drawn point (NaN where it is NaN).

    This is the function the compiled loop calls at every step; the loop itself is proved
    equal to the NumPy loop in test_minimize.py and above.
    """
    from descend.engine.compiled import compile_sympy

    try:
        f = descend.expression(text)
    except DescendError:
        assume(False)
    x = np.array(start[: f.n])
    value, grad = compile_sympy(f.sympy, f.variables)(x)
    np.testing.assert_allclose(value, f(x), rtol=1e-9, atol=1e-300, equal_nan=True)
    np.testing.assert_allclose(grad, f.grad(x), rtol=1e-9, atol=1e-300, equal_nan=True)


@settings(max_examples=2, deadline=None, derandomize=True, phases=[Phase.generate])
@given(text=formulas, start=st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_accepted_expressions_run_on_both_engines(text: str, start: list[float]) -> None:
    """Whole runs (a Numba compilation of the loop each): same status, steps and points."""
    try:
        f = descend.expression(text)
    except DescendError:
        assume(False)
    x0 = start[: f.n]
    a = outcome(text, x0, "numpy")
    b = outcome(text, x0, "compiled")
    assert a[:3] == b[:3], (text, x0, a, b)
    if a[0] == "result":
        np.testing.assert_allclose(b[3], a[3], rtol=1e-9, atol=1e-12)
        assert (math.isnan(a[4]) and math.isnan(b[4])) or b[4] == pytest.approx(a[4], rel=1e-9)
