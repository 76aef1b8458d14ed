"""The parser of text expressions: an allow-list walk of Python's syntax tree into SymPy.

See :mod:`descend.objectives.expression` for the grammar and the limits; nothing here
evaluates text.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import warnings
from collections.abc import Callable
from typing import Any

import sympy

from descend.base.errors import ExpressionError

#: Longest accepted text, in characters.
MAX_LENGTH = 2000
#: Deepest nesting of parentheses, and of the syntax tree.
MAX_DEPTH = 60
#: Largest magnitude of a constant exponent.
MAX_EXPONENT = 1000
#: Most digits in an integer literal.
MAX_DIGITS = 100
#: Most distinct variables.
MAX_VARIABLES = 64
# Exact numbers stay below this; beyond, they become floats. SymPy computes exact powers such as
# b**n hidden in its simplifications (exp(n*log(b)) -> b**n) and must never see a huge b or n.
_MAX_EXACT = 10**6


def _sigmoid(u: float) -> float:
    z = math.exp(-abs(u))
    return 1.0 / (1.0 + z) if u >= 0 else z / (1.0 + z)


_SAME = ("acos", "asin", "atan", "cos", "cosh", "exp", "log", "sin", "sinh", "sqrt", "tan", "tanh")
#: name -> (SymPy builder, float version used to check constant arguments).
_FUNCTIONS: dict[str, tuple[Callable[[Any], Any], Callable[[float], float]]] = {
    **{name: (getattr(sympy, name), getattr(math, name)) for name in _SAME},
    "abs": (sympy.Abs, abs),
    "log10": (lambda u: sympy.log(u, 10), math.log10),
    "log2": (lambda u: sympy.log(u, 2), math.log2),
    "sigmoid": (lambda u: 1 / (1 + sympy.exp(-u)), _sigmoid),
}
_CONSTANTS: dict[str, tuple[Any, float]] = {
    "e": (sympy.E, math.e),
    "pi": (sympy.pi, math.pi),
    "π": (sympy.pi, math.pi),
}
_NOT_FINITE_NAME = "every number in an expression must be finite"
#: Names that other tools read as constants: refused, so that none becomes a silent variable.
_RESERVED: dict[str, str] = {
    "E": "Euler's number is written e (lower case); name the variable otherwise",
    "I": "complex numbers are not supported (descend works in the real numbers)",
    "oo": _NOT_FINITE_NAME,
    "inf": _NOT_FINITE_NAME,
    "Inf": _NOT_FINITE_NAME,
    "infinity": _NOT_FINITE_NAME,
    "Infinity": _NOT_FINITE_NAME,
    "nan": _NOT_FINITE_NAME,
    "NaN": _NOT_FINITE_NAME,
}
#: The functions an expression may call.
FUNCTIONS: tuple[str, ...] = tuple(sorted(_FUNCTIONS))
_GRAMMAR = (
    "an expression may use numbers, variable names, + - * / ** (or ^), parentheses, "
    f"pi (or π), e and the functions {', '.join(FUNCTIONS)}"
)
_S = sympy.S
_UNDEFINED = frozenset({_S.NaN, _S.ComplexInfinity, _S.ImaginaryUnit, _S.Infinity, -_S.Infinity})
_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_IMPLICIT = re.compile(r"\d\s*[^\W\d]|\)\s*[\w(]|[^\W\d]\w*\s+[\w(]")
_NOT_FINITE = "check for a division by zero, an overflow, or a log or root of a negative number"


def _float_op(op: type, a: float, b: float) -> float:
    """``a op b`` in floats: inf on overflow, nan when undefined or complex."""
    try:
        r = _OPS[op](a, b)
    except ZeroDivisionError:
        return math.nan
    except OverflowError:
        return math.inf
    return r if isinstance(r, float) else math.nan


class _Parser:
    """Walks the AST of one text with an allow-list and builds the SymPy expression.

    Constant sub-trees are also evaluated in floats *before* SymPy sees them, so that SymPy is
    never asked to simplify a huge, undefined or complex constant (which can take forever).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._index: list[int] = []  # index in ``text`` of each character of the source
        chars = []
        for i, ch in enumerate(text):
            rep = "**" if ch == "^" else (" " if ch in "\r\n" else ch)
            chars.append(rep)
            self._index.extend([i] * len(rep))
        source = "".join(chars)
        self._lead = len(source) - len(source.lstrip())
        self.source = source[self._lead :]
        self._bytes = self.source.encode("utf-8")
        self.names: dict[str, int] = {}  # free variable -> position of its first use

    def pos(self, i: int) -> int:
        """Position in the user's text of character ``i`` of the parsed source."""
        k = self._lead + max(i, 0)
        return self._index[k] if k < len(self._index) else len(self.text)

    def at(self, offset: int | None) -> int:
        """Position in the user's text of a UTF-8 byte ``offset`` of the source (AST offsets)."""
        return self.pos(len(self._bytes[: offset or 0].decode("utf-8", "ignore")))

    def error(self, where: ast.AST | int | None, what: str, hint: str) -> ExpressionError:
        """``what at position p; hint``, where ``where`` is a node or a position."""
        if isinstance(where, ast.AST):
            where = self.at(getattr(where, "col_offset", 0))
        at = "" if where is None else f" at position {where}"
        return ExpressionError(f"{what}{at}; {hint}", position=where)

    def segment(self, node: ast.AST) -> str:
        seg = ast.get_source_segment(self.source, node) or "?"
        return seg if len(seg) <= 40 else seg[:37] + "..."

    def parse(self) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(self.source, mode="eval")
        except SyntaxError as exc:
            reason = (exc.msg or "invalid syntax").split(". ")[0].rstrip(".")
            if _IMPLICIT.search(self.source):
                hint = "implicit multiplication is not supported: write 2*x, not 2x"
            elif "=" in self.source:
                hint = "write an expression, not an equation or an assignment"
            else:
                hint = "check for a missing operator or parenthesis; use ** (or ^) for powers"
            if not exc.offset:  # the text ended too early, as in "x +"
                raise self.error(len(self.text), "the expression ends too early", hint) from None
            what = f"cannot parse the expression ({reason})"
            raise self.error(self.pos(exc.offset - 1), what, hint) from None
        except (RecursionError, MemoryError, ValueError):
            raise self.error(None, "the expression is too complex", "shorten it") from None
        return self._build(tree.body, 1)[0]

    def disallowed(self, node: ast.AST) -> ExpressionError:
        if isinstance(node, ast.BinOp):  # the operator's text and position
            op = ast.unparse(ast.BinOp(ast.Name("a"), node.op, ast.Name("b")))[2:-2]
            what = f"the operator '{op}' is not allowed"
            return self.error(self._operator_pos(node), what, "use + - * / and ** (or ^)")
        if isinstance(node, ast.Attribute):
            what = f"attribute access '.{node.attr}' is not allowed"
            return self.error(self.at(node.value.end_col_offset), what, _GRAMMAR)
        if isinstance(node, ast.Constant) and isinstance(node.value, str | bytes):
            return self.error(node, f"the string {self.segment(node)} is not allowed", _GRAMMAR)
        return self.error(node, f"'{self.segment(node)}' is not allowed", _GRAMMAR)

    def _operator_pos(self, node: ast.BinOp) -> int:
        i = node.left.end_col_offset or 0
        while self._bytes[i : i + 1] in (b" ", b"\t", b"\f", b")"):
            i += 1
        return self.at(i)

    def _build(self, node: ast.expr, depth: int) -> tuple[Any, float | None]:
        """The SymPy expression of ``node``, and its float value when it is constant."""
        if depth > MAX_DEPTH:
            what = f"the expression is nested more than {MAX_DEPTH} levels deep"
            raise self.error(node, what, "simplify it or split it into parts")
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            expr, val = self._build(node.operand, depth + 1)
            if isinstance(node.op, ast.UAdd):
                return expr, val
            return -expr, (None if val is None else -val)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            if isinstance(node.op, ast.Pow):
                base, base_val = self._build(node.left, depth + 1)
                return self._combine(node, base, base_val, *self._build(node.right, depth + 1))
            # A left-leaning chain a + b - c + ... (or a * b / c ...) is one level, built in a
            # loop: long sums must hit neither the depth limit nor Python's recursion limit.
            additive = isinstance(node.op, ast.Add | ast.Sub)
            family = (ast.Add, ast.Sub) if additive else (ast.Mult, ast.Div)
            chain: list[ast.BinOp] = []
            cur: ast.expr = node
            while isinstance(cur, ast.BinOp) and isinstance(cur.op, family):
                chain.append(cur)
                cur = cur.left
            expr, val = self._build(cur, depth + 1)
            for link in reversed(chain):
                expr, val = self._combine(link, expr, val, *self._build(link.right, depth + 1))
            return expr, val
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        raise self.disallowed(node)

    def _constant(self, node: ast.Constant) -> tuple[Any, float]:
        v = node.value
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.disallowed(node)
        if "_" in self.segment(node):
            what = f"the number {self.segment(node)} holds an underscore"
            raise self.error(node, what, "write numbers without underscores, e.g. 1000")
        if isinstance(v, int) and abs(v) >= 10**MAX_DIGITS:
            what = f"the integer {self.segment(node)} has more than {MAX_DIGITS} digits"
            raise self.error(node, what, "write it in scientific notation, e.g. 1e120")
        if isinstance(v, int):
            return (sympy.Integer(v) if abs(v) <= _MAX_EXACT else sympy.Float(v, 15)), float(v)
        if not math.isfinite(v):
            what = f"the number {self.segment(node)} is too large"
            raise self.error(node, what, "numbers must be below 1.8e308")
        return sympy.Float(v), v

    def _name(self, node: ast.Name) -> tuple[Any, float | None]:
        name = node.id
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if name in _FUNCTIONS:
            raise self.error(node, f"'{name}' is a function", f"call it, e.g. {name}(x)")
        if name in _RESERVED:
            raise self.error(node, f"the name '{name}' is reserved", _RESERVED[name])
        if name.startswith("_"):
            what = f"the name '{name}' is not allowed"
            raise self.error(node, what, "variable names must not start with an underscore")
        if name not in self.names:
            if len(self.names) >= MAX_VARIABLES:
                what = f"more than {MAX_VARIABLES} variables ('{name}')"
                raise self.error(node, what, "use fewer variables")
            self.names[name] = self.at(node.col_offset)
        return sympy.Symbol(name, real=True), None

    def _call(self, node: ast.Call, depth: int) -> tuple[Any, float | None]:
        func = node.func
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Attribute | ast.Subscript | ast.Lambda):
                raise self.disallowed(func)
            where, what = self.at(func.end_col_offset), "a parenthesis right after a value"
            raise self.error(where, what, "implicit multiplication is not supported: write 2*(x)")
        name = func.id
        if name in _CONSTANTS:
            what = f"'{name}' is a constant, not a function"
            raise self.error(func, what, f"write {name}*(...) to multiply")
        if name not in _FUNCTIONS:
            hint = f"allowed functions: {', '.join(FUNCTIONS)}; to multiply, write {name}*(...)"
            raise self.error(func, f"unknown function '{name}'", hint)
        for item in node.keywords:
            what = f"keyword argument '{item.arg}='" if item.arg else "'**' unpacking"
            raise self.error(item, f"{what} in {name}()", f"write e.g. {name}(x)")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.disallowed(arg)
        if len(node.args) != 1:
            what = f"{name}() takes exactly one argument, got {len(node.args)}"
            raise self.error(func, what, f"write e.g. {name}(x)")
        arg, arg_val = self._build(node.args[0], depth + 1)
        builder, float_fun = _FUNCTIONS[name]
        val = None
        if arg_val is not None:
            try:
                val = float(float_fun(arg_val))
            except OverflowError:
                val = math.inf
            except ValueError:
                val = math.nan
        return self._checked(node, lambda: builder(arg), val)

    def _combine(
        self, node: ast.BinOp, a: Any, a_val: float | None, b: Any, b_val: float | None
    ) -> tuple[Any, float | None]:
        op = type(node.op)
        if op is ast.Pow and (
            (b_val is not None and abs(b_val) > MAX_EXPONENT)
            or (b.is_Number and bool(abs(b) > MAX_EXPONENT))
        ):
            what = f"the exponent {self.segment(node.right)} is too large"
            hint = f"constant exponents must be between -{MAX_EXPONENT} and {MAX_EXPONENT}"
            raise self.error(self._operator_pos(node), what, hint)
        val = None if a_val is None or b_val is None else _float_op(op, a_val, b_val)
        return self._checked(node, lambda: _OPS[op](a, b), val)

    def _checked(
        self, node: ast.expr, build: Callable[[], Any], val: float | None
    ) -> tuple[Any, float | None]:
        """``(build(), val)`` once checked: finite, real, defined, exact numbers kept small.

        A constant whose float value ``val`` is not finite is rejected before SymPy builds it:
        SymPy can take forever on a constant such as ``sin(exp(exp(100.0)))``.
        """
        if val is not None and not math.isfinite(val):
            what = f"the constant {self.segment(node)} is not a finite real number"
            raise self.error(node, what, _NOT_FINITE)
        expr, constant, big = build(), True, {}
        for sub in sympy.preorder_traversal(expr):
            constant = constant and not sub.is_Symbol
            if sub in _UNDEFINED:
                what = f"{self.segment(node)} is undefined or not real"
                raise self.error(node, what, _NOT_FINITE)
            if sub.is_Pow and sub.exp.is_Number and abs(sub.exp) > MAX_EXPONENT:
                what = f"{self.segment(node)} makes the exponent {sub.exp} too large"
                raise self.error(node, what, f"exponents must be at most {MAX_EXPONENT}")
            if sub.is_Rational and max(abs(sub.p), sub.q) > _MAX_EXACT:
                big[sub] = sympy.Float(sub, 15)
        if big:
            expr = expr.xreplace(big)
        if constant and val is None:  # simplified to a constant, as z*10**(-300*e)/z
            try:
                val = float(expr.evalf())
            except (TypeError, ValueError, OverflowError):
                val = math.nan
            if not math.isfinite(val):
                what = f"{self.segment(node)} simplifies to a constant that is not finite"
                raise self.error(node, what, _NOT_FINITE)
        return expr, val


def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"an expression must be a str, not {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("the expression is empty; write e.g. x**2 + y**2", position=0)
    if len(text) > MAX_LENGTH:
        what = f"the expression has {len(text)} characters; the limit is {MAX_LENGTH}"
        raise ExpressionError(what, position=MAX_LENGTH)
    depth = 0
    for i, ch in enumerate(text):
        if ch == "\x00" or 0xD800 <= ord(ch) <= 0xDFFF:
            raise ExpressionError(f"invalid character {ch!r} at position {i}", position=i)
        if ch == "#":  # Python would drop the rest of the line: "x # + y" would mean x
            what = f"'#' at position {i}: comments are not part of an expression"
            raise ExpressionError(f"{what}; remove it and what follows", position=i)
        depth += (ch in "([{") - (ch in ")]}")
        if depth > MAX_DEPTH:
            what = f"parentheses nested more than {MAX_DEPTH} deep at position {i}"
            raise ExpressionError(f"{what}; simplify the expression", position=i)


#: The largest text :func:`is_cheap` may call cheap, in characters.
_CHEAP_LENGTH = 120
#: Largest integer exponent, and most nested function calls, of a cheap text.
_CHEAP_EXPONENT = 4
_CHEAP_CALLS = 3
#: Magnitudes of number literals in a cheap text.
_CHEAP_NUMBERS = (1e-6, 1e6)


def is_cheap(text: str) -> bool:
    """Whether SymPy is sure to handle ``text`` quickly, so no time-limited worker is needed.

    Cheap: at most :data:`_CHEAP_LENGTH` characters, powers only with a small literal integer
    exponent (|n| ≤ 4) or ½, at most three nested function calls, and number literals of
    moderate size. Everything the crafted slow cases need (variable or large exponents of
    sub-expressions, huge or tiny constants, deep nesting) is outside this, and so is checked
    with a time limit (see :mod:`descend.objectives.bounded`).

    >>> is_cheap("(1 - x)**2 + 100*(y - x**2)**2"), is_cheap("x**y")
    (True, False)
    """
    if len(text) > _CHEAP_LENGTH:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text.replace("^", "**").strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True  # refused straight away by the parser
    return _cheap_node(tree.body, 0)


def _cheap_number(node: ast.expr) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _cheap_number(node.operand)
        return None if value is None else -value
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    return None


def _cheap_node(node: ast.AST, calls: int) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        v = abs(float(node.value))
        return v == 0 or _CHEAP_NUMBERS[0] <= v <= _CHEAP_NUMBERS[1]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        p = _cheap_number(node.right)
        if p is None or not (p == 0.5 or (p.is_integer() and abs(p) <= _CHEAP_EXPONENT)):
            return False
        return _cheap_node(node.left, calls)
    if isinstance(node, ast.Call):
        calls += 1
        if calls > _CHEAP_CALLS:
            return False
    return all(_cheap_node(child, calls) for child in ast.iter_child_nodes(node))
