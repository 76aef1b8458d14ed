"""The compiled path of :func:`descend.minimize`: the whole loop in one Numba function.

The NumPy loop in :mod:`descend.engine.minimize` is the reference. When the objective can be
compiled (a text expression, a built-in function, or a user's own ``numba.njit``
function returning ``(value, gradient)``) and the optimizer is one of the named rules, the
same loop (same arithmetic in the same order, same stopping rules) runs compiled: about 0.2 µs
per step instead of about 30. ``engine="numpy"`` forces the reference; tests prove the two agree.

Compiling costs about a second per new objective, so ``engine="auto"`` compiles only runs long
enough to repay it (``max_iter`` ≥ :data:`AUTO_MIN_ITER`) or objectives compiled before.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from descend.base.types import Array
from descend.optim.rules import RULE_CODES, hyper_vector
from descend.optim.transform import GradientTransformation, learning_rate_at

#: engine="auto" compiles an objective seen for the first time only for runs this long.
AUTO_MIN_ITER = 20_000

RULES = RULE_CODES
STATUS = ("converged", "max_iter", "stalled", "diverged")

_cache: dict[str, Callable[..., Any]] = {}


def supported(opt: GradientTransformation) -> bool:
    """True when ``opt`` is a named rule the compiled loop implements."""
    return opt.name in RULES and opt.hyperparams is not None


def is_jitted(fun: Any) -> bool:
    """True for a ``numba.njit`` dispatcher (a user's compiled value-and-gradient function)."""
    try:
        from numba.core.registry import CPUDispatcher
    except ImportError:  # pragma: no cover - numba is a dependency
        return False
    return isinstance(fun, CPUDispatcher)


def sympy_of(obj: Any) -> tuple[Any, tuple[str, ...]] | None:
    """The SymPy form of an objective and its variables, when it has one.

    Text expressions carry theirs; built-in functions are rebuilt from their text form
    (:func:`descend.objectives.functions.expression_text`), parsed once per process.
    """
    meta = obj.meta
    if "sympy" in meta:
        return meta["sympy"]
    expr = meta.get("expression")
    if expr is None and meta.get("function") is not None:
        from descend.objectives.expression import expression
        from descend.objectives.functions import expression_text

        fn = meta["function"]
        text = expression_text(fn)
        if text is None:
            return None
        key = f"text:{text}"
        if key not in _cache:
            _cache[key] = expression(text, variables=fn.variables)
        expr = _cache[key]
    if expr is None:
        return None
    return expr.sympy, tuple(expr.variables)


def is_compiled(expr: Any, variables: tuple[str, ...]) -> bool:
    """True when this expression was compiled before in this process."""
    return f"{variables}:{expr}" in _cache


def compile_sympy(expr: Any, variables: tuple[str, ...]) -> Callable[..., Any]:
    """A ``numba.njit`` function x ↦ (J(x), ∇J(x)) generated from a SymPy expression.

    The source is printed by SymPy's code printer from the already validated expression tree
    (never from user text), with common subexpressions shared between value and gradient.
    """
    key = f"{variables}:{expr}"
    if key in _cache:
        return _cache[key]
    import numba
    import sympy
    from sympy.printing.pycode import PythonCodePrinter

    # The user's names are replaced by _v0, _v1, ... so that no name can clash with the code.
    # They are real, as the parsed variables are: d|x|/dx is then sign(x), with no re or im.
    symbols = [sympy.Symbol(f"_v{i}", real=True) for i in range(len(variables))]
    by_name = {str(s): s for s in expr.free_symbols}
    renames = {by_name[v]: s for v, s in zip(variables, symbols, strict=True) if v in by_name}
    expr = expr.xreplace(renames)
    # the same chain rule as the NumPy engine's gradient (d|u| = sign(u)·du, never re/im)
    from descend.objectives.expression import symbolic_gradient

    outputs = [expr, *symbolic_gradient(expr, symbols)]
    shared, reduced = sympy.cse(outputs, symbols=sympy.numbered_symbols("_c"))

    class Printer(PythonCodePrinter):
        # x**-2 with an integer exponent raises ZeroDivisionError at 0 in Numba; x**-2.0 is inf
        def _print_Integer(self, e: Any) -> str:
            return f"{float(e)!r}" if e < 0 else super()._print_Integer(e)

        # d|u| of a u SymPy cannot prove real (x**x) brings re(u) and im(u): on the reals,
        # where the value is defined, re(u) = u and im(u) = 0 (elsewhere u itself is NaN)
        def _print_re(self, e: Any) -> str:
            return f"({self._print(e.args[0])})"

        def _print_im(self, e: Any) -> str:
            return "0.0"

    printer = Printer({"fully_qualified_modules": True})
    lines = ["def value_and_grad(_theta):"]
    lines += [f"    {s.name} = _theta[{i}]" for i, s in enumerate(symbols)]
    lines += [f"    {name} = {printer.doprint(sub)}" for name, sub in shared]
    lines.append(f"    _g = np.empty({len(symbols)})")
    lines += [f"    _g[{i}] = {printer.doprint(d)}" for i, d in enumerate(reduced[1:])]
    lines.append(f"    return float({printer.doprint(reduced[0])}), _g")
    namespace: dict[str, Any] = {"np": np, "math": math}
    exec(compile("\n".join(lines), "<descend-compiled>", "exec"), namespace)
    # error_model="numpy": 1/0 is inf (as in the NumPy engine), not a ZeroDivisionError
    jitted = numba.njit(cache=False, error_model="numpy")(namespace["value_and_grad"])
    _cache[key] = jitted
    return jitted


#: engine="auto" compiles only runs whose up-front history takes at most this many bytes.
AUTO_MAX_HISTORY_BYTES = 1024**3


def history_bytes(n: int, max_iter: int) -> int:
    """Bytes the compiled loop allocates before its first step, for ``n`` variables.

    The path (max_iter + 1 rows of n), J and ‖∇J‖ (max_iter + 1 each), the step sizes and the
    learning rates (max_iter each), all float64; the NumPy loop records only the steps it takes.
    """
    return 8 * ((max_iter + 1) * (n + 2) + 2 * max_iter)


def learning_rates(opt: GradientTransformation, max_iter: int) -> Array:
    """α_t for t = 0 … max_iter − 1, evaluated once in Python (schedules included)."""
    lr = (opt.hyperparams or {})["lr"]
    if not callable(lr):
        return np.full(max_iter, float(lr))
    return np.array([learning_rate_at(lr, t) for t in range(max_iter)], dtype=np.float64)


def _kernel() -> Callable[..., Any]:
    if "kernel" in _cache:
        return _cache["kernel"]
    import numba

    from descend.engine import stopping

    divergence = numba.njit(inline="always")(stopping.divergence)
    patience_count = numba.njit(inline="always")(stopping.patience_count)

    from descend.kernels.update import update

    @numba.njit(cache=True)
    def run(vg, x0, rule, hp, lrs, max_iter, tol, patience, sign):
        n = x0.size
        x = x0.copy()
        s1 = np.zeros(n)
        s2 = np.zeros(n)
        s3 = np.zeros(n)
        path = np.empty((max_iter + 1, n))
        fun = np.empty(max_iter + 1)
        gnorm = np.empty(max_iter + 1)
        sizes = np.empty(max_iter)
        f, g = vg(x)
        f *= sign
        g = g * sign
        f_start = f
        path[0] = x
        fun[0] = f
        gnorm[0] = math.sqrt(np.dot(g, g))
        status, t, since, best, div_at, used, fell = 1, 0, 0, f, -1, 0.0, False
        f_new = f
        while True:
            if gnorm[t] < tol:
                status = 0
                break
            if t >= max_iter:
                break
            used = lrs[t]
            x_new = np.empty(n)
            update(rule, hp, used, t, t > 0, g, x, x_new, s1, s2, s3, s1, s2, s3)
            f_new, g_new = vg(x_new)
            f_new *= sign
            g_new = g_new * sign
            t += 1
            finite = math.isfinite(f_new)
            for i in range(n):
                finite = finite and math.isfinite(x_new[i]) and math.isfinite(g_new[i])
            kind = divergence(f_new, f_start, finite)
            if kind != 0:
                status, div_at, fell = 3, t, kind == 2
                t -= 1
                break
            d2 = 0.0
            for i in range(n):
                d2 += (x_new[i] - x[i]) ** 2
            sizes[t - 1] = math.sqrt(d2)
            x, f, g = x_new, f_new, g_new
            path[t] = x
            fun[t] = f
            gnorm[t] = math.sqrt(np.dot(g, g))
            best, since = patience_count(f, best, since)
            if patience > 0 and since >= patience:
                status = 2
                break
        return (
            x,
            f,
            g,
            path[: t + 1],
            fun[: t + 1],
            gnorm[: t + 1],
            sizes[:t],
            status,
            div_at,
            used,
            f_new,
            fell,
        )

    _cache["kernel"] = run
    return run


def run_compiled(
    vg: Callable[..., Any],
    x0: Array,
    opt: GradientTransformation,
    *,
    max_iter: int,
    tol: float,
    patience: int | None,
    sign: float,
) -> tuple[Any, ...]:
    """Run the compiled loop; returns the arrays :func:`descend.minimize` builds its Result from."""
    lrs = learning_rates(opt, max_iter)
    code = RULES[opt.name or ""]
    out = _kernel()(
        vg, x0, code, hyper_vector(opt), lrs, max_iter, float(tol), int(patience or 0),
        float(sign),
    )  # fmt: skip
    return (*out, lrs)
