"""Reading ahead in background threads, with a bound, and the seeded shuffle buffer.

pyarrow decodes Parquet and CSV with the GIL released, so decoding the next pieces of a file
in threads overlaps with the training kernel working on the current one. The read-ahead is
bounded: :func:`prefetch` keeps ``depth`` pieces submitted or decoded beyond the one in use,
and :func:`background` runs a sequential reader (a CSV stream) in one thread that blocks once
``depth`` chunks wait in its queue. Memory therefore stays at about
``depth + 1`` pieces whatever the size of the files. Results come back in submission order,
so the order of the rows never depends on the threads' timing.

:func:`shuffle_buffer` is the second stage of the shuffled order: chunks are gathered until
``size`` rows are held, those rows are permuted with the seeded generator and handed on, and
the next buffer starts empty (the epoch's last buffer holds the rows left).

>>> import numpy as np
>>> chunks = [(np.arange(3.0)[:, None], np.arange(3.0)), (np.arange(3.0, 5)[:, None],
...           np.arange(3.0, 5))]
>>> [y.tolist() for _, y in shuffle_buffer(iter(chunks), 4, np.random.default_rng(0))]
[[2.0, 0.0, 1.0, 3.0], [4.0]]
>>> list(prefetch((lambda i=i: i * i for i in range(5)), workers=2, depth=2))
[0, 1, 4, 9, 16]
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")
_DONE = object()


def prefetch(
    tasks: Iterable[Callable[[], T]], *, workers: int, depth: int
) -> Generator[T, None, None]:
    """Run ``tasks`` on ``workers`` threads, at most ``depth`` ahead; yield results in order.

    While the caller works on one result, the next ``depth`` tasks are submitted (so that
    ``depth >= workers`` keeps every thread busy). An error in a task is raised here, when its
    result is reached. Stopping the iteration early cancels the tasks not yet started.
    """
    pending: deque[Future[T]] = deque()
    todo = iter(tasks)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="descend-read") as pool:
        try:
            for task in todo:
                pending.append(pool.submit(task))
                if len(pending) > depth:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def background(chunks: Iterator[T], *, depth: int) -> Iterator[T]:
    """Iterate ``chunks`` in a background thread, at most ``depth`` chunks ahead."""
    box: queue.Queue[Any] = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        box.put(("chunk", chunk), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(("done", _DONE))
        except BaseException as exc:  # handed to the consumer, raised there
            box.put(("error", exc))

    thread = threading.Thread(target=produce, name="descend-read", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while thread.is_alive():
            try:
                box.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)


def shuffle_buffer(
    chunks: Iterator[tuple[Any, Any]], size: int, rng: np.random.Generator,
    piece: int | None = None,
) -> Iterator[tuple[Any, Any]]:  # fmt: skip
    """Chunks gathered into buffers of ``size`` rows, each buffer's rows permuted by ``rng``.

    Each buffer draws one ``rng.permutation(n)``, n its number of rows (``size``, the last
    one fewer); the rows of a chunk that do not fit start the next buffer. The rows are copied
    into one buffer as they come (the chunks are let go at once) and handed on permuted, in
    fresh arrays of at most ``piece`` rows (the whole buffer when None).
    """
    held: tuple[Any, Any] | None = None
    count = 0
    for X, y in chunks:
        if held is None:
            held = (np.empty((size, *X.shape[1:]), dtype=X.dtype),
                    np.empty((size, *y.shape[1:]), dtype=y.dtype))  # fmt: skip
        start = 0
        while start < len(X):
            take = min(size - count, len(X) - start)
            held[0][count : count + take] = X[start : start + take]
            held[1][count : count + take] = y[start : start + take]
            count += take
            start += take
            if count == size:
                yield from _permuted(held, count, rng, piece or size)
                count = 0
    if held is not None and count:
        yield from _permuted(held, count, rng, piece or size)


def _permuted(
    held: tuple[Any, Any], n: int, rng: np.random.Generator, piece: int
) -> Iterator[tuple[Any, Any]]:
    perm = rng.permutation(n)
    for lo in range(0, n, piece):
        rows = perm[lo : lo + piece]
        yield held[0][rows], held[1][rows]
