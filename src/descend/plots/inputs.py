"""What the figures are given, made uniform: functions, paths and runs, and the box to show.

``f`` may be a Python callable of a ``(k, n)`` batch or of one point, an
:class:`~descend.Objective`, an expression, a built-in function or its name
(:func:`_evaluator` makes each a function of a batch). A path may be an ``(N, n)`` array, a
:class:`~descend.Result` or a :class:`~descend.History` (:func:`_as_path`). :func:`_limits`
and :func:`_fit_box` choose the box that holds the paths and the known minima.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np

from descend.base.errors import DescendError, ShapeError
from descend.base.types import Array

Limits = tuple[float, float]


def _evaluator(f: Any) -> Callable[[Array], Array]:
    """``f`` as a function from a ``(k, n)`` array of points to ``(k,)`` values."""
    if isinstance(f, str):
        from descend.objectives.resolve import as_objective

        f = as_objective(f)
    fn = next(
        (c for c in (getattr(f, "value", None), getattr(f, "fun", None)) if callable(c)), None
    )
    if fn is None and callable(getattr(f, "to_objective", None)):
        fn = f.to_objective().value
    if fn is None and not callable(f):
        raise TypeError(f"cannot draw a {type(f).__name__}; give a callable of θ")
    return lambda pts: _batch_call(cast(Callable[[Any], Any], fn or f), pts)


def _scalar(fn: Callable[[Any], Any], row: Array) -> float:
    try:
        out = fn(row)
    except Exception:
        if row.size != 1:
            raise
        out = fn(float(row[0]))  # a function of a float
    return float(np.asarray(out, dtype=np.float64).reshape(-1)[0])


def _batch_call(fn: Callable[[Any], Any], pts: Array) -> Array:
    """``fn`` on each row of ``pts``: in one call when ``fn`` takes a batch, else row by row."""
    k = len(pts)
    with np.errstate(all="ignore"):
        try:
            out: Array | None = np.asarray(fn(pts), dtype=np.float64)
        except Exception:
            out = None
        if out is not None and out.size == k > 0:
            out = out.reshape(k)
            if all(_agrees(fn, pts[i], out[i]) for i in {0, k - 1}):
                return out
        values, error = np.full(k, np.nan), None
        for i, row in enumerate(pts):
            try:
                values[i] = _scalar(fn, row)
            except Exception as exc:
                error = error or exc
    if error is not None and not np.any(np.isfinite(values)):
        raise DescendError(f"the function could not be evaluated for plotting: {error}") from error
    return values


def _agrees(fn: Callable[[Any], Any], row: Array, batched: float) -> bool:
    """Whether the batched call gave this row's value (a point-wise ``fn`` reads a batch
    wrongly: ``x[0]`` is then the first point, not the first coordinate)."""
    try:
        single = _scalar(fn, row)
    except Exception:
        return True  # fn takes batches only
    return bool(np.isclose(single, batched, rtol=1e-9, atol=1e-12, equal_nan=True))


def _as_path(p: Any, n: int) -> Array:
    """One path as an ``(N, n)`` array: a Result's or History's θ path, or array-like."""
    h = getattr(p, "history", p)
    a = np.asarray(getattr(h, "x", h), dtype=np.float64)
    if a.ndim == 1:
        a = a.reshape(-1, 1) if n == 1 else a.reshape(1, -1)
    if a.ndim != 2 or a.shape[1] != n:
        raise ShapeError(f"a path must be an (N, {n}) array of points, got shape {a.shape}")
    return a


def _as_list(items: Any, dim: int | None = None) -> list[Any]:
    """One run or path, or a list of them, as a list (an array is one item)."""
    if isinstance(items, np.ndarray):
        return list(items) if items.ndim == 3 else [items]
    if hasattr(items, "history") or hasattr(items, "fun"):
        return [items]
    items = list(items)

    def number(v: Any) -> bool:
        return isinstance(v, int | float | np.number)

    if items and all(number(v) for v in items):
        return [np.asarray(items, dtype=np.float64)]  # a list of numbers: one series
    if (
        dim
        and items
        and all(isinstance(p, Sequence) and len(p) == dim and all(map(number, p)) for p in items)
    ):
        return [np.asarray(items, dtype=np.float64)]  # a list of points: one path
    return items


def _diverged(run: Any, values: Array | None = None) -> bool:
    bad = values is not None and not np.all(np.isfinite(values))
    return getattr(run, "status", None) == "diverged" or bad


def _names(f: Any, n: int, default: Sequence[str]) -> tuple[str, ...]:
    for attr in ("variables", "names"):
        names = getattr(f, attr, None)
        if names and len(names) == n:
            return tuple(str(v) for v in names)
    return tuple(default)


def _describe(f: Any) -> str:
    if isinstance(f, str):
        return f
    for attr in ("title", "text", "formula", "name"):
        value = getattr(f, attr, None)
        if isinstance(value, str) and value not in ("", "f", "<lambda>"):
            return value
    return ""


def _known_minima(f: Any, minima: Any, n: int) -> Array:
    points = getattr(f, "minima", None) if minima is None else minima
    try:
        arr = np.asarray(points if points is not None else [], dtype=np.float64).reshape(-1, n)
    except ValueError:
        return np.empty((0, n))
    return arr[np.all(np.isfinite(arr), axis=1)]


def _limits(
    paths: Sequence[Array], extra: Array, n: int, domain: Any = None, margin: float = 0.12
) -> list[Limits]:
    """Per-axis limits holding the paths and ``extra`` points, with a margin (without paths,
    the function's ``domain`` when it has one).

    Points beyond ten times the size of the core (starts and ``extra``), as a diverging run
    makes, are left out, so that the interesting part stays visible.
    """
    finite = [p[np.all(np.isfinite(p), axis=1)] for p in paths]
    pts = np.concatenate([*finite, extra])
    if not sum(map(len, finite)) and domain is not None and len(domain) >= n:
        return [(float(lo), float(hi)) for lo, hi in list(domain)[:n]]
    if len(pts) == 0:
        return [(-1.0, 1.0)] * n
    core = np.concatenate([*(p[:1] for p in finite), extra])
    centre = (core.max(0) + core.min(0)) / 2
    half = max(float(np.max(core.max(0) - core.min(0))) / 2, 0.5 * float(np.abs(core).max()))
    lo = np.maximum(pts.min(0), centre - 10 * (half or 1.0))
    hi = np.minimum(pts.max(0), centre + 10 * (half or 1.0))
    span = np.where(hi > lo, hi - lo, np.maximum(np.abs(lo), 1.0))
    return [
        (float(a - margin * s), float(b + margin * s)) for a, b, s in zip(lo, hi, span, strict=True)
    ]


def _fit_box(xlim: Limits, ylim: Limits, box: float) -> tuple[Limits, Limits]:
    """Widen the narrower range so one unit is as long on both axes of a box of aspect ``box``
    (height / width): the true geometry, where the gradient is normal to the contours."""
    width, height = xlim[1] - xlim[0], ylim[1] - ylim[0]
    ratio = height / width / box
    if not 0.25 <= ratio <= 4:
        return xlim, ylim
    if ratio < 1:
        pad = (width * box - height) / 2
        return xlim, (ylim[0] - pad, ylim[1] + pad)
    pad = (height / box - width) / 2
    return (xlim[0] - pad, xlim[1] + pad), ylim
