"""Curves of gradient descent: the loss per step, learning rates side by side, the 1-D curve."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from descend.base.errors import ShapeError
from descend.plots.inputs import (
    Array,
    Limits,
    _as_list,
    _as_path,
    _batch_call,
    _describe,
    _diverged,
    _evaluator,
    _known_minima,
    _limits,
    _names,
)
from descend.plots.style import _STAR, OKABE_ITO, _new_figure

__all__ = ["plot_curve_1d", "plot_learning_rates", "plot_loss"]


# --- loss curves ------------------------------------------------------------------------------


def _series(run: Any) -> Array:
    h = getattr(run, "history", run)
    return np.asarray(getattr(h, "fun", h), dtype=np.float64).reshape(-1)


def _auto_log(series: Sequence[Array]) -> bool:
    """Log scale when every loss is positive and they span more than two decades."""
    values = np.concatenate([s[np.isfinite(s)] for s in series] + [np.empty(0)])
    return bool(values.size and values.min() > 0 and values.max() / values.min() > 100)


def _positive(values: Array) -> bool:
    finite = values[np.isfinite(values)]
    return bool(finite.size and finite.min() > 0)


def _draw_loss(ax: Axes, values: Array, colour: str, label: str | None, diverged: bool) -> None:
    ax.plot(
        np.arange(len(values)),
        values,
        color=colour,
        lw=2,
        ms=3.5,
        label=label,
        marker="o" if len(values) <= 40 else None,
    )
    finite = np.flatnonzero(np.isfinite(values))
    if diverged and len(finite):  # a × where the run left the finite numbers or exploded
        i = finite[-1]
        ax.plot(
            [i],
            [values[i]],
            marker="X",
            ms=12,
            color=colour,
            mec="black",
            mew=0.8,
            ls="none",
            zorder=5,
        )


def plot_loss(
    runs: Any,
    *,
    labels: Sequence[str] | None = None,
    log: bool | None = None,
    title: str | None = "Loss per step",
    xlabel: str = "step",
    ylabel: str = "loss J(θ)",
) -> Figure:
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
        return f"diverged after {nit} steps"
    return {
        "converged": f"converged in {nit} steps",
        "max_iter": f"not converged after {nit} steps",
        "stalled": f"stalled after {nit} steps",
        "stopped": f"stopped at step {nit}",
    }.get(str(status), "")


def plot_learning_rates(
    results: Sequence[Any],
    lrs: Sequence[float],
    *,
    title: str | None = "The learning rate α: too small, right, too large",
    ylabel: str = "loss J(θ)",
    minimum: float | None = None,
) -> Figure:
    """Side-by-side loss curves of one problem run with different learning rates.

    The panels share both axes, with a log y axis when every value is positive, so that a
    rate that is too small (a slow straight fall), a good one (a steep fall) and one that is
    too large (a climb) read apart at a glance.

    Parameters
    ----------
    results : sequence of Result (or History, or loss arrays)
        One run per learning rate, e.g. too small, about right and too large.
    lrs : sequence of float
        The learning rates; each panel is titled e.g. "α = 1.1 — diverged after 75 steps".
    title : str, optional
        The figure's title.
    ylabel : str, default="loss J(θ)"
        The y label ("f(θ)" for a function that is not a loss).
    minimum : float, optional
        The least value J(θ*) of the problem: the panels then show J(θ) − J(θ*) (at least
        1e-16) on a log scale, which tells a rate that crawls from one that converges even
        when both end near J(θ*). The default y label becomes "J(θ) − J(θ*)".

    Returns
    -------
    Figure
    """
    if len(results) != len(lrs) or not results:
        raise ShapeError(f"{len(results)} results but {len(lrs)} learning rates; give one each")
    fig = _new_figure((4.2 * len(results), 3.9))
    colours = {"diverged": OKABE_ITO[1], "converged": OKABE_ITO[4], "stalled": OKABE_ITO[4]}
    series = [_series(run) for run in results]
    if minimum is not None:
        series = [np.where(np.isfinite(v), np.maximum(v - minimum, 1e-16), v) for v in series]
        ylabel = "J(θ) − J(θ*)" if ylabel == "loss J(θ)" else ylabel
    axes = fig.subplots(1, len(results), squeeze=False, sharex=True, sharey=True)[0]
    log = all(_positive(v) for v in series)
    for ax, run, lr, values in zip(axes, results, lrs, series, strict=True):
        colour = colours.get(str(getattr(run, "status", "")), OKABE_ITO[0])
        _draw_loss(ax, values, colour, None, _diverged(run, values))
        ax.set_yscale("log" if log else "linear")
        status = _status_text(run)
        ax.set(xlabel="step")
        ax.set_title(f"α = {lr:g}" + (f" — {status}" if status else ""), fontsize=10.5)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel(ylabel)
    finite = np.concatenate([v[np.isfinite(v)] for v in series] + [np.empty(0)])
    if log and finite.size:  # one y range for every panel: the whole span of the values
        axes[0].set_ylim(finite[finite > 0].min() / 10, finite.max() * 10)
    if title:
        fig.suptitle(title, fontsize=13)
    return fig


# --- the 1-D curve ----------------------------------------------------------------------------


def plot_curve_1d(
    f: Any,
    path: Any,
    *,
    xlim: Limits | None = None,
    grad: Callable[[Any], Any] | None = None,
    title: str | None = None,
    maxima: Any = None,
) -> Figure:
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
    maxima : sequence of float, optional
        Known maxima (what gradient ascent climbs to), marked with a star labelled "maximum".

    Returns
    -------
    Figure
    """
    fn, p = _evaluator(f), _as_path(path, 1)
    minima = _known_minima(f, None, 1)
    peaks = _known_minima(None, maxima, 1)
    marked = np.concatenate([minima, peaks])
    ((lo, hi),) = [xlim] if xlim else _limits([p], marked, 1, getattr(f, "domain", None), 0.2)
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
        ax.annotate(
            "",
            xy=tuple(b),
            xytext=tuple(a),
            zorder=3,
            arrowprops={
                "arrowstyle": "-|>",
                "color": colour,
                "lw": 1.2,
                "shrinkA": 4,
                "shrinkB": 4,
                "mutation_scale": 11,
            },
        )
    at: list[int] = []
    for i in show:  # at most 10 tangents, far enough apart to be told from each other
        if len(at) < 10 and np.all(np.abs(p[at, 0] - p[i, 0]) > (hi - lo) / 15):
            at.append(int(i))
    ax.add_collection(
        _tangents(fn, grad, p[at], yp[at], (lo, hi), ax.get_ylim(), label=f"slope f′({name})")
    )
    ax.plot(p[0, 0], yp[0], "o", ms=10, color=colour, mec="black", zorder=5, label="start")
    # the end above the stars (which stay visible around it): it often lands on the minimum
    ax.plot(p[-1, 0], yp[-1], "s", ms=8, color=colour, mec="black", zorder=7, label="end")
    for points, text in ((minima, "minimum"), (peaks, "maximum")):
        if len(points):
            ax.scatter(points[:, 0], fn(points), zorder=6, label=text, **_STAR)
    ax.set(
        xlabel=name,
        ylabel=f"f({name})",
        title=title if title is not None else f"Gradient descent on {_describe(f) or f'f({name})'}",
    )
    ax.grid(True, alpha=0.3)
    ax.legend(framealpha=0.9)
    return fig


def _tangents(
    fn: Callable[[Array], Array],
    grad: Callable[[Any], Any] | None,
    x: Array,
    y: Array,
    xlim: Limits,
    ylim: Limits,
    label: str,
) -> LineCollection:
    """Segments of slope f′(x) through (x, y), about 1.4 inches long on the page."""
    if grad is not None:
        slope = _batch_call(grad, x)
    else:
        h = 1e-6 * np.maximum(1.0, np.abs(x))
        slope = (fn(x + h) - fn(x - h)) / (2 * h[:, 0])
    # half-width in x of a segment 0.7 inch long in an axes of about 6 x 3.6 inches
    dx = 0.7 / np.sqrt((6.0 / (xlim[1] - xlim[0])) ** 2 + (slope * 3.6 / (ylim[1] - ylim[0])) ** 2)
    x0 = x[:, 0]
    segs = np.stack(
        [np.column_stack([x0 - dx, y - slope * dx]), np.column_stack([x0 + dx, y + slope * dx])],
        axis=1,
    )
    return LineCollection(
        list(segs[np.all(np.isfinite(segs), axis=(1, 2))]),
        label=label,
        colors=OKABE_ITO[0],
        linewidths=2.2,
        alpha=0.85,
        zorder=3,
    )
