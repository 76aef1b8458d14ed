"""The ``descend`` console script: one command line for every face.

:mod:`descend.cli` holds the commands over the engine (minimize, fit, predict, functions,
optimizers). The other faces are Python APIs (:func:`descend.demo.tour.run_demo`, ...); this
module, the one place above all faces, wraps them as commands (``demo``, ``lab``) on the same
command line, so that the faces never import each other.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from descend.cli.app import app
from descend.cli.common import stdout_console as _console


@app.command("demo", epilog="Examples:\n\n  descend demo\n\n  descend demo --out /tmp/tour -q")
def demo_command(
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder for the figures and index.html (created if missing)."),
    ] = Path("descend-demo"),
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only where the report was written.")
    ] = False,
) -> None:
    """A tour of gradient descent on bundled data: figures and an HTML report in a minute.

    The lessons of introductory articles on gradient descent, each run by descend's engine:
    the update rule on f(x) = x², linear regression by batch, stochastic and mini-batch
    descent, the learning rate, momentum, RMSprop, Adam and AdaGrad, restarts and
    annealing, ascent, schedules and clipping. Writes the figures (PNG), an animated race
    (GIF) and an index.html report into --out.
    """
    from descend.demo.tour import run_demo

    if out.exists() and not out.is_dir():
        raise typer.BadParameter(f"{str(out)!r} is a file; give a folder", param_hint="--out")
    summary = run_demo(out, quiet=quiet, console=_console(quiet=quiet))
    if quiet:
        sys.stdout.write(f"{summary['report']}\n")


@app.command("lab", epilog="Examples:\n\n  descend lab\n\n  descend lab --port 9000 --no-browser")
def lab_command(
    host: Annotated[
        str, typer.Option("--host", help="Interface to bind; the default serves this machine only.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.", min=0, max=65535)] = 8765,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open the page in a browser.")
    ] = False,
) -> None:
    """The lab: type a function, race the optimizers, train a model, live in the browser.

    Serves a local web app at http://HOST:PORT/ until Ctrl-C. Needs the lab extra:
    pip install "descend\\[lab]".
    """
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401  (checked here: the lab extra may be missing)

        from descend.lab.server import serve
    except ImportError:
        sys.stderr.write('descend lab needs starlette and uvicorn: pip install "descend[lab]"\n')
        raise typer.Exit(1) from None
    from descend.base.errors import DescendError

    try:
        serve(host, port, open_browser=not no_browser)
    except DescendError as exc:
        sys.stderr.write(f"descend lab: {exc}\n")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        sys.stdout.write("descend lab: stopped\n")


def main(argv: Sequence[str] | None = None) -> None:
    """The ``descend`` console script (and ``python -m descend``)."""
    app(args=list(argv) if argv is not None else None, prog_name="descend")


__all__ = ["app", "main"]
