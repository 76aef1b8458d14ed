"""Text expressions: ``"x**2 + y**2"`` parsed safely and differentiated symbolically.

The text is parsed with :func:`ast.parse` and the tree is walked with an allow-list that builds
the SymPy expression node by node: user text never reaches ``eval``, ``exec`` or ``sympify``.

Grammar
-------
* numbers ``2``, ``0.5``, ``1e-3`` (real only, written without ``_`` digit separators) and
  the constants ``pi`` (also written ``π``) and ``e``;
* variables: identifiers that do not start with ``_`` and are not function or constant names.
  ``E``, ``I``, ``oo``, ``inf``, ``Inf``, ``infinity``, ``Infinity``, ``nan`` and ``NaN`` are
  reserved (other tools read them as constants; every number here is finite and real), so
  none of them silently becomes a variable;
* no comments: ``#`` is refused (Python would drop the rest of the text);
* ``+ - * / **``, unary ``-``/``+`` and parentheses; ``^`` is read as ``**`` before parsing, so
  ``x^2 + 1`` means ``x**2 + 1``. Multiplication must be written: ``2*x``, not ``2x``;
* functions of one argument: ``sin cos tan asin acos atan sinh cosh tanh exp log`` (natural),
  ``log10 log2 sqrt abs`` and ``sigmoid`` (``1/(1 + exp(-u))``).

Limits: :data:`MAX_LENGTH` characters, :data:`MAX_DEPTH` levels of nesting (parentheses, and
the syntax tree, where a chain ``a + b - c`` counts once), :data:`MAX_VARIABLES` variables,
integers of at most :data:`MAX_DIGITS` digits, constant exponents of magnitude at most
:data:`MAX_EXPONENT` (also once simplified: ``x**1000*x`` is refused), and constant
sub-expressions that are finite real numbers. Large exact numbers become floats. Anything else
raises :class:`~descend.ExpressionError` whose ``position`` is the 0-based offset of the problem.

SymPy simplifies as the tree is built. The limits keep that bounded on ordinary input, but
SymPy's assumption system can spend minutes on some short crafted expressions (powers of
sub-expressions with variable or huge exponents). So parsing and differentiating are bounded
in time: :data:`~descend.objectives.bounded.TIME_LIMIT` (1.5 s) by default, the ``time_limit``
argument otherwise. A text that is not obviously cheap is worked on in a forked worker
process, killed at the deadline (:mod:`descend.objectives.bounded`); the ExpressionError says
so, and this process stays usable. Short ordinary formulas skip the worker.

>>> f = expression("x^2 + 3*y")
>>> f
Expression('x^2 + 3*y', variables=('x', 'y'))
>>> f.gradient_formulas
('2*x', '3')
>>> f([1.0, 2.0]), f.grad([1.0, 2.0]).tolist()
(7.0, [2.0, 3.0])
>>> f([[1, 2], [0, 0]]).tolist()
[7.0, 0.0]
>>> expression("x**99999")
Traceback (most recent call last):
...
descend.base.errors.ExpressionError: the exponent 99999 is too large at position 1; constant \
exponents must be between -1000 and 1000
"""

from __future__ import annotations

import keyword
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy
from sympy.printing.numpy import NumPyPrinter

from descend.base.errors import ExpressionError, HyperparameterError, ShapeError
from descend.base.types import Array
from descend.objectives.bounded import TIME_LIMIT, can_fork, run_bounded
from descend.objectives.objective import Objective
from descend.objectives.parse import (
    _CONSTANTS,
    _FUNCTIONS,
    _RESERVED,
    _UNDEFINED,
    _check_text,
    _Parser,
    is_cheap,
)
from descend.objectives.parse import FUNCTIONS as FUNCTIONS
from descend.objectives.parse import MAX_DEPTH as MAX_DEPTH
from descend.objectives.parse import MAX_DIGITS as MAX_DIGITS
from descend.objectives.parse import MAX_EXPONENT as MAX_EXPONENT
from descend.objectives.parse import MAX_LENGTH as MAX_LENGTH
from descend.objectives.parse import MAX_VARIABLES as MAX_VARIABLES


def _resolve_variables(names: dict[str, int], variables: Sequence[str] | None) -> tuple[str, ...]:
    if variables is None:
        return tuple(sorted(names))
    if isinstance(variables, str):
        variables = variables.replace(",", " ").split()
    out = tuple(unicodedata.normalize("NFKC", v) if isinstance(v, str) else v for v in variables)
    for v in out:
        if (
            not isinstance(v, str)
            or not v.isidentifier()
            or v.startswith("_")
            or keyword.iskeyword(v)
            or v in _FUNCTIONS
            or v in _CONSTANTS
            or v in _RESERVED
        ):
            raise ExpressionError(
                f"{v!r} cannot be a variable name; use identifiers such as x, "
                "y or theta1 that are not function or constant names"
            )
    if len(set(out)) != len(out) or len(out) > MAX_VARIABLES:
        raise ExpressionError(f"variables {out} must be distinct and at most {MAX_VARIABLES}")
    for name, position in names.items():
        if name not in out:
            raise ExpressionError(
                f"'{name}' at position {position} is not among the variables "
                f"({', '.join(out)}); add it to variables",
                position=position,
            )
    return out


def symbolic_gradient(expr: Any, symbols: Sequence[Any]) -> tuple[Any, ...]:
    """∂expr/∂s for each symbol s, by the chain rule on the tree.

    ``sympy.diff`` expands products with the general Leibniz rule, O(m²) per variable for m
    factors; this walk differentiates each factor once and skips sub-trees free of ``s``.
    """
    free: dict[Any, frozenset[Any]] = {}

    def symbols_of(e: Any) -> frozenset[Any]:
        if e not in free:
            own = frozenset([e]) if e.is_Symbol else frozenset()
            free[e] = own.union(*(symbols_of(a) for a in e.args))
        return free[e]

    def d(e: Any, s: Any, memo: dict[Any, Any]) -> Any:
        if s not in symbols_of(e):
            return sympy.S.Zero
        if e == s:
            return sympy.S.One
        if e not in memo:
            args = e.args
            if e.is_Add:
                memo[e] = sympy.Add(*(d(a, s, memo) for a in args))
            elif e.is_Mul:
                parts = [(i, d(a, s, memo)) for i, a in enumerate(args)]
                memo[e] = sympy.Add(
                    *(sympy.Mul(*args[:i], da, *args[i + 1 :]) for i, da in parts if da != 0)
                )
            elif e.is_Pow and s in symbols_of(args[1]):
                base, p = args
                memo[e] = e * (d(p, s, memo) * sympy.log(base) + d(base, s, memo) * p / base)
            elif e.is_Pow:
                memo[e] = sympy.Mul(args[1], args[0] ** (args[1] - 1), d(args[0], s, memo))
            elif e.is_Function and len(args) == 1:
                memo[e] = e.fdiff(1) * d(args[0], s, memo)
            else:
                memo[e] = sympy.diff(e, s)
        return memo[e]

    return tuple(d(expr, s, {}) for s in symbols)


_TOO_DEEP = (
    "the expression is too deeply nested to differentiate; simplify it or split it into parts"
)


def _analyse(
    text: str, variables: Sequence[str] | None
) -> tuple[Any, tuple[str, ...], tuple[Any, ...]]:
    """The SymPy work on ``text``: its tree, its variables and its gradient, checked."""
    parser = _Parser(text)
    try:
        expr = parser.parse()
        names = _resolve_variables(parser.names, variables)
        symbols = [sympy.Symbol(v, real=True) for v in names]
        grads = symbolic_gradient(expr, symbols)
        for g, v in zip(grads, names, strict=True):
            if g.has(*_UNDEFINED, sympy.Derivative, sympy.Subs):
                raise ExpressionError(
                    f"the derivative of {text!r} with respect to {v} is "
                    "undefined; rewrite the expression"
                )
    except (RecursionError, MemoryError):
        raise ExpressionError(_TOO_DEEP) from None
    return expr, names, grads


class _Printer(NumPyPrinter):
    """NumPy code with the variables named ``_v0, _v1...`` and every number a float64 scalar.

    The names cannot clash with the functions of the generated code (a variable may be called
    ``sign``); float64 constants overflow to inf (silenced by ``np.errstate``) where Python
    floats would raise, as in ``pi**1000``. Renaming while printing, rather than substituting,
    spares SymPy from rebuilding (and re-simplifying) the tree.
    """

    def __init__(self, symbols: Sequence[Any]) -> None:
        super().__init__({"fully_qualified_modules": False, "inline": True, "order": "none"})
        self._names = {s: f"_v{i}" for i, s in enumerate(symbols)}

    def _print_Symbol(self, expr: Any) -> str:
        return self._names.get(expr) or super()._print_Symbol(expr)

    def _print_Rational(self, expr: Any) -> str:
        try:  # int / int is correctly rounded, whatever the sizes
            return f"float64({expr.p / expr.q!r})"
        except OverflowError:
            return "float64(inf)" if expr > 0 else "float64(-inf)"

    _print_Integer = _print_Rational

    def _print_Float(self, expr: Any) -> str:
        return f"float64({super()._print_Float(expr)})"

    def _print_Pi(self, expr: Any) -> str:
        return "float64(pi)"

    def _print_Exp1(self, expr: Any) -> str:
        return "float64(e)"


class Expression:
    """A parsed text expression with its symbolic gradient.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"x**2 + y**2"``; the module docstring gives the grammar.
    variables : sequence of str, optional
        The variables in order (a string ``"x, y"`` also works). Default: the free names,
        sorted. Names absent from the text are allowed; their partial derivative is 0.
    time_limit : float or None, default=TIME_LIMIT
        Most seconds parsing and differentiating may take (see :mod:`.bounded`); ``None``
        for no limit.

    Raises
    ------
    ExpressionError
        When the text cannot be parsed, uses a construct outside the grammar, exceeds a limit
        (the time limit included), or names a variable missing from ``variables``.
    """

    def __init__(
        self,
        text: str,
        variables: Sequence[str] | None = None,
        *,
        time_limit: float | None = TIME_LIMIT,
    ) -> None:
        _check_text(text)
        if time_limit is not None and not (isinstance(time_limit, int | float) and time_limit > 0):
            raise HyperparameterError(
                f"time_limit={time_limit!r} must be a positive number of seconds, or None"
            )
        if time_limit is not None and not is_cheap(text) and can_fork():
            expr, self._variables, grads = run_bounded(
                lambda: _analyse(text, variables), time_limit, text
            )
        else:
            expr, self._variables, grads = _analyse(text, variables)
        try:
            symbols = [sympy.Symbol(v, real=True) for v in self._variables]
            printer = _Printer(symbols)  # prints the variables as the arguments _v0, _v1...
            args = [sympy.Symbol(f"_v{i}") for i in range(len(symbols))]
            self._value_fn = sympy.lambdify(args, expr, "numpy", printer=printer)
            self._grad_fn = sympy.lambdify(args, list(grads), "numpy", printer=printer)
        except (RecursionError, MemoryError):
            raise ExpressionError(_TOO_DEEP) from None
        self.text = text
        self._expr = expr
        self._grads = grads

    @property
    def variables(self) -> tuple[str, ...]:
        """The variable names, in the order of the components of ``x``."""
        return self._variables

    @property
    def n(self) -> int:
        """The number of variables."""
        return len(self._variables)

    @property
    def sympy(self) -> Any:
        """The parsed SymPy expression."""
        return self._expr

    @property
    def gradient_sympy(self) -> tuple[Any, ...]:
        """∂f/∂vᵢ for each variable vᵢ, as SymPy expressions."""
        return self._grads

    @property
    def gradient_formulas(self) -> tuple[str, ...]:
        """∂f/∂vᵢ as text, e.g. ``('2*x', '2*y')`` for ``x**2 + y**2``."""
        return tuple(sympy.sstr(g, full_prec=False) for g in self._grads)

    def _columns(self, x: Any) -> tuple[Array, list[Array]]:
        arr = np.asarray(x, dtype=np.float64)
        if arr.ndim == 0 or arr.shape[-1] != self.n:
            got = "a scalar" if arr.ndim == 0 else f"{arr.shape[-1]} value(s)"
            raise ShapeError(
                f"x has {got} but {self.text!r} takes {self.n} "
                f"({', '.join(self.variables)}); give one value per variable"
            )
        return arr, [arr[..., i] for i in range(self.n)]

    def value(self, x: Any) -> Any:
        """f(x): a float for ``x`` of shape ``(n,)``, an array of ``k`` values for ``(k, n)``.

        Non-finite results come back as inf or nan, without warnings.
        """
        arr, cols = self._columns(x)
        with np.errstate(all="ignore"):
            out = np.asarray(self._value_fn(*cols), dtype=np.float64)
        if arr.ndim == 1:
            return float(out)
        return np.array(np.broadcast_to(out, arr.shape[:-1]))

    def grad(self, x: Any) -> Array:
        """∇f(x), an array with the shape of ``x``."""
        arr, cols = self._columns(x)
        if self.n == 0:
            return np.zeros(arr.shape)
        with np.errstate(all="ignore"):
            parts = [
                np.broadcast_to(np.asarray(g, dtype=np.float64), arr.shape[:-1])
                for g in self._grad_fn(*cols)
            ]
        return np.stack(parts, axis=-1)

    def __call__(self, x: Any) -> Any:
        """Same as :meth:`value`."""
        return self.value(x)

    def to_objective(self) -> Objective:
        """This expression as a batched :class:`~descend.Objective` with an exact gradient."""
        return Objective(
            fun=self.value,
            grad=self.grad,
            n=self.n,
            batched=True,
            names=self.variables,
            name=self.text,
            gradient_formulas=self.gradient_formulas,
        )

    def __repr__(self) -> str:
        return f"Expression({self.text!r}, variables={self.variables!r})"


def expression(
    text: str, variables: Sequence[str] | None = None, *, time_limit: float | None = TIME_LIMIT
) -> Expression:
    """Parse ``text`` into an :class:`Expression`; the module docstring gives the grammar.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"(1 - x)**2 + 100*(y - x**2)**2"``.
    variables : sequence of str, optional
        The variable order; by default the free names sorted alphabetically.
    time_limit : float or None, default=TIME_LIMIT (1.5 s)
        Most seconds the parsing and differentiation may take; beyond, an ExpressionError.
        ``None``: no limit (the work runs in this process).

    Returns
    -------
    Expression

    >>> expression("a*b + c", variables=["c", "b", "a"]).gradient_formulas
    ('1', 'a', 'b')
    """
    return Expression(text, variables, time_limit=time_limit)
