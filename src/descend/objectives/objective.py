"""Objectives: a value and a gradient at θ.

An :class:`Objective` is what the loop minimizes. It is built from

* a Python callable with an analytic gradient (``grad=``);
* a callable alone, whose gradient is then taken by central finite differences;
* a text expression (:func:`descend.expression`), differentiated symbolically;
* a built-in test function (:func:`descend.function`);
* the empirical risk of a model and a loss over data.

θ is a 1-D float array of ``n`` parameters, or a 2-D ``(k, n)`` array of ``k`` points optimised
side by side. ``batched=True`` says the callables accept the 2-D form directly and return one
value (and one gradient row) per point; otherwise the points are evaluated one at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descend.base.errors import ArgumentError, ShapeError
from descend.base.types import Array

#: Relative step of the central difference: h = eps**(1/3) * max(1, |x|) balances truncation
#: error (O(h²)) against rounding error (O(eps/h)).
_FD_STEP = float(np.finfo(np.float64).eps) ** (1.0 / 3.0)


def numeric_grad(fun: Callable[[Array], Any], x: Array) -> Array:
    """Gradient of ``fun`` at ``x`` by central finite differences.

    ∂f/∂xᵢ ≈ (f(x + h eᵢ) − f(x − h eᵢ)) / 2h, with h = ε^(1/3)·max(1, |xᵢ|).

    >>> numeric_grad(lambda x: float(x @ x), np.array([3.0, -4.0])).round(6)
    array([ 6., -8.])
    """
    x = np.asarray(x, dtype=np.float64)
    g = np.empty_like(x)
    for i in range(x.size):
        h = _FD_STEP * max(1.0, abs(float(x.flat[i])))
        up = x.copy()
        down = x.copy()
        up.flat[i] += h
        down.flat[i] -= h
        g.flat[i] = (float(fun(up)) - float(fun(down))) / (up.flat[i] - down.flat[i])
    return g


class GradCheck(float):
    """What :func:`check_grad` returns: the absolute difference, with the relative one.

    The value itself is the absolute difference e = maxᵢ |gᵢ − ĝᵢ| (g the given gradient, ĝ
    the central-difference one), so it compares like a float; ``relative`` is
    e / max(‖g‖∞, ‖ĝ‖∞), the difference measured against the size of the gradient (0 when both
    are 0). A correct gradient has a relative difference near 1e-8 or less whatever its scale.
    """

    relative: float

    def __new__(cls, absolute: float, relative: float) -> GradCheck:
        out = super().__new__(cls, absolute)
        out.relative = relative
        return out

    @property
    def absolute(self) -> float:
        """maxᵢ |gᵢ − ĝᵢ|."""
        return float(self)

    def __repr__(self) -> str:
        return f"GradCheck(absolute={float(self):.3g}, relative={self.relative:.3g})"


def check_grad(fun: Callable[[Array], Any], grad: Callable[[Array], Any], x: Any) -> GradCheck:
    """Difference between ``grad(x)`` and a central-difference gradient, absolute and relative.

    Returns e = maxᵢ |gᵢ − ĝᵢ| (a float) carrying ``.relative`` = e / max(‖g‖∞, ‖ĝ‖∞). Use it to
    check a hand-written gradient: a correct one gives a relative difference of about 1e-8 or
    less, a wrong one a relative difference of order 1. The absolute difference grows with the
    scale of the function (about 0.1 for a correct gradient of 10⁶·x⁴ at x = 10).

    >>> f = lambda x: x[0] ** 2 + 3 * x[1]
    >>> check_grad(f, lambda x: np.array([2 * x[0], 3.0]), [1.0, 2.0]) < 1e-7
    True
    >>> round(check_grad(f, lambda x: np.array([x[0], 3.0]), [1.0, 2.0]).relative, 6)  # |1−2|/3
    0.333333
    """
    for which, given in (("fun", fun), ("grad", grad)):
        if callable(given):
            continue
        raise ArgumentError(
            f"check_grad needs {which} as a callable of θ, not {type(given).__name__}; "
            "pass the function and the hand-written gradient to compare, e.g. "
            "check_grad(f, grad_f, x0)"
        )
    x = np.asarray(x, dtype=np.float64)
    analytic = np.asarray(grad(x), dtype=np.float64)
    if analytic.shape != x.shape:
        raise ShapeError(
            f"grad returned shape {analytic.shape} for x of shape {x.shape}; "
            "it must return one partial derivative per parameter"
        )
    numeric = numeric_grad(fun, x)
    absolute = float(np.max(np.abs(analytic - numeric), initial=0.0))
    scale = max(float(np.max(np.abs(g), initial=0.0)) for g in (analytic, numeric))
    relative = absolute / scale if scale > 0 else (0.0 if absolute == 0 else math.inf)
    return GradCheck(absolute, relative)


@dataclass(frozen=True)
class Objective:
    """A differentiable function of θ: ``value(x)`` and ``grad(x)``.

    Parameters
    ----------
    fun : callable
        θ ↦ J(θ). With ``batched=True`` it also takes a ``(k, n)`` array and returns ``(k,)``.
    grad : callable, optional
        θ ↦ ∇J(θ). When omitted, central finite differences are used.
    n : int, optional
        Number of parameters, when fixed (expressions and built-ins know theirs).
    batched : bool, default=False
        ``fun`` and ``grad`` accept a ``(k, n)`` batch of points.
    names : tuple of str
        Names of the parameters, for traces and plots.
    name : str
        A readable name of the function.
    gradient_formulas : tuple of str
        Readable ∂J/∂θᵢ formulas, when known (expressions).
    """

    fun: Callable[[Array], Any]
    grad: Callable[[Array], Any] | None = None
    n: int | None = None
    batched: bool = False
    names: tuple[str, ...] = ()
    name: str = "f"
    gradient_formulas: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def exact_gradient(self) -> bool:
        """True when the gradient is analytic or symbolic, not finite differences."""
        return self.grad is not None

    def value(self, x: Array) -> Any:
        """J(x) for one point (a float) or a ``(k, n)`` batch (an array of k values)."""
        if x.ndim == 2 and not self.batched:
            return np.array([float(self.fun(row)) for row in x])
        out = self.fun(x)
        return np.asarray(out, dtype=np.float64) if x.ndim == 2 else float(out)

    def gradient(self, x: Array) -> Array:
        """∇J(x), with the shape of ``x``."""
        if x.ndim == 2 and not self.batched:
            return np.stack([self.gradient(row) for row in x])
        if self.grad is None:
            if x.ndim == 2:
                return np.stack([numeric_grad(self.fun, row) for row in x])
            return numeric_grad(self.fun, x)
        g = np.asarray(self.grad(x), dtype=np.float64)
        if g.shape != x.shape:
            if g.size == x.size:
                return g.reshape(x.shape)
            raise ShapeError(
                f"the gradient of {self.name} has shape {g.shape} but θ has shape {x.shape}; "
                "grad must return one partial derivative per parameter"
            )
        return g

    def check_x(self, x: Array) -> None:
        """Raise :class:`ShapeError` when ``x`` has the wrong number of parameters."""
        if self.n is not None and x.shape[-1] != self.n:
            names = f" ({', '.join(self.names)})" if self.names else ""
            raise ShapeError(
                f"x0 has {x.shape[-1]} value(s) but {self.name} takes {self.n}{names}; "
                f"give one starting value per parameter"
            )
