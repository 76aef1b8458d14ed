"""The ``descend`` command line: a thin face over the engine.

Commands: ``minimize``, ``fit``, ``predict``, ``functions`` and ``optimizers`` (the
``demo`` and ``lab`` faces are added by :mod:`descend.main`). Each parses its options,
calls the engine and presents the result; none does any of the maths.

Every error, whether from descend, from an option or from a file, ends as one line on stderr
(``error: WHAT; WHAT TO DO``) and exit code 2; a run that diverged exits with code 1; nothing
ever prints a traceback (``DESCEND_DEBUG=1`` shows it, for developers).
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, cast

import typer
from rich.table import Table
from typer.core import TyperGroup

from descend.cli.common import EXIT_USAGE, command_of, error_line
from descend.cli.common import stdout_console as _console
from descend.cli.fit import fit_command
from descend.cli.minimize import minimize_command
from descend.cli.parse import SCHEDULE_NAMES, parameters_of
from descend.cli.predict import predict_command
from descend.optim.rules import OPTIMIZERS


class _Group(TyperGroup):
    """The root group: every failure becomes one line on stderr and an exit code."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = _formula_first(self, list(sys.argv[1:] if args is None else args))
        _plain_flags(self)
        try:
            rv = super().main(
                argv, prog_name or "descend", complete_var, standalone_mode=False, **extra
            )
        except typer.Exit as exc:
            rv = exc.exit_code
        except typer.Abort:
            sys.stderr.write("aborted\n")
            rv = 130
        except Exception as exc:  # every error ends here, as one line
            if os.environ.get("DESCEND_DEBUG"):
                raise
            if _is_help_request(exc):
                sys.stdout.write(exc.format_message() + "\n")  # type: ignore[attr-defined]
                rv = 0
            else:
                command = command_of(argv)
                line, rv = error_line(exc, command if command in self.commands else None)
                sys.stderr.write(line + "\n")
        code = rv if isinstance(rv, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _plain_flags(group: TyperGroup) -> None:
    """Show on/off flags without a ``<bool>`` type in the help: they take no value.

    Also joins the lines of each paragraph of a command's help, so that the terminal wraps
    them (rich keeps a docstring's line breaks).
    """
    commands = [group, *group.commands.values()]
    for command in commands:
        if command.help:
            paragraphs = command.help.split("\n\n")
            command.help = "\n\n".join(" ".join(p.split()) for p in paragraphs)
        help_option = command.get_help_option(typer.Context(command, info_name=command.name))
        params: list[Any] = [*command.params, help_option]
        for param in params:
            if getattr(param, "is_flag", False):
                # typer's help shows every option's type; a flag has none to show
                param.display_type_rich = _no_type


def _no_type(ctx: Any = None) -> None:
    """No type column for a flag."""


def _formula_first(group: TyperGroup, argv: list[str]) -> list[str]:
    """``descend minimize "-x**2"``: the formula is the argument, not an unknown option.

    The first word after ``minimize`` that is neither one of its options nor an option's value
    is its FUNCTION argument; a formula there that starts with "-" gets a leading space, which
    the formula reader ignores, so that it is not read as an option.
    """
    command = group.commands.get("minimize")
    if command is None or command_of(argv) != "minimize" or "--" in argv:
        return argv
    takes_value: set[str] = set()
    flags: set[str] = set()
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option":
            names = [*param.opts, *param.secondary_opts]
            is_flag = getattr(param, "is_flag", False) or getattr(param, "count", False)
            (flags if is_flag else takes_value).update(names)
    flags.update(("--help",))
    out = list(argv)
    i = argv.index("minimize") + 1
    while i < len(out):
        word = out[i]
        name = word.split("=", 1)[0]
        if name in takes_value:
            i += 1 if "=" in word else 2
        elif name in flags:
            i += 1
        else:
            if word.startswith("-") and len(word) > 1:
                out[i] = " " + word
            break
    return out


def _is_help_request(exc: Exception) -> bool:
    """``descend`` (or a group) called without arguments: show the help, not an error."""
    return type(exc).__name__ == "NoArgsIsHelpError"


app = typer.Typer(
    name="descend",
    cls=_Group,
    help="Gradient descent, every variant, done right: minimize functions, fit models, "
    "and see each step.",
    epilog="Examples:\n\n"
    '  descend minimize "x**2 + y**2" --x0 3,4 --lr 0.1\n\n'
    "  descend minimize rosenbrock --optimizer adam --lr 0.05 --max-iter 5000\n\n"
    "  descend fit --dataset house_prices --out model.json\n\n"
    "  descend predict model.json new_houses.csv --out predictions.csv\n\n"
    "  descend demo --out descend-demo\n\n"
    "Run 'descend COMMAND --help' for the options and examples of a command.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

_MINIMIZE_EXAMPLES = (
    "Examples:\n\n"
    '  descend minimize "x**2" --x0 10 --lr 0.1 --max-iter 10 --log-every 1\n\n'
    '  descend minimize "x**2 + y**2" --x0 3,4 --optimizer adam --lr 0.1\n\n'
    "  descend minimize rosenbrock --optimizer momentum:beta=0.9 --lr 0.001 --max-iter 20000\n\n"
    '  descend minimize "(1 - x)**2 + 100*(y - x**2)**2" --x0 -1.2,1 --lr auto '
    "--plot path.png\n\n"
    "  descend minimize double_well --restarts 20 --optimizer adam --lr 0.05\n\n"
    '  descend minimize "4 - x**2 - y**2" --x0 1,2 --maximize --lr 0.1\n\n'
    '  descend minimize "x**4" --x0 10 --lr 0.01 --clip 10\n\n'
    "  descend minimize sphere --lr 0.5 --schedule step_decay:milestones=30/60,gamma=0.1 --json"
)
_FIT_EXAMPLES = (
    "Examples:\n\n"
    "  descend fit                                   (house prices, bundled)\n\n"
    "  descend fit --dataset hours_studied --lr 0.05 --epochs 500\n\n"
    "  descend fit --dataset iris --task classification --optimizer adam --lr auto\n\n"
    "  descend fit houses.csv --target price --scale --batch-size 32 --out model.json\n\n"
    "  descend fit data.parquet --target label --task classification --loss hinge --json"
)
_PREDICT_EXAMPLES = (
    "Examples:\n\n"
    "  descend predict model.json new_houses.csv\n\n"
    "  descend predict model.json new_houses.csv --out predictions.csv\n\n"
    "  descend predict classifier.json new_students.csv --proba"
)


def _version(value: bool) -> None:
    if value:
        from descend.base.version import __version__

        sys.stdout.write(f"descend {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Gradient descent, every variant, done right: minimize functions, fit models, and see
    each step."""


app.command("minimize", epilog=_MINIMIZE_EXAMPLES)(minimize_command)
app.command("fit", epilog=_FIT_EXAMPLES)(fit_command)
app.command("predict", epilog=_PREDICT_EXAMPLES)(predict_command)


@app.command("functions", epilog="Examples:\n\n  descend functions\n\n  descend functions --json")
def functions_command(
    json_out: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the built-in test functions with their formulas, starts and known minima."""
    from descend.cli.common import print_json
    from descend.objectives.functions import FUNCTIONS, function

    rows: list[dict[str, Any]] = []
    for name in FUNCTIONS:
        fn = function(name)
        rows.append(
            {
                "name": name,
                "title": fn.title,
                "formula": fn.formula,
                "n": fn.n,
                "variables": list(fn.variables),
                "x0": _floats(fn.x0),
                "minima": [_floats(m) for m in (fn.minima or [])],
                "fmin": fn.fmin,
                "domain": [_floats(d) for d in (fn.domain or [])],
            }
        )
    if json_out:
        print_json(rows)
        return
    table = Table(
        title="Built-in functions (descend minimize NAME)",
        title_justify="left",
        header_style="bold",
        show_lines=True,
    )
    for column in ("name", "f", "start", "minima", "f min"):
        table.add_column(column, overflow="fold")
    from descend.cli.common import fmt

    for row in rows:
        args = ", ".join(row["variables"])
        minima = "; ".join(fmt(m, 5) for m in row["minima"][:4])
        more = " ..." if len(row["minima"]) > 4 else ""
        table.add_row(
            row["name"],
            f"{row['title']}\nf({args}) = {row['formula']}",
            fmt(row["x0"]),
            minima + more,
            fmt(row["fmin"]),
        )
    _console().print(table)


def _floats(value: Any) -> list[float]:
    import numpy as np

    return [float(v) for v in np.ravel(np.asarray(value, dtype=np.float64))]


def optimizer_formula(name: str) -> str:
    """The update rule of optimizer ``name``, from its factory's docstring."""
    doc = inspect.getdoc(OPTIMIZERS[name]) or ""
    paragraphs = [" ".join(p.split()) for p in doc.split("\n\n") if p.strip()]
    text = paragraphs[0] if paragraphs else name
    if len(paragraphs) > 1:
        sentences = [s.strip() for s in paragraphs[1].split(". ")]
        text += "".join(" " + s.rstrip(".") + "." for s in sentences if "←" in s)
    return text.replace("``", "")


@app.command(
    "optimizers", epilog="Examples:\n\n  descend optimizers\n\n  descend optimizers --json"
)
def optimizers_command(
    json_out: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """List the update rules with their formulas and hyperparameters, and the schedules."""
    from descend.cli.common import print_json

    rows: list[dict[str, Any]] = []
    for name, factory in OPTIMIZERS.items():
        params = inspect.signature(factory).parameters
        defaults = {
            k: p.default for k, p in params.items() if p.default is not inspect.Parameter.empty
        }
        rows.append({"name": name, "formula": optimizer_formula(name), "defaults": defaults})
    schedules: list[dict[str, Any]] = [
        {"name": n, "formula": _schedule_formula(n), "parameters": _schedule_params(n)}
        for n in SCHEDULE_NAMES
    ]
    if json_out:
        print_json({"optimizers": rows, "schedules": schedules})
        return
    table = Table(
        title="Optimizers (--optimizer NAME[:key=value,...])",
        title_justify="left",
        header_style="bold",
        show_lines=True,
    )
    table.add_column("name", style="bold")
    table.add_column("update rule", overflow="fold")
    table.add_column("defaults", overflow="fold")
    for row in rows:
        table.add_row(
            row["name"], row["formula"], ", ".join(f"{k}={v}" for k, v in row["defaults"].items())
        )
    out = _console()
    out.print(table)
    sched = Table(
        title="Schedules (--schedule NAME:key=value,...; α₀ is --lr)",
        title_justify="left",
        header_style="bold",
    )
    sched.add_column("name", style="bold")
    sched.add_column("learning rate at update t", overflow="fold")
    sched.add_column("parameters")
    for row in schedules:
        sched.add_row(row["name"], row["formula"], ", ".join(row["parameters"]) or "—")
    out.print(sched)


def _schedule_formula(name: str) -> str:
    from descend.optim.schedules import SCHEDULES, warmup

    factory = warmup if name == "warmup" else cast(Callable[..., Any], SCHEDULES[name])
    doc = inspect.getdoc(factory) or ""
    return " ".join(doc.split("\n\n")[0].split()).replace("``", "")


def _schedule_params(name: str) -> list[str]:
    from descend.optim.schedules import SCHEDULES

    if name == "warmup":
        return ["steps"]
    return parameters_of(cast(Callable[..., Any], SCHEDULES[name]))[1:]


__all__ = ["EXIT_USAGE", "app"]
