"""Learning-rate schedules: pure functions of the update count t (first update t = 0).

Every place that takes ``lr`` takes one of these too::

    minimize(f, x0, optimizer=sgd(time_decay(0.5, k=0.1)))

==================  =========================================================
constant(α₀)        α_t = α₀
time_decay(α₀, k)   α_t = α₀ / (1 + k·t)                 (the seeds' "α₀ / (1 + decay·t)")
step_decay(α₀, …)   α_t = α₀ · γ^(number of milestones ≤ t)   (the seeds' "× 0.1 at 30, 60, 90")
exponential(α₀, γ)  α_t = α₀ · γ^t
cosine(α₀, T)       α_t = α_min + (α₀ − α_min)(1 + cos(π·min(t, T)/T)) / 2
warmup(n, then)     α_t = then(0)·(t + 1)/(n + 1) for t < n, then(t − n) after
==================  =========================================================
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from descend.base.checks import check_lr, check_positive
from descend.base.errors import HyperparameterError
from descend.base.types import Schedule


def _check_lr0(lr0: float) -> None:
    if callable(lr0):
        raise HyperparameterError("a schedule's initial learning rate must be a number")
    check_lr(lr0)


def constant(lr0: float) -> Schedule:
    """α_t = α₀.

    >>> constant(0.1)(99)
    0.1
    """
    _check_lr0(lr0)
    return lambda t: float(lr0)


def time_decay(lr0: float, k: float) -> Schedule:
    """α_t = α₀ / (1 + k·t).

    >>> [round(time_decay(1.0, k=0.5)(t), 4) for t in range(4)]
    [1.0, 0.6667, 0.5, 0.4]
    """
    _check_lr0(lr0)
    check_positive("k", k, allow_zero=True)
    return lambda t: lr0 / (1.0 + k * t)


def step_decay(lr0: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """α_t = α₀ · γ^(number of milestones m with m ≤ t).

    >>> s = step_decay(1.0, milestones=[2, 4], gamma=0.1)
    >>> [s(t) for t in range(6)]
    [1.0, 1.0, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002]
    """
    _check_lr0(lr0)
    check_positive("gamma", gamma)
    marks = sorted(int(m) for m in milestones)
    if any(m < 0 for m in marks):
        raise HyperparameterError(f"milestones={list(milestones)} must be steps >= 0")
    return lambda t: lr0 * gamma ** bisect.bisect_right(marks, t)


def exponential(lr0: float, gamma: float) -> Schedule:
    """α_t = α₀ · γ^t.

    >>> [exponential(1.0, gamma=0.5)(t) for t in range(4)]
    [1.0, 0.5, 0.25, 0.125]
    """
    _check_lr0(lr0)
    check_positive("gamma", gamma)
    return lambda t: lr0 * gamma**t


def cosine(lr0: float, decay_steps: int, lr_min: float = 0.0) -> Schedule:
    """α_t = α_min + (α₀ − α_min)(1 + cos(π·min(t, T)/T))/2, with T = ``decay_steps``.

    >>> s = cosine(1.0, decay_steps=4)
    >>> [round(s(t), 4) for t in range(6)]
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """
    _check_lr0(lr0)
    if int(decay_steps) < 1:
        raise HyperparameterError(f"decay_steps={decay_steps!r} must be a whole number >= 1")
    check_positive("lr_min", lr_min, allow_zero=True)
    steps = int(decay_steps)
    return lambda t: (
        lr_min + (lr0 - lr_min) * 0.5 * (1.0 + math.cos(math.pi * min(t, steps) / steps))
    )


def warmup(warmup_steps: int, then: Schedule | float) -> Schedule:
    """Linear warm-up over ``warmup_steps`` updates, then the schedule ``then`` from its t = 0.

    α_t = α_peak·(t + 1)/(n + 1) for t < n, with α_peak = then(0); α_t = then(t − n) after.

    >>> s = warmup(3, then=constant(1.0))
    >>> [s(t) for t in range(5)]
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """
    if int(warmup_steps) < 0:
        raise HyperparameterError(f"warmup_steps={warmup_steps!r} must be a whole number >= 0")
    n = int(warmup_steps)
    after: Schedule = then if callable(then) else constant(then)
    peak = after(0)

    def schedule(t: int) -> float:
        return peak * (t + 1) / (n + 1) if t < n else after(t - n)

    return schedule


#: Schedules by name, for the CLI.
SCHEDULES = {
    "constant": constant,
    "time_decay": time_decay,
    "step_decay": step_decay,
    "exponential": exponential,
    "cosine": cosine,
}
