"""Built-in test functions: known values and minima, gradients against SymPy and differences."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sympy as sp

from descend import (
    FUNCTIONS,
    BuiltinFunction,
    DescendError,
    HyperparameterError,
    Objective,
    ShapeError,
    UnknownNameError,
    function,
)

ND = {"sphere", "rosenbrock", "rastrigin", "ackley"}

#: (name, n) for every function; n-dimensional ones for n = 1..5 where valid.
CASES = [
    (name, n)
    for name in FUNCTIONS
    for n in ((range(2 if name == "rosenbrock" else 1, 6)) if name in ND else (None,))
]
CASE_IDS = [name if n is None else f"{name}-{n}" for name, n in CASES]


def sympy_formula(name: str, xs: list[sp.Symbol]) -> sp.Expr:
    """Each function written again in SymPy, from the published definitions."""
    n = len(xs)
    x = xs[0]
    y = xs[1] if n > 1 else None
    r = sp.Rational
    match name:
        case "sphere":
            return sum(v**2 for v in xs)
        case "booth":
            return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2
        case "matyas":
            return r(26, 100) * (x**2 + y**2) - r(48, 100) * x * y
        case "rosenbrock":
            return sum(100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(n - 1))
        case "beale":
            return (
                (r(3, 2) - x + x * y) ** 2
                + (r(9, 4) - x + x * y**2) ** 2
                + (r(21, 8) - x + x * y**3) ** 2
            )
        case "himmelblau":
            return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2
        case "three_hump_camel":
            return 2 * x**2 - r(105, 100) * x**4 + x**6 / 6 + x * y + y**2
        case "six_hump_camel":
            return (4 - r(21, 10) * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2
        case "goldstein_price":
            return (
                1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
            ) * (
                30
                + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
            )
        case "rastrigin":
            return 10 * n + sum(v**2 - 10 * sp.cos(2 * sp.pi * v) for v in xs)
        case "ackley":
            return (
                -20 * sp.exp(-r(1, 5) * sp.sqrt(sum(v**2 for v in xs) / n))
                - sp.exp(sum(sp.cos(2 * sp.pi * v) for v in xs) / n)
                + 20
                + sp.E
            )
        case "saddle":
            return x**2 - y**2
        case "monkey_saddle":
            return x**3 - 3 * x * y**2
        case "double_well":
            return x**4 - 3 * x**2 + x
    raise AssertionError(f"no SymPy formula for {name}")


def random_points(fn: BuiltinFunction, k: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    low, high = np.array(fn.domain).T
    return rng.uniform(low, high, size=(k, fn.n))


def hessian_fd(fn: BuiltinFunction, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    cols = [(fn.grad(x + h * e) - fn.grad(x - h * e)) / (2 * h) for e in np.eye(fn.n)]
    return np.array(cols)


# ----------------------------------------------------------------------------- the registry


def test_registry_names_and_descriptions_are_consistent() -> None:
    assert set(FUNCTIONS) == {
        "sphere",
        "booth",
        "matyas",
        "rosenbrock",
        "beale",
        "himmelblau",
        "three_hump_camel",
        "six_hump_camel",
        "goldstein_price",
        "rastrigin",
        "ackley",
        "saddle",
        "monkey_saddle",
        "double_well",
    }
    for name, n in CASES:
        fn = function(name, n)
        assert fn.name == name and fn.title and fn.formula
        assert fn.n == (n if n is not None else len(fn.x0))
        assert len(fn.domain) == len(fn.x0) == len(fn.variables) == fn.n
        assert all(len(m) == fn.n for m in fn.minima + fn.local_minima)
        low, high = np.array(fn.domain).T
        assert np.all(low < high)
        for point in (fn.x0, *fn.minima, *fn.local_minima):
            assert np.all(low <= point) and np.all(np.asarray(point) <= high), (name, point)
        assert (fn.minima == ()) == (fn.fmin == -math.inf)


def test_variable_names_and_defaults() -> None:
    assert function("double_well").variables == ("x",)
    assert function("booth").variables == ("x", "y")
    assert function("sphere").n == 2
    assert function("sphere", 1).variables == ("x",)
    assert function("ackley", n=4).variables == ("x1", "x2", "x3", "x4")
    assert function("rosenbrock", 4).x0 == (-1.2, 1.0, -1.2, 1.0)
    assert function("rosenbrock", 3).minima == ((1.0, 1.0, 1.0),)


@pytest.mark.parametrize(
    "spelling", ["six_hump_camel", "Six-hump camel", "SIX HUMP CAMEL", " six-hump_camel "]
)
def test_names_are_case_and_separator_insensitive(spelling: str) -> None:
    assert function(spelling).name == "six_hump_camel"


def test_unknown_name_lists_the_known_names() -> None:
    with pytest.raises(UnknownNameError) as info:
        function("rosenbrok")
    message = str(info.value)
    assert all(name in message for name in FUNCTIONS)
    assert "did you mean 'rosenbrock'" in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, DescendError)


@pytest.mark.parametrize(
    ("name", "n", "error"),
    [
        ("sphere", 0, HyperparameterError),
        ("ackley", -1, HyperparameterError),
        ("rosenbrock", 1, HyperparameterError),
        ("rastrigin", 2.5, HyperparameterError),
        ("sphere", True, HyperparameterError),
        ("booth", 3, ShapeError),
        ("double_well", 2, ShapeError),
    ],
)
def test_bad_n_raises(name: str, n: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        function(name, n)  # type: ignore[arg-type]


def test_a_fixed_dimension_function_accepts_its_own_n() -> None:
    assert function("booth", n=2).n == 2
    assert function("double_well", n=1).n == 1


def test_wrong_point_shape_raises() -> None:
    fn = function("booth")
    for bad in ([1.0, 2.0, 3.0], np.zeros((2, 3)), np.zeros((2, 2, 2)), 1.0):
        with pytest.raises(ShapeError):
            fn.fun(bad)
        with pytest.raises(ShapeError):
            fn.grad(bad)


def test_to_objective() -> None:
    fn = function("himmelblau")
    obj = fn.to_objective()
    assert isinstance(obj, Objective)
    assert obj.n == 2 and obj.batched and obj.exact_gradient
    assert obj.names == ("x", "y") and obj.name == "himmelblau" and obj.meta["function"] is fn
    x = np.array([[0.0, 0.0], [1.0, 2.0]])
    assert obj.value(x).tolist() == [170.0, fn.fun([1.0, 2.0])]
    assert obj.value(np.array([0.0, 0.0])) == 170.0
    np.testing.assert_array_equal(obj.gradient(x), fn.grad(x))


# ------------------------------------------------------------------ values and minima


@pytest.mark.parametrize(
    ("name", "point", "expected"),
    [
        ("rosenbrock", (-1.2, 1.0), 24.2),
        ("rosenbrock", (0.0, 0.0, 0.0), 2.0),
        ("booth", (0.0, 0.0), 74.0),
        ("beale", (1.0, 1.0), 14.203125),
        ("goldstein_price", (0.0, 0.0), 600.0),
        ("himmelblau", (0.0, 0.0), 170.0),
        ("rastrigin", (1.0, 1.0), 2.0),
        ("rastrigin", (0.5, 0.0, 0.0), 30.0 + 0.25 + 10.0 - 20.0),
        ("ackley", (0.0, 0.0), 0.0),
        ("ackley", (0.0,) * 5, 0.0),
        ("six_hump_camel", (0.0, 0.0), 0.0),
        ("six_hump_camel", (1.0, 1.0), 4 - 2.1 + 1 / 3 + 1.0),
        ("matyas", (1.0, 1.0), 0.04),
        ("monkey_saddle", (1.0, 1.0), -2.0),
        ("saddle", (3.0, 2.0), 5.0),
        ("three_hump_camel", (1.0, 1.0), 2 - 1.05 + 1 / 6 + 2.0),
        ("sphere", (1.0, 2.0, 3.0), 14.0),
        ("double_well", (2.0,), 6.0),
    ],
)
def test_hand_computed_values(name: str, point: tuple[float, ...], expected: float) -> None:
    n = len(point) if name in ND else None
    assert function(name, n).fun(np.array(point)) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("name", "n"), CASES, ids=CASE_IDS)
def test_value_at_every_minimiser_is_fmin_and_gradient_vanishes(name: str, n: int | None) -> None:
    fn = function(name, n)
    for m in fn.minima:
        assert fn.fun(np.array(m)) == pytest.approx(fn.fmin, rel=1e-12, abs=1e-10)
        np.testing.assert_allclose(fn.grad(np.array(m)), 0.0, atol=1e-8)
        assert np.all(np.linalg.eigvalsh(hessian_fd(fn, np.array(m))) > -1e-6)
    for m in fn.local_minima:
        np.testing.assert_allclose(fn.grad(np.array(m)), 0.0, atol=1e-10)
        assert np.all(np.linalg.eigvalsh(hessian_fd(fn, np.array(m))) > 0)
        assert fn.fun(np.array(m)) > fn.fmin + 1e-3


def test_published_minimisers() -> None:
    """The minimisers agree with the values published to a few digits, and are exact roots."""
    himmelblau = function("himmelblau")
    published = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    np.testing.assert_allclose(himmelblau.minima, published, atol=1e-6)
    np.testing.assert_allclose(himmelblau.grad(np.array(himmelblau.minima)), 0.0, atol=1e-10)

    camel = function("six_hump_camel")
    np.testing.assert_allclose(camel.minima, [(0.0898, -0.7126), (-0.0898, 0.7126)], atol=1e-4)
    assert camel.fmin == pytest.approx(-1.0316, abs=1e-4)
    np.testing.assert_allclose(camel.grad(np.array(camel.minima)), 0.0, atol=1e-10)
    assert len(camel.local_minima) == 4

    three = function("three_hump_camel")
    np.testing.assert_allclose(
        sorted(three.local_minima), [(-1.7476, 0.8738), (1.7476, -0.8738)], atol=1e-4
    )

    assert function("goldstein_price").fun(np.array([0.0, -1.0])) == pytest.approx(3.0, rel=1e-14)


def test_double_well_minimisers_are_roots_of_the_derivative() -> None:
    fn = function("double_well")
    roots = np.sort(np.roots([4.0, 0.0, -6.0, 1.0]).real)  # 4x³ − 6x + 1
    glob, local = fn.minima[0][0], fn.local_minima[0][0]
    assert glob == pytest.approx(roots[0], abs=1e-14)
    assert local == pytest.approx(roots[2], abs=1e-14)
    assert glob == pytest.approx(-1.30084, abs=1e-5) and local == pytest.approx(1.13090, abs=1e-5)
    assert fn.fmin == pytest.approx(glob**4 - 3 * glob**2 + glob, abs=1e-14)
    assert fn.fun(np.array([local])) > fn.fmin


def test_plain_descent_from_the_double_well_start_lands_in_the_local_minimum() -> None:
    fn = function("double_well")
    x = np.array(fn.x0)
    for _ in range(2000):
        x = x - 0.01 * fn.grad(x)
    assert x[0] == pytest.approx(fn.local_minima[0][0], abs=1e-9)


@pytest.mark.parametrize(("name", "n"), CASES, ids=CASE_IDS)
def test_no_sampled_point_beats_fmin(name: str, n: int | None) -> None:
    fn = function(name, n)
    if not math.isfinite(fn.fmin):
        pytest.skip("unbounded below")
    values = fn.fun(random_points(fn, 10_000, seed=1))
    assert values.shape == (10_000,)
    assert values.min() >= fn.fmin - 1e-9


@pytest.mark.parametrize("name", ["saddle", "monkey_saddle"])
def test_saddles_are_unbounded_with_a_stationary_origin(name: str) -> None:
    fn = function(name)
    assert fn.minima == () and fn.fmin == -math.inf
    np.testing.assert_array_equal(fn.grad(np.zeros(2)), 0.0)
    assert fn.fun(np.array([1.0, 1e3])) < -1e5


def test_ackley_gradient_is_zero_at_the_origin() -> None:
    for n in range(1, 6):
        fn = function("ackley", n)
        g = fn.grad(np.zeros(n))
        assert np.all(np.isfinite(g)) and np.all(g == 0.0)
        assert fn.fun(np.zeros(n)) == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_array_equal(function("ackley").grad(np.zeros((3, 2))), 0.0)


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize(("name", "n"), CASES, ids=CASE_IDS)
def test_value_and_gradient_match_sympy(name: str, n: int | None) -> None:
    fn = function(name, n)
    xs = list(sp.symbols(f"v0:{fn.n}", real=True))
    expr = sympy_formula(name, xs)
    value = sp.lambdify(xs, expr, "numpy")
    partials = [sp.lambdify(xs, sp.diff(expr, v), "numpy") for v in xs]
    points = random_points(fn, 20, seed=2)
    cols = list(points.T)
    expected_value = np.broadcast_to(value(*cols), (len(points),))
    expected_grad = np.stack([np.broadcast_to(d(*cols), (len(points),)) for d in partials], -1)
    values, grads = fn.fun(points), fn.grad(points)
    for i in range(len(points)):
        scale = max(1.0, float(np.abs(expected_grad[i]).max()))
        np.testing.assert_allclose(grads[i], expected_grad[i], rtol=1e-9, atol=1e-9 * scale)
        assert values[i] == pytest.approx(expected_value[i], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("name", "n"), CASES, ids=CASE_IDS)
def test_gradient_matches_central_differences(name: str, n: int | None) -> None:
    fn = function(name, n)
    for x in random_points(fn, 10, seed=3):
        numeric = np.empty_like(x)
        for i in range(fn.n):
            h = 1e-6 * max(1.0, abs(x[i]))
            up, down = x.copy(), x.copy()
            up[i] += h
            down[i] -= h
            numeric[i] = (fn.fun(up) - fn.fun(down)) / (up[i] - down[i])
        analytic = fn.grad(x)
        scale = max(1.0, float(np.abs(analytic).max()), abs(float(fn.fun(x))))
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6 * scale)


# ------------------------------------------------------------------------ vectorisation


@pytest.mark.parametrize(("name", "n"), CASES, ids=CASE_IDS)
def test_batch_evaluation_equals_row_by_row(name: str, n: int | None) -> None:
    fn = function(name, n)
    points = random_points(fn, 7, seed=4)
    values, grads = fn.fun(points), fn.grad(points)
    assert isinstance(values, np.ndarray) and values.shape == (7,)
    assert grads.shape == points.shape
    for row, v, g in zip(points, values, grads, strict=True):
        single = fn.fun(row)
        assert isinstance(single, float)
        assert single == v
        assert fn.grad(row).shape == (fn.n,)
        np.testing.assert_array_equal(fn.grad(row), g)
    # a list and a one-row batch work too
    assert fn.fun(points[0].tolist()) == values[0]
    assert fn.fun(points[:1]).shape == (1,)


@pytest.mark.parametrize(("name", "n"), CASES, ids=CASE_IDS)
def test_huge_points_overflow_quietly(name: str, n: int | None) -> None:
    fn = function(name, n)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = fn.fun(np.full(fn.n, 1e200))
        grad = fn.grad(np.full((2, fn.n), -1e200))
    assert not math.isfinite(value) or abs(value) > 1e10 or name == "ackley"
    assert grad.shape == (2, fn.n)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_expression_text_matches_numpy_definition(name: str) -> None:
    from descend.objectives.expression import expression
    from descend.objectives.functions import expression_text

    for n in (2, 3) if FUNCTIONS[name].n is None else (None,):
        fn = function(name, n=n) if n else function(name)
        text = expression_text(fn)
        if text is None:
            continue
        expr = expression(text, variables=fn.variables)
        rng = np.random.default_rng(7)
        lo, hi = np.array(fn.domain).T
        pts = lo + (hi - lo) * rng.random((20, fn.n))
        np.testing.assert_allclose(expr.value(pts), fn.fun(pts), rtol=1e-12, atol=1e-9)
        np.testing.assert_allclose(expr.grad(pts), fn.grad(pts), rtol=1e-10, atol=1e-8)
