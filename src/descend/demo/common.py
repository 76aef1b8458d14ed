"""What the parts of the demo tour share: the output folder, the console and the report.

A :class:`Tour` saves figures into the output folder, prints tables and notes to the console
(unless quiet) and collects the same tables, notes and figures for the HTML report, so that
the terminal and ``index.html`` always show the same numbers.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure as MplFigure
from rich.console import Console
from rich.table import Table
from rich.text import Text

from descend.demo.report import Block, Figure, Note, ReportTable, Section

#: Resolution of the demo's PNG figures (figure inches × DPI = pixels).
DPI = 110


def num(value: Any, digits: int = 6) -> str:
    """A number as text, to ``digits`` significant digits (``—`` for None or NaN)."""
    if value is None:
        return "—"
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "—"
        text = f"{v:.{digits}g}"
        return "0" if text == "-0" else text
    return str(value)


def vec(values: Any, digits: int = 6) -> str:
    """A vector as ``(a, b, ...)``."""
    return "(" + ", ".join(num(float(v), digits) for v in values) + ")"


@dataclass
class Part:
    """One section of the report being assembled, its blocks in reading order."""

    title: str
    anchor: str
    blocks: list[Block] = field(default_factory=list)

    def section(self) -> Section:
        return Section(self.title, list(self.blocks), self.anchor)


@dataclass
class Tour:
    """The output folder, the console and the parts written so far."""

    out_dir: Path
    console: Console
    quiet: bool = False
    parts: list[Part] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    @property
    def part(self) -> Part:
        return self.parts[-1]

    def begin(self, title: str, anchor: str) -> Part:
        """Start a new section: a heading on the console and in the report."""
        self.parts.append(Part(title, anchor))
        if not self.quiet:
            self.console.print()
            self.console.rule(Text(title, style="bold"), align="left")
        return self.part

    def say(self, text: str) -> None:
        """A paragraph of the current section (printed too)."""
        self.part.blocks.append(text)
        if not self.quiet:
            self.console.print(text, markup=False, highlight=False)

    def note(self, text: str) -> None:
        """A highlighted note, e.g. where exact arithmetic disagrees with a seed's printout."""
        self.part.blocks.append(Note(text))
        if not self.quiet:
            self.console.print(Text("note: ", style="bold yellow") + Text(text))

    def table(
        self, columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = ""
    ) -> None:
        """A table of values, printed and kept for the report (numbers as given)."""
        cells = [[num(v) if not isinstance(v, str) else v for v in row] for row in rows]
        raw = [[v.item() if hasattr(v, "item") else v for v in row] for row in rows]
        self.part.blocks.append(ReportTable(list(columns), raw, caption))
        if self.quiet:
            return
        table = Table(title=caption or None, title_justify="left", header_style="bold")
        for i, column in enumerate(columns):
            text = i == 0 or all(isinstance(row[i], str) and row[i] for row in rows)
            table.add_column(column, justify="left" if text else "right")
        for row in cells:
            table.add_row(*row)
        self.console.print(table)

    def figure(self, fig: MplFigure, name: str, caption: str) -> Path:
        """Save ``fig`` as ``name`` in the output folder and add it to the section."""
        from descend.plots import save_figure

        path = save_figure(fig, self.out_dir / name, dpi=DPI)
        fig.clear()
        return self.add_file(path, caption)

    def add_file(self, path: Path, caption: str) -> Path:
        """Add an image already written (an animation) to the section."""
        self.files.append(path)
        self.part.blocks.append(Figure(path.name, caption))
        if not self.quiet:
            self.console.print(f"  wrote {path.name}", style="dim", markup=False)
        return path
