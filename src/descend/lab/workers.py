"""A small pool of worker processes that compute the lab's answers under a time limit.

SymPy can spend minutes on a crafted expression, and a long race holds the CPU; neither may
stall the other requests. Each job runs in one of ``size`` worker processes; the caller waits
for the answer at most ``time_limit`` seconds, and a worker that overruns is killed and
replaced at once, so the next request finds a fresh one. Workers are started with ``spawn``
(no state copied from the server's threads) and import the engine before their first job.

The protocol over each worker's pipe: the worker says ``("ready",)`` once warm; then the server
sends ``(kind, body)`` and the worker answers any number of ``("event", dict)`` (training
progress), then ``("done", dict)`` or ``("error", status, message, position)``. The job kinds
are ``"race"``, ``"starts"`` and ``"train"``.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from descend.lab.spec import LabRequestError, Limits

#: Seconds a request waits for a free worker before it is told the lab is busy (503).
QUEUE_WAIT = 30.0
#: Seconds a new worker may take to start (import the engine) before it counts as broken.
STARTUP = 120.0


def _jobs() -> dict[str, Callable[..., dict[str, Any]]]:
    from descend.lab.race import run_race
    from descend.lab.starts import run_starts
    from descend.lab.train import run_train

    return {
        "race": lambda body, limits, emit: run_race(body, limits),
        "starts": lambda body, limits, emit: run_starts(body, limits),
        "train": run_train,
    }


def compute(
    kind: str, body: Any, limits: Limits, emit: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Run one job here, in this process; descend's errors become :class:`LabRequestError`."""
    from descend.base.errors import DescendError, ExpressionError

    try:
        return _jobs()[kind](body, limits, emit)
    except LabRequestError:
        raise
    except ExpressionError as exc:
        raise LabRequestError(str(exc), position=exc.position) from None
    except DescendError as exc:
        raise LabRequestError(str(exc)) from None
    except RecursionError:
        raise LabRequestError("the input is too deeply nested; simplify it") from None


def _serve(conn: Connection, limits: Limits) -> None:
    """A worker's loop: warm up, then answer jobs until the pipe closes."""
    from descend.lab.race import objective_of

    objective_of("x**2 + y**2")  # imports SymPy and the engine before the first request
    conn.send(("ready",))
    while True:
        try:
            kind, body = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result = compute(kind, body, limits, lambda event: conn.send(("event", event)))
            conn.send(("done", result))
        except LabRequestError as exc:
            conn.send(("error", exc.status, str(exc), exc.position))
        except Exception:  # the page gets one line, never the server's internals
            conn.send(("error", 500, "the lab could not compute this request", None))


class _Worker:
    def __init__(self, limits: Limits) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, limits), daemon=True)
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self) -> bool:
        """Wait for the worker's warm-up to finish; False if it did not start."""
        if not self.ready and self.conn.poll(STARTUP):
            self.ready = self.conn.recv() == ("ready",)
        return self.ready

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """``size`` worker processes; :meth:`run` and :meth:`stream` give each job one of them.

    Parameters
    ----------
    size : int
        How many jobs compute at once.
    limits : Limits
        The caps and time limits passed to every job.
    """

    def __init__(self, size: int, limits: Limits) -> None:
        self.limits = limits
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._add()

    def _add(self) -> None:
        worker = _Worker(self.limits)
        with self._lock:
            self._all.append(worker)
        self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.remove(worker)
        if not self._closed:
            self._add()

    def stream(self, kind: str, body: Any, time_limit: float) -> Iterator[dict[str, Any]]:
        """Yield the job's events, then its answer (the last item).

        Raises :class:`LabRequestError`: the job's own 4xx, 400 when it overran
        ``time_limit`` (its worker is replaced), 503 when no worker was free in time.
        """
        try:
            worker = self._idle.get(timeout=QUEUE_WAIT)
        except queue.Empty:
            raise LabRequestError("the lab is busy; try again in a moment", 503) from None
        healthy = False
        try:
            if not worker.wait_ready():  # the time limit counts from a warm worker
                raise EOFError
            deadline = time.monotonic() + time_limit
            worker.conn.send((kind, body))
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not worker.conn.poll(left):
                    raise LabRequestError(
                        f"the request took longer than {time_limit:g} s and was stopped; "
                        "simplify the expression or ask for fewer steps",
                        400,
                    )
                message = worker.conn.recv()
                if message[0] == "event":
                    yield message[1]
                    continue
                healthy = True
                if message[0] == "done":
                    result = message[1]
                    break
                _, status, text, position = message
                raise LabRequestError(text, status, position)
        except (EOFError, OSError, BrokenPipeError):
            raise LabRequestError("the lab could not compute this request", 500) from None
        finally:
            if healthy:  # back to the pool before the answer is handed on
                self._idle.put(worker)
            else:  # overran, died, or the caller stopped reading mid-stream
                self._replace(worker)
        yield result

    def run(self, kind: str, body: Any, time_limit: float) -> dict[str, Any]:
        """The job's answer (its events, if any, are dropped)."""
        *_, answer = self.stream(kind, body, time_limit)
        return answer

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()
