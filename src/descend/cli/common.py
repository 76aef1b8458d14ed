"""What every command of the CLI shares: consoles, number formatting, errors as one line.

Errors never reach the user as a traceback. :func:`error_line` turns any exception into one
line, ``error: WHAT; WHAT TO DO``, and the exit code: 2 for bad input (descend's own errors,
bad options, missing files), 3 for an internal error (a bug, reported as such).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from descend.base.errors import DescendError

#: Exit code of bad input (descend errors, bad options, missing files).
EXIT_USAGE = 2
#: Exit code of a run that diverged.
EXIT_DIVERGED = 1
#: Exit code of an internal error (a bug in descend).
EXIT_INTERNAL = 3
#: The file types a figure can be saved as.
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def stdout_console(quiet: bool = False) -> Console:
    """A console on the current stdout (looked up now, so test runners can capture it).

    Output that is not a terminal (a pipe, a file, a test runner) is 120 columns wide, so
    tables of numbers keep one row per line.
    """
    width = None if sys.stdout.isatty() else 120
    return Console(
        file=sys.stdout, quiet=quiet, highlight=False, soft_wrap=False, width=width, markup=False
    )


def show_progress(quiet: bool, json_out: bool = False) -> bool:
    """Progress bars only for a person at a terminal: stdout a TTY, no --quiet, no --json."""
    return not quiet and not json_out and sys.stdout.isatty()


@contextmanager
def progress_bar(enabled: bool, description: str, total: float | None) -> Iterator[Any]:
    """A transient rich progress bar (or a no-op stand-in when ``enabled`` is False).

    Yields an object with ``advance(n=1)`` and ``update(completed=...)``.
    """
    if not enabled:
        yield _NoProgress()
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=Console(file=sys.stdout),
    )
    with progress:
        task = progress.add_task(description, total=total)
        yield _Task(progress, task)


class _NoProgress:
    def advance(self, n: float = 1) -> None:
        """Nothing to show."""

    def update(self, **kwargs: Any) -> None:
        """Nothing to show."""


class _Task:
    def __init__(self, progress: Progress, task: Any) -> None:
        self._progress, self._task = progress, task

    def advance(self, n: float = 1) -> None:
        self._progress.advance(self._task, n)

    def update(self, **kwargs: Any) -> None:
        self._progress.update(self._task, **kwargs)


def fmt(value: Any, digits: int = 6) -> str:
    """A number in ``digits`` significant digits; a vector as ``(a, b)``; None/NaN as ``—``."""
    if value is None:
        return "—"
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        v = float(arr)
        if math.isnan(v):
            return "—"
        text = f"{v:.{digits}g}"
        return "0" if text == "-0" else text
    return "(" + ", ".join(fmt(v, digits) for v in arr.ravel()) + ")"


def print_json(payload: Any) -> None:
    """``payload`` as JSON on stdout, and nothing else (NaN and infinities become null)."""
    sys.stdout.write(json.dumps(_finite(payload), indent=2) + "\n")


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, np.generic):
        return _finite(obj.item())
    if isinstance(obj, np.ndarray):
        return _finite(obj.tolist())
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def csv_text(names: list[str], columns: list[list[Any]], added: dict[str, list[Any]]) -> str:
    """CSV text: the input columns as they were, then the added ones."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*names, *added])
    every = [*columns, *added.values()]
    for i in range(len(every[0]) if every else 0):
        writer.writerow([csv_cell(column[i]) for column in every])
    return buffer.getvalue()


def csv_cell(value: Any) -> str:
    """One CSV cell: an int as written, a float in its shortest exact form, None empty."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def check_output_path(path: Path, option: str, suffixes: Sequence[str] = ()) -> Path:
    """``path`` if its folder exists (the file itself may not) and its suffix is allowed."""
    if suffixes and path.suffix.lower() not in suffixes:
        raise typer.BadParameter(
            f"{str(path)!r} has an unsupported extension; use {', '.join(suffixes)}",
            param_hint=option,
        )
    folder = path.expanduser().parent
    if not folder.is_dir():
        raise typer.BadParameter(
            f"the folder {str(folder)!r} does not exist; create it or choose another path",
            param_hint=option,
        )
    if path.is_dir():
        raise typer.BadParameter(f"{str(path)!r} is a folder; give a file name", param_hint=option)
    return path.expanduser()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_not_overwriting(
    path: Path, option: str, inputs: Sequence[Path | None], force: bool
) -> None:
    """Refuse to write ``path`` over one of the command's ``inputs`` (even with ``--force``),
    or over any existing file unless ``force``."""
    for source in inputs:
        if source is not None and _same_file(path, source):
            raise typer.BadParameter(
                f"{str(path)!r} is an input of this command; write the output to another file",
                param_hint=option,
            )
    if not force and (path.exists() or path.is_symlink()):
        raise typer.BadParameter(
            f"{str(path)!r} already exists; add --force to replace it, or choose another path",
            param_hint=option,
        )


def _os_message(exc: OSError) -> str:
    name = exc.filename if exc.filename is not None else ""
    if isinstance(exc, FileNotFoundError):
        return f"no such file or folder: {name!r}; check the path"
    if isinstance(exc, IsADirectoryError):
        return f"{name!r} is a folder, not a file; give a file path"
    if isinstance(exc, PermissionError):
        return f"permission denied for {name!r}; choose a path you can read and write"
    reason = exc.strerror or str(exc)
    return f"{reason}: {name!r}; check the path" if name else f"{reason}; check the path"


def error_line(exc: BaseException, command: str | None) -> tuple[str, int]:
    """One line (without newline) that says what is wrong and what to do, and the exit code."""
    see = f"see 'descend {command} --help'" if command else "see 'descend --help'"
    code = EXIT_USAGE
    if isinstance(exc, typer.TyperException):
        message = exc.format_message()
    elif isinstance(exc, DescendError):
        message = str(exc)
    elif isinstance(exc, OSError):
        message = _os_message(exc)
    elif isinstance(exc, ValueError | TypeError | KeyError | IndexError):
        message = str(exc) or type(exc).__name__
    else:
        code = EXIT_INTERNAL
        message = (
            f"internal error ({type(exc).__name__}: {exc}); this is a bug in descend, please "
            "report it (set DESCEND_DEBUG=1 to see the traceback)"
        )
    message = " ".join(message.split())  # one line, whatever the message held
    if ";" not in message and code == EXIT_USAGE:
        message = f"{message.rstrip('.')}; {see}"
    return f"error: {message}", code


def command_of(args: Sequence[str]) -> str | None:
    """The sub-command named on a command line (the first word not starting with '-')."""
    for arg in args:
        if not arg.startswith("-"):
            return arg
    return None
