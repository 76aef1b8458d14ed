"""What a user passes as the function to minimize, made an :class:`Objective`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from descend.base.names import normalise
from descend.base.types import Array
from descend.objectives.functions import FUNCTIONS, function
from descend.objectives.objective import Objective


def as_objective(fun: Any, grad: Callable[[Array], Any] | None = None) -> Objective:
    """Turn what a user passed as ``fun`` into an :class:`Objective`.

    Accepts an Objective, a built-in function name (``"rosenbrock"``), a text expression
    (``"x**2 + y**2"``), an :class:`~descend.Expression`, or a Python callable.
    """
    if isinstance(fun, Objective):
        return fun
    if isinstance(fun, str):
        from descend.objectives.expression import expression  # SymPy: only for text

        key = normalise(fun)
        fun = function(key) if key in FUNCTIONS else expression(fun)
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
    name = getattr(fun, "__name__", "f")
    return Objective(fun=fun, grad=grad, name=name if name != "<lambda>" else "f")
