"""Reading the lab's JSON requests: types, ranges and the caps that keep one request small.

Every check raises :class:`LabRequestError`, a :class:`~descend.DescendError` whose message
names the field and the fix; the app answers it with a 4xx JSON body ``{"error": message}``.
Optimizers are built here from their public factories (:data:`descend.OPTIMIZERS`), composed
with clipping and weight decay by :func:`descend.chain`; nothing here computes an update.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from descend.base.errors import DescendError
from descend.optim.rules import OPTIMIZERS
from descend.optim.schedules import SCHEDULES
from descend.optim.transform import (
    GradientTransformation,
    add_decayed_weights,
    chain,
    clip,
    clip_norm,
)


@dataclass(frozen=True)
class Limits:
    """The caps on one request; a request above one gets a 400 naming it."""

    max_body_bytes: int = 1_000_000
    max_steps: int = 2000
    max_optimizers: int = 6
    max_variables: int = 10
    max_starts: int = 64
    max_start_steps: int = 1000
    max_rows: int = 2000
    max_columns: int = 20
    max_epochs: int = 200
    max_grid: int = 120
    #: Seconds one race, parse or set of starts may compute before its worker is replaced.
    time_limit: float = 10.0
    #: Seconds one training stream may compute.
    train_time_limit: float = 60.0


class LabRequestError(DescendError, ValueError):
    """A request the lab cannot serve: a bad field, a value above a cap, a bad expression.

    ``status`` is the HTTP status to answer with; ``position`` the 0-based offset of the
    problem in a typed expression, when known.
    """

    def __init__(self, message: str, status: int = 400, position: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.position = position


def require(body: Any, key: str) -> Any:
    """``body[key]``, or a 400 that names the missing field."""
    if not isinstance(body, dict):
        raise LabRequestError("the request body must be a JSON object")
    if key not in body:
        raise LabRequestError(f"the field {key!r} is missing")
    return body[key]


def number(value: Any, name: str, *, low: float | None = None, positive: bool = False) -> float:
    """A finite JSON number (not a bool), at least ``low`` or > 0 when asked."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LabRequestError(f"{name}={value!r} must be a finite number")
    if positive and not value > 0:
        raise LabRequestError(f"{name}={value!r} must be > 0")
    if low is not None and value < low:
        raise LabRequestError(f"{name}={value!r} must be >= {low}")
    return float(value)


def whole(value: Any, name: str, low: int, high: int) -> int:
    """A JSON integer in [low, high]; above ``high`` the message names the cap."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise LabRequestError(f"{name}={value!r} must be a whole number")
    if value < low:
        raise LabRequestError(f"{name}={value} must be at least {low}")
    if value > high:
        raise LabRequestError(f"{name}={value} is above the lab's limit of {high}; ask for less")
    return value


def point(value: Any, name: str, n: int) -> list[float]:
    """A list of ``n`` finite numbers."""
    if not isinstance(value, list) or len(value) != n:
        raise LabRequestError(f"{name} must be a list of {n} number(s), one per variable")
    return [number(v, f"{name}[{i}]") for i, v in enumerate(value)]


def text(value: Any, name: str, max_length: int = 2000) -> str:
    """A non-empty string of at most ``max_length`` characters."""
    if not isinstance(value, str) or not value.strip():
        raise LabRequestError(f"{name} must be a non-empty string")
    if len(value) > max_length:
        raise LabRequestError(f"{name} is {len(value)} characters; the limit is {max_length}")
    return value


def _hyperparameters(name: str) -> dict[str, Any]:
    """The keyword arguments of an optimizer factory and their defaults."""
    params = inspect.signature(OPTIMIZERS[name]).parameters
    return {k: p.default for k, p in params.items()}


def optimizer_table() -> list[dict[str, Any]]:
    """What ``GET /api/optimizers`` answers: each optimizer, its rule and its defaults."""
    out = []
    for name, factory in OPTIMIZERS.items():
        doc = inspect.getdoc(factory) or ""
        out.append(
            {
                "name": name,
                "rule": doc.split("\n\n")[0].replace("\n", " "),
                "hyperparameters": _hyperparameters(name),
            }
        )
    return out


def schedule_table() -> list[dict[str, Any]]:
    """The schedules a race may use, with their parameters besides lr0."""
    out = []
    for name, factory in SCHEDULES.items():
        params = inspect.signature(cast(Callable[..., Any], factory)).parameters
        out.append(
            {
                "name": name,
                "rule": (inspect.getdoc(factory) or "").split("\n\n")[0].replace("\n", " "),
                "parameters": {
                    k: (None if p.default is inspect.Parameter.empty else p.default)
                    for k, p in params.items()
                    if k != "lr0"
                },
            }
        )
    return out


_EXTRA = ("name", "label", "lr", "schedule", "clip", "weight_decay")


def build_optimizer(spec: Any, where: str = "optimizer") -> tuple[GradientTransformation, dict]:
    """An optimizer from ``{"name": "adam", "lr": 0.05, "beta1": 0.9, ...}``.

    Optional ``"schedule": {"name": "exponential", "gamma": 0.99}`` (lr0 is ``lr``),
    ``"clip": {"kind": "value" | "norm", "max": 1.0}`` (applied to ∇J first) and
    ``"weight_decay"`` (AdamW's own; for the others λθ is added to ∇J, as PyTorch's
    ``weight_decay`` does). Returns the transform and the settings, echoed in the answer.
    """
    if not isinstance(spec, dict):
        raise LabRequestError(f"{where} must be an object such as {{'name': 'sgd', 'lr': 0.1}}")
    name = require(spec, "name")
    if not isinstance(name, str) or name.strip().lower() not in OPTIMIZERS:
        raise LabRequestError(
            f"{where}: unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}"
        )
    name = name.strip().lower()
    allowed = _hyperparameters(name)
    unknown = sorted(set(spec) - set(allowed) - set(_EXTRA))
    if unknown:
        raise LabRequestError(
            f"{where}: {name} has no setting {unknown[0]!r}; its settings are "
            f"{', '.join([*allowed, 'schedule', 'clip', 'weight_decay'])}"
        )
    kwargs: dict[str, Any] = {}
    for key, default in allowed.items():
        if key == "lr" or key not in spec:
            continue
        value = spec[key]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise LabRequestError(f"{where}: {key}={value!r} must be true or false")
            kwargs[key] = value
        else:
            kwargs[key] = number(value, f"{where}.{key}", low=0.0)
    lr = number(spec.get("lr", allowed["lr"]), f"{where}.lr", positive=True)
    rate = _schedule(spec.get("schedule"), lr, where)
    decay = spec.get("weight_decay")
    if decay is not None and name == "adamw":
        kwargs["weight_decay"] = number(decay, f"{where}.weight_decay", low=0.0)
        decay = None
    try:
        opt = OPTIMIZERS[name](lr=rate, **kwargs)
        parts = []
        settings: dict[str, Any] = {"name": name, "lr": lr, **kwargs}
        clip_spec = spec.get("clip")
        if clip_spec is not None:
            parts.append(_clip(clip_spec, where))
            settings["clip"] = clip_spec
        if decay is not None:
            parts.append(add_decayed_weights(number(decay, f"{where}.weight_decay", low=0.0)))
            settings["weight_decay"] = decay
        if spec.get("schedule") is not None:
            settings["schedule"] = spec["schedule"]
    except LabRequestError:
        raise
    except DescendError as exc:
        raise LabRequestError(f"{where}: {exc}") from None
    label = spec.get("label")
    settings["label"] = text(label, f"{where}.label", 60) if label is not None else name
    return (chain(*parts, opt) if parts else opt), settings


def _schedule(spec: Any, lr: float, where: str) -> Any:
    if spec is None:
        return lr
    if not isinstance(spec, dict) or spec.get("name") not in SCHEDULES:
        raise LabRequestError(
            f"{where}.schedule must be an object with a name among: {', '.join(SCHEDULES)}"
        )
    factory = cast(Callable[..., Any], SCHEDULES[spec["name"]])
    params = inspect.signature(factory).parameters
    kwargs: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "name":
            continue
        if key not in params or key == "lr0":
            raise LabRequestError(
                f"{where}.schedule: {spec['name']} has no parameter {key!r}; it takes "
                f"{', '.join(k for k in params if k != 'lr0')}"
            )
        if key == "milestones":
            if not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise LabRequestError(f"{where}.schedule.milestones must be a list of steps")
            kwargs[key] = value
        elif key == "decay_steps":
            kwargs[key] = whole(value, f"{where}.schedule.decay_steps", 1, 10**6)
        else:
            kwargs[key] = number(value, f"{where}.schedule.{key}", low=0.0)
    try:
        return factory(lr, **kwargs)
    except TypeError:
        missing = [k for k, p in params.items() if k != "lr0" and p.default is p.empty]
        raise LabRequestError(
            f"{where}.schedule: {spec['name']} needs {', '.join(missing)}"
        ) from None
    except DescendError as exc:
        raise LabRequestError(f"{where}.schedule: {exc}") from None


def _clip(spec: Any, where: str) -> GradientTransformation:
    if not isinstance(spec, dict) or spec.get("kind") not in ("value", "norm"):
        raise LabRequestError(
            f"{where}.clip must be {{'kind': 'value' or 'norm', 'max': a positive number}}"
        )
    c = number(spec.get("max"), f"{where}.clip.max", positive=True)
    return clip(c) if spec["kind"] == "value" else clip_norm(c)
