"""Figures of gradient descent: the loss curve, the bowl, the path, the learning rate.

The seeds' pictures, drawn with matplotlib's object-oriented API (a :class:`Figure` built
directly, never pyplot's global state), so they work headless and from threads. Each function
returns its Figure (a notebook shows it); only :func:`save_figure` and :func:`animate_race`
write files. Colours: the colour-blind safe Okabe–Ito palette (:data:`OKABE_ITO`) for paths
and curves, over a lightened ``viridis`` map.

``f`` may be a Python callable of a ``(k, n)`` batch or of one point, an
:class:`~descend.Objective`, an expression, a built-in function or its name. A path may be an
``(N, n)`` array, a :class:`~descend.Result` or a :class:`~descend.History`.

>>> fig = plot_loss([4.0, 1.0, 0.25, 0.0625], labels=["α = 0.25"])
>>> fig.axes[0].get_xlabel(), [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
('step', ['α = 0.25'])
"""

from __future__ import annotations

import itertools
import os
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
from matplotlib import animation, colormaps, patheffects, rcParams
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from numpy.typing import NDArray

from ._exceptions import DescendError, ShapeError

Array = NDArray[np.float64]
Limits = tuple[float, float]

#: The Okabe–Ito palette (Okabe & Ito, 2008), safe for every kind of colour blindness, in the
#: order that reads best on the contour map: blue, vermillion, reddish purple, black, ...
OKABE_ITO = ("#0072B2", "#D55E00", "#CC79A7", "#000000", "#009E73", "#E69F00", "#56B4E9",
             "#F0E442")
#: Colour map of contours and surfaces: perceptually uniform and colour-blind safe.
CMAP = "viridis"
#: Most frames :func:`animate_race` draws, so that a GIF writes in a few seconds.
MAX_FRAMES = 120
_LIGHTEN = 0.4  # how far the contour map is blended towards white, so paths stand out
_STAR: dict[str, Any] = {"marker": "*", "s": 260, "c": "#F0E442", "edgecolors": "black",
                         "linewidths": 1.0}
_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


# --- inputs -----------------------------------------------------------------------------------

def _new_figure(figsize: tuple[float, float]) -> Figure:
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _evaluator(f: Any) -> Callable[[Array], Array]:
    """``f`` as a function from a ``(k, n)`` array of points to ``(k,)`` values."""
    if isinstance(f, str):
        from ._objective import as_objective

        f = as_objective(f)
    fn = next((c for c in (getattr(f, "value", None), getattr(f, "fun", None)) if callable(c)),
              None)
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
    if dim and items and all(isinstance(p, Sequence) and len(p) == dim and all(map(number, p))
                             for p in items):
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


def _limits(paths: Sequence[Array], extra: Array, n: int, domain: Any = None,
            margin: float = 0.12) -> list[Limits]:
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
    return [(float(a - margin * s), float(b + margin * s))
            for a, b, s in zip(lo, hi, span, strict=True)]


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


def _halo(lw: float) -> list[patheffects.AbstractPathEffect]:
    """A white halo under a line of width ``lw`` (thin lines get none), to lift it off a map."""
    if lw < 1.6:
        return []
    return [patheffects.Stroke(linewidth=lw + 2.2, foreground="white", alpha=0.85),
            patheffects.Normal()]


# --- loss curves ------------------------------------------------------------------------------

def _series(run: Any) -> Array:
    h = getattr(run, "history", run)
    return np.asarray(getattr(h, "fun", h), dtype=np.float64).reshape(-1)


def _auto_log(series: Sequence[Array]) -> bool:
    """Log scale when every loss is positive and they span more than two decades."""
    values = np.concatenate([s[np.isfinite(s)] for s in series] + [np.empty(0)])
    return bool(values.size and values.min() > 0 and values.max() / values.min() > 100)


def _draw_loss(ax: Axes, values: Array, colour: str, label: str | None, diverged: bool) -> None:
    ax.plot(np.arange(len(values)), values, color=colour, lw=2, ms=3.5, label=label,
            marker="o" if len(values) <= 40 else None)
    finite = np.flatnonzero(np.isfinite(values))
    if diverged and len(finite):  # a × where the run left the finite numbers or exploded
        i = finite[-1]
        ax.plot([i], [values[i]], marker="X", ms=12, color=colour, mec="black", mew=0.8,
                ls="none", zorder=5)


def plot_loss(runs: Any, *, labels: Sequence[str] | None = None, log: bool | None = None,
              title: str | None = "Loss per step", xlabel: str = "step",
              ylabel: str = "loss J(θ)") -> Figure:
    """The loss J(θ_t) against the step t, for one run or several.

    Parameters
    ----------
    runs : Result, History, 1-D array-like, or a list of them
        The runs; an array is the loss per step.
    labels : sequence of str, optional
        Legend label of each run. A diverged run (status "diverged", or a series ending in
        inf/nan) gets " (diverged)" and a × where it diverged.
    log : bool, optional
        Log-scale y axis; by default when the losses are positive and span > 2 decades.
    title, xlabel, ylabel : str
        The title and axis labels.

    Returns
    -------
    Figure
    """
    items = _as_list(runs)
    series = [_series(r) for r in items]
    fig = _new_figure((7.0, 4.5))
    ax = fig.add_subplot()
    for i, (run, values) in enumerate(zip(items, series, strict=True)):
        label = None if labels is None else str(labels[i])
        diverged = _diverged(run, values)
        if diverged and label is None and len(items) == 1:
            label = "run"
        if diverged and label is not None:
            label += " (diverged)"
        _draw_loss(ax, values, OKABE_ITO[i % len(OKABE_ITO)], label, diverged)
    ax.set_yscale("log" if (_auto_log(series) if log is None else log) else "linear")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title or "")
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[1]:
        ax.legend(framealpha=0.9)
    return fig


def _status_text(run: Any) -> str:
    status, nit = getattr(run, "status", None), getattr(run, "nit", None)
    if status == "diverged":
        return f"diverged at step {getattr(run, 'diverged_at', None) or nit}"
    return {"converged": f"converged in {nit} steps",
            "max_iter": f"not converged after {nit} steps",
            "stalled": f"stalled after {nit} steps",
            "stopped": f"stopped at step {nit}"}.get(str(status), "")


def plot_learning_rates(results: Sequence[Any], lrs: Sequence[float], *,
                        title: str | None = "The learning rate α: too small, right, too large"
                        ) -> Figure:
    """Side-by-side loss curves of one problem run with different learning rates.

    Parameters
    ----------
    results : sequence of Result (or History, or loss arrays)
        One run per learning rate, e.g. too small, about right and too large.
    lrs : sequence of float
        The learning rates; each panel is titled e.g. "α = 1.1 — diverged at step 76".
    title : str, optional
        The figure's title.

    Returns
    -------
    Figure
    """
    if len(results) != len(lrs) or not results:
        raise ShapeError(f"{len(results)} results but {len(lrs)} learning rates; give one each")
    fig = _new_figure((4.2 * len(results), 3.9))
    colours = {"diverged": OKABE_ITO[1], "converged": OKABE_ITO[4], "stalled": OKABE_ITO[4]}
    for ax, run, lr in zip(fig.subplots(1, len(results), squeeze=False)[0], results, lrs,
                           strict=True):
        values = _series(run)
        colour = colours.get(str(getattr(run, "status", "")), OKABE_ITO[0])
        _draw_loss(ax, values, colour, None, _diverged(run, values))
        ax.set_yscale("log" if _auto_log([values]) else "linear")
        status = _status_text(run)
        ax.set(xlabel="step", ylabel="loss J(θ)")
        ax.set_title(f"α = {lr:g}" + (f" — {status}" if status else ""), fontsize=10.5)
        ax.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=13)
    return fig


# --- the 1-D curve ----------------------------------------------------------------------------

def plot_curve_1d(f: Any, path: Any, *, xlim: Limits | None = None,
                  grad: Callable[[Any], Any] | None = None, title: str | None = None) -> Figure:
    """The curve y = f(x), the iterates on it joined by arrows, and the slope at the steps.

    Parameters
    ----------
    f : callable
        f of a float array (vectorised) or of one point; an Objective or expression also works.
    path : array-like of shape (N,) or (N, 1), Result or History
        The iterates x₀, x₁, ...
    xlim : (float, float), optional
        The x range; by default the iterates and known minima, with a margin.
    grad : callable, optional
        f′ for the tangent segments; central differences of ``f`` when omitted.
    title : str, optional
        Defaults to "Gradient descent on <f>".

    Returns
    -------
    Figure
    """
    fn, p = _evaluator(f), _as_path(path, 1)
    minima = _known_minima(f, None, 1)
    ((lo, hi),) = [xlim] if xlim else _limits([p], minima, 1, getattr(f, "domain", None), 0.2)
    xs = np.linspace(lo, hi, 400)
    ys, yp = fn(xs[:, None]), fn(p)
    name = _names(f, 1, ("x",))[0]
    fig = _new_figure((7.0, 4.6))
    ax = fig.add_subplot()
    ax.plot(xs, ys, color="#555555", lw=2.0, label=f"f({name})", zorder=2)
    finite = ys[np.isfinite(ys)]
    if finite.size:
        pad = 0.08 * max(float(np.ptp(finite)), 1e-12)
        ax.set_ylim(float(finite.min()) - pad, float(finite.max()) + pad)
    ax.set_xlim(lo, hi)
    show = np.unique(np.round(np.linspace(0, len(p) - 1, min(len(p), 30))).astype(int))
    pts, colour = np.column_stack([p[show, 0], yp[show]]), OKABE_ITO[1]
    ax.plot(*pts.T, "o", color=colour, ms=5.5, mec="white", mew=0.8, zorder=4, label="iterates")
    for a, b in itertools.pairwise(pts):
        ax.annotate("", xy=tuple(b), xytext=tuple(a), zorder=3,
                    arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.2,
                                "shrinkA": 4, "shrinkB": 4, "mutation_scale": 11})
    at: list[int] = []
    for i in show:  # at most 10 tangents, far enough apart to be told from each other
        if len(at) < 10 and np.all(np.abs(p[at, 0] - p[i, 0]) > (hi - lo) / 15):
            at.append(int(i))
    ax.add_collection(_tangents(fn, grad, p[at], yp[at], (lo, hi), ax.get_ylim(),
                                label=f"slope f′({name})"))
    ax.plot(p[0, 0], yp[0], "o", ms=10, color=colour, mec="black", zorder=5, label="start")
    ax.plot(p[-1, 0], yp[-1], "s", ms=9, color=colour, mec="black", zorder=5, label="end")
    if len(minima):
        ax.scatter(minima[:, 0], fn(minima), zorder=6, label="minimum", **_STAR)
    ax.set(xlabel=name, ylabel=f"f({name})", title=title if title is not None else
           f"Gradient descent on {_describe(f) or f'f({name})'}")
    ax.grid(True, alpha=0.3)
    ax.legend(framealpha=0.9)
    return fig


def _tangents(fn: Callable[[Array], Array], grad: Callable[[Any], Any] | None, x: Array,
              y: Array, xlim: Limits, ylim: Limits, label: str) -> LineCollection:
    """Segments of slope f′(x) through (x, y), about 1.4 inches long on the page."""
    if grad is not None:
        slope = _batch_call(grad, x)
    else:
        h = 1e-6 * np.maximum(1.0, np.abs(x))
        slope = (fn(x + h) - fn(x - h)) / (2 * h[:, 0])
    # half-width in x of a segment 0.7 inch long in an axes of about 6 x 3.6 inches
    dx = 0.7 / np.sqrt((6.0 / (xlim[1] - xlim[0])) ** 2 + (slope * 3.6 / (ylim[1] - ylim[0])) ** 2)
    x0 = x[:, 0]
    segs = np.stack([np.column_stack([x0 - dx, y - slope * dx]),
                     np.column_stack([x0 + dx, y + slope * dx])], axis=1)
    return LineCollection(list(segs[np.all(np.isfinite(segs), axis=(1, 2))]), label=label,
                          colors=OKABE_ITO[0], linewidths=2.2, alpha=0.85, zorder=3)


# --- contours ---------------------------------------------------------------------------------

def _contour(fig: Figure, ax: Axes, f: Any, xlim: Limits, ylim: Limits, levels: Any,
             log_levels: bool, grid: int, label: str) -> None:
    """Filled contours of f over the box, log-spaced above the minimum when f ≥ 0."""
    X, Y = np.meshgrid(np.linspace(*xlim, grid), np.linspace(*ylim, grid))
    Z = _evaluator(f)(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise DescendError("the function is not finite anywhere in the plotted box")
    zmin, zmax = float(finite.min()), float(finite.max())
    if not isinstance(levels, int):
        lv = np.asarray(levels, dtype=np.float64)
    elif log_levels and zmin >= 0 and zmax > zmin:  # f − min + ε on a log scale
        lv = zmin + np.concatenate([[0.0], np.geomspace((zmax - zmin) * 1e-4, zmax - zmin,
                                                        levels - 1)])
    else:  # negative values (a saddle): linear levels, the top 1 % clipped
        lv = np.linspace(zmin, max(float(np.percentile(finite, 99)), zmin + 1e-12), levels)
    lv = np.unique(lv)
    colours = colormaps[CMAP](np.linspace(0, 1, 256))
    colours[:, :3] = (1 - _LIGHTEN) * colours[:, :3] + _LIGHTEN
    cmap = ListedColormap(colours, name=f"{CMAP}_light")
    extend: Literal["max", "neither"] = "max" if zmax > lv[-1] else "neither"
    Z = np.ma.masked_invalid(Z)
    filled = ax.contourf(X, Y, Z, levels=lv, cmap=cmap, extend=extend,
                         norm=BoundaryNorm(lv, cmap.N, extend=extend))
    ax.contour(X, Y, Z, levels=lv, colors="white", linewidths=0.5, alpha=0.6)
    bar = fig.colorbar(filled, ax=ax, ticks=lv[:: max(1, len(lv) // 7)], shrink=0.9)
    bar.ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"))
    bar.set_label(label)


def _draw_paths(ax: Axes, paths: Sequence[Array], labels: Sequence[str | None],
                diverged: Sequence[bool], widths: Sequence[float], start: bool) -> None:
    """Lines (gid "path"), start circles and end squares (gid "end"; × where diverged)."""
    ranks = np.argsort(np.argsort(-np.asarray(widths), kind="stable"))  # thin lines on top
    for i, (p, label, lw, rank) in enumerate(zip(paths, labels, widths, ranks, strict=True)):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.plot(*p.T, color=colour, lw=lw, marker="o" if len(p) <= 60 else None, ms=2.5 + lw,
                mec="white", mew=0.5, label=label, zorder=3 + rank * 0.1, path_effects=_halo(lw),
                gid="path")
        ok = np.flatnonzero(np.all(np.isfinite(p), axis=1))
        if start and len(ok):
            ax.plot(*p[ok[0]], "o", ms=10, color=colour, mec="black", mew=1.2, zorder=6)
        if len(ok) > 1:
            marker, ms = ("X", 12) if diverged[i] else ("s", 8.5)
            ax.plot(*p[ok[-1]], marker=marker, ms=ms, color=colour, mec="black", mew=1.2,
                    zorder=6, gid="end")


def _legend(ax: Axes, start: bool, end: bool, diverged: bool, minima: bool) -> None:
    """The paths' labels, then what the markers mean."""
    handles, texts = ax.get_legend_handles_labels()
    plain: dict[str, Any] = {"color": "white", "mec": "black", "mew": 1.2, "ls": "none"}
    for show, marker, ms, text in ((start, "o", 9, "start"), (end, "s", 8, "end"),
                                   (diverged, "X", 10, "diverged"), (minima, "*", 15, "minimum")):
        if show:
            style = {**plain, "color": "#F0E442"} if marker == "*" else plain
            handles.append(Line2D([], [], marker=marker, ms=ms, **style))
            texts.append(text)
    if handles:
        ax.legend(handles, texts, loc="best", framealpha=0.92, fontsize=9)


def plot_contour(f: Any, paths: Any = (), *, labels: Sequence[str] | None = None,
                 xlim: Limits | None = None, ylim: Limits | None = None, minima: Any = None,
                 start: bool = True, levels: int | Sequence[float] = 30,
                 log_levels: bool = True, title: str | None = None,
                 linewidths: Sequence[float] | None = None,
                 axis_labels: tuple[str, str] | None = None, colorbar_label: str | None = None,
                 grid: int = 200) -> Figure:
    """Filled contours of a function of two variables, with descent paths on them.

    Parameters
    ----------
    f : callable
        f of a ``(k, 2)`` array returning ``(k,)`` values (or of one point), evaluated on a
        ``grid × grid`` mesh; an Objective, expression or built-in function also works.
    paths : (N, 2) array, Result, History, or a list of them
        The θ paths: each a line, a circle at its start, a square at its end (× if diverged).
    labels : sequence of str, optional
        The legend label of each path.
    xlim, ylim : (float, float), optional
        The box. By default the paths and minima with a margin, widened to equal scales on
        both axes when that is reasonable (the domain of a built-in function without paths).
    minima : sequence of points, optional
        Known minima, marked with a star; by default ``f.minima`` when ``f`` has them.
    start : bool, default=True
        Mark where each path starts.
    levels : int or sequence of float, default=30
        The number of contour levels, or the levels.
    log_levels : bool, default=True
        Space the levels on a log scale of f − min + ε, which shows a valley's floor; linear
        levels are used where f takes negative values (a saddle).
    title : str, optional
        Defaults to "Gradient descent on <f>".
    linewidths : sequence of float, optional
        The line width of each path (default 2).
    axis_labels : (str, str), optional
        Default: the variable names of ``f``, else θ₀ and θ₁.
    colorbar_label : str, optional
        Default: "f(θ₀, θ₁)" with the axis labels.
    grid : int, default=200
        Grid points per axis.

    Returns
    -------
    Figure
    """
    runs = [] if isinstance(paths, tuple | list) and len(paths) == 0 else _as_list(paths, 2)
    pts = [_as_path(r, 2) for r in runs]
    stars = _known_minima(f, minima, 2)
    auto = _limits(pts, stars, 2, getattr(f, "domain", None))
    if xlim is None and ylim is None and pts:
        xlim, ylim = _fit_box(auto[0], auto[1], 4.6 / 5.3)  # the axes' shape in a 7.2 x 5.6 fig
    xlim, ylim = xlim or auto[0], ylim or auto[1]
    names = axis_labels or _names(f, 2, ("θ₀", "θ₁"))
    fig = _new_figure((7.2, 5.6))
    ax = fig.add_subplot()
    _contour(fig, ax, f, xlim, ylim, levels, log_levels, grid,
             colorbar_label or f"f({names[0]}, {names[1]})")
    diverged = [_diverged(r) for r in runs]
    texts = [str(t) for t in labels] if labels is not None else (
        ["path"] if len(runs) == 1 else [f"path {i + 1}" for i in range(len(runs))])
    texts = [f"{t} (diverged)" if d else t for t, d in zip(texts, diverged, strict=True)]
    _draw_paths(ax, pts, texts, diverged, linewidths or [2.0] * len(pts), start)
    if len(stars):
        ax.scatter(*stars.T, zorder=7, **_STAR)
    ax.set(xlabel=names[0], ylabel=names[1], xlim=xlim, ylim=ylim)
    described = _describe(f)
    if title is None:
        title = f"Gradient descent on {described}" if described and pts else (
            described or "Gradient descent paths")
    ax.set_title(title)
    _legend(ax, start and bool(pts), any(len(p) > 1 for p in pts), any(diverged), bool(len(stars)))
    return fig


def plot_paths_on_cost(cost: Any, paths: Any, *, labels: Sequence[str],
                       xlim: Limits | None = None, ylim: Limits | None = None,
                       title: str | None = "Batch vs stochastic vs mini-batch gradient descent"
                       ) -> Figure:
    """Batch, stochastic and mini-batch paths on the contours of the cost J(θ₀, θ₁).

    :func:`plot_contour` styled for the comparison: a path labelled "stochastic" (or "SGD")
    is drawn thin and on top (many noisy steps), "mini-batch" medium, the others thick.

    Parameters
    ----------
    cost : callable
        J of a ``(k, 2)`` array of (θ₀, θ₁), or of one θ.
    paths : list of (N, 2) arrays, Results or Histories
        One path per variant.
    labels : sequence of str
        The variants, e.g. ``["batch", "stochastic", "mini-batch"]``.
    xlim, ylim : (float, float), optional
        The box; by default the paths with a margin.
    title : str, optional
        The title.

    Returns
    -------
    Figure
    """

    def width(label: str) -> float:
        text = label.lower()
        return 1.4 if "mini" in text else 0.8 if "stoch" in text or "sgd" in text else 2.4

    return plot_contour(cost, paths, labels=labels, xlim=xlim, ylim=ylim, minima=(),
                        title=title, linewidths=[width(str(t)) for t in labels],
                        axis_labels=("θ₀", "θ₁"), colorbar_label="cost J(θ₀, θ₁)", grid=120)


def plot_surface(f: Any, path: Any = None, *, xlim: Limits | None = None,
                 ylim: Limits | None = None, title: str | None = "The cost surface J(θ₀, θ₁)",
                 labels: tuple[str, str, str] = ("θ₀", "θ₁", "J")) -> Figure:
    """The 3-D surface of a function of two variables (the bowl), the path drawn on it.

    Parameters
    ----------
    f : callable
        f of a ``(k, 2)`` array returning ``(k,)`` values, or of one point.
    path : (N, 2) array, Result or History, optional
        The θ path, drawn at height f(θ); points outside the box are left out.
    xlim, ylim : (float, float), optional
        The box; by default the path and minima with a margin.
    title : str, optional
        The title.
    labels : (str, str, str), default=("θ₀", "θ₁", "J")
        The labels of the x, y and z axes.

    Returns
    -------
    Figure
    """
    from mpl_toolkits.mplot3d.axes3d import Axes3D

    fn = _evaluator(f)
    p = None if path is None else _as_path(path, 2)
    stars = _known_minima(f, None, 2)
    auto = _limits([] if p is None else [p], stars, 2, getattr(f, "domain", None))
    xlim, ylim = xlim or auto[0], ylim or auto[1]
    X, Y = np.meshgrid(np.linspace(*xlim, 80), np.linspace(*ylim, 80))
    Z = fn(np.column_stack([X.ravel(), Y.ravel()])).reshape(X.shape)
    fig = _new_figure((7.5, 6.0))
    ax = cast(Axes3D, fig.add_subplot(projection="3d", computed_zorder=False))
    surface = ax.plot_surface(X, Y, np.ma.masked_invalid(Z), cmap=CMAP, alpha=0.8, linewidth=0,
                              rstride=1, cstride=1, zorder=1)
    fig.colorbar(surface, ax=ax, shrink=0.6, pad=0.08, label=labels[2])
    if p is not None:
        q = p[(p[:, 0] >= xlim[0]) & (p[:, 0] <= xlim[1]) & (p[:, 1] >= ylim[0])
              & (p[:, 1] <= ylim[1])]
        z, colour = fn(q), OKABE_ITO[1]
        ax.plot(q[:, 0], q[:, 1], z, color=colour, lw=2.2, marker="o" if len(q) <= 60 else None,
                ms=3.5, zorder=4, label="path")
        for i, marker, text in ((0, "o", "start"), (-1, "s", "end")):
            if len(q):
                ax.scatter(q[i, 0], q[i, 1], z[i], s=65, marker=marker, c=colour, zorder=5,
                           edgecolors="black", depthshade=False, label=text)
    if len(stars):
        ax.scatter(*stars.T, fn(stars), zorder=6, depthshade=False, label="minimum", **_STAR)
    ax.set(xlabel=labels[0], ylabel=labels[1], zlabel=labels[2], title=title or "")
    ax.view_init(elev=32, azim=-55)
    if p is not None or len(stars):
        ax.legend(loc="upper left", framealpha=0.9, fontsize=9)
    return fig


# --- animation and files ----------------------------------------------------------------------

def animate_race(f: Any, paths: Sequence[Any], labels: Sequence[str], path_out: str | Path, *,
                 xlim: Limits | None = None, ylim: Limits | None = None, minima: Any = None,
                 fps: int = 20, frames: int | None = None,
                 figsize: tuple[float, float] = (6.4, 5.2), dpi: int = 80) -> Path:
    """Several optimizers racing down one contour map, saved as a GIF (or an MP4).

    Frame j shows every path up to the same step t_j, so the faster optimizer visibly wins;
    the steps are subsampled to at most :data:`MAX_FRAMES` frames.

    Parameters
    ----------
    f : callable
        f of a ``(k, 2)`` array, as for :func:`plot_contour`.
    paths : sequence of (N, 2) arrays, Results or Histories
        One path per optimizer.
    labels : sequence of str
        The optimizers' names.
    path_out : str or Path
        A ``.gif`` file (Pillow), or ``.mp4`` (needs ffmpeg).
    xlim, ylim : (float, float), optional
        The box; by default the paths and minima with a margin.
    minima : sequence of points, optional
        Known minima to star; by default ``f.minima`` when ``f`` has them.
    fps : int, default=20
        Frames per second.
    frames : int, optional
        Number of frames; never more than the steps, so that no two frames are alike.
    figsize : (float, float), default=(6.4, 5.2)
        Size in inches.
    dpi : int, default=80
        Pixels per inch of the frames.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    DescendError
        For a suffix other than .gif or .mp4, or .mp4 without ffmpeg.
    """
    out = Path(path_out)
    suffix = out.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise DescendError(f"cannot animate to {out.name!r}; give a .gif or .mp4 file name")
    if suffix == ".mp4" and shutil.which(rcParams["animation.ffmpeg_path"]) is None:
        raise DescendError("writing .mp4 needs ffmpeg, which is missing (not on the PATH); "
                           "install ffmpeg or save the animation as .gif")
    pts = [_as_path(p, 2) for p in paths]
    if not pts or len(labels) != len(pts):
        raise ShapeError(f"{len(pts)} paths but {len(labels)} labels; give one label per path")
    fig, overlay, lines = _race_figure(f, pts, labels, xlim, ylim, minima, figsize, dpi)
    heads = [overlay.plot([], [], "o", ms=9, color=ln.get_color(), mec="black", zorder=8)[0]
             for ln in lines]
    clock = overlay.text(0.02, 0.97, "", transform=overlay.transAxes, va="top", fontsize=11,
                         bbox={"boxstyle": "round", "fc": "white", "alpha": 0.85})
    steps = max(len(p) for p in pts)
    ts = np.round(np.linspace(0, steps - 1, min(frames or MAX_FRAMES, MAX_FRAMES, steps)))
    writer = _GifWriter(fps=fps) if suffix == ".gif" else animation.FFMpegWriter(fps=fps)

    def write(tmp: Path) -> None:
        with writer.saving(fig, str(tmp), dpi):
            for t in ts.astype(int):
                for line, head, p in zip(lines, heads, pts, strict=True):
                    shown = p[: min(t, len(p) - 1) + 1]
                    line.set_data(shown[:, 0], shown[:, 1])
                    head.set_data(shown[-1:, 0], shown[-1:, 1])
                clock.set_text(f"step {t}")
                writer.grab_frame()

    _atomic(out, write)
    return out


def _race_figure(f: Any, pts: list[Array], labels: Sequence[str], xlim: Limits | None,
                 ylim: Limits | None, minima: Any, figsize: tuple[float, float], dpi: int
                 ) -> tuple[Figure, Axes, list[Line2D]]:
    """The still contour map rendered once to an image, and empty path lines over it, so a
    frame draws one image and a few lines instead of the whole contour plot."""
    still = plot_contour(f, pts, labels=list(labels), xlim=xlim, ylim=ylim, minima=minima,
                         title=" vs ".join(labels), grid=120)
    still.set_size_inches(*figsize)
    still.set_dpi(dpi)
    ax = still.axes[0]
    _legend(ax, True, False, False, len(_known_minima(f, minima, 2)) > 0)  # no "end" yet
    moving = [a for a in ax.lines if a.get_gid() in ("path", "end")]
    for artist in moving:
        artist.set_visible(False)
    still.canvas.draw()
    image = np.asarray(cast(FigureCanvasAgg, still.canvas).buffer_rgba()).copy()
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    background = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    background.imshow(image, interpolation="none", aspect="auto")
    background.set_axis_off()
    overlay = fig.add_axes(ax.get_position().bounds, xlim=ax.get_xlim(), ylim=ax.get_ylim())
    overlay.set_axis_off()
    lines = [overlay.plot([], [], color=a.get_color(), lw=a.get_linewidth(), mew=0.5,
                          marker=a.get_marker(), ms=a.get_markersize(), mec="white",
                          zorder=a.get_zorder(), path_effects=a.get_path_effects())[0]
             for a in moving if a.get_gid() == "path"]
    return fig, overlay, lines


class _GifWriter(animation.PillowWriter):
    """Pillow's GIF writer with one palette for all frames: no flicker, and fast."""

    def finish(self) -> None:
        frames = getattr(self, "_frames", None)
        if not frames:
            super().finish()
            return
        from PIL import Image

        rgb = [frame.convert("RGB") for frame in frames]
        palette = rgb[-1].quantize(colors=255, method=Image.Quantize.MEDIANCUT)
        indexed = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in rgb]
        indexed[0].save(self.outfile, save_all=True, append_images=indexed[1:],
                        duration=round(1000 / self.fps), loop=0)


def _atomic(out: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on a temporary file beside ``out``, then move it into place."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{uuid.uuid4().hex[:12]}.tmp{out.suffix}")
    try:
        write(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Write ``fig`` to a PNG, SVG or PDF file atomically, creating its folder.

    The figure goes to a temporary file in the same folder, then is moved into place, so a
    reader never sees half a file. A PNG is figsize × dpi pixels.

    Parameters
    ----------
    fig : Figure
        The figure.
    path : str or Path
        The file; its suffix (.png, .svg or .pdf) chooses the format.
    dpi : int, default=120
        Pixels per inch of a PNG.

    Returns
    -------
    Path
        The written file.
    """
    out = Path(path)
    fmt = _FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise DescendError(f"cannot save a figure as {out.name!r}; use .png, .svg or .pdf")
    _atomic(out, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi))
    return out
