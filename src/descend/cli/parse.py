"""Parsing the command line's small languages: points, learning rates, optimizers, schedules.

Nothing here is evaluated as Python: every value is split on fixed separators and converted
with ``float``/``int``. The syntax, shared by ``--optimizer`` and ``--schedule``::

    NAME[:KEY=VALUE[,KEY=VALUE...]]

    --x0 3,4                                  one number per variable, in order
    --lr 0.1 | --lr auto                      a positive number, or a line search
    --optimizer adam:beta1=0.8,beta2=0.99     a rule and its hyperparameters
    --schedule time_decay:k=0.1               α_t = α₀ / (1 + k·t)
    --schedule step_decay:milestones=30/60,gamma=0.1
    --schedule exponential:gamma=0.99 | cosine:decay_steps=100 | warmup:steps=10
    --schedule warmup:steps=10+cosine:decay_steps=100   a warm-up, then a decay

Problems raise :class:`typer.BadParameter` naming the option, the bad text and the fix.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any, cast

import typer

from descend.base.types import LearningRate
from descend.optim.rules import OPTIMIZERS
from descend.optim.schedules import SCHEDULES, constant, warmup
from descend.optim.transform import GradientTransformation, chain, clip, clip_norm

#: The schedule names the CLI knows: the engine's SCHEDULES plus the warm-up wrapper.
SCHEDULE_NAMES: tuple[str, ...] = (*SCHEDULES, "warmup")

#: Option spellings that the schedule syntax accepts for the engine's parameter names.
_SCHEDULE_ALIASES = {"warmup": {"steps": "warmup_steps", "n": "warmup_steps"}}


def parse_number(text: str, option: str) -> float:
    """A finite float from ``text``, or BadParameter naming ``option``.

    Numbers are written plainly (``1000``, ``-0.5``, ``1e-3``): Python's digit-group
    underscores (``1_000``) are refused, as in expressions, so a typo is never read as a number.
    """
    if "_" in text:
        raise typer.BadParameter(
            f"{text!r} is not a number; write it without underscores, e.g. 1000",
            param_hint=option,
        )
    try:
        value = float(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a number", param_hint=option) from None
    if not math.isfinite(value):
        raise typer.BadParameter(f"{text!r} is not a finite number", param_hint=option)
    return value


def parse_x0(text: str, variables: Sequence[str], name: str) -> list[float]:
    """``"3,4"`` as ``[3.0, 4.0]``, checked to hold one value per variable."""
    parts = [p.strip() for p in text.replace(";", ",").split(",")]
    if any(not p for p in parts):
        raise typer.BadParameter(
            f"{text!r} has an empty entry; write numbers separated by commas, e.g. --x0 3,4",
            param_hint="--x0",
        )
    values = [parse_number(p, "--x0") for p in parts]
    n = len(variables)
    if len(values) != n:
        example = ",".join(["1"] * n)
        raise typer.BadParameter(
            f"got {len(values)} value(s) but {name} takes {n} ({', '.join(variables)}); "
            f"give one per variable, e.g. --x0 {example}",
            param_hint="--x0",
        )
    return values


def parse_lr(text: str | None) -> float | str | None:
    """``None`` (the optimizer's default), ``"auto"``, or a number (checked by the engine)."""
    if text is None:
        return None
    if text.strip().lower() == "auto":
        return "auto"
    return parse_number(text, "--lr")


def _value(text: str, option: str) -> Any:
    """A parameter value: true/false, a whole number, a float, or a ``/``-separated list."""
    low = text.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if "/" in text:
        return [_value(part, option) for part in text.split("/")]
    try:
        return int(low)
    except ValueError:
        return parse_number(text, option)


def parse_spec(text: str, option: str, names: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """``"NAME:key=value,key=value"`` as ``(name, {key: value})``, name checked in ``names``."""
    head, _, tail = text.strip().partition(":")
    name = head.strip().lower().replace("-", "_")
    if name not in names:
        raise typer.BadParameter(
            f"unknown name {head.strip()!r}; choose one of: {', '.join(names)}", param_hint=option
        )
    params: dict[str, Any] = {}
    for item in filter(None, (s.strip() for s in tail.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip() or not value.strip():
            raise typer.BadParameter(
                f"{item!r} in {text!r} is not KEY=VALUE; write e.g. {name}:"
                f"{_example_param(name, option)}",
                param_hint=option,
            )
        params[key.strip().lower()] = _value(value, option)
    return name, params


def _example_param(name: str, option: str) -> str:
    examples = {
        "time_decay": "k=0.1",
        "step_decay": "milestones=30/60,gamma=0.1",
        "exponential": "gamma=0.99",
        "cosine": "decay_steps=100",
        "warmup": "steps=10",
        "constant": "",
        "momentum": "beta=0.9",
        "adam": "beta1=0.9,beta2=0.999",
    }
    return examples.get(name, "beta=0.9" if option == "--optimizer" else "k=0.1")


def parameters_of(factory: Callable[..., Any]) -> list[str]:
    """The keyword parameters a factory accepts."""
    return list(inspect.signature(factory).parameters)


def _call(
    factory: Callable[..., Any],
    args: tuple[Any, ...],
    params: dict[str, Any],
    what: str,
    option: str,
) -> Any:
    accepted = parameters_of(factory)
    for key in params:
        if key not in accepted[len(args) :]:
            raise typer.BadParameter(
                f"{what} has no parameter {key!r}; its parameters are: "
                f"{', '.join(accepted[len(args) :]) or 'none'}",
                param_hint=option,
            )
    missing = [
        p.name
        for p in list(inspect.signature(factory).parameters.values())[len(args) :]
        if p.default is inspect.Parameter.empty and p.name not in params
    ]
    if missing:
        raise typer.BadParameter(
            f"{what} needs {', '.join(missing)}; write e.g. {option} "
            f"{what}:{_example_param(what, option)}",
            param_hint=option,
        )
    return factory(*args, **params)


def parse_schedule(text: str, lr0: float) -> LearningRate:
    """A schedule starting from ``lr0``: one name, or ``warmup:...+NAME:...``.

    An empty part (``warmup:steps=10+``) is an error, not a schedule left out.
    """
    parts = [s.strip() for s in text.split("+")]
    if "" in parts and len(parts) > 1:
        raise typer.BadParameter(
            f"{text!r} has an empty part around '+'; write e.g. "
            "warmup:steps=10+cosine:decay_steps=100, or one schedule without '+'",
            param_hint="--schedule",
        )
    if not parts[0] or len(parts) > 2:
        raise typer.BadParameter(
            f"{text!r}: give one schedule, or a warm-up then one schedule "
            "(e.g. warmup:steps=10+cosine:decay_steps=100)",
            param_hint="--schedule",
        )
    specs = [parse_spec(p, "--schedule", SCHEDULE_NAMES) for p in parts]
    if len(specs) == 2 and (specs[0][0] != "warmup" or specs[1][0] == "warmup"):
        raise typer.BadParameter(
            f"{text!r}: only 'warmup:steps=N+SCHEDULE' combines two schedules",
            param_hint="--schedule",
        )
    name, params = specs[-1]
    base: LearningRate = constant(lr0)
    if name != "warmup":
        factory = cast(Callable[..., Any], SCHEDULES[name])
        base = _call(factory, (lr0,), params, name, "--schedule")
    if specs[0][0] == "warmup":
        params = {_SCHEDULE_ALIASES["warmup"].get(k, k): v for k, v in specs[0][1].items()}
        base = _call(warmup, (), {**params, "then": base}, "warmup", "--schedule")
    return base


def build_optimizer(
    spec: str,
    lr: LearningRate | None,
    *,
    clip_value: float | None = None,
    clip_max_norm: float | None = None,
) -> tuple[str, GradientTransformation]:
    """The optimizer named by ``spec`` (``"adam:beta1=0.8"``), with clipping in front."""
    name, params = parse_spec(spec, "--optimizer", tuple(OPTIMIZERS))
    if "lr" in params:
        raise typer.BadParameter(
            "set the learning rate with --lr, not inside --optimizer", param_hint="--optimizer"
        )
    if lr is not None:
        params["lr"] = lr
    opt: GradientTransformation = _call(OPTIMIZERS[name], (), params, name, "--optimizer")
    clips = []
    if clip_value is not None:
        clips.append(clip(clip_value))
    if clip_max_norm is not None:
        clips.append(clip_norm(clip_max_norm))
    if clips:
        opt = chain(*clips, opt)
    return name, opt
