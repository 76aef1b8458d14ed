"""Figures of gradient descent: the loss curve, the bowl, the path, the learning rate.

``from descend.plots import plot_contour``: kept out of ``import descend`` so that the engine
loads without matplotlib.

The seeds' pictures, drawn with matplotlib's object-oriented API (a :class:`Figure` built
directly, never pyplot's global state), so they work headless and from threads. Each function
returns its Figure (a notebook shows it); only :func:`save_figure` and :func:`animate_race`
write files. Colours: the colour-blind safe Okabe–Ito palette (:data:`OKABE_ITO`) for paths
and curves, over a lightened ``viridis`` map.

``f`` may be a Python callable of a ``(k, n)`` batch or of one point, an
:class:`~descend.Objective`, an expression, a built-in function or its name. A path may be an
``(N, n)`` array, a :class:`~descend.Result` or a :class:`~descend.History`.

This public module gathers the names; each concept has its own private module:
``_plot_style`` (palette, colour map, figures), ``_plot_inputs`` (functions, paths and the box
made uniform), ``_plot_curves`` (loss curves, learning rates, the 1-D curve),
``_plot_surfaces`` (contours, paths on the cost, the 3-D surface), ``_plot_animation`` (the
racing GIF/MP4), ``layers`` (a network's per-layer gradient norms) and ``_plot_files``
(:func:`save_figure`, atomic writes).

>>> fig = plot_loss([4.0, 1.0, 0.25, 0.0625], labels=["α = 0.25"])
>>> fig.axes[0].get_xlabel(), [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
('step', ['α = 0.25'])
"""

from __future__ import annotations

from descend.base.extras import require as _require

_require("matplotlib", "plot", "descend.plots")

from descend.plots.animation import MAX_FRAMES, animate_race
from descend.plots.curves import plot_curve_1d, plot_learning_rates, plot_loss
from descend.plots.files import save_figure
from descend.plots.layers import plot_layer_grad_norms, plot_layer_profile
from descend.plots.style import CMAP, OKABE_ITO
from descend.plots.surfaces import plot_contour, plot_paths_on_cost, plot_surface

__all__ = [
    "CMAP",
    "MAX_FRAMES",
    "OKABE_ITO",
    "animate_race",
    "plot_contour",
    "plot_curve_1d",
    "plot_layer_grad_norms",
    "plot_layer_profile",
    "plot_learning_rates",
    "plot_loss",
    "plot_paths_on_cost",
    "plot_surface",
    "save_figure",
]
