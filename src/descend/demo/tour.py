"""The demo tour: every lesson of the introductory articles, run by the engine, in a minute.

:func:`run_demo` runs the parts in order, prints a readable summary, and writes the figures
(PNG), an animated race (GIF) and an ``index.html`` report into the output folder:

1. f(x) = x² from x = 10 with α = 0.1: the step table and the curve with the steps and slopes.
2. The seeds' linear regression (hours studied → exam score, and house prices): the seeds'
   program run exactly (its printout differs, and the report shows both), batch, stochastic
   and mini-batch descent, each optimizer, the exact least-squares line, the bowl and the
   contour with the three paths.
3. The learning rate too small, right and too large; divergence reported as such.
4. Momentum, RMSprop, Adam and AdaGrad racing on Rosenbrock and on the saddle x² − y².
5. Random restarts and simulated annealing on the double well.
6. Gradient ascent, a decay schedule and gradient clipping.
7. A 10-layer network: vanishing and exploding gradients, the fixes (ReLU + He, clipping,
   Adam), and a saddle point that stops full-batch descent while noise escapes it.

The demo draws no random numbers except from seeded generators, so two runs print the same.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from descend.demo.common import Tour
from descend.demo.deep import deep_networks
from descend.demo.optimizers import global_minimum, more_tools, race
from descend.demo.regression import learning_rates, parabola, regression
from descend.demo.report import write_report

#: The parts of the tour, in order: (name, function).
PARTS: tuple[tuple[str, Callable[[Tour], dict[str, Any]]], ...] = (
    ("parabola", parabola),
    ("regression", regression),
    ("learning_rates", learning_rates),
    ("race", race),
    ("global_minimum", global_minimum),
    ("tools", more_tools),
    ("deep", deep_networks),
)

#: What the tour is about, in one paragraph: the lessons of the articles descend follows.
ARTICLES = (
    "This tour follows four introductory articles on gradient descent, written for people "
    "preparing for interviews or starting machine learning. They teach the update rule "
    "θ ← θ − α∇J(θ) on f(x) = x² and on a linear regression of exam scores on hours "
    "studied; the cost as a mean squared error, and the losses of classification "
    "(cross-entropy, hinge); batch, stochastic and mini-batch descent; how "
    "the learning rate α makes descent crawl, converge or diverge; momentum, RMSprop, Adam "
    "and AdaGrad; local minima, random restarts and simulated annealing; gradient ascent, "
    "decay schedules and gradient clipping."
)

_SUBTITLE = (
    f"{ARTICLES} Each lesson below runs on descend's engine; where an article prints example "
    "output, the report sets it beside exact arithmetic; the last part shows the troubles "
    "of deep networks."
)


_FOOTER = (
    "Every number on this page was computed when it was written, by descend's engine "
    "(the exact least-squares lines by numpy.linalg.lstsq), except the articles' own "
    "printouts, quoted for comparison."
)


def run_demo(
    out_dir: Path | str = "descend-demo", *, quiet: bool = False, console: Console | None = None
) -> dict[str, Any]:
    """Run the tour, write its figures and ``index.html`` into ``out_dir``, return a summary.

    Parameters
    ----------
    out_dir : path, default="descend-demo"
        The output folder; created if missing. Files of an earlier run are overwritten.
    quiet : bool, default=False
        Print nothing (the report is still written).
    console : rich Console, optional
        Where to print; a new console on stdout by default. A progress bar is shown only
        when it is a terminal and ``quiet`` is False.

    Returns
    -------
    dict
        ``report`` (the path of index.html), ``figures`` (paths of the images written, in
        order), ``seconds`` (the run time) and ``parts`` (each part's key numbers).
    """
    start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    console = console or Console()
    tour = Tour(out, console, quiet)
    results: dict[str, Any] = {}
    bar = not quiet and console.is_terminal
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not bar,
    ) as progress:
        task = progress.add_task("demo", total=len(PARTS))
        for name, part in PARTS:
            progress.update(task, description=f"demo: {name.replace('_', ' ')}")
            results[name] = part(tour)
            progress.advance(task)
    seconds = time.perf_counter() - start
    report = write_report(
        out,
        [p.section() for p in tour.parts],
        title="descend: a tour of gradient descent",
        subtitle=_SUBTITLE + f" This run took {seconds:.1f} s.",
        footer=_FOOTER,
    )
    if not quiet:
        console.print()
        console.print(
            f"{len(tour.files)} figures and the report written to {out} in "
            f"{seconds:.1f} s; open {report}",
            markup=False,
        )
    return {
        "report": report,
        "out_dir": out,
        "figures": list(tour.files),
        "seconds": seconds,
        "parts": results,
    }
