"""The racing animation: several optimizers descending one contour map, as a GIF or an MP4."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
from matplotlib import animation, rcParams
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from descend.base.errors import DescendError, ShapeError
from descend.base.files import atomic_path
from descend.plots.inputs import Array, Limits, _as_path, _known_minima
from descend.plots.surfaces import _legend, plot_contour

__all__ = ["MAX_FRAMES", "animate_race"]

#: Most frames :func:`animate_race` draws, so that a GIF writes in a few seconds.
MAX_FRAMES = 120


def animate_race(
    f: Any,
    paths: Sequence[Any],
    labels: Sequence[str],
    path_out: str | Path,
    *,
    xlim: Limits | None = None,
    ylim: Limits | None = None,
    minima: Any = None,
    fps: int = 20,
    frames: int | None = None,
    figsize: tuple[float, float] = (6.4, 5.2),
    dpi: int = 80,
) -> Path:
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
        raise DescendError(
            "writing .mp4 needs ffmpeg, which is missing (not on the PATH); "
            "install ffmpeg or save the animation as .gif"
        )
    pts = [_as_path(p, 2) for p in paths]
    if not pts or len(labels) != len(pts):
        raise ShapeError(f"{len(pts)} paths but {len(labels)} labels; give one label per path")
    fig, overlay, lines = _race_figure(f, pts, labels, xlim, ylim, minima, figsize, dpi)
    heads = [
        overlay.plot([], [], "o", ms=9, color=ln.get_color(), mec="black", zorder=8)[0]
        for ln in lines
    ]
    clock = overlay.text(
        0.02,
        0.97,
        "",
        transform=overlay.transAxes,
        va="top",
        fontsize=11,
        bbox={"boxstyle": "round", "fc": "white", "alpha": 0.85},
    )
    steps = max(len(p) for p in pts)
    ts = np.round(np.linspace(0, steps - 1, min(frames or MAX_FRAMES, MAX_FRAMES, steps)))
    colours = [str(line.get_color()) for line in lines]
    writer: animation.AbstractMovieWriter = (
        _GifWriter(fps=fps, keep=colours) if suffix == ".gif" else animation.FFMpegWriter(fps=fps)
    )

    with atomic_path(out) as tmp, writer.saving(fig, str(tmp), dpi):
        for t in ts.astype(int):
            for line, head, p in zip(lines, heads, pts, strict=True):
                shown = p[: min(t, len(p) - 1) + 1]
                line.set_data(shown[:, 0], shown[:, 1])
                head.set_data(shown[-1:, 0], shown[-1:, 1])
            clock.set_text(f"step {t}")
            writer.grab_frame()
    return out


def _race_figure(
    f: Any,
    pts: list[Array],
    labels: Sequence[str],
    xlim: Limits | None,
    ylim: Limits | None,
    minima: Any,
    figsize: tuple[float, float],
    dpi: int,
) -> tuple[Figure, Axes, list[Line2D]]:
    """The still contour map rendered once to an image, and empty path lines over it, so a
    frame draws one image and a few lines instead of the whole contour plot."""
    still = plot_contour(
        f,
        pts,
        labels=list(labels),
        xlim=xlim,
        ylim=ylim,
        minima=minima,
        title=" vs ".join(labels),
        grid=120,
    )
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
    lines = [
        overlay.plot(
            [],
            [],
            color=a.get_color(),
            lw=a.get_linewidth(),
            mew=0.5,
            marker=a.get_marker(),
            ms=a.get_markersize(),
            mec="white",
            zorder=a.get_zorder(),
            path_effects=a.get_path_effects(),
        )[0]
        for a in moving
        if a.get_gid() == "path"
    ]
    return fig, overlay, lines


class _GifWriter(animation.PillowWriter):
    """Pillow's GIF writer with one palette for all frames: no flicker, and fast.

    The palette holds every ``keep`` colour exactly (the paths' colours, black and white) and
    fills the rest from a median cut of frames drawn from the whole run, so that no path
    takes another's colour and the GIF agrees with its legend and with the still figure.
    """

    def __init__(self, *args: Any, keep: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keep = [*dict.fromkeys([*keep, "#000000", "#FFFFFF"])]

    def finish(self) -> None:
        frames = getattr(self, "_frames", None)
        if not frames:
            super().finish()
            return
        from PIL import Image

        rgb = [frame.convert("RGB") for frame in frames]
        palette = _palette(rgb, self.keep)
        indexed = [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in rgb]
        indexed[0].save(
            self.outfile,
            save_all=True,
            append_images=indexed[1:],
            duration=round(1000 / self.fps),
            loop=0,
        )


def _palette(frames: Sequence[Any], keep: Sequence[str], sample: int = 8) -> Any:
    """A 256-colour palette image: the ``keep`` colours exactly, the rest from ``frames``."""
    from matplotlib.colors import to_rgb
    from PIL import Image

    exact = [round(255 * c) for colour in keep for c in to_rgb(colour)]
    picks = [frames[i] for i in np.unique(np.linspace(0, len(frames) - 1, sample).astype(int))]
    width, height = picks[0].size
    montage = Image.new("RGB", (width, height * len(picks)))
    for i, frame in enumerate(picks):
        montage.paste(frame, (0, i * height))
    free = 256 - len(keep)
    base = montage.quantize(colors=free, method=Image.Quantize.MEDIANCUT).getpalette() or []
    base = (base + [0] * 3 * free)[: 3 * free]
    palette = Image.new("P", (1, 1))
    palette.putpalette(exact + base)
    return palette
