"""The loop: evaluate, step, check the stopping rules, record the history.

This is the seeds' pseudo code made exact::

    for t in range(max_iter):
        g = ∇J(θ)
        if ‖g‖ < tol: stop (converged)
        θ = θ + update(g)            # θ − α·g for plain gradient descent
        if J(θ) is not finite or explodes: stop (diverged), keep the last finite θ
        if J has not improved for `patience` steps: stop (stalled)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from descend.base.checks import check_memory
from descend.base.errors import DescendError, ExpressionError, ShapeError
from descend.base.types import Array, LearningRate
from descend.engine.result import History, Result, Status
from descend.engine.stopping import FINE, UNBOUNDED, divergence, patience_count
from descend.objectives.objective import Objective
from descend.objectives.resolve import as_objective, dimension_of
from descend.optim.line_search import backtrack
from descend.optim.rules import get_optimizer
from descend.optim.transform import GradientTransformation, safe_norm, update_count


class Step(NamedTuple):
    """What a ``callback`` receives after each update; return True to stop the run."""

    t: int
    x: Array
    fun: float
    grad: Array
    lr: float


def as_start(x0: Any, obj: Objective) -> Array:
    """``x0`` as a fresh 1-D float64 array, checked against the objective's dimension."""
    try:
        x = np.array(x0, dtype=np.float64, ndmin=1)
    except (TypeError, ValueError) as exc:
        raise ShapeError(f"x0={x0!r} is not a list of numbers") from exc
    if x.ndim != 1:
        raise ShapeError(f"x0 must be one point (a 1-D list of numbers), got shape {x.shape}")
    obj.check_x(x)
    if not np.all(np.isfinite(x)):
        raise ShapeError(f"x0={x.tolist()} contains a non-finite value; start at finite numbers")
    return x


def _current_lr(opt: GradientTransformation, state: Any, lr: LearningRate | None) -> float:
    """The learning rate the next update will use, read from the chain's schedule state."""
    if lr is None or isinstance(lr, str):
        return math.nan
    return float(lr(update_count(state)) if callable(lr) else lr)


def minimize(
    fun: Any,
    x0: Any,
    *,
    grad: Callable[[Array], Any] | None = None,
    optimizer: str | GradientTransformation = "sgd",
    lr: LearningRate | str | None = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
    patience: int | None = None,
    maximize: bool = False,
    callback: Callable[[Step], Any] | None = None,
    log_every: int | None = None,
    seed: int | None = None,
    engine: str = "auto",
) -> Result:
    """Minimize (or, with ``maximize=True``, maximize) a differentiable function.

    Parameters
    ----------
    fun : callable, str or Objective
        J(θ): a Python callable of a 1-D array, a text expression (``"x**2 + y**2"``), a
        built-in function name (``"rosenbrock"``), an :class:`Expression` or an Objective.
        An n-dimensional built-in named by text (sphere, rosenbrock, rastrigin, ackley) takes
        its dimension from ``x0``.
    x0 : array-like of shape (n,)
        The starting point θ₀.
    grad : callable, optional
        ∇J(θ) for a callable ``fun``; without it, central finite differences are used.
    optimizer : str or GradientTransformation, default="sgd"
        A name (``"sgd"``, ``"momentum"``, ``"nesterov"``, ``"adagrad"``, ``"rmsprop"``,
        ``"adam"``, ``"amsgrad"``, ``"adamw"``) or a built optimizer such as ``adam(0.1)``.
    lr : float, schedule or "auto", optional
        Learning rate for an optimizer given by name (its default when omitted). ``"auto"``
        chooses the step each iteration by a backtracking (Armijo) line search along the
        optimizer's direction.
    max_iter : int, default=1000
        Most updates to make.
    tol : float, default=1e-6
        Stop when ‖∇J(θ)‖ < tol. ``tol=0`` runs exactly ``max_iter`` updates.
    patience : int, optional
        Stop ("stalled") when J has not improved for this many updates.
    maximize : bool, default=False
        Gradient ascent: θ ← θ + α∇J(θ).
    callback : callable, optional
        Called with a :class:`Step` after each update; returning True stops the run.
    log_every : int, optional
        Print a trace line (step, J, θ, ∇J) every this many updates.
    seed : int, optional
        Unused by deterministic rules; accepted for a uniform signature with the strategies.
    engine : {"auto", "numpy", "compiled"}, default="auto"
        ``"numpy"`` runs the reference loop; ``"compiled"`` runs the same loop compiled with
        Numba (text expressions and built-in functions with a named optimizer, no callback or
        trace); ``"auto"`` compiles when that is possible and the run is long enough to repay
        the compilation (see :mod:`descend.engine.compiled`).

    Returns
    -------
    Result
        ``x``, ``fun``, ``grad``, ``grad_norm``, ``nit``, ``status``, ``success``, ``message``
        and ``history``. Divergence is a status, never an exception.

    Examples
    --------
    The seeds' first example, f(x) = x² from x = 10 with α = 0.1:

    >>> r = minimize(lambda x: x[0] ** 2, [10.0], grad=lambda x: 2 * x, lr=0.1, max_iter=3, tol=0)
    >>> r.history.x[:, 0].round(10).tolist()
    [10.0, 8.0, 6.4, 5.12]
    >>> minimize("(1 - x)**2 + 100*(y - x**2)**2", [-1.2, 1], optimizer="adam", lr=0.05,
    ...          max_iter=5000, tol=1e-8).x.round(6)
    array([1., 1.])
    """
    del seed  # the loop itself draws no random numbers
    obj = as_objective(fun, grad, n=dimension_of(x0))
    x = as_start(x0, obj)
    auto = isinstance(lr, str)
    if auto and lr != "auto":
        from descend.base.errors import HyperparameterError

        raise HyperparameterError(
            f"lr={lr!r} is not understood; give a number, a schedule or 'auto'"
        )
    check_loop_args(max_iter, tol, patience, log_every)
    if auto:
        opt = get_optimizer(optimizer, 1.0) if isinstance(optimizer, str) else optimizer
        lr_value: LearningRate | None = None
    else:
        opt = get_optimizer(optimizer, lr)  # type: ignore[arg-type]
        lr_value = _optimizer_lr(optimizer, lr)
    sign = -1.0 if maximize else 1.0
    if _use_compiled(engine, obj, opt, auto, callback, log_every, max_iter):
        return _run_compiled(obj, x, opt, sign, max_iter, tol, patience)
    try:
        return _run(obj, x, opt, sign, auto, lr_value, max_iter, tol, patience, callback, log_every)
    except MemoryError:
        from descend.base.errors import HyperparameterError

        raise HyperparameterError(
            f"max_iter={max_iter}: the history of the run no longer fits in memory; "
            "lower max_iter or raise tol"
        ) from None


def _use_compiled(
    engine: str,
    obj: Objective,
    opt: GradientTransformation,
    auto: bool,
    callback: Any,
    log_every: Any,
    max_iter: int,
) -> bool:
    from descend.base.errors import HyperparameterError
    from descend.engine import compiled as _compiled

    if engine not in ("auto", "numpy", "compiled"):
        raise HyperparameterError(f"engine={engine!r}; choose 'auto', 'numpy' or 'compiled'")
    if engine == "numpy":
        return False
    sym = _compiled.sympy_of(obj)
    possible = sym is not None and _compiled.supported(opt) and not auto
    possible = possible and callback is None and log_every is None
    if engine == "compiled" and not possible:
        raise HyperparameterError(
            "engine='compiled' needs a text expression or built-in function, a named optimizer "
            "(sgd, momentum, adagrad, rmsprop, adam, adamw), a numeric lr or schedule, and no "
            "callback or log_every; use engine='numpy' for anything else"
        )
    if not possible:
        return False
    size = _compiled.history_bytes(len(sym[1]), max_iter)  # type: ignore[index]
    if engine == "compiled":
        check_memory(
            f"engine='compiled' with max_iter={max_iter}",
            size,
            "lower max_iter, or use engine='numpy', which records only the steps it takes",
        )
        return True
    if size > _compiled.AUTO_MAX_HISTORY_BYTES:
        return False  # the NumPy loop records only the steps it takes
    return max_iter >= _compiled.AUTO_MIN_ITER or _compiled.is_compiled(*sym)  # type: ignore[misc]


def _run_compiled(
    obj: Objective,
    x: Array,
    opt: GradientTransformation,
    sign: float,
    max_iter: int,
    tol: float,
    patience: int | None,
) -> Result:
    from descend.engine import compiled as _compiled

    vg = _compiled.compile_sympy(*_compiled.sympy_of(obj))  # type: ignore[misc]
    with np.errstate(all="ignore"):
        f0, g0 = vg(x)
    if not (math.isfinite(f0) and np.all(np.isfinite(g0))):
        _not_finite_at_start(obj, x, sign * f0, sign * g0)
    out = _compiled.run_compiled(
        vg,
        x,
        opt,
        max_iter=max_iter,
        tol=tol,
        patience=patience,
        sign=sign,
    )
    x, f, g, path, fun, gnorm, sizes, code, div_at, used, f_new, fell, lrs = out
    status: Status = _compiled.STATUS[code]  # type: ignore[assignment]
    nit = len(sizes)
    diverged_at = int(div_at) if status == "diverged" else None
    fell = bool(fell)
    suggested = used / 10 if status == "diverged" and not (fell or f_new < f) else None
    history = History(x=path, fun=sign * fun, grad_norm=gnorm, lr=lrs[:nit], step_size=sizes)
    return Result(
        x=x,
        fun=sign * float(f),
        grad=sign * g,
        grad_norm=float(gnorm[-1]),
        nit=nit,
        status=status,
        message=_message(status, nit, tol, patience, diverged_at, suggested, sign, fell),
        history=history,
        diverged_at=diverged_at,
        suggested_lr=suggested,
        extra={"engine": "compiled"},
    )


def _not_finite_at_start(obj: Objective, x: Array, value: float, grad: Array) -> None:
    """Raise: J or ∇J is not finite at x0; the message says which, with the numbers."""
    cls = ExpressionError if obj.gradient_formulas else DescendError
    if math.isfinite(value):
        what = f"its gradient is not finite at the start x0={x.tolist()} (value {value}, "
        what += f"gradient {np.asarray(grad).tolist()})"
    else:
        what = f"it is not finite at the start x0={x.tolist()} (value {value})"
    raise cls(f"{obj.name}: {what}; choose a starting point inside the function's domain")


def _optimizer_lr(optimizer: Any, lr: Any) -> LearningRate | None:
    """The learning rate to record: the one given, the optimizer's own, or unknown (None)."""
    if lr is not None:
        return lr
    if isinstance(optimizer, str):
        optimizer = get_optimizer(optimizer)
    hyperparams = optimizer.hyperparams or {}
    return hyperparams.get("lr")


def check_loop_args(max_iter: Any, tol: Any, patience: Any, log_every: Any) -> None:
    from descend.base.errors import HyperparameterError

    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 0:
        raise HyperparameterError(f"max_iter={max_iter!r} must be a whole number >= 0")
    if not isinstance(tol, int | float | np.floating) or not tol >= 0:
        raise HyperparameterError(f"tol={tol!r} must be a number >= 0")
    if patience is not None and (not isinstance(patience, int | np.integer) or patience < 1):
        raise HyperparameterError(f"patience={patience!r} must be a whole number >= 1")
    if log_every is not None and (not isinstance(log_every, int | np.integer) or log_every < 1):
        raise HyperparameterError(f"log_every={log_every!r} must be a whole number >= 1")


def _evaluate(obj: Objective, x: Array, sign: float) -> tuple[float, Array]:
    with np.errstate(all="ignore"):
        return sign * float(obj.value(x)), sign * obj.gradient(x)


def _trace(t: int, f: float, x: Array, g: Array, sign: float) -> None:
    with np.printoptions(precision=6, suppress=True):
        print(f"step {t:>6}  J = {sign * f:<14.8g} θ = {x}  ∇J = {sign * g}")


def _run(
    obj: Objective,
    x: Array,
    opt: GradientTransformation,
    sign: float,
    auto: bool,
    lr: LearningRate | None,
    max_iter: int,
    tol: float,
    patience: int | None,
    callback: Callable[[Step], Any] | None,
    log_every: int | None,
) -> Result:
    f, g = _evaluate(obj, x, sign)
    if not math.isfinite(f) or not np.all(np.isfinite(g)):
        _not_finite_at_start(obj, x, sign * f, sign * g)
    f_start = f
    path, values, norms, lrs, sizes = [x.copy()], [f], [float(safe_norm(g))], [], []
    state = opt.init(x)
    status: Status = "max_iter"
    best, since_best = f, 0
    alpha = 1.0
    diverged_at: int | None = None
    suggested: float | None = None
    fell = False
    if log_every:
        _trace(0, f, x, g, sign)
    t = 0
    while True:
        if norms[-1] < tol:
            status = "converged"
            break
        if t >= max_iter:
            break
        # An overflow in the update (g² in Adam's second moment) shows up as a non-finite
        # step, which the divergence check below reports: no NumPy warning on the way.
        with np.errstate(over="ignore", invalid="ignore"):
            if auto:
                step, state, alpha = _line_search(obj, x, f, g, opt, state, sign, alpha)
                used_lr = alpha
            else:
                used_lr = _current_lr(opt, state, lr)
                step, state = opt.update(g, state, x)
            x_new = x + step
        f_new, g_new = _evaluate(obj, x_new, sign)
        t += 1
        size, g_norm = float(safe_norm(x_new - x)), float(safe_norm(g_new))
        # (the norms are finite exactly when x_new and g_new are)
        finite = math.isfinite(f_new) and math.isfinite(size) and math.isfinite(g_norm)
        kind = divergence(f_new, f_start, finite)
        if kind != FINE:
            status, diverged_at, fell = "diverged", t, kind == UNBOUNDED
            unbounded = fell or f_new < f  # falling without bound; NaN (left the domain) is not
            suggested = used_lr / 10 if math.isfinite(used_lr) and not unbounded else None
            break
        lrs.append(used_lr)
        sizes.append(size)
        x, f, g = x_new, f_new, g_new  # fresh arrays: nothing updates them in place
        path.append(x)
        values.append(f)
        norms.append(g_norm)
        if log_every and t % log_every == 0:
            _trace(t, f, x, g, sign)
        if callback is not None and callback(Step(t, x.copy(), sign * f, sign * g, used_lr)):
            status = "stopped"
            break
        best, since_best = patience_count(f, best, since_best)
        if patience is not None and since_best >= patience:
            status = "stalled"
            break
    history = History(
        x=np.array(path),
        fun=sign * np.array(values),
        grad_norm=np.array(norms),
        lr=np.array(lrs, dtype=np.float64),
        step_size=np.array(sizes, dtype=np.float64),
    )
    return Result(
        x=x,
        fun=sign * f,
        grad=sign * g,
        grad_norm=norms[-1],
        nit=len(lrs),
        status=status,
        message=_message(status, len(lrs), tol, patience, diverged_at, suggested, sign, fell),
        history=history,
        diverged_at=diverged_at,
        suggested_lr=suggested,
    )


def _line_search(
    obj: Objective,
    x: Array,
    f: float,
    g: Array,
    opt: GradientTransformation,
    state: Any,
    sign: float,
    alpha: float,
) -> tuple[Array, Any, float]:
    """One step of size α chosen by :func:`descend.optim.line_search.backtrack`."""
    d, new_state = opt.update(g, state, x)
    d, alpha, _ = backtrack(lambda z: _evaluate(obj, z, sign), x, f, g, d, alpha)
    return alpha * d, new_state, alpha


def _message(
    status: Status,
    nit: int,
    tol: float,
    patience: int | None,
    diverged_at: int | None,
    suggested: float | None,
    sign: float,
    fell: bool = False,
) -> str:
    goal = "maximum" if sign < 0 else "minimum"
    if status == "converged":
        return f"converged to a {goal}-candidate: gradient norm below tol={tol:g} after {nit} steps"
    if status == "max_iter":
        return f"stopped at max_iter={nit} before the gradient norm fell below tol={tol:g}"
    if status == "stalled":
        return f"stalled: no improvement for patience={patience} steps (after {nit} steps)"
    if status == "stopped":
        return f"stopped by the callback after {nit} steps"
    if fell:
        side = "above" if sign < 0 else "below"
        return (
            f"diverged after {nit} steps: the next step took J {side} J(θ₀) "
            f"{'+' if sign < 0 else '−'} 10¹²·(1 + |J(θ₀)|); the function looks unbounded "
            f"{side} (no {goal} to find)"
        )
    hint = (
        f"; try a smaller learning rate, e.g. lr={suggested:.3g}"
        if suggested is not None
        else "; the function may be unbounded in this direction"
    )
    return f"diverged after {nit} steps: the next step made the value non-finite or exploded{hint}"
