"""What a run returns: a :class:`Result` with its :class:`History`.

In the spirit of scipy's ``OptimizeResult``: ``x``, ``fun``, ``grad``, ``grad_norm``, ``nit``,
``status``, ``success``, ``message``, and the recorded ``history`` as arrays, ready to plot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from descend.base.types import Array

Status = Literal["converged", "max_iter", "stalled", "diverged", "stopped"]


@dataclass(frozen=True)
class History:
    """The trajectory of a run, one entry per iterate (θ₀ included) or per update.

    Attributes
    ----------
    x : ndarray of shape (nit + 1, n)
        The θ path, starting point first.
    fun : ndarray of shape (nit + 1,)
        J(θ) along the path.
    grad_norm : ndarray of shape (nit + 1,)
        ‖∇J(θ)‖ along the path.
    lr : ndarray of shape (nit,)
        The learning rate of each update.
    step_size : ndarray of shape (nit,)
        ‖θ_{t+1} − θ_t‖ of each update.
    """

    x: Array
    fun: Array
    grad_norm: Array
    lr: Array
    step_size: Array

    def __len__(self) -> int:
        return len(self.fun)


@dataclass(frozen=True)
class Result:
    """The outcome of :func:`descend.minimize` and the strategies.

    ``status`` is ``"converged"`` (‖∇J‖ < tol), ``"max_iter"``, ``"stalled"`` (no improvement
    for ``patience`` steps), ``"diverged"`` (J or θ became non-finite or exploded; ``x`` is the
    last finite iterate, reached after ``nit`` steps, and ``diverged_at = nit + 1`` the step
    that failed) or ``"stopped"`` (by the callback).

    Steps count updates: the history holds iterates 0 (the start) to ``nit``, and every message
    and figure title counts the same way ("diverged after 75 steps").
    """

    x: Array
    fun: float
    grad: Array
    grad_norm: float
    nit: int
    status: Status
    message: str
    history: History
    diverged_at: int | None = None
    suggested_lr: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        """True when the run converged (or stalled at a point it could not improve)."""
        return self.status in ("converged", "stalled")

    def __repr__(self) -> str:
        with np.printoptions(precision=6, suppress=False, threshold=20):
            lines = [
                f"  status: {self.status}",
                f" success: {self.success}",
                f" message: {self.message}",
                f"       x: {self.x}",
                f"     fun: {self.fun:.10g}",
                f"    grad: {self.grad}",
                f"grad_norm: {self.grad_norm:.3e}",
                f"     nit: {self.nit}",
            ]
        if self.diverged_at is not None:
            lines.append(f"diverged_at: {self.diverged_at}")
        if self.suggested_lr is not None:
            lines.append(f"suggested_lr: {self.suggested_lr:.3g}")
        return "Result(\n" + "\n".join(lines) + "\n)"

    def _repr_html_(self) -> str:
        """The result in a notebook: one row per field, as in the text repr."""
        from html import escape

        def number(v: Any) -> str:
            arr = np.asarray(v, dtype=np.float64)
            if arr.ndim == 0:
                return f"{float(arr):.10g}"
            shown = ", ".join(f"{float(a):.6g}" for a in arr.ravel()[:20])
            return f"[{shown}{', …' if arr.size > 20 else ''}]"

        rows = [
            ("status", self.status),
            ("success", str(self.success)),
            ("message", self.message),
            ("x", number(self.x)),
            ("fun", number(self.fun)),
            ("grad_norm", f"{self.grad_norm:.3e}"),
            ("nit", str(self.nit)),
        ]
        if self.diverged_at is not None:
            rows.append(("diverged_at", str(self.diverged_at)))
        if self.suggested_lr is not None:
            rows.append(("suggested_lr", f"{self.suggested_lr:.3g}"))
        body = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>"
            f"{escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table><caption>Result</caption><tbody>{body}</tbody></table>"

    def to_dict(self, *, with_history: bool = True) -> dict[str, Any]:
        """A JSON-ready dict of the result (arrays as lists, non-finite numbers as None)."""

        def clean(a: Any) -> Any:
            arr = np.asarray(a, dtype=np.float64)
            out = np.where(np.isfinite(arr), arr, np.nan).tolist()
            if isinstance(out, list):
                return _none_for_nan(out)
            return None if out != out else out

        d: dict[str, Any] = {
            "status": self.status,
            "success": self.success,
            "message": self.message,
            "x": clean(self.x),
            "fun": clean(self.fun),
            "grad": clean(self.grad),
            "grad_norm": clean(self.grad_norm),
            "nit": self.nit,
            "diverged_at": self.diverged_at,
            "suggested_lr": self.suggested_lr,
        }
        if with_history:
            d["history"] = {
                "x": clean(self.history.x),
                "fun": clean(self.history.fun),
                "grad_norm": clean(self.history.grad_norm),
                "lr": clean(self.history.lr),
                "step_size": clean(self.history.step_size),
            }
        return d


def _none_for_nan(values: list[Any]) -> list[Any]:
    return [_none_for_nan(v) if isinstance(v, list) else (None if v != v else v) for v in values]
