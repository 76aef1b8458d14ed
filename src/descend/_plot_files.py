"""Figures to files: :func:`save_figure`, written atomically like every file the figures write."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from ._exceptions import DescendError

__all__ = ["save_figure"]

_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


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
