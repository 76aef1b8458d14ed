"""The per-layer gradient norms of a network, epoch by epoch: vanishing and exploding
gradients made visible."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from descend.base.errors import DescendError, ShapeError
from descend.plots.inputs import Array
from descend.plots.style import OKABE_ITO, _new_figure

__all__ = ["plot_layer_grad_norms", "plot_layer_profile"]


def _norms(run: Any) -> Array:
    """The (epochs + 1, L) array of ‖∂J/∂Wˡ‖ of a FitResult, FitHistory, estimator or array."""
    for attr in ("history_", "history"):
        run = getattr(run, attr, run)
    norms = getattr(run, "layer_grad_norms", run)
    if norms is None:
        raise DescendError(
            "this run recorded no per-layer gradient norms: train a network (descend.MLP) "
            "with descend.fit, or a GDMLPRegressor/GDMLPClassifier"
        )
    a = np.asarray(norms, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] < 1:
        raise ShapeError(f"layer gradient norms must be (epochs, layers), got shape {a.shape}")
    return a


def plot_layer_grad_norms(
    runs: Any,
    *,
    titles: Sequence[str] | None = None,
    title: str | None = "Gradient norm of each layer",
    xlabel: str = "epoch",
    ylabel: str = "‖∂J/∂Wˡ‖",
) -> Figure:
    """‖∂J/∂Wˡ‖ per epoch on a log scale, one line per layer, one panel per run.

    The layers are coloured from the input side (dark) to the output (light), so a fan of
    lines whose dark end lies decades below the light end shows gradients vanishing towards
    the input; lines high above 1 that then stop show them exploding. A norm of exactly 0
    (ReLU units that never fire) cannot sit on a log axis and leaves a gap.

    Parameters
    ----------
    runs : FitResult, FitHistory, fitted GDMLP estimator, (epochs, L) array, or a list
        One panel per run; the panels share the y axis, so their levels compare.
    titles : sequence of str, optional
        A title per panel.
    title : str, optional
        The figure's title.
    xlabel, ylabel : str
        Axis labels.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = plot_layer_grad_norms(np.array([[1.0, 10.0], [0.1, 5.0]]))
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['layer 1 (input)', 'layer 2 (output)']
    """
    items = list(runs) if isinstance(runs, list | tuple) else [runs]
    if not items:
        raise ShapeError("no runs to plot")
    if titles is not None and len(titles) != len(items):
        raise ShapeError(f"{len(titles)} titles for {len(items)} runs; give one each")
    series = [_norms(r) for r in items]
    fig = _new_figure((4.6 * len(items) + 1.6, 4.2))
    axes = fig.subplots(1, len(items), squeeze=False, sharey=True)[0]
    cmap = colormaps["viridis"]
    for k, (ax, norms) in enumerate(zip(axes, series, strict=True)):
        L = norms.shape[1]
        epochs = np.arange(norms.shape[0])
        for layer in range(L):
            values = np.where(norms[:, layer] > 0, norms[:, layer], np.nan)
            where = " (input)" if layer == 0 else " (output)" if layer == L - 1 else ""
            ax.plot(epochs, values, color=cmap(0.9 * layer / max(L - 1, 1)), lw=1.8,
                    marker="o" if len(epochs) <= 30 else None, ms=3,
                    label=f"layer {layer + 1}{where}")  # fmt: skip
        ax.set_yscale("log")
        ax.set(xlabel=xlabel, title=titles[k] if titles is not None else "")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel(ylabel)
    handles, labels = axes[-1].get_legend_handles_labels()
    axes[-1].legend(handles, labels, loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_layer_profile(
    runs: Any,
    *,
    labels: Sequence[str] | None = None,
    epoch: int = 0,
    title: str | None = "Gradient norm across the layers",
    ylabel: str = "‖∂J/∂Wˡ‖",
) -> Figure:
    """‖∂J/∂Wˡ‖ against the layer l at one epoch (θ₀ by default), log scale, a line per run.

    A line falling towards the input (layer 1) is a vanishing gradient, one rising towards it
    an exploding gradient, a flat one a healthy network.

    Parameters
    ----------
    runs : FitResult, FitHistory, fitted GDMLP estimator, (epochs, L) array, or a list
        The runs compared; their networks need not have the same depth.
    labels : sequence of str, optional
        The legend label of each run.
    epoch : int, default=0
        Which epoch's norms (0: at the initial weights, −1: the last epoch).
    title, ylabel : str
        The title and the y label.

    Returns
    -------
    Figure

    Examples
    --------
    >>> fig = plot_layer_profile([np.array([[1e-6, 1e-3, 1.0]])], labels=["sigmoid"])
    >>> fig.axes[0].get_xlabel(), fig.axes[0].get_xticks().tolist()
    ('layer (1 = input side)', [1, 2, 3])
    """
    items = list(runs) if isinstance(runs, list | tuple) else [runs]
    if labels is not None and len(labels) != len(items):
        raise ShapeError(f"{len(labels)} labels for {len(items)} runs; give one each")
    fig = _new_figure((7.0, 4.4))
    ax = fig.add_subplot()
    depth = 1
    for i, run in enumerate(items):
        norms = _norms(run)
        if not -norms.shape[0] <= epoch < norms.shape[0]:
            raise ShapeError(f"epoch={epoch} but the run has epochs 0..{norms.shape[0] - 1}")
        row = norms[epoch]
        layers = np.arange(1, len(row) + 1)
        depth = max(depth, len(row))
        ax.plot(layers, np.where(row > 0, row, np.nan), marker="o", lw=2,
                color=OKABE_ITO[i % len(OKABE_ITO)],
                label=None if labels is None else str(labels[i]))  # fmt: skip
    ax.set_yscale("log")
    ax.set_xticks(np.arange(1, depth + 1))
    ax.set(xlabel="layer (1 = input side)", ylabel=ylabel, title=title or "")
    ax.grid(True, alpha=0.3)
    if labels is not None:
        ax.legend(framealpha=0.9)
    return fig
