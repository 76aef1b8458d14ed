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
    symbols = [sympy.Symbol(f"_v{i}") for i in range(len(variables))]
    by_name = {str(s): s for s in expr.free_symbols}
    renames = {by_name[v]: s for v, s in zip(variables, symbols, strict=True) if v in by_name}
    expr = expr.subs(renames)
    outputs = [expr, *(sympy.diff(expr, s) for s in symbols)]
    shared, reduced = sympy.cse(outputs, symbols=sympy.numbered_symbols("_c"))
    printer = PythonCodePrinter({"fully_qualified_modules": True})
    lines = ["def value_and_grad(_theta):"]
    lines += [f"    {s.name} = _theta[{i}]" for i, s in enumerate(symbols)]
    lines += [f"    {name} = {printer.doprint(sub)}" for name, sub in shared]
    lines.append(f"    _g = np.empty({len(symbols)})")
    lines += [f"    _g[{i}] = {printer.doprint(d)}" for i, d in enumerate(reduced[1:])]
    lines.append(f"    return float({printer.doprint(reduced[0])}), _g")
    namespace: dict[str, Any] = {"np": np, "math": math}
    exec(compile("\n".join(lines), "<descend-compiled>", "exec"), namespace)
    jitted = numba.njit(cache=False)(namespace["value_and_grad"])
    _cache[key] = jitted
    return jitted


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

    from descend.kernels.update import update

    @numba.njit(cache=True)
    def run(vg, x0, rule, hp, lrs, max_iter, tol, patience, sign, explode):
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
        status, t, since, best, div_at, used = 1, 0, 0, f, -1, 0.0
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
            if not finite or f_new > f_start + explode * (1.0 + abs(f_start)):
                status, div_at = 3, t
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
            if f < best:
                best, since = f, 0
            else:
                since += 1
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
    explode: float,
) -> tuple[Any, ...]:
    """Run the compiled loop; returns the arrays :func:`descend.minimize` builds its Result from."""
    lrs = learning_rates(opt, max_iter)
    code = RULES[opt.name or ""]
    out = _kernel()(
        vg, x0, code, hyper_vector(opt), lrs, max_iter, float(tol), int(patience or 0),
        float(sign), float(explode),
    )  # fmt: skip
    return (*out, lrs)
