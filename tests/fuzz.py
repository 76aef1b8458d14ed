"""Fuzzing of text expressions: random formulas and token soup, from one alphabet.

Every input must either be accepted (then its value and gradient evaluate without an
exception) or be refused with one of descend's own errors, within the time limit of
:mod:`descend.objectives.bounded`. ``tests/test_hostile.py`` runs a few seconds of it in
``make test``; ``make fuzz`` runs it longer and prints a report::

    python tests/fuzz.py --seconds 60 --seed 0

The report gives the inputs tried (accepted and refused), the longest time one took (and
which), and every exception that is not a :class:`descend.DescendError`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

VARIABLES = ("x", "y", "z")
NUMBERS = ("0", "1", "2", "3", "0.5", "10", "100", "1000", "1e3", "1e-300", "1e308", "999")
CONSTANTS = ("pi", "e")
FUNCTIONS = [
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "exp",
    "log",
    "log10",
    "log2",
    "sqrt",
    "abs",
    "sigmoid",
]
OPERATORS = ("+", "-", "*", "/", "**", "^")
#: Tokens a careless or hostile user may type: reserved names, comments, Python syntax.
HOSTILE = (
    "#", "_", "1_000", "__import__", "lambda", "[", "]", "'", ".", ",", "=", ";", " ", "\n",
    "π", "E", "I", "oo", "nan", "inf", "j", "1j", "True", "None", "x.real", "@", "%", "//",
    "(", ")", "**(", "-(", "\x00", "\u00b2", "１",
)  # fmt: skip
#: Everything an input is built from.
ALPHABET = VARIABLES + NUMBERS + CONSTANTS + tuple(f + "(" for f in FUNCTIONS) + OPERATORS


def formula(rng: np.random.Generator, depth: int = 0) -> str:
    """A random formula of the grammar (mostly well formed), nested at most 6 deep."""
    leaf = depth >= 6 or rng.random() < 0.25 + 0.1 * depth
    if leaf:
        pool = (VARIABLES, NUMBERS, CONSTANTS)[int(rng.choice(3, p=[0.6, 0.3, 0.1]))]
        return str(rng.choice(pool))
    kind = rng.random()
    if kind < 0.45:
        op = str(rng.choice(OPERATORS))
        return f"({formula(rng, depth + 1)}){op}({formula(rng, depth + 1)})"
    if kind < 0.85:
        return f"{rng.choice(FUNCTIONS)}({formula(rng, depth + 1)})"
    return f"-({formula(rng, depth + 1)})"


def soup(rng: np.random.Generator) -> str:
    """A random string of tokens from the alphabet and the hostile list (mostly invalid)."""
    tokens = ALPHABET + HOSTILE
    return "".join(str(rng.choice(tokens)) for _ in range(int(rng.integers(1, 14))))


def sample(rng: np.random.Generator) -> str:
    """One fuzz input: a formula, a mutated formula, or token soup."""
    r = rng.random()
    if r < 0.6:
        return formula(rng)
    if r < 0.8:
        text = formula(rng)
        i = int(rng.integers(0, len(text) + 1))
        return text[:i] + str(rng.choice(HOSTILE + ALPHABET)) + text[i:]
    return soup(rng)


@dataclass
class Report:
    """What a fuzz run found."""

    tried: int = 0
    accepted: int = 0
    refused: int = 0
    max_seconds: float = 0.0
    slowest: str = ""
    foreign: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "inputs tried": self.tried,
            "accepted": self.accepted,
            "refused with descend's errors": self.refused,
            "max seconds for one input": round(self.max_seconds, 3),
            "slowest input": self.slowest,
            "exceptions not descend's own": len(self.foreign),
            "examples": self.foreign[:10],
        }


def check_one(text: str, rng: np.random.Generator) -> None:
    """Parse ``text``; if accepted, evaluate its value and gradient at random points."""
    import descend

    f = descend.expression(text)
    x = rng.normal(scale=2.0, size=(4, f.n))
    np.asarray(f(x))
    np.asarray(f.grad(x))
    f.gradient_formulas  # noqa: B018 - printed formulas must not fail either


def run(seconds: float, seed: int = 0, max_inputs: int | None = None) -> Report:
    """Fuzz for about ``seconds`` (and at most ``max_inputs`` inputs)."""
    from descend.base.errors import DescendError

    rng = np.random.default_rng(seed)
    report = Report()
    stop = time.monotonic() + seconds
    while time.monotonic() < stop and (max_inputs is None or report.tried < max_inputs):
        text = sample(rng)
        start = time.perf_counter()
        try:
            check_one(text, rng)
            report.accepted += 1
        except DescendError:
            report.refused += 1
        except Exception as exc:
            report.foreign.append((text, f"{type(exc).__name__}: {exc}"))
        took = time.perf_counter() - start
        report.tried += 1
        if took > report.max_seconds:
            report.max_seconds, report.slowest = took, text
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    report = run(args.seconds, args.seed)
    print(json.dumps(report.summary(), indent=2, ensure_ascii=False))
    return 1 if report.foreign else 0


if __name__ == "__main__":
    raise SystemExit(main())
