"""The automatic learning rate of full-batch steps: a backtracking (Armijo) line search.

Given θ, J(θ), ∇J(θ) and a direction d (the optimizer's step at unit rate), start from twice
the last accepted α and halve it until the sufficient-decrease (Armijo) condition holds::

    J(θ + αd) ≤ J(θ) + c·α·∇J(θ)·d,      c = 1e-4

Near a minimum, J changes by less than its own rounding error and that test can no longer be
trusted; there (|ΔJ| ≤ 1e-10·|J|) the slope decides instead, Hager and Zhang's approximate
Armijo condition ∇J(θ + αd)·d ≤ (1 − 2c)·|∇J(θ)·d|, which is the same test on a quadratic and
lets θ converge to full precision. When d is not a descent direction (∇J·d ≥ 0) the search
falls back to d = −∇J.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from descend.base.types import Array

#: Armijo's sufficient-decrease constant c.
ARMIJO_C = 1e-4
#: Halvings of α a search may make before it gives up on a step.
MAX_BACKTRACKS = 60
#: The largest α a search may try.
MAX_ALPHA = 1e6


def backtrack(
    value_and_grad: Callable[[Array], tuple[float, Array]],
    theta: Array,
    f: float,
    g: Array,
    d: Array,
    alpha: float,
) -> tuple[Array, float, tuple[float, Array] | None]:
    """Search along ``d`` from θ; returns (d actually used, α, (J, ∇J) at θ + αd or None).

    >>> vg = lambda x: (float(x @ x), 2 * x)          # J = ‖x‖², minimum at 0
    >>> x = np.array([1.0, -2.0])
    >>> d, alpha, _ = backtrack(vg, x, 5.0, 2 * x, -2 * x, alpha=1.0)
    >>> alpha, (x + alpha * d).tolist()              # α = 0.5 lands exactly on the minimum
    (0.5, [0.0, 0.0])
    """
    slope = float(np.einsum("i,i->", g, d))
    if not slope < 0:
        d, slope = -g, -float(np.einsum("i,i->", g, g))
    alpha = min(alpha * 2.0, MAX_ALPHA)
    for _ in range(MAX_BACKTRACKS):
        with np.errstate(all="ignore"):
            f_try, g_try = value_and_grad(theta + alpha * d)
        if abs(f_try - f) > 1e-10 * abs(f):  # a change J resolves (False when NaN)
            accept = f_try <= f + ARMIJO_C * alpha * slope
        else:  # lost in J's rounding: the slope still tells
            accept = math.isfinite(f_try) and float(np.dot(g_try, d)) <= (1 - 2 * ARMIJO_C) * -slope
        if accept:
            return d, alpha, (f_try, g_try)
        alpha *= 0.5
    return d, alpha, None
