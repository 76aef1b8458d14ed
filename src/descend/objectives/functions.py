"""Built-in optimisation test functions: Rosenbrock, Himmelblau, Rastrigin, Ackley, ...

Each is a :class:`BuiltinFunction`: a vectorised value and an analytic gradient (side by
side in :mod:`descend.objectives.formulas`), with the usual search box, a usual starting point
and every known global minimiser (to full double precision). The definitions are the standard
ones (Wikipedia, "Test functions for optimization"; Surjanovic & Bingham, Virtual Library of
Simulation Experiments).

>>> import numpy as np
>>> from descend.objectives.functions import function
>>> f = function("rosenbrock")
>>> f.variables, f.x0, f.minima, f.fmin
(('x', 'y'), (-1.2, 1.0), ((1.0, 1.0),), 0.0)
>>> round(f.fun([-1.2, 1.0]), 12), (f.grad(np.array([1.0, 1.0])) + 0.0).tolist()
(24.2, [0.0, 0.0])
>>> h = function("Himmelblau")
>>> len(h.minima), h.fun(np.array(h.minima)).round(12).tolist()
(4, [0.0, 0.0, 0.0, 0.0])
>>> function("rastrigin", n=5).n
5
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from descend.base.errors import HyperparameterError, ShapeError
from descend.base.names import normalise, unknown_name
from descend.base.types import Array
from descend.objectives.formulas import (
    _ackley,
    _ackley_grad,
    _beale,
    _beale_grad,
    _booth,
    _booth_grad,
    _double_well,
    _double_well_critical_points,
    _double_well_grad,
    _goldstein_price,
    _goldstein_price_grad,
    _himmelblau,
    _himmelblau_grad,
    _matyas,
    _matyas_grad,
    _monkey_saddle,
    _monkey_saddle_grad,
    _rastrigin,
    _rastrigin_grad,
    _rosenbrock,
    _rosenbrock_grad,
    _saddle,
    _saddle_grad,
    _six_hump_camel,
    _six_hump_camel_grad,
    _sphere,
    _sphere_grad,
    _three_hump_camel,
    _three_hump_camel_grad,
)
from descend.objectives.objective import Objective

#: A value or gradient implementation on a ``(..., n)`` array of points.
Kernel = Callable[[Array], Array]
Box = tuple[tuple[float, float], ...]
Points = tuple[tuple[float, ...], ...]

_TWO_PI = 2.0 * math.pi


@dataclass(frozen=True, kw_only=True)
class BuiltinFunction:
    """A test function with its analytic gradient and what is known about its minima.

    Attributes
    ----------
    name, title : str
        Registry key (``"six_hump_camel"``) and readable title (``"Six-hump camel"``).
    formula : str
        A readable formula in the variable names.
    n : int
        Number of variables (for n-dimensional functions, the chosen n).
    domain : tuple of (float, float)
        The usual search box, one ``(low, high)`` per variable.
    x0 : tuple of float
        A usual starting point.
    minima : tuple of tuple of float
        Every known global minimiser; ``()`` when the function is unbounded below.
    fmin : float
        The global minimum value (``-inf`` when unbounded below).
    local_minima : tuple of tuple of float
        Notable local, non-global minimisers.
    variables : tuple of str
        ``("x",)``, ``("x", "y")`` or ``("x1", ..., "xn")``.
    value_kernel, grad_kernel : callable
        The raw implementations on ``(..., n)`` arrays; use :meth:`fun` and :meth:`grad`.
    """

    name: str
    title: str
    formula: str
    n: int
    domain: Box
    x0: tuple[float, ...]
    minima: Points
    fmin: float
    local_minima: Points = ()
    variables: tuple[str, ...]
    value_kernel: Kernel = field(repr=False, compare=False)
    grad_kernel: Kernel = field(repr=False, compare=False)

    def _points(self, x: ArrayLike) -> Array:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim not in (1, 2) or arr.shape[-1] != self.n:
            raise ShapeError(
                f"{self.name} takes {self.n} variable(s) ({', '.join(self.variables)}): "
                f"pass an array of shape ({self.n},) or (k, {self.n}), not {arr.shape}"
            )
        return arr

    def fun(self, x: ArrayLike) -> float | Array:
        """f(x): a float for ``x`` of shape ``(n,)``, an array ``(k,)`` for ``(k, n)``.

        Overflow far outside the domain gives ``inf`` (or ``nan``) without a warning.
        """
        arr = self._points(x)
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.asarray(self.value_kernel(arr), dtype=np.float64)
        return float(out) if arr.ndim == 1 else out

    def grad(self, x: ArrayLike) -> Array:
        """∇f(x), with the shape of ``x``: ``(n,)`` or ``(k, n)``."""
        arr = self._points(x)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(self.grad_kernel(arr), dtype=np.float64)

    def to_objective(self) -> Objective:
        """This function as a batched :class:`~descend.Objective` with an exact gradient."""
        return Objective(
            fun=self.fun,
            grad=self.grad,
            n=self.n,
            batched=True,
            names=self.variables,
            name=self.name,
            meta={"function": self},
        )


@dataclass(frozen=True)
class FunctionSpec:
    """How to build a registered function: ``build(n)``; ``n`` is None for n-dimensional ones."""

    build: Callable[[int], BuiltinFunction]
    n: int | None
    min_n: int = 1


def _variables(n: int) -> tuple[str, ...]:
    return ("x",) if n == 1 else ("x", "y") if n == 2 else tuple(f"x{i}" for i in range(1, n + 1))


def _sum(n: int, term: str) -> str:
    """``term`` (with ``{v}`` for the variable) summed: written out for n <= 2, else Σ notation."""
    if n > 2:
        return f"sum_{{i=1..{n}}} " + term.format(v="x_i")
    return " + ".join(term.format(v=v) for v in _variables(n))


def _ackley_formula(n: int) -> str:
    squares, cosines = _sum(n, "{v}^2"), _sum(n, "cos(2 pi {v})")
    if n == 1:
        return f"-20 exp(-0.2 sqrt({squares})) - exp({cosines}) + 20 + e"
    return f"-20 exp(-0.2 sqrt(({squares}) / {n})) - exp(({cosines}) / {n}) + 20 + e"


def _n_dimensional(
    name: str,
    title: str,
    formula: Callable[[int], str],
    value: Kernel,
    grad: Kernel,
    low: float,
    high: float,
    start: Callable[[int], tuple[float, ...]],
    best: float,
    fmin: float,
) -> Callable[[int], BuiltinFunction]:
    def build(n: int) -> BuiltinFunction:
        return BuiltinFunction(
            name=name,
            title=title,
            formula=formula(n),
            n=n,
            domain=((low, high),) * n,
            x0=start(n),
            minima=((best,) * n,),
            fmin=fmin,
            variables=_variables(n),
            value_kernel=value,
            grad_kernel=grad,
        )

    return build


_DW_GLOBAL, _, _DW_LOCAL = _double_well_critical_points()

# Three-hump camel: ∇f = 0 with y = −x/2 gives x (x⁴ − 4.2x² + 3.5) = 0; the larger root in x²
# is a pair of local minima (the smaller one a pair of saddles).
_THC_X = math.sqrt((4.2 + math.sqrt(4.2**2 - 14.0)) / 2)

# Himmelblau and the six-hump camel: solved once to 40 digits (sympy.nsolve on ∇f = 0) and
# rounded to double; tests check ∇f ≈ 0 there.
_HIMMELBLAU_MINIMA: Points = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.2831859912861696),
    (3.5844283403304917, -1.8481265269644036),
)
_SHC_GLOBAL = (0.08984201310031806, -0.7126564030207396)
_SHC_LOCAL = ((-1.703606714969981, 0.7960835686726251), (1.6071047529201972, 0.5686514548841314))


def _fixed(
    name: str,
    title: str,
    formula: str,
    value: Kernel,
    grad: Kernel,
    domain: Box,
    x0: tuple[float, ...],
    minima: Points,
    fmin: float,
    local_minima: Points = (),
) -> FunctionSpec:
    fn = BuiltinFunction(
        name=name,
        title=title,
        formula=formula,
        n=len(x0),
        domain=domain,
        x0=x0,
        minima=minima,
        fmin=fmin,
        local_minima=local_minima,
        variables=_variables(len(x0)),
        value_kernel=value,
        grad_kernel=grad,
    )
    return FunctionSpec(build=lambda _n: fn, n=fn.n)


def _box(low: float, high: float, n: int = 2) -> Box:
    return ((float(low), float(high)),) * n


#: The built-in functions by name (lower case, underscores), in display order.
FUNCTIONS: dict[str, FunctionSpec] = {
    "sphere": FunctionSpec(
        _n_dimensional(
            "sphere",
            "Sphere",
            lambda n: _sum(n, "{v}^2"),
            _sphere,
            _sphere_grad,
            -5.12,
            5.12,
            lambda n: (3.0,) * n,
            0.0,
            0.0,
        ),
        n=None,
    ),
    "booth": _fixed(
        "booth",
        "Booth",
        "(x + 2y - 7)^2 + (2x + y - 5)^2",
        _booth,
        _booth_grad,
        _box(-10, 10),
        (0.0, 0.0),
        ((1.0, 3.0),),
        0.0,
    ),
    "matyas": _fixed(
        "matyas",
        "Matyas",
        "0.26 (x^2 + y^2) - 0.48 x y",
        _matyas,
        _matyas_grad,
        _box(-10, 10),
        (4.0, -2.0),
        ((0.0, 0.0),),
        0.0,
    ),
    "rosenbrock": FunctionSpec(
        _n_dimensional(
            "rosenbrock",
            "Rosenbrock",
            lambda n: (
                "(1 - x)^2 + 100 (y - x^2)^2"
                if n == 2
                else f"sum_{{i=1..{n - 1}}} [100 (x_(i+1) - x_i^2)^2 + (1 - x_i)^2]"
            ),
            _rosenbrock,
            _rosenbrock_grad,
            -2.048,
            2.048,
            lambda n: tuple(-1.2 if i % 2 == 0 else 1.0 for i in range(n)),
            1.0,
            0.0,
        ),
        n=None,
        min_n=2,
    ),
    "beale": _fixed(
        "beale",
        "Beale",
        "(1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2",
        _beale,
        _beale_grad,
        _box(-4.5, 4.5),
        (1.0, 1.0),
        ((3.0, 0.5),),
        0.0,
    ),
    "himmelblau": _fixed(
        "himmelblau",
        "Himmelblau",
        "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        _himmelblau,
        _himmelblau_grad,
        _box(-5, 5),
        (0.0, 0.0),
        _HIMMELBLAU_MINIMA,
        0.0,
    ),
    "three_hump_camel": _fixed(
        "three_hump_camel",
        "Three-hump camel",
        "2 x^2 - 1.05 x^4 + x^6 / 6 + x y + y^2",
        _three_hump_camel,
        _three_hump_camel_grad,
        _box(-5, 5),
        (1.0, 1.0),
        ((0.0, 0.0),),
        0.0,
        local_minima=((_THC_X, -_THC_X / 2), (-_THC_X, _THC_X / 2)),
    ),
    "six_hump_camel": _fixed(
        "six_hump_camel",
        "Six-hump camel",
        "(4 - 2.1 x^2 + x^4 / 3) x^2 + x y + (4 y^2 - 4) y^2",
        _six_hump_camel,
        _six_hump_camel_grad,
        ((-3.0, 3.0), (-2.0, 2.0)),
        (-1.0, 1.0),
        (_SHC_GLOBAL, (-_SHC_GLOBAL[0], -_SHC_GLOBAL[1])),
        -1.0316284534898774,
        local_minima=tuple(m for x, y in _SHC_LOCAL for m in ((x, y), (-x, -y))),
    ),
    "goldstein_price": _fixed(
        "goldstein_price",
        "Goldstein-Price",
        "[1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)] "
        "[30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]",
        _goldstein_price,
        _goldstein_price_grad,
        _box(-2, 2),
        (0.5, -0.5),
        ((0.0, -1.0),),
        3.0,
    ),
    "rastrigin": FunctionSpec(
        _n_dimensional(
            "rastrigin",
            "Rastrigin",
            lambda n: f"{10 * n} + " + _sum(n, "({v}^2 - 10 cos(2 pi {v}))"),
            _rastrigin,
            _rastrigin_grad,
            -5.12,
            5.12,
            lambda n: (2.2,) * n,
            0.0,
            0.0,
        ),
        n=None,
    ),
    "ackley": FunctionSpec(
        _n_dimensional(
            "ackley",
            "Ackley",
            _ackley_formula,
            _ackley,
            _ackley_grad,
            -5.0,
            5.0,
            lambda n: (2.2,) * n,
            0.0,
            0.0,
        ),
        n=None,
    ),
    "saddle": _fixed(
        "saddle",
        "Saddle",
        "x^2 - y^2",
        _saddle,
        _saddle_grad,
        _box(-2, 2),
        (1.5, 0.01),
        (),
        -math.inf,
    ),
    "monkey_saddle": _fixed(
        "monkey_saddle",
        "Monkey saddle",
        "x^3 - 3 x y^2",
        _monkey_saddle,
        _monkey_saddle_grad,
        _box(-2, 2),
        (1.0, 0.2),
        (),
        -math.inf,
    ),
    "double_well": _fixed(
        "double_well",
        "Double well",
        "x^4 - 3 x^2 + x",
        _double_well,
        _double_well_grad,
        ((-2.5, 2.5),),
        (2.0,),
        ((_DW_GLOBAL,),),
        _DW_GLOBAL**4 - 3 * _DW_GLOBAL**2 + _DW_GLOBAL,
        local_minima=((_DW_LOCAL,),),
    ),
}


def function(name: str, n: int | None = None) -> BuiltinFunction:
    """A built-in test function by name.

    Parameters
    ----------
    name : str
        One of :data:`FUNCTIONS`, case-insensitive; spaces and hyphens count as underscores
        (``"Six-hump camel"``).
    n : int, optional
        Number of variables of an n-dimensional function (sphere, rosenbrock, rastrigin,
        ackley; default 2). A fixed-dimension function accepts only its own n.

    Returns
    -------
    BuiltinFunction

    Raises
    ------
    UnknownNameError
        For a name that is not built in; the message lists the known names.
    HyperparameterError
        For ``n`` below the function's minimum (1, or 2 for Rosenbrock) or not an integer.
    ShapeError
        For ``n`` other than the dimension of a fixed-dimension function.

    Examples
    --------
    >>> f = function("six-hump camel")
    >>> f.name, f.n, len(f.minima), round(f.fmin, 4)
    ('six_hump_camel', 2, 2, -1.0316)
    >>> function("sphere", n=3).variables
    ('x1', 'x2', 'x3')
    """
    key = normalise(str(name))
    spec = FUNCTIONS.get(key)
    if spec is None:
        raise unknown_name(name, FUNCTIONS, "built-in function", "the built-in functions are")
    if spec.n is not None:
        if n is not None and n != spec.n:
            raise ShapeError(
                f"{key} has a fixed number of variables ({spec.n}); leave n out "
                "(only sphere, rosenbrock, rastrigin and ackley take n)"
            )
        return spec.build(spec.n)
    if n is None:
        n = 2
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < spec.min_n:
        raise HyperparameterError(f"n must be an integer >= {spec.min_n} for {key}, got {n!r}")
    return spec.build(int(n))


# The same functions as text expressions (descend.expression's grammar), from which the
# compiled engine of :func:`descend.minimize` generates its code. Tests check that each one
# agrees with the NumPy definition above.
_TEXT: dict[str, str] = {
    "booth": "(x + 2*y - 7)**2 + (2*x + y - 5)**2",
    "matyas": "0.26*(x**2 + y**2) - 0.48*x*y",
    "beale": "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
    "himmelblau": "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
    "three_hump_camel": "2*x**2 - 1.05*x**4 + x**6/6 + x*y + y**2",
    "six_hump_camel": "(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (4*y**2 - 4)*y**2",
    "goldstein_price": "(1 + (x + y + 1)**2*(19 - 14*x + 3*x**2 - 14*y + 6*x*y + 3*y**2))"
    "*(30 + (2*x - 3*y)**2*(18 - 32*x + 12*x**2 + 48*y - 36*x*y + 27*y**2))",
    "saddle": "x**2 - y**2",
    "monkey_saddle": "x**3 - 3*x*y**2",
    "double_well": "x**4 - 3*x**2 + x",
}


def expression_text(fn: BuiltinFunction) -> str | None:
    """``fn`` as a text expression in its own variables; None for Ackley (its gradient at the
    origin is defined by a limit that the symbolic derivative does not take).

    >>> expression_text(function("rosenbrock", n=3))
    '100*(x2 - x1**2)**2 + (1 - x1)**2 + 100*(x3 - x2**2)**2 + (1 - x2)**2'
    """
    v = fn.variables
    if fn.name == "sphere":
        return " + ".join(f"{a}**2" for a in v)
    if fn.name == "rosenbrock":
        pairs = itertools.pairwise(v)
        return " + ".join(f"100*({b} - {a}**2)**2 + (1 - {a})**2" for a, b in pairs)
    if fn.name == "rastrigin":
        return f"{10 * fn.n} + " + " + ".join(f"({a}**2 - 10*cos(2*pi*{a}))" for a in v)
    return _TEXT.get(fn.name)
