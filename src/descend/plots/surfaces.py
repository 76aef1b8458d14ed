"""Functions of two variables: filled contours and the 3-D surface, with descent paths on them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, cast

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from descend.base.errors import DescendError
from descend.plots.inputs import (
    Array,
    Limits,
    _as_list,
    _as_path,
    _describe,
    _diverged,
    _evaluator,
    _fit_box,
    _known_minima,
    _limits,
    _names,
)
from descend.plots.style import _LIGHTEN, _STAR, CMAP, OKABE_ITO, _halo, _new_figure

__all__ = ["plot_contour", "plot_paths_on_cost", "plot_surface"]


def _contour(
    fig: Figure,
    ax: Axes,
    f: Any,
    xlim: Limits,
    ylim: Limits,
    levels: Any,
    log_levels: bool,
    grid: int,
    label: str,
    colorbar: bool = True,
) -> None:
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
        lv = zmin + np.concatenate(
            [[0.0], np.geomspace((zmax - zmin) * 1e-4, zmax - zmin, levels - 1)]
        )
    else:  # negative values (a saddle): linear levels, the top 1 % clipped
        lv = np.linspace(zmin, max(float(np.percentile(finite, 99)), zmin + 1e-12), levels)
    lv = np.unique(lv)
    colours = colormaps[CMAP](np.linspace(0, 1, 256))
    colours[:, :3] = (1 - _LIGHTEN) * colours[:, :3] + _LIGHTEN
    cmap = ListedColormap(colours, name=f"{CMAP}_light")
    extend: Literal["max", "neither"] = "max" if zmax > lv[-1] else "neither"
    Z = np.ma.masked_invalid(Z)
    filled = ax.contourf(
        X, Y, Z, levels=lv, cmap=cmap, extend=extend, norm=BoundaryNorm(lv, cmap.N, extend=extend)
    )
    ax.contour(X, Y, Z, levels=lv, colors="white", linewidths=0.5, alpha=0.6)
    if not colorbar:
        return
    bar = fig.colorbar(filled, ax=ax, ticks=lv[:: max(1, len(lv) // 7)], shrink=0.9)
    bar.ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}")
    )
    bar.set_label(label)


def _draw_paths(
    ax: Axes,
    paths: Sequence[Array],
    labels: Sequence[str | None],
    diverged: Sequence[bool],
    widths: Sequence[float],
    start: bool,
) -> None:
    """Lines (gid "path"), start circles and end squares (gid "end"; × where diverged)."""
    ranks = np.argsort(np.argsort(-np.asarray(widths), kind="stable"))  # thin lines on top
    for i, (p, label, lw, rank) in enumerate(zip(paths, labels, widths, ranks, strict=True)):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.plot(
            *p.T,
            color=colour,
            lw=lw,
            marker="o" if len(p) <= 60 else None,
            ms=2.5 + lw,
            mec="white",
            mew=0.5,
            label=label,
            zorder=3 + rank * 0.1,
            path_effects=_halo(lw),
            gid="path",
        )
        ok = np.flatnonzero(np.all(np.isfinite(p), axis=1))
        if start and len(ok):
            ax.plot(*p[ok[0]], "o", ms=10, color=colour, mec="black", mew=1.2, zorder=6)
        if len(ok) > 1:
            marker, ms = ("X", 12) if diverged[i] else ("s", 8.5)
            ax.plot(
                *p[ok[-1]],
                marker=marker,
                ms=ms,
                color=colour,
                mec="black",
                mew=1.2,
                zorder=8,  # above the stars (7), which stay visible around it
                gid="end",
            )


def _legend(
    ax: Axes, start: bool, end: bool, diverged: bool, minima: bool, maxima: bool = False
) -> None:
    """The paths' labels, then what the markers mean."""
    handles, texts = ax.get_legend_handles_labels()
    plain: dict[str, Any] = {"color": "white", "mec": "black", "mew": 1.2, "ls": "none"}
    for show, marker, ms, text in (
        (start, "o", 9, "start"),
        (end, "s", 8, "end"),
        (diverged, "X", 10, "diverged"),
        (minima, "*", 15, "minimum"),
        (maxima, "*", 15, "maximum"),
    ):
        if show:
            style = {**plain, "color": "#F0E442"} if marker == "*" else plain
            handles.append(Line2D([], [], marker=marker, ms=ms, **style))
            texts.append(text)
    if handles:
        ax.legend(handles, texts, loc="best", framealpha=0.92, fontsize=9)


def plot_contour(
    f: Any,
    paths: Any = (),
    *,
    labels: Sequence[str] | None = None,
    xlim: Limits | None = None,
    ylim: Limits | None = None,
    minima: Any = None,
    maxima: Any = None,
    start: bool = True,
    levels: int | Sequence[float] = 30,
    log_levels: bool = True,
    title: str | None = None,
    linewidths: Sequence[float] | None = None,
    axis_labels: tuple[str, str] | None = None,
    colorbar_label: str | None = None,
    grid: int = 200,
    panels: bool = False,
) -> Figure:
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
    maxima : sequence of points, optional
        Known maxima (what gradient ascent climbs to), marked with a star labelled "maximum".
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
    panels : bool, default=False
        One panel per path, on shared axes, so that paths that follow the same valley are not
        hidden under each other (the other paths are drawn thin and grey in each panel).

    Returns
    -------
    Figure
    """
    if panels:
        return _contour_panels(f, paths, labels, xlim, ylim, minima, levels, log_levels, title)
    runs = [] if isinstance(paths, tuple | list) and len(paths) == 0 else _as_list(paths, 2)
    pts = [_as_path(r, 2) for r in runs]
    stars = _known_minima(f, minima, 2)
    peaks = _known_minima(None, maxima, 2)
    auto = _limits(pts, np.concatenate([stars, peaks]), 2, getattr(f, "domain", None))
    if xlim is None and ylim is None and pts:
        xlim, ylim = _fit_box(auto[0], auto[1], 4.6 / 5.3)  # the axes' shape in a 7.2 x 5.6 fig
    xlim, ylim = xlim or auto[0], ylim or auto[1]
    names = axis_labels or _names(f, 2, ("θ₀", "θ₁"))
    fig = _new_figure((7.2, 5.6))
    ax = fig.add_subplot()
    _contour(
        fig,
        ax,
        f,
        xlim,
        ylim,
        levels,
        log_levels,
        grid,
        colorbar_label or f"f({names[0]}, {names[1]})",
    )
    diverged = [_diverged(r) for r in runs]
    texts = (
        [str(t) for t in labels]
        if labels is not None
        else (["path"] if len(runs) == 1 else [f"path {i + 1}" for i in range(len(runs))])
    )
    texts = [f"{t} (diverged)" if d else t for t, d in zip(texts, diverged, strict=True)]
    _draw_paths(ax, pts, texts, diverged, linewidths or [2.0] * len(pts), start)
    for points in (stars, peaks):
        if len(points):
            ax.scatter(*points.T, zorder=7, **_STAR)
    ax.set(xlabel=names[0], ylabel=names[1], xlim=xlim, ylim=ylim)
    described = _describe(f)
    if title is None:
        title = (
            f"Gradient descent on {described}"
            if described and pts
            else (described or "Gradient descent paths")
        )
    ax.set_title(title)
    _legend(
        ax,
        start and bool(pts),
        any(len(p) > 1 for p in pts),
        any(diverged),
        bool(len(stars)),
        bool(len(peaks)),
    )
    return fig


def _contour_panels(
    f: Any,
    paths: Any,
    labels: Sequence[str] | None,
    xlim: Limits | None,
    ylim: Limits | None,
    minima: Any,
    levels: Any,
    log_levels: bool,
    title: str | None,
) -> Figure:
    """:func:`plot_contour` with ``panels=True``: one panel per path, in rows of three."""
    pts = [_as_path(r, 2) for r in _as_list(paths, 2)]
    texts = (
        [str(t) for t in labels]
        if labels is not None
        else [f"path {i + 1}" for i in range(len(pts))]
    )
    stars = _known_minima(f, minima, 2)
    auto = _limits(pts, stars, 2, getattr(f, "domain", None))
    xlim, ylim = xlim or auto[0], ylim or auto[1]
    names = _names(f, 2, ("θ₀", "θ₁"))
    cols = min(3, len(pts))
    rows = -(-len(pts) // cols)
    fig = _new_figure((4.1 * cols, 3.5 * rows + 0.4))
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True).ravel()
    for i, (ax, p, text) in enumerate(zip(axes, pts, texts, strict=False)):
        _contour(fig, ax, f, xlim, ylim, levels, log_levels, 120, "", colorbar=False)
        for q in pts:
            ax.plot(*q.T, color="#777777", lw=0.8, alpha=0.6, zorder=2)
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.plot(*p.T, color=colour, lw=2.2, zorder=3, path_effects=_halo(2.2), gid="path")
        ok = np.flatnonzero(np.all(np.isfinite(p), axis=1))
        if len(stars):
            ax.scatter(*stars.T, zorder=7, **{**_STAR, "s": 160})
        if len(ok):
            ax.plot(*p[ok[0]], "o", ms=8, color=colour, mec="black", zorder=8)
            ax.plot(*p[ok[-1]], "s", ms=7, color=colour, mec="black", zorder=8, gid="end")
        ax.set_title(text, fontsize=10.5, color=colour if colour != "#000000" else "black")
        ax.set(xlim=xlim, ylim=ylim)
    for ax in axes[len(pts) :]:
        ax.set_axis_off()
    for ax in axes[(rows - 1) * cols :]:
        ax.set_xlabel(names[0])
    for ax in axes[::cols]:
        ax.set_ylabel(names[1])
    fig.suptitle(title or f"Gradient descent on {_describe(f) or 'f'}", fontsize=13)
    return fig


def plot_paths_on_cost(
    cost: Any,
    paths: Any,
    *,
    labels: Sequence[str],
    xlim: Limits | None = None,
    ylim: Limits | None = None,
    title: str | None = "Batch vs stochastic vs mini-batch gradient descent",
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

    return plot_contour(
        cost,
        paths,
        labels=labels,
        xlim=xlim,
        ylim=ylim,
        minima=(),
        title=title,
        linewidths=[width(str(t)) for t in labels],
        axis_labels=("θ₀", "θ₁"),
        colorbar_label="cost J(θ₀, θ₁)",
        grid=120,
    )


def plot_surface(
    f: Any,
    path: Any = None,
    *,
    xlim: Limits | None = None,
    ylim: Limits | None = None,
    title: str | None = "The cost surface J(θ₀, θ₁)",
    labels: tuple[str, str, str] = ("θ₀", "θ₁", "J"),
) -> Figure:
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
    surface = ax.plot_surface(
        X,
        Y,
        np.ma.masked_invalid(Z),
        cmap=CMAP,
        alpha=0.8,
        linewidth=0,
        rstride=1,
        cstride=1,
        zorder=1,
    )
    fig.colorbar(surface, ax=ax, shrink=0.6, pad=0.08, label=labels[2])
    if p is not None:
        q = p[
            (p[:, 0] >= xlim[0])
            & (p[:, 0] <= xlim[1])
            & (p[:, 1] >= ylim[0])
            & (p[:, 1] <= ylim[1])
        ]
        z, colour = fn(q), OKABE_ITO[1]
        ax.plot(
            q[:, 0],
            q[:, 1],
            z,
            color=colour,
            lw=2.2,
            marker="o" if len(q) <= 60 else None,
            ms=3.5,
            zorder=4,
            label="path",
        )
        for i, marker, text in ((0, "o", "start"), (-1, "s", "end")):
            if len(q):
                ax.scatter(
                    q[i, 0],
                    q[i, 1],
                    z[i],
                    s=65,
                    marker=marker,
                    c=colour,
                    zorder=5,
                    edgecolors="black",
                    depthshade=False,
                    label=text,
                )
    if len(stars):
        ax.scatter(*stars.T, fn(stars), zorder=6, depthshade=False, label="minimum", **_STAR)
    ax.set(xlabel=labels[0], ylabel=labels[1], zlabel=labels[2], title=title or "")
    ax.view_init(elev=32, azim=-55)
    if p is not None or len(stars):
        ax.legend(loc="upper left", framealpha=0.9, fontsize=9)
    return fig
