"""``descend minimize``: a formula or a built-in function, the trace and the result.

The command parses its options (:mod:`descend.cli.parse`), calls :func:`descend.minimize` or
:func:`descend.engine.strategies.random_restarts`, and presents the :class:`~descend.Result`: the
gradient formulas, a table of the steps, the result, optionally a figure or JSON.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table
from rich.text import Text

from descend.base.errors import DescendError, ExpressionError, UnknownNameError
from descend.base.names import did_you_mean, normalise
from descend.base.types import LearningRate
from descend.cli.common import (
    EXIT_DIVERGED,
    FIGURE_SUFFIXES,
    check_output_path,
    fmt,
    print_json,
    progress_bar,
    show_progress,
    stdout_console,
)
from descend.cli.parse import build_optimizer, parse_lr, parse_number, parse_schedule, parse_x0
from descend.engine.minimize import minimize
from descend.engine.result import Result
from descend.engine.strategies import RestartsResult, random_restarts
from descend.objectives.objective import Objective
from descend.objectives.resolve import as_objective
from descend.optim.rules import OPTIMIZERS
from descend.optim.transform import learning_rate_at

_IDENTIFIER = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_\- ]*\s*$")
#: A bare name that is read as a formula: a variable, f(x) = x, which is a letter with an
#: optional index (x, y, w1, x_2) or a Greek letter's name (theta, alpha); or the constant pi
#: (then refused as a constant, as e is).
_VARIABLE = re.compile(
    r"^\s*(?:[A-Za-z](?:_?[0-9]+)?|alpha|beta|gamma|delta|epsilon|eta|theta|lambda|mu|nu|"
    r"phi|psi|rho|sigma|tau|omega|pi)\s*$",
    re.IGNORECASE,
)


@dataclass
class Problem:
    """What is minimized: the object passed to the engine and how to present it."""

    source: Any
    name: str
    variables: tuple[str, ...]
    formula: str
    gradient_formulas: tuple[str, ...] = ()
    builtin: Any = None
    minima: list[list[float]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.variables)


def resolve_problem(text: str, variables: str | None, x0_text: str | None) -> Problem:
    """A built-in function (by name) or a parsed formula; unknown bare names are errors."""
    from descend.objectives.functions import FUNCTIONS, function

    key = normalise(text)
    if key in FUNCTIONS:
        fn = function(key)
        if x0_text is not None:
            count = len(x0_text.split(","))
            if count != fn.n:
                with contextlib.suppress(DescendError, TypeError):
                    fn = function(key, n=count)  # a fixed dimension: parse_x0 reports it
        minima = [list(map(float, np.ravel(m))) for m in (fn.minima or [])]
        return Problem(fn, fn.name, tuple(fn.variables), fn.formula, (), fn, minima)
    if _IDENTIFIER.match(text) and not _VARIABLE.match(text):
        hint = did_you_mean(key, FUNCTIONS)
        raise UnknownNameError(
            f"unknown function {text.strip()!r}; {hint}list the built-ins with "
            "'descend functions', or write a formula such as \"x**2 + y**2\""
        )
    names = None if variables is None else [v.strip() for v in variables.split(",")]
    from descend.objectives.expression import expression  # SymPy loads only for a formula

    expr = expression(text, names)
    if not expr.variables:
        raise ExpressionError(
            f"{text.strip()!r} is a constant: it has no variable to move; write a formula in "
            'at least one variable, e.g. "x**2" (e and pi are the constants)'
        )
    return Problem(expr, text, tuple(expr.variables), text, tuple(expr.gradient_formulas))


def _start(problem: Problem, x0_text: str | None) -> list[float]:
    if x0_text is not None:
        return parse_x0(x0_text, problem.variables, repr(problem.name))
    if problem.builtin is not None:
        return [float(v) for v in np.ravel(problem.builtin.x0)]
    return [1.0] * problem.n


def _domain(text: str | None, n: int) -> list[tuple[float, float]] | None:
    if text is None:
        return None
    parts = [p for p in text.split(",") if p.strip()]
    if len(parts) != 2:
        raise typer.BadParameter(
            f"{text!r} is not LOW,HIGH; write e.g. --domain -5,5", param_hint="--domain"
        )
    low, high = (parse_number(p, "--domain") for p in parts)
    if not low < high:
        raise typer.BadParameter(f"{text!r} needs LOW < HIGH", param_hint="--domain")
    return [(low, high)] * n


def _learning_rate(lr_text: str | None, schedule: str | None) -> LearningRate | str | None:
    lr = parse_lr(lr_text)
    if schedule is None:
        return lr
    if lr == "auto":
        raise typer.BadParameter("--schedule needs a numeric --lr, not auto", param_hint="--lr")
    lr0 = 0.01 if lr is None else float(lr)
    if lr0 <= 0:
        raise typer.BadParameter(
            f"lr={lr0} must be a positive number, e.g. --lr 0.01", param_hint="--lr"
        )
    return parse_schedule(schedule, lr0)


def _trace_table(problem: Problem, result: Result, every: int | None) -> Table:
    """Every ``every``-th step (about ten rows by default) with θ, f, ∇f and α.

    The α column is left out when the learning rate never changed (it is printed above).
    """
    h = result.history
    nit = len(h.fun) - 1
    k = every or max(1, math.ceil(nit / 10))
    rows = sorted(set(range(0, nit + 1, k)) | {nit})
    obj: Objective = as_objective(problem.source)
    varying = len(h.lr) > 1 and not np.allclose(h.lr, h.lr[0], equal_nan=True)
    table = Table(title="Trace", title_justify="left", header_style="bold")
    names = problem.variables
    show_each = problem.n <= 3
    columns = ["step", *(names if show_each else ["θ"]), "f"]
    columns += [f"∂f/∂{v}" for v in names] if show_each else []
    columns += ["‖∇f‖"] if problem.n > 1 or not show_each else []
    columns += ["α"] if varying else []
    for c in columns:
        table.add_column(c, justify="right", overflow="fold")
    for t in rows:
        x = h.x[t]
        with np.errstate(all="ignore"):
            g = obj.gradient(np.asarray(x, dtype=np.float64))
        cells = [str(t), *([fmt(v, 5) for v in x] if show_each else [fmt(x, 4)]), fmt(h.fun[t], 5)]
        cells += [fmt(v, 4) for v in g] if show_each else []
        cells += [fmt(h.grad_norm[t], 4)] if problem.n > 1 or not show_each else []
        cells += [fmt(h.lr[t], 4) if t < len(h.lr) else ""] if varying else []
        table.add_row(*cells)
    return table


def _summary_table(problem: Problem, result: Result, restarts: RestartsResult | None) -> Table:
    table = Table(title="Result", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("status", result.status)
    table.add_row("message", result.message)
    table.add_row(
        "x", ", ".join(f"{v} = {fmt(x)}" for v, x in zip(problem.variables, result.x, strict=False))
    )
    table.add_row("f(x)", fmt(result.fun, 10))
    table.add_row("‖∇f(x)‖", fmt(result.grad_norm, 4))
    table.add_row("steps", str(result.nit))
    minima = [m for m in problem.minima if len(m) == len(result.x)]
    if minima:
        dist = min(float(np.linalg.norm(result.x - np.asarray(m))) for m in minima)
        table.add_row("known minima", "; ".join(fmt(m) for m in minima))
        table.add_row("distance to nearest", fmt(dist, 4))
    if restarts is not None:
        found = restarts.distinct_minima(4)
        table.add_row(
            "restarts",
            f"{len(restarts.starts)} starts, {restarts.n_converged} "
            f"converged, best from start {fmt(restarts.starts[restarts.best_index])}",
        )
        table.add_row(
            "distinct minima",
            "; ".join(fmt(m) for m in found[:8]) + (" ..." if len(found) > 8 else ""),
        )
    return table


def _plot(problem: Problem, result: Result, path: Path, label: str, maximize: bool) -> None:
    from descend import plots

    path_xy = result.history.x
    # gradient ascent marks the maximum it reached, descent the known minima
    top = [result.x.tolist()] if maximize and result.status == "converged" else None
    lows = () if maximize else (problem.minima or None)
    verb = "ascent" if maximize else "descent"
    shown = problem.builtin.title if problem.builtin is not None else problem.name
    if problem.n == 2:
        fig = plots.plot_contour(
            problem.source,
            [path_xy],
            labels=[label],
            minima=lows,
            maxima=top,
            title=f"Gradient {verb} on {shown}",
        )
    elif problem.n == 1:
        obj = as_objective(problem.source)
        fig = plots.plot_curve_1d(
            problem.source,
            path_xy,
            grad=obj.gradient,
            maxima=top,
            title=f"Gradient {verb} on {shown}",
        )
        if maximize:
            _drop_minimum(fig)
    else:
        fig = plots.plot_loss(
            [result.history.fun], labels=[label], ylabel="f(θ)", title=f"f per step: {shown}"
        )
    plots.save_figure(fig, path)


def _drop_minimum(fig: Any) -> None:
    """An ascent's curve: leave out the built-in's minima, which are not its goal."""
    ax = fig.axes[0]
    for artist in list(ax.collections):
        if artist.get_label() == "minimum":
            artist.remove()
    ax.legend(framealpha=0.9)


def _lr_used(optimizer: str, lr: str | None) -> float:
    """The learning rate a run uses: the one given, else the optimizer's default."""
    if lr is not None:
        return float(lr)
    return float(inspect.signature(OPTIMIZERS[optimizer]).parameters["lr"].default)


def _payload(
    problem: Problem,
    result: Result,
    settings: dict[str, Any],
    restarts: RestartsResult | None,
    history: bool = False,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "function": problem.name,
        "formula": problem.formula,
        "variables": list(problem.variables),
        "gradient_formulas": list(problem.gradient_formulas),
        **settings,
        **result.to_dict(with_history=history),
    }
    if restarts is not None:
        payload["restarts"] = {
            "n_starts": len(restarts.starts),
            "n_converged": restarts.n_converged,
            "best_index": restarts.best_index,
            "best_start": restarts.starts[restarts.best_index].tolist(),
            "distinct_minima": restarts.distinct_minima(4).tolist(),
        }
    return payload


def minimize_command(
    function: Annotated[
        str,
        typer.Argument(
            help='A formula such as "x**2 + y**2" (variables in alphabetical order), or the '
            "name of a built-in function (see 'descend functions').",
            show_default=False,
        ),
    ],
    x0: Annotated[
        str | None,
        typer.Option(
            "--x0",
            help="Start: one number per variable, separated by commas, e.g. 3,4. "
            "Default: the built-in's start, or 1 for every variable of a formula.",
        ),
    ] = None,
    variables: Annotated[
        str | None,
        typer.Option(help="Variable order of a formula, e.g. y,x (default: alphabetical)."),
    ] = None,
    optimizer: Annotated[
        str | None,
        typer.Option(
            help="Update rule, optionally with hyperparameters: sgd, momentum, nesterov, adagrad, "
            "rmsprop, adam, amsgrad, adamw; e.g. momentum:beta=0.95. Default: sgd, or adam "
            "with --restarts (as in descend.random_restarts).",
            show_default=False,
        ),
    ] = None,
    lr: Annotated[
        str | None,
        typer.Option(
            help="Learning rate α (a positive number), or 'auto' for a backtracking line search. "
            "Default: the optimizer's own.",
            show_default=False,
        ),
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option(
            help="Decay of α from --lr: time_decay:k=0.1, step_decay:milestones=30/60,gamma=0.1, "
            "exponential:gamma=0.99, cosine:decay_steps=100, warmup:steps=10, or "
            "warmup:steps=10+cosine:decay_steps=100."
        ),
    ] = None,
    max_iter: Annotated[int, typer.Option(help="Most updates to make.")] = 1000,
    tol: Annotated[
        float, typer.Option(help="Stop when the gradient norm falls below this.")
    ] = 1e-6,
    patience: Annotated[
        int | None, typer.Option(help="Stop when f has not improved for this many steps.")
    ] = None,
    maximize: Annotated[
        bool, typer.Option("--maximize", help="Gradient ascent: climb to a maximum.")
    ] = False,
    restarts: Annotated[
        int, typer.Option(help="Run from this many random starts in --domain and keep the best.")
    ] = 0,
    domain: Annotated[
        str | None,
        typer.Option(
            help="Box LOW,HIGH for every variable, where --restarts draws its starts "
            "(default: the built-in's domain)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random starts.")] = 0,
    clip_value: Annotated[
        float | None,
        typer.Option("--clip", help="Clip each gradient component to [-C, C] before the update."),
    ] = None,
    clip_max_norm: Annotated[
        float | None,
        typer.Option(
            "--clip-norm", help="Rescale the gradient to norm at most C before the update."
        ),
    ] = None,
    log_every: Annotated[
        int | None,
        typer.Option(help="Show every K-th step in the trace (default: about ten rows)."),
    ] = None,
    plot: Annotated[
        Path | None,
        typer.Option(
            help="Save a figure (PNG, SVG or PDF): the contour with the path for two variables, "
            "the curve with the steps for one, the loss curve otherwise."
        ),
    ] = None,
    json_out: Annotated[
        bool,
        typer.Option("--json", help="Print the result as JSON only: settings and summary."),
    ] = False,
    history: Annotated[
        bool,
        typer.Option(
            "--history", help="With --json, include the history (θ, f, ‖∇f‖, α per step)."
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Print the result only: no formulas, trace or progress."
        ),
    ] = False,
) -> None:
    """Minimize a formula or a built-in function by gradient descent.

    Prints the gradient formulas, a trace of the steps (θ, f, ∇f, α) and the result. A run that
    diverges says so and exits with code 1.
    """
    if log_every is not None and log_every < 1:
        raise typer.BadParameter(f"{log_every} must be >= 1", param_hint="--log-every")
    if restarts < 0:
        raise typer.BadParameter(f"{restarts} must be >= 0", param_hint="--restarts")
    for value, option in ((clip_value, "--clip"), (clip_max_norm, "--clip-norm")):
        if value is not None and not value > 0:
            raise typer.BadParameter(
                f"{value} must be a positive number, e.g. {option} 10", param_hint=option
            )
    if plot is not None:
        plot = check_output_path(plot, "--plot", FIGURE_SUFFIXES)
    if history and not json_out:
        raise typer.BadParameter("--history goes with --json", param_hint="--history")
    problem = resolve_problem(function.strip(), variables, x0)
    if optimizer is None:
        optimizer = "adam" if restarts else "sgd"
    if restarts and problem.builtin is None and domain is None:
        raise typer.BadParameter(
            "--restarts on a formula needs a box to draw the starts from; add e.g. --domain -5,5",
            param_hint="--domain",
        )
    start = _start(problem, x0)
    lr_value = _learning_rate(lr, schedule)
    auto = lr_value == "auto"
    if auto and restarts:
        raise typer.BadParameter(
            "--lr auto cannot be combined with --restarts; give a number", param_hint="--lr"
        )
    rate: LearningRate | None = 1.0 if isinstance(lr_value, str) else lr_value
    opt_name, opt = build_optimizer(
        optimizer, rate, clip_value=clip_value, clip_max_norm=clip_max_norm
    )
    settings = {
        "x0": start,
        "optimizer": opt_name,
        "optimizer_spec": optimizer,
        "lr": "auto" if auto else _lr_used(opt_name, lr),
        "schedule": schedule,
        "clip": clip_value,
        "clip_norm": clip_max_norm,
        "maximize": maximize,
        "max_iter": max_iter,
        "tol": tol,
    }
    out = stdout_console(quiet=json_out)
    if not quiet:
        where = None
        if restarts:
            box = _domain(domain, problem.n) or list(problem.builtin.domain)
            where = f"{restarts} random starts in {' × '.join(fmt(b) for b in box)}"
        _print_problem(out, problem, start, optimizer, lr, schedule, x0 is None, where)
    rr: RestartsResult | None = None
    with progress_bar(show_progress(quiet, json_out), "minimizing", None):
        if restarts:
            rr = random_restarts(
                problem.source,
                restarts,
                domain=_domain(domain, problem.n),
                optimizer=opt,
                max_iter=max_iter,
                tol=tol,
                maximize=maximize,
                seed=seed,
            )
            result = rr.best
        else:
            result = minimize(
                problem.source,
                start,
                optimizer=opt,
                lr="auto" if auto else None,
                max_iter=max_iter,
                tol=tol,
                patience=patience,
                maximize=maximize,
            )
    result = _with_lrs(result, lr_value)
    if plot is not None:
        _plot(problem, result, plot, opt_name, maximize)
    if json_out:
        print_json(_payload(problem, result, settings, rr, history))
    else:
        if not quiet:
            out.print(_trace_table(problem, result, log_every))
        out.print(_summary_table(problem, result, rr))
        if plot is not None and not quiet:
            out.print(f"figure saved to {plot}")
    if result.status == "diverged":
        sys.stderr.write(f"{result.message}\n")
        raise typer.Exit(EXIT_DIVERGED)


def _with_lrs(result: Result, lr: LearningRate | str | None) -> Result:
    """Fill in the learning rates of a chain (clipping) that the history could not read."""
    h = result.history
    if lr is None or isinstance(lr, str) or not len(h.lr) or not np.isnan(h.lr).all():
        return result
    lrs = np.array([learning_rate_at(lr, t) for t in range(len(h.lr))])
    return dataclasses.replace(result, history=dataclasses.replace(h, lr=lrs))


def _print_problem(
    out: Any,
    problem: Problem,
    start: list[float],
    optimizer: str,
    lr: str | None,
    schedule: str | None,
    default_start: bool,
    restarts: str | None,
) -> None:
    args = ", ".join(problem.variables)
    if problem.builtin is not None:
        out.print(
            Text.assemble((problem.builtin.title, "bold"), f": f({args}) = {problem.formula}")
        )
    else:
        out.print(f"f({args}) = {problem.formula}", markup=False)
    for v, g in zip(problem.variables, problem.gradient_formulas, strict=False):
        out.print(f"  ∂f/∂{v} = {g}", markup=False)
    note = "  (default start; set it with --x0)" if default_start else ""
    out.print(restarts or f"start x0 = {fmt(start)}{note}", markup=False)
    name = optimizer.partition(":")[0].strip().lower()
    default = inspect.signature(OPTIMIZERS[name]).parameters["lr"].default
    rate = f"{default:g} (the optimizer's default)" if lr is None else lr
    out.print(
        f"optimizer {optimizer}, α = {rate}" + (f", schedule {schedule}" if schedule else ""),
        markup=False,
    )
