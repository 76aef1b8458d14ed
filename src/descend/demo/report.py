"""A report a person can open: one self-contained ``index.html`` for a folder of figures.

:func:`write_report` takes sections (a title, paragraphs with the numbers, figures, tables of
step values, notes where a seed's printout differs from exact arithmetic) and writes
``index.html`` next to the figures, which it references by relative path (or embeds as
base64 with ``embed=True``). Every piece of text is escaped with :func:`html.escape`; the file
is written atomically.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> path = write_report(folder, [Section("f(x) = x²", ["x moves 10 → 8 → 6.4",
...                      ReportTable(["t", "x"], [[0, 10.0], [1, 8.0]])])])
>>> "6.4" in path.read_text(encoding="utf-8") and path.name
'index.html'
"""

from __future__ import annotations

import base64
import html
import math
import mimetypes
import numbers
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from descend.base.files import atomic_write_text

__all__ = ["Figure", "Note", "ReportTable", "Section", "write_report"]


@dataclass(frozen=True)
class Figure:
    """An image file (PNG, GIF, SVG...) and its caption."""

    path: Path | str
    caption: str = ""


@dataclass(frozen=True)
class ReportTable:
    """A table of values: column names and rows (numbers are shown to 6 significant digits)."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    caption: str = ""


@dataclass(frozen=True)
class Note:
    """A highlighted remark, e.g. where a seed's printout disagrees with exact arithmetic."""

    text: str


#: What a section holds, in reading order: a paragraph (plain text), a note, a figure, a table.
Block = str | Note | Figure | ReportTable


@dataclass(frozen=True)
class Section:
    """One part of the report: a title and its blocks, shown in order.

    Consecutive figures are laid out side by side.
    """

    title: str
    blocks: Sequence[Block] = ()
    anchor: str = ""


_CSS = """
:root { --ink: #1d2330; --muted: #5b6475; --line: #dde1e8; --accent: #0072b2;
        --note: #fff7e0; --note-line: #e69f00; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif;
       color: var(--ink); background: #f6f7f9; }
header { background: #12355b; color: #fff; padding: 28px 0 22px; }
header p { color: #cfdcec; margin: 4px 0 0; }
.wrap { max-width: 1040px; margin: 0 auto; padding: 0 24px; }
h1 { margin: 0; font-size: 30px; }
h2 { margin: 0 0 10px; font-size: 22px; color: #12355b; }
nav { background: #fff; border-bottom: 1px solid var(--line); padding: 10px 0; }
nav a { margin-right: 16px; color: var(--accent); text-decoration: none; font-size: 14px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px;
          margin: 22px 0; padding: 22px 26px; }
section p { margin: 8px 0; }
.note { background: var(--note); border-left: 4px solid var(--note-line); padding: 8px 12px;
        margin: 10px 0; border-radius: 4px; }
figure { margin: 16px 0; text-align: center; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 14px; margin-top: 6px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: 14px; }
table { border-collapse: collapse; margin: 12px 0; font-size: 14px; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: right;
         font-variant-numeric: tabular-nums; }
th { background: #eef1f5; }
td:first-child, th:first-child, td.text, th.text { text-align: left; }
.scroll { overflow-x: auto; }
footer { color: var(--muted); font-size: 13px; padding: 10px 0 30px; }
"""


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool | str):
        return html.escape(str(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        return "—" if math.isnan(v) else html.escape(f"{v:.6g}")
    return html.escape(str(value))


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _table(table: ReportTable) -> str:
    """An HTML table; columns holding only text are left-aligned, numbers right-aligned."""
    text = [
        all(_is_text(row[j]) or row[j] == "" for row in table.rows)
        and any(_is_text(row[j]) for row in table.rows)
        for j in range(len(table.columns))
    ]

    def attr(j: int) -> str:
        return ' class="text"' if j < len(text) and text[j] else ""

    head = "".join(f"<th{attr(j)}>{html.escape(str(c))}</th>" for j, c in enumerate(table.columns))
    body = "\n".join(
        "<tr>" + "".join(f"<td{attr(j)}>{_cell(v)}</td>" for j, v in enumerate(row)) + "</tr>"
        for row in table.rows
    )
    caption = f"<caption>{html.escape(table.caption)}</caption>" if table.caption else ""
    return (
        f'<div class="scroll"><table>{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>\n{body}\n</tbody></table></div>"
    )


def _src(figure: Figure, out_dir: Path, embed: bool) -> str:
    path = Path(figure.path)
    full = path if path.is_absolute() else out_dir / path
    if embed:
        mime = mimetypes.guess_type(full.name)[0] or "image/png"
        data = base64.b64encode(full.read_bytes()).decode("ascii")
        return f"data:{mime};base64,{data}"
    try:
        rel = full.resolve().relative_to(out_dir.resolve())
    except ValueError:
        rel = Path(os.path.relpath(full.resolve(), out_dir.resolve()))
    return html.escape(rel.as_posix(), quote=True)


def _figure(figure: Figure, out_dir: Path, embed: bool) -> str:
    caption = html.escape(figure.caption)
    alt = html.escape(figure.caption or Path(figure.path).name, quote=True)
    return (
        f'<figure><img src="{_src(figure, out_dir, embed)}" alt="{alt}" loading="lazy">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _anchor(section: Section, index: int) -> str:
    return section.anchor or f"part-{index + 1}"


def _section(section: Section, index: int, out_dir: Path, embed: bool) -> str:
    parts = [
        f'<section id="{html.escape(_anchor(section, index), quote=True)}">',
        f"<h2>{html.escape(section.title)}</h2>",
    ]
    figures: list[str] = []

    def flush() -> None:
        if figures:
            wrap = '<div class="grid">{}</div>' if len(figures) > 1 else "{}"
            parts.append(wrap.format("\n".join(figures)))
            figures.clear()

    for block in section.blocks:
        if isinstance(block, Figure):
            figures.append(_figure(block, out_dir, embed))
            continue
        flush()
        if isinstance(block, Note):
            parts.append(f'<div class="note">{html.escape(block.text)}</div>')
        elif isinstance(block, ReportTable):
            parts.append(_table(block))
        else:
            parts.append(f"<p>{html.escape(str(block))}</p>")
    flush()
    parts.append("</section>")
    return "\n".join(parts)


def render_report(
    out_dir: Path,
    sections: Sequence[Section],
    *,
    title: str = "descend demo",
    subtitle: str = "",
    footer: str = "",
    embed: bool = False,
) -> str:
    """The HTML text of the report (see :func:`write_report`)."""
    out_dir = Path(out_dir)
    nav = " ".join(
        f'<a href="#{html.escape(_anchor(s, i), quote=True)}">{html.escape(s.title)}</a>'
        for i, s in enumerate(sections)
    )
    body = "\n".join(_section(s, i, out_dir, embed) for i, s in enumerate(sections))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header><div class="wrap"><h1>{html.escape(title)}</h1>
<p>{html.escape(subtitle)}</p></div></header>
<nav><div class="wrap">{nav}</div></nav>
<main class="wrap">
{body}
</main>
<footer><div class="wrap">Written by descend on {html.escape(stamp)}. {html.escape(footer)}
</div></footer>
</body>
</html>
"""


def write_report(
    out_dir: Path | str,
    sections: Sequence[Section],
    *,
    title: str = "descend: a tour of gradient descent",
    subtitle: str = "",
    footer: str = "",
    embed: bool = False,
) -> Path:
    """Write ``out_dir/index.html`` for ``sections`` and return its path.

    Figures are referenced relative to ``out_dir`` (or embedded as base64 with ``embed=True``,
    so the single file can be mailed). The file is written to a temporary file in ``out_dir``
    and renamed into place, so a reader never sees half a report.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = render_report(
        out_dir, sections, title=title, subtitle=subtitle, footer=footer, embed=embed
    )
    return atomic_write_text(out_dir / "index.html", text)
