"""Figures to files: :func:`save_figure`, written atomically like every file the figures write."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from descend.base.errors import DescendError
from descend.base.files import atomic_path

__all__ = ["save_figure"]

_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 120) -> Path:
    """Write ``fig`` to a PNG, SVG or PDF file atomically, creating its folder.

    The figure goes to a temporary file in the same folder, then is moved into place, so a
    reader never sees half a file; it gets the permissions a plain ``open()`` would give it.
    A PNG is figsize × dpi pixels.

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
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi)
    return out
