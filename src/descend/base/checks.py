"""Checks of hyperparameters: each raises a one-line :class:`HyperparameterError` naming the
value and a valid example."""

from __future__ import annotations

import numpy as np

from descend.base.errors import HyperparameterError
from descend.base.types import LearningRate


def check_lr(lr: LearningRate) -> None:
    """Raise :class:`HyperparameterError` unless ``lr`` is a positive float or a schedule."""
    if callable(lr):
        return
    if isinstance(lr, bool) or not isinstance(lr, int | float | np.floating | np.integer):
        raise HyperparameterError(
            f"lr={lr!r} is not a number; give a positive float, a schedule, or 'auto'"
        )
    if not np.isfinite(lr) or lr <= 0:
        raise HyperparameterError(f"lr={lr!r} must be a positive finite number, e.g. lr=0.01")


def check_unit_interval(name: str, value: float) -> None:
    """Raise :class:`HyperparameterError` unless ``0 <= value < 1`` (decay rates)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise HyperparameterError(f"{name}={value!r} is not a number; use a value in [0, 1)")
    if not 0.0 <= value < 1.0:
        raise HyperparameterError(f"{name}={value!r} must be in [0, 1), e.g. {name}=0.9")


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    """Raise :class:`HyperparameterError` unless ``value`` is positive (or zero if allowed)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise HyperparameterError(f"{name}={value!r} is not a number")
    ok = value >= 0 if allow_zero else value > 0
    if not (ok and np.isfinite(value)):
        bound = ">= 0" if allow_zero else "> 0"
        raise HyperparameterError(f"{name}={value!r} must be finite and {bound}")


def memory_budget() -> int:
    """Bytes an up-front allocation may take: half of this machine's memory (8 GiB if unknown).

    >>> memory_budget() > 0
    True
    """
    import os

    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        total = 16 * 1024**3
    return int(total // 2) if total > 0 else 8 * 1024**3


def check_memory(what: str, n_bytes: float, hint: str) -> None:
    """Raise :class:`HyperparameterError` when allocating ``n_bytes`` up front cannot work.

    >>> check_memory("max_iter=10", 800.0, "lower it")
    >>> check_memory("n_starts=10**15", 8e15, "use fewer starts")
    Traceback (most recent call last):
    ...
    descend.base.errors.HyperparameterError: n_starts=10**15 needs 7.45e+06 GiB of memory up \
front, more than this machine can give (...); use fewer starts
    """
    budget = memory_budget()
    if n_bytes > budget:
        raise HyperparameterError(
            f"{what} needs {n_bytes / 1024**3:.3g} GiB of memory up front, more than this "
            f"machine can give ({budget / 1024**3:.3g} GiB); {hint}"
        )
