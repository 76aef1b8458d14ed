"""Names typed by people: one normal form, and one "did you mean" for every table of names.

Optimizers, losses, schedules, built-in functions and datasets are looked up by name; each
lookup normalises the name the same way and fails the same way, with one line that names the
closest match and every choice.

>>> normalise(" Six-Hump Camel ")
'six_hump_camel'
>>> str(unknown_name("rosenbrok", ["sphere", "rosenbrock"], "function"))
"unknown function 'rosenbrok'; did you mean 'rosenbrock'? choose one of: sphere, rosenbrock"
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from descend.base.errors import UnknownNameError


def normalise(name: str) -> str:
    """Lower case, outer spaces stripped, ``-`` and inner spaces as ``_``."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """``"did you mean 'x'? "`` for the closest of ``choices``, or ``""`` when none is close."""
    close = difflib.get_close_matches(normalise(name), list(choices), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


def unknown_name(
    name: object, choices: Iterable[str], what: str, listing: str = "choose one of"
) -> UnknownNameError:
    """The error for a ``name`` that is not one of ``choices`` (a ``what``), ready to raise."""
    choices = list(choices)
    hint = did_you_mean(name, choices) if isinstance(name, str) else ""
    return UnknownNameError(f"unknown {what} {name!r}; {hint}{listing}: {', '.join(choices)}")
