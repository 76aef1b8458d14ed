"""The look shared by the figures: the palette, the colour map, the star and the halo.

Colours: the colour-blind safe Okabe–Ito palette (:data:`OKABE_ITO`) for paths and curves, over
a lightened ``viridis`` map (:data:`CMAP`). Every figure is a :class:`Figure` built directly
with an Agg canvas (:func:`_new_figure`), never pyplot's global state, so the figures work
headless and from threads.
"""

from __future__ import annotations

from typing import Any

from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["CMAP", "OKABE_ITO"]

#: The Okabe–Ito palette (Okabe & Ito, 2008), safe for every kind of colour blindness, in the
#: order that reads best on the contour map: blue, vermillion, reddish purple, black, ...
OKABE_ITO = ("#0072B2", "#D55E00", "#CC79A7", "#000000", "#009E73", "#E69F00", "#56B4E9", "#F0E442")
#: Colour map of contours and surfaces: perceptually uniform and colour-blind safe.
CMAP = "viridis"
_LIGHTEN = 0.4  # how far the contour map is blended towards white, so paths stand out
_STAR: dict[str, Any] = {
    "marker": "*",
    "s": 260,
    "c": "#F0E442",
    "edgecolors": "black",
    "linewidths": 1.0,
}


def _new_figure(figsize: tuple[float, float]) -> Figure:
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _halo(lw: float) -> list[patheffects.AbstractPathEffect]:
    """A white halo under a line of width ``lw`` (thin lines get none), to lift it off a map."""
    if lw < 1.6:
        return []
    return [
        patheffects.Stroke(linewidth=lw + 2.2, foreground="white", alpha=0.85),
        patheffects.Normal(),
    ]
