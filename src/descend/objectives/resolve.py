"""What a user passes as the function to minimize, made an :class:`Objective`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from descend.base.errors import ArgumentError
from descend.base.names import normalise
from descend.base.types import Array
from descend.objectives.functions import FUNCTIONS, function
from descend.objectives.objective import Objective


def as_objective(
    fun: Any, grad: Callable[[Array], Any] | None = None, *, n: int | None = None
) -> Objective:
    """Turn what a user passed as ``fun`` into an :class:`Objective`.

    Accepts an Objective, a built-in function name (``"rosenbrock"``), a text expression
    (``"x**2 + y**2"``), an :class:`~descend.Expression`, or a Python callable. ``n`` is the
    dimension the caller's start or box has: an n-dimensional built-in named by text (sphere,
    rosenbrock, rastrigin, ackley) is built in that dimension.
    """
    if isinstance(fun, Objective):
        return fun
    if isinstance(fun, str):
        from descend.objectives.expression import expression  # SymPy: only for text

        key = normalise(fun)
        fun = _builtin(key, n) if key in FUNCTIONS else expression(fun)
    to_objective = getattr(fun, "to_objective", None)
    if callable(to_objective):
        obj = to_objective()
        if not isinstance(obj, Objective):
            raise TypeError(f"{type(fun).__name__}.to_objective() did not return an Objective")
        if hasattr(fun, "sympy") and "expression" not in obj.meta:
            # a text expression: the compiled engine generates its code from the SymPy form
            obj = replace(obj, meta={**obj.meta, "expression": fun})
        return obj
    if not callable(fun):
        raise TypeError(
            "fun must be a callable, an expression string or a built-in name, "
            f"not {type(fun).__name__}"
        )
    if grad is not None and not callable(grad):
        raise ArgumentError(
            f"grad must be a callable returning the gradient, not {type(grad).__name__}"
        )
    name = getattr(fun, "__name__", "f")
    return Objective(fun=fun, grad=grad, name=name if name != "<lambda>" else "f")


def _builtin(key: str, n: int | None) -> Any:
    """The built-in ``key``; an n-dimensional one in dimension ``n`` when that is given."""
    spec = FUNCTIONS[key]
    if spec.n is None and n is not None and n >= spec.min_n:
        return function(key, n=n)
    return function(key)


def dimension_of(x0: Any) -> int | None:
    """The number of variables of a start ``x0`` (its length), or None when it is not 1-D.

    >>> dimension_of([0.3] * 10), dimension_of(2.0), dimension_of([[1, 2]])
    (10, None, None)
    """
    try:
        arr = np.asarray(x0, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return int(arr.size) if arr.ndim == 1 and arr.size else None
