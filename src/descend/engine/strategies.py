"""Strategies around the loop: random restarts and simulated annealing.

Gradient descent finds *a* minimum, the one whose basin holds the start. The seeds give two
remedies for non-convex functions, both here:

* :func:`random_restarts`: start from many points drawn uniformly in a box and keep the best.
  When the objective evaluates a batch of points at once (text expressions and built-ins do),
  all starts run as one vectorised array of shape (k, n).
* :func:`simulated_annealing`: propose θ' = θ − α∇J(θ) + σ_T·ξ, accept it when it is better or
  with probability exp(−Δ/T) when it is worse (Δ = J(θ') − J(θ)), and cool T ← c·T. With
  ``noise=0`` the proposal is the seeds' pure gradient step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from descend.base.checks import check_memory, check_positive
from descend.base.errors import HyperparameterError, ShapeError
from descend.base.types import Array, LearningRate
from descend.engine.minimize import as_start, check_loop_args, minimize
from descend.engine.result import History, Result
from descend.objectives.objective import Objective
from descend.objectives.resolve import as_objective, dimension_of
from descend.optim.rules import get_optimizer
from descend.optim.transform import GradientTransformation


@dataclass(frozen=True)
class RestartsResult:
    """All the runs of :func:`random_restarts` and the best of them.

    Attributes
    ----------
    best : Result
        The best run, re-run alone from its start so that its history is complete.
    starts : ndarray of shape (k, n)
        The starting points drawn.
    x : ndarray of shape (k, n)
        Where each run ended.
    fun : ndarray of shape (k,)
        J at each end point (NaN for runs that diverged).
    status : ndarray of shape (k,)
        ``"converged"``, ``"max_iter"`` or ``"diverged"`` for each run.
    best_index : int
        Index of the best run.
    """

    best: Result
    starts: Array
    x: Array
    fun: Array
    status: np.ndarray
    best_index: int

    @property
    def n_converged(self) -> int:
        """How many runs met the gradient tolerance."""
        return int(np.sum(self.status == "converged"))

    def distinct_minima(self, decimals: int = 4) -> Array:
        """The distinct end points of the converged runs, rounded to ``decimals``."""
        ends = self.x[self.status == "converged"].round(decimals) + 0.0
        return np.unique(ends, axis=0)


def _domain_of(obj: Objective, domain: Any, n: int | None) -> Array:
    if domain is None:
        fn = obj.meta.get("function")
        domain = getattr(fn, "domain", None)
        if domain is None:
            raise ShapeError(
                f"random_restarts needs a domain for {obj.name}: give one (low, high) pair "
                "per variable, e.g. domain=[(-5, 5), (-5, 5)]"
            )
    box = np.asarray(domain, dtype=np.float64)
    if box.ndim == 1 and box.shape == (2,) and n not in (None, 1):
        box = np.tile(box, (n, 1))
    if box.ndim != 2 or box.shape[1] != 2 or (n is not None and box.shape[0] != n):
        raise ShapeError(
            f"domain has shape {box.shape}; give one (low, high) pair per variable"
            + (f" ({n} pairs)" if n is not None else "")
        )
    if not np.all(box[:, 0] < box[:, 1]):
        raise ShapeError(f"domain={box.tolist()} needs low < high in every pair")
    return box


def _box_dimension(domain: Any) -> int | None:
    """The number of (low, high) pairs of a box given as a 2-D table, else None."""
    if domain is None:
        return None
    try:
        box = np.asarray(domain, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return int(box.shape[0]) if box.ndim == 2 and box.shape[1] == 2 else None


def random_restarts(
    fun: Any,
    n_starts: int = 10,
    *,
    grad: Callable[[Array], Any] | None = None,
    domain: Sequence[tuple[float, float]] | None = None,
    optimizer: str | GradientTransformation = "adam",
    lr: LearningRate | None = None,
    max_iter: int = 1000,
    tol: float = 1e-6,
    maximize: bool = False,
    seed: int | None = None,
) -> RestartsResult:
    """Run the optimizer from ``n_starts`` random points and keep the best end point.

    Starting points are drawn uniformly in ``domain`` (a built-in function's own by default)
    from ``numpy.random.default_rng(seed)``. Each run stops on its own when its gradient norm
    falls below ``tol``; a run that diverges is frozen at its last finite point. ``grad`` is
    the gradient of a callable ``fun`` (central differences otherwise, much slower). An
    n-dimensional built-in named by text (sphere, rosenbrock, rastrigin, ackley) takes its
    dimension from ``domain``.

    >>> r = random_restarts("himmelblau", 40, optimizer="adam", lr=0.05, max_iter=3000, seed=0)
    >>> len(r.distinct_minima(3))   # Himmelblau's four minima, all found
    4
    """
    obj = as_objective(fun, grad, n=_box_dimension(domain))
    if isinstance(n_starts, bool) or not isinstance(n_starts, int) or n_starts < 1:
        raise HyperparameterError(f"n_starts={n_starts!r} must be a whole number >= 1")
    check_loop_args(max_iter, tol, None, None)
    box = _domain_of(obj, domain, obj.n)
    # the starts, the current and previous points, the gradient, the step and up to three
    # optimizer buffers: about 8 arrays of (n_starts, n) float64
    check_memory(f"n_starts={n_starts}", 8.0 * 8 * n_starts * box.shape[0], "use fewer starts")
    rng = np.random.default_rng(seed)
    starts = box[:, 0] + (box[:, 1] - box[:, 0]) * rng.random((n_starts, box.shape[0]))
    opt = get_optimizer(optimizer, lr)
    sign = -1.0 if maximize else 1.0
    if obj.batched:
        x, status = _run_batch(obj, starts, opt, sign, max_iter, tol)
    else:
        runs = [
            minimize(obj, s, optimizer=opt, max_iter=max_iter, tol=tol, maximize=maximize)
            for s in starts
        ]
        x = np.array([r.x for r in runs])
        status = np.array(["diverged" if r.status == "diverged" else r.status for r in runs])
    with np.errstate(all="ignore"):
        values = np.asarray(obj.value(x), dtype=np.float64)
    values = np.where(status == "diverged", np.nan, values)
    ranked = np.where(np.isnan(values), np.inf, sign * values)
    best_index = int(np.argmin(ranked))
    best = minimize(
        obj, starts[best_index], optimizer=opt, max_iter=max_iter, tol=tol, maximize=maximize
    )
    return RestartsResult(best, starts, x, values, status, best_index)


def _run_batch(
    obj: Objective,
    starts: Array,
    opt: GradientTransformation,
    sign: float,
    max_iter: int,
    tol: float,
) -> tuple[Array, np.ndarray]:
    """All starts as one (k, n) array; a row freezes once it converges or diverges.

    A row whose gradient stops being finite diverged: it goes back to its previous point.
    """
    x = starts.copy()
    x_prev = x
    state = opt.init(x)
    active = np.ones(len(x), dtype=bool)
    converged = np.zeros(len(x), dtype=bool)
    diverged = np.zeros(len(x), dtype=bool)
    tol2 = tol * tol
    with np.errstate(all="ignore"):
        for t in range(max_iter + 1):
            g = obj.gradient(x)
            if sign != 1.0:
                g = sign * g
            sq = np.einsum("ij,ij->i", g, g)
            stop = ~(sq >= tol2) & active  # converged, or not finite (NaN compares False)
            if stop.any():
                bad = stop & ~np.isfinite(sq)
                if bad.any():
                    x[bad] = x_prev[bad]
                    diverged |= bad
                converged |= stop & ~bad
                active &= ~stop
                if not active.any():
                    break
                g = np.where(active[:, None], g, 0.0)
            if t == max_iter:
                break
            step, state = opt.update(g, state, x)
            x_prev = x
            x = x + step if active.all() else x + np.where(active[:, None], step, 0.0)
    status = np.where(converged, "converged", np.where(diverged, "diverged", "max_iter"))
    return x, status


def simulated_annealing(
    fun: Any,
    x0: Any,
    *,
    grad: Callable[[Array], Any] | None = None,
    lr: float = 0.01,
    temperature: float = 1.0,
    cooling: float = 0.99,
    noise: float = 1.0,
    max_iter: int = 1000,
    maximize: bool = False,
    seed: int | None = None,
) -> Result:
    """Gradient steps with Metropolis acceptance and a geometric cooling schedule.

    Each iteration proposes θ' = θ − α∇J(θ) + σ_t·ξ, ξ ~ N(0, I), σ_t = noise·√(T_t/T₀); accepts
    it if J(θ') < J(θ), or with probability exp(−(J(θ') − J(θ))/T_t) otherwise; then
    T_{t+1} = cooling·T_t. Returns the best point visited; ``history.x`` is the accepted path.
    ``grad`` is the gradient of a callable ``fun`` (central differences otherwise).

    >>> f = lambda x: x[0] ** 4 - 3 * x[0] ** 2 + x[0]    # local min near 1.13, global near −1.30
    >>> r = simulated_annealing(f, [2.0], lr=0.01, temperature=2.0, cooling=0.99, noise=0.5,
    ...                         max_iter=2000, seed=1)
    >>> round(float(r.x[0]), 2)
    -1.3
    """
    obj = as_objective(fun, grad, n=dimension_of(x0))
    x = as_start(x0, obj)
    check_positive("lr", lr)
    check_positive("temperature", temperature)
    check_positive("noise", noise, allow_zero=True)
    if not 0 < cooling <= 1:
        raise HyperparameterError(f"cooling={cooling!r} must be in (0, 1], e.g. cooling=0.99")
    check_loop_args(max_iter, 0.0, None, None)
    rng = np.random.default_rng(seed)
    sign = -1.0 if maximize else 1.0

    def J(z: Array) -> float:
        with np.errstate(all="ignore"):
            return sign * float(obj.value(z))

    f = J(x)
    best_x, best_f = x.copy(), f
    path, values, lrs, sizes, accepted = [x.copy()], [f], [], [], 0
    T = float(temperature)
    for _ in range(max_iter):
        g = sign * obj.gradient(x)
        sigma = noise * math.sqrt(T / temperature)
        proposal = x - lr * g + sigma * rng.standard_normal(x.shape)
        f_new = J(proposal)
        delta = f_new - f
        if math.isfinite(f_new) and (delta < 0 or rng.random() < math.exp(-delta / T)):
            sizes.append(float(np.linalg.norm(proposal - x)))
            x, f = proposal, f_new
            accepted += 1
            path.append(x.copy())
            values.append(f)
            lrs.append(lr)
            if f < best_f:
                best_x, best_f = x.copy(), f
        T *= cooling
    g_best = sign * obj.gradient(best_x)
    history = History(
        x=np.array(path),
        fun=sign * np.array(values),
        grad_norm=np.full(len(path), np.nan),
        lr=np.array(lrs),
        step_size=np.array(sizes),
    )
    return Result(
        x=best_x,
        fun=sign * best_f,
        grad=sign * g_best,
        grad_norm=float(np.linalg.norm(g_best)),
        nit=max_iter,
        status="max_iter",
        message=f"annealed for {max_iter} steps, accepted {accepted}; returning the best point",
        history=history,
        extra={"accepted": accepted, "final_temperature": T},
    )
