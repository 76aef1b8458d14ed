"""SymPy work with a time limit: run in a forked worker process, killed at the deadline.

SymPy simplifies as it builds a tree, and a short crafted text can keep it busy for minutes
(``tanh(sinh((-(1/z-100)**1000)**z))``). A thread cannot be interrupted inside SymPy, so text
that is not obviously cheap (:func:`descend.objectives.parse.is_cheap`) is parsed and
differentiated in a child process made with :func:`os.fork`; the child sends the SymPy trees
back through a pipe, and is killed if it has not answered within the limit. The caller waits
at most the limit for the worker, and stays usable.

A round trip through the worker costs some tens of milliseconds (35–65 ms measured on a
busy 2-core machine, against 2–8 ms for the same formulas in the process), so ordinary short
formulas are handled in the process itself; checking that a text is cheap takes about 50 µs.
Where :func:`os.fork` does not exist (Windows), the work runs in the process without a limit.

The pipe carries a :mod:`pickle` stream from the child to its own parent, never to or from a
file: saved files stay JSON or ``.npz``.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import Any

from descend.base.errors import ExpressionError

#: Seconds a text expression may take to parse and differentiate (descend.expression, the CLI).
TIME_LIMIT = 1.5


def can_fork() -> bool:
    """Whether this platform can run the work in a worker (it has :func:`os.fork`)."""
    return hasattr(os, "fork")


def run_bounded(work: Callable[[], Any], limit: float, what: str) -> Any:
    """``work()``, computed in a forked child and abandoned after ``limit`` seconds.

    Parameters
    ----------
    work : callable
        Takes no argument; returns a picklable value or raises.
    limit : float
        Seconds of wall-clock time to wait for the child.
    what : str
        The text being worked on, named in the error.

    Returns
    -------
    Any
        What ``work()`` returned; SymPy trees are rebuilt as they were sent, without being
        simplified again.

    Raises
    ------
    ExpressionError
        The child took longer than ``limit``; or whatever ``work()`` raised (an
        :class:`ExpressionError` keeps its message and position).
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's exit code
        code = 1
        try:
            os.close(read_fd)
            _send(write_fd, work)
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    try:
        data = _receive(read_fd, time.monotonic() + limit)
    finally:
        os.close(read_fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    if data is None:
        shown = what if len(what) <= 60 else what[:57] + "..."
        raise ExpressionError(
            f"{shown!r} takes more than {limit:g} s to parse and differentiate; simplify it "
            "(powers with variable or huge exponents of sub-expressions are the usual cause)"
        )
    return _unpack(data)


def _send(fd: int, work: Callable[[], Any]) -> None:
    try:
        payload = ("ok", work())
    except ExpressionError as exc:
        payload = ("expression", (str(exc), exc.position))
    except BaseException as exc:  # a bug: sent back so that the caller sees it, not hidden
        payload = ("other", exc)
    try:
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an exception that cannot be pickled
        data = pickle.dumps(("other", RuntimeError(f"{type(exc).__name__}: {exc}")))
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.close(fd)


def _receive(fd: int, deadline: float) -> bytes | None:
    """All bytes the child writes before it closes the pipe, or None at the deadline."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _unpack(data: bytes) -> Any:
    import sympy

    if not data:
        raise RuntimeError("the expression worker ended without an answer")
    with sympy.evaluate(False):  # the trees arrive simplified: rebuild them as they are
        kind, value = pickle.loads(data)
    if kind == "ok":
        return value
    if kind == "expression":
        message, position = value
        raise ExpressionError(message, position=position)
    raise value
