"""descend's figures, as a public module: ``from descend.plots import plot_contour``.

Kept out of ``import descend`` so that the engine loads without matplotlib; see
:mod:`descend._plots` for what each figure shows.
"""

from ._plots import (
    CMAP,
    MAX_FRAMES,
    OKABE_ITO,
    animate_race,
    plot_contour,
    plot_curve_1d,
    plot_learning_rates,
    plot_loss,
    plot_paths_on_cost,
    plot_surface,
    save_figure,
)

__all__ = [
    "CMAP",
    "MAX_FRAMES",
    "OKABE_ITO",
    "animate_race",
    "plot_contour",
    "plot_curve_1d",
    "plot_learning_rates",
    "plot_loss",
    "plot_paths_on_cost",
    "plot_surface",
    "save_figure",
]
