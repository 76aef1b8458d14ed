"""Tests of descend.objectives.expression: parsing, values, gradients, limits and hostile input."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from descend import DescendError, Expression, ExpressionError, Objective, ShapeError, expression
from descend.objectives.expression import (
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_VARIABLES,
)

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"


def central_difference(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6):
    """Gradient by (f(x + h e_i) - f(x - h e_i)) / 2h, independent of the code under test."""
    g = np.empty_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = h
        g[i] = (f(x + step) - f(x - step)) / (2 * h)
    return g


# --- values and gradients against hand-computed numbers ------------------------------------


def test_rosenbrock_value_and_gradient_at_classic_start():
    f = expression(ROSENBROCK)
    # (1 + 1.2)^2 + 100 (1 - 1.44)^2 = 4.84 + 19.36
    assert f([-1.2, 1.0]) == pytest.approx(24.2)
    # d/dx = -2(1 - x) - 400 x (y - x^2) = -4.4 - 211.2 ; d/dy = 200 (y - x^2) = -88
    np.testing.assert_allclose(f.grad([-1.2, 1.0]), [-215.6, -88.0], rtol=1e-12)
    assert f.grad(np.array([1.0, 1.0])).tolist() == [0.0, 0.0]


def test_sum_of_squares_formulas_and_types():
    f = expression("x**2 + y**2")
    assert f.gradient_formulas == ("2*x", "2*y")
    assert f.variables == ("x", "y") and f.n == 2
    value = f([3, 4])  # ints are accepted
    assert type(value) is float and value == 25.0
    g = f.grad([3, 4])
    assert g.dtype == np.float64 and g.tolist() == [6.0, 8.0]
    assert str(f.sympy) == "x**2 + y**2"
    assert [str(d) for d in f.gradient_sympy] == ["2*x", "2*y"]


def test_sigmoid_value_and_slope_at_zero():
    f = expression("sigmoid(x)")
    assert f([0.0]) == 0.5
    assert f.grad([0.0])[0] == pytest.approx(0.25)
    assert f([2.0]) == pytest.approx(1 / (1 + math.exp(-2.0)))


@pytest.mark.parametrize(
    ("text", "x", "value", "slope"),
    [
        ("sin(x)", 0.3, math.sin(0.3), math.cos(0.3)),
        ("cos(x)", 0.3, math.cos(0.3), -math.sin(0.3)),
        ("tan(x)", 0.3, math.tan(0.3), 1 / math.cos(0.3) ** 2),
        ("exp(x)", 1.0, math.e, math.e),
        ("log(x)", 2.0, math.log(2.0), 0.5),
        ("log10(x)", 100.0, 2.0, 1 / (100.0 * math.log(10))),
        ("log2(x)", 8.0, 3.0, 1 / (8.0 * math.log(2))),
        ("sqrt(x)", 4.0, 2.0, 0.25),
        ("abs(x)", -3.0, 3.0, -1.0),
        ("tanh(x)", 0.5, math.tanh(0.5), 1 - math.tanh(0.5) ** 2),
        ("asin(x)", 0.5, math.pi / 6, 1 / math.sqrt(0.75)),
        ("acos(x)", 0.5, math.pi / 3, -1 / math.sqrt(0.75)),
        ("atan(x)", 1.0, math.pi / 4, 0.5),
        ("sinh(x)", 0.7, math.sinh(0.7), math.cosh(0.7)),
        ("cosh(x)", 0.7, math.cosh(0.7), math.sinh(0.7)),
        ("x^3", 2.0, 8.0, 12.0),
        ("1/x", 4.0, 0.25, -1 / 16),
        ("2**x", 3.0, 8.0, 8.0 * math.log(2)),
        ("x**x", 2.0, 4.0, 4.0 * (math.log(2.0) + 1)),
        ("-x + +x*3", 5.0, 10.0, 2.0),
    ],
)
def test_each_function_value_and_derivative(text, x, value, slope):
    f = expression(text)
    assert f([x]) == pytest.approx(value, rel=1e-12)
    assert f.grad([x])[0] == pytest.approx(slope, rel=1e-12)


def test_constants_pi_and_e():
    f = expression("pi*x + e**y")
    assert f.variables == ("x", "y")
    assert f([1.0, 1.0]) == pytest.approx(math.pi + math.e)
    np.testing.assert_allclose(f.grad([0.0, 2.0]), [math.pi, math.e**2])
    assert expression("sin(pi/2)*x").gradient_formulas == ("1",)


@pytest.mark.parametrize("point", [-1.5, 0.0, 0.7, 2.0])
def test_caret_is_power_with_math_precedence(point):
    caret, star = expression("2*x^2 + 1"), expression("2*x**2 + 1")
    assert caret.sympy == star.sympy
    assert caret([point]) == star([point]) == 2 * point**2 + 1
    assert caret.grad([point])[0] == 4 * point
    assert expression("-x^2")([3.0]) == -9.0  # not (-x)**2


def test_vectorised_evaluation_equals_point_by_point():
    f = expression("sin(x)*y + exp(-z^2) - x*y*z + 3")
    rng = np.random.default_rng(0)
    points = rng.uniform(-2, 2, size=(7, 3))
    values = f.value(points)
    grads = f.grad(points)
    assert values.shape == (7,) and grads.shape == (7, 3)
    for row, v, g in zip(points, values, grads, strict=True):
        assert f(row) == pytest.approx(v, rel=1e-14)
        np.testing.assert_allclose(f.grad(row), g, rtol=1e-14)
        x, y, z = row
        assert v == pytest.approx(math.sin(x) * y + math.exp(-(z**2)) - x * y * z + 3)


def test_constant_partials_broadcast_over_rows():
    f = expression("3*x + y**2")
    g = f.grad([[1.0, 2.0], [5.0, -1.0], [0.0, 0.0]])
    assert g.tolist() == [[3.0, 4.0], [3.0, -2.0], [3.0, 0.0]]
    assert f.grad([[1.0, 2.0]]).flags.writeable
    const = expression("7", variables=["a"])
    assert const.value([[1.0], [2.0]]).tolist() == [7.0, 7.0]
    assert const.grad([[1.0], [2.0]]).tolist() == [[0.0], [0.0]]


def test_variables_default_sorted_explicit_order_and_extras():
    assert expression("z*y + x").variables == ("x", "y", "z")
    f = expression("a*b + c", variables=["c", "b", "a"])
    assert f.variables == ("c", "b", "a")
    assert f([1.0, 2.0, 3.0]) == 7.0  # c=1, b=2, a=3
    assert f.grad([1.0, 2.0, 3.0]).tolist() == [1.0, 3.0, 2.0]
    extra = expression("x**2", variables=("x", "unused"))
    assert extra.n == 2 and extra.grad([3.0, 9.0]).tolist() == [6.0, 0.0]
    assert extra.gradient_formulas == ("2*x", "0")
    assert expression("x*y", variables="y, x").variables == ("y", "x")


def test_variable_missing_from_variables_is_reported_with_position():
    with pytest.raises(ExpressionError, match="'y' at position 4 is not among") as info:
        expression("x + y", variables=["x"])
    assert info.value.position == 4


@pytest.mark.parametrize("bad", [["x", "x"], ["sin"], ["_x"], ["2x"], ["lambda"], ["pi"]])
def test_bad_variable_names_are_rejected(bad):
    with pytest.raises(ExpressionError):
        expression("x", variables=bad)


def test_wrong_length_raises_shape_error_naming_variables():
    f = expression("x + y")
    with pytest.raises(ShapeError, match=r"takes 2 \(x, y\)"):
        f([1.0, 2.0, 3.0])
    with pytest.raises(ShapeError):
        f.grad([[1.0], [2.0]])
    with pytest.raises(ShapeError):
        f(1.0)


def test_non_finite_values_come_back_without_warnings():
    f = expression("exp(x)")
    assert f([1000.0]) == math.inf
    assert f.grad([1000.0])[0] == math.inf
    assert math.isnan(expression("log(x)")([-1.0]))
    assert np.isnan(expression("sqrt(x)").value([[-1.0], [4.0]]))[0]
    assert expression("sigmoid(x)")([-1000.0]) == 0.0


def test_constant_overflow_in_generated_code_gives_inf_not_an_exception():
    # pi**1000 and 1/1e-400 overflow: evaluated in Python floats they would raise
    assert expression("pi^500*x*pi^500")([1.0]) == math.inf
    assert expression("x/(1e-200*1e-200)").value([[1.0], [-1.0]]).tolist() == [math.inf, -math.inf]
    assert expression("1/(1e-308^e*z)").grad([2.0])[0] == -math.inf


def test_variables_named_like_numpy_functions():
    f = expression("sign*abs(x) + arctan*x")
    assert f.variables == ("arctan", "sign", "x")
    # d/d(arctan) = x, d/d(sign) = |x|, d/dx = arctan + sign*sign(x)
    assert f.grad([2.0, 3.0, -4.0]).tolist() == [-4.0, 4.0, -1.0]
    assert f([2.0, 3.0, -4.0]) == 4.0


@pytest.mark.parametrize(
    "text",
    [
        "log2(tanh(exp(3) + z**999))",
        "exp(x + 10**300*log(999))",
        "999^(x + 10^300)",
        "((10**300)**(x + 1000))**2",
        "(1e-300*pi)^(999^(pi**(1e308*x) + tan(sinh(-y)) - 10**300 + 1000**(1/z)))",
    ],
)
def test_inputs_that_made_sympy_hang_now_build_quickly(text):
    # Before exact numbers were capped, SymPy computed 999**(10**300) or expanded
    # (a + b*I)**999 while building these; now they parse at once.
    f = expression(text)
    value = f.value(np.full((2, f.n), 0.5))
    assert value.shape == (2,)


def test_large_exact_numbers_become_floats_and_exponents_stay_bounded():
    f = expression("x*1000000 + x/3")
    assert f.grad([0.0])[0] == pytest.approx(1000000 + 1 / 3)
    assert expression("x*10**7").gradient_formulas == ("10000000.0",)
    with pytest.raises(ExpressionError, match="exponent 1001"):
        expression("x**1000*x")


def test_to_objective_and_repr():
    f = expression(ROSENBROCK)
    obj = f.to_objective()
    assert isinstance(obj, Objective)
    assert obj.n == 2 and obj.batched and obj.names == ("x", "y") and obj.name == ROSENBROCK
    assert obj.gradient_formulas == f.gradient_formulas and obj.exact_gradient
    assert obj.value(np.array([-1.2, 1.0])) == pytest.approx(24.2)
    np.testing.assert_allclose(obj.gradient(np.array([[-1.2, 1.0]])), [[-215.6, -88.0]])
    assert repr(expression("x**2 + y**2")) == "Expression('x**2 + y**2', variables=('x', 'y'))"
    assert isinstance(f, Expression) and f.text == ROSENBROCK


def test_whitespace_newlines_and_unicode_names():
    assert expression("  (x +\n y)")([1.0, 2.0]) == 3.0
    assert expression("x\n+ 1")([1.0]) == 2.0
    f = expression("θ**2 + 1")
    assert f.variables == ("θ",) and f.grad([3.0]).tolist() == [6.0]


@pytest.mark.parametrize(
    ("text", "x"),
    [
        ("sin(x)*cos(y) + x^3/y", [0.4, 1.3]),
        ("sqrt(x^2 + y^2 + 1)*tanh(x - y)", [-0.8, 0.5]),
        ("log(1 + exp(x*y)) - atan(x/y) + abs(x)*y", [1.1, -0.7]),
        ("sigmoid(2*x - y)^2 + log10(x*x + 1)*log2(y*y + 2)", [0.3, -1.7]),
        ("cosh(x/3)*sinh(y/4) + asin(x/2) - acos(y/3) + tan(x*y/5)", [0.9, 1.4]),
        ("(x + 2*y)**-1.5 + e**(x - y) + pi*x*y", [1.2, 0.6]),
    ],
)
def test_gradient_matches_central_differences(text, x):
    f = expression(text)
    point = np.array(x)
    numeric = central_difference(f, point)
    np.testing.assert_allclose(f.grad(point), numeric, rtol=1e-6, atol=1e-7)


# --- hostile and invalid input --------------------------------------------------------------

HOSTILE = [
    "__import__('os')",
    "__import__('os').system('echo hi')",
    "x.__class__",
    "x.__class__.__bases__[0].__subclasses__()",
    "(lambda: 1)()",
    "x[0]",
    "'a'",
    "b'a'",
    "x if y else 1",
    "x < y",
    "x and y",
    "not x",
    "~x",
    "[x]",
    "{x: 1}",
    "(x, y)",
    "[i for i in x]",
    "eval('1')",
    "exec('1')",
    "open('f')",
    "getattr(x, 'y')",
    "x**99999",
    "10**10**10",
    "9" * 500,
    "(" * 200 + "x" + ")" * 200,
    "-" * 1000 + "x",
    "sin(" * 70 + "x" + ")" * 70,
    "x" + "+x" * 2500,
    "2x",
    "2(x + 1)",
    "x y",
    "sin(x, y)",
    "sin()",
    "sin(x=1)",
    "sin(*x)",
    "sin(**x)",
    "f'{x}'",
    "(y := 2)",
    "x % 2",
    "x // 2",
    "x @ y",
    "x | y",
    "1j*x",
    "True + x",
    "None",
    "...",
    "sin",
    "pi(2)",
    "_x + 1",
    "x = 1",
    "x == 1",
    "1/0",
    "x/(y - y)",
    "log(0)",
    "log(-1)",
    "sqrt(-1)",
    "(-8)**(1/3)",
    "exp(exp(exp(100)))",
    "sin(exp(exp(100.0)))",
    "((2*x)**1000)**1000",
    "1e400*x",
    "",
    "   \n ",
    "x\x00",
    "\ud800",
    "x +",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_raises_expression_error(text):
    with pytest.raises(ExpressionError) as info:
        expression(text)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, DescendError)
    message = str(err)
    assert message and "\n" not in message
    assert err.position is None or 0 <= err.position <= len(text)


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("x.__class__", 1, "attribute access '.__class__'"),
        ("x + foo(y)", 4, "unknown function 'foo'"),
        ("sin(x=1)", 4, "keyword argument"),
        ("2x", 0, "write 2*x"),
        ("3 % x", 2, "operator '%'"),
        ("x + 'a'", 4, "the string 'a'"),
        ("x**99999", 1, "exponent 99999"),
        ("x^2 + y^^2", 8, "use ** (or ^)"),
        ("θ + open('f')", 4, "unknown function 'open'"),
        ("(" * 61 + "x" + ")" * 61, 60, "nested"),
        ("x +", 3, "ends too early"),
        ("x[0]", 0, "'x[0]' is not allowed"),
    ],
)
def test_error_positions_and_messages(text, position, fragment):
    with pytest.raises(ExpressionError) as info:
        expression(text)
    assert info.value.position == position
    assert fragment in str(info.value)


def test_unknown_function_message_lists_allowed_functions():
    with pytest.raises(ExpressionError, match="allowed functions: abs, acos"):
        expression("foo(x)")


def test_limits_are_inclusive():
    assert expression(f"x**{MAX_EXPONENT}").gradient_formulas == (f"{MAX_EXPONENT}*x**999",)
    big = expression("1" * MAX_DIGITS + "*x").grad([0.0])[0]
    assert big == pytest.approx(float("1" * MAX_DIGITS), rel=1e-14)
    assert expression("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH)([2.0]) == 2.0
    terms = "+".join(f"{i}*x" for i in range(300))  # a long chain is one nesting level
    assert expression(terms).grad([1.0])[0] == sum(range(300))
    long_text = "x" + " " * (MAX_LENGTH - 1)
    assert len(long_text) == MAX_LENGTH and expression(long_text)([1.0]) == 1.0
    with pytest.raises(ExpressionError):
        expression(long_text + " ")
    names = [f"v{i}" for i in range(MAX_VARIABLES)]
    assert expression("+".join(names)).n == MAX_VARIABLES
    with pytest.raises(ExpressionError, match="variables"):
        expression("+".join([*names, "w"]))


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError):
        expression(42)  # type: ignore[arg-type]


# --- property tests ------------------------------------------------------------------------


def _check_never_crashes(text: str) -> None:
    try:
        f = expression(text)
    except ExpressionError:
        return
    assert isinstance(f, Expression) and len(f.gradient_formulas) == f.n


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_raises_expression_error(text):
    _check_never_crashes(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="xyz0123456789.+-*/^()e sincoqrtlgab,_=[]'", max_size=40))
def test_formula_like_text_parses_or_raises_expression_error(text):
    _check_never_crashes(text)


def _sigmoid(u: float) -> float:
    return 1 / (1 + math.exp(-u))


Node = tuple[str, Callable[[dict[str, float]], float]]
LEAVES: st.SearchStrategy[Node] = st.one_of(
    st.sampled_from(["x", "y", "z"]).map(lambda v: (v, lambda env, v=v: env[v])),
    st.sampled_from([-2, -1, 0.5, 1, 1.5, 3]).map(lambda c: (f"({c})", lambda env, c=c: c)),
)
UNARY = {
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
    "atan": math.atan,
}
BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    def unary(name: str, c: Node) -> Node:
        return f"{name}({c[0]})", lambda env: UNARY[name](c[1](env))

    def binary(op: str, a: Node, b: Node) -> Node:
        return f"({a[0]} {op} {b[0]})", lambda env: BINARY[op](a[1](env), b[1](env))

    def special(kind: str, c: Node) -> Node:
        if kind == "square":
            return f"({c[0]})^2", lambda env: c[1](env) ** 2
        return f"exp(sin({c[0]}))", lambda env: math.exp(math.sin(c[1](env)))

    return st.one_of(
        st.builds(unary, st.sampled_from(sorted(UNARY)), children),
        st.builds(binary, st.sampled_from(sorted(BINARY)), children, children),
        st.builds(special, st.sampled_from(["square", "exp"]), children),
    )


EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=8)
POINTS = st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3)


@settings(max_examples=150, deadline=None)
@given(EXPRESSIONS, POINTS)
def test_random_expressions_value_and_gradient(node, point):
    text, fn = node
    f = expression(text, variables=["x", "y", "z"])
    env = dict(zip("xyz", point, strict=True))
    expected = fn(env)
    assume(abs(expected) < 1e6)
    assert f(point) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    x = np.array(point)
    numeric = central_difference(f, x, h=1e-5)
    np.testing.assert_allclose(f.grad(x), numeric, rtol=1e-5, atol=1e-5)
