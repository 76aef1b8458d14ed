"""Reading ahead in background threads, with a bound, and the seeded shuffle buffer.

pyarrow decodes Parquet and CSV with the GIL released, so decoding the next pieces of a file
in threads overlaps with the training kernel working on the current one. The read-ahead is
bounded: :func:`prefetch` keeps ``depth`` pieces submitted or decoded beyond the one in use,
and :func:`background` runs a sequential reader (a CSV stream) in one thread that blocks once
``depth`` chunks wait in its queue. Memory therefore stays at about
``depth + 1`` pieces whatever the size of the files. Results come back in submission order,
so the order of the rows never depends on the threads' timing.

:func:`shuffle_buffer` is the second stage of the shuffled order: the rows of the chunks are
written into a buffer of ``size`` rows at the slots of a permutation the seeded generator
draws for it, the full buffer is handed on slot by slot, and the next buffer starts empty
(the epoch's last buffer holds the rows left).

>>> import numpy as np
>>> chunks = [(np.arange(3.0)[:, None], np.arange(3.0)), (np.arange(3.0, 5)[:, None],
...           np.arange(3.0, 5))]
>>> [y.tolist() for _, y in shuffle_buffer(iter(chunks), 4, np.random.default_rng(0))]
[[1.0, 2.0, 0.0, 3.0], [4.0]]
>>> list(prefetch((lambda i=i: i * i for i in range(5)), workers=2, depth=2))
[0, 1, 4, 9, 16]
"""

from __future__ import annotations

import queue
import sys
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

    Each buffer draws one ``perm = rng.permutation(size)`` as it starts, and its k-th row
    goes to slot ``perm[k]`` as it comes (the chunks are let go at once): a full buffer hands
    on its slots in order, so its rows come out in the order ``argsort(perm)``; the last one,
    of n < ``size`` rows, hands on the slots it filled in order (``argsort(perm[:n])``), a
    uniformly random order of its rows too. The rows of a chunk that do not fit start the next
    buffer. Rows are handed on in views of the buffer of at most ``piece`` rows (the whole
    buffer when None); a buffer is filled again only once nothing refers to it.
    """
    xs, ys = RowBuffers(4), RowBuffers(4)
    held: tuple[Any, Any] | None = None
    perm = np.empty(0, dtype=np.intp)
    count = 0
    for X, y in chunks:
        start = 0
        while start < len(X):
            if held is None:
                held = (xs.take((size, *X.shape[1:]), X.dtype),
                        ys.take((size, *y.shape[1:]), y.dtype))  # fmt: skip
                perm = rng.permutation(size)
            take = min(size - count, len(X) - start)
            slots = perm[count : count + take]
            held[0][slots] = X[start : start + take]
            held[1][slots] = y[start : start + take]
            count += take
            start += take
            if count == size:
                Xb, yb = held
                held, count = None, 0
                yield from _pieces(Xb, yb, piece or size)
                del Xb, yb
    if held is not None and count:
        filled = np.sort(perm[:count])
        yield from _pieces(held[0][filled], held[1][filled], piece or count)


def _pieces(X: Any, y: Any, piece: int) -> Iterator[tuple[Any, Any]]:
    for lo in range(0, len(X), piece):
        yield X[lo : lo + piece], y[lo : lo + piece]


class RowBuffers:
    """Buffers (the X of the row groups of one pass, the shuffle buffer's rows) each used again
    once every chunk cut from it has been let go: no allocation per row group or per buffer
    (and none of the fragmentation that allocating in several threads leaves), at most
    ``most`` buffers held.

    A buffer is free when nothing else refers to it: every view of a NumPy array (a chunk
    ``X[lo:hi]``, a slice of a chunk) refers to the array that owns the memory, so its
    reference count is then that of an array held by a list alone (:func:`_references`, the
    same count measured on such an array when the pass starts, whatever the interpreter's
    own references; read under the lock).
    """

    def __init__(self, most: int) -> None:
        self._held: list[Any] = []
        self._most = most
        self._lock = threading.Lock()
        self._free = _references([np.empty(0)], 0)

    def take(self, shape: tuple[int, ...], dtype: Any) -> Any:
        """A free buffer of at least ``shape[0]`` rows cut to ``shape``, or a new one."""
        with self._lock:
            spare = None  # a free buffer of another shape, replaced by the new one
            for i in range(len(self._held)):
                if _references(self._held, i) == self._free:
                    buf = self._held[i]
                    if (
                        buf.shape[0] >= shape[0]
                        and buf.shape[1:] == shape[1:]
                        and buf.dtype == dtype
                    ):
                        return buf[: shape[0]]
                    spare = i
            buf = np.empty(shape, dtype=dtype)
            if spare is not None:
                self._held[spare] = buf
            elif len(self._held) < self._most:
                self._held.append(buf)
            return buf


def _references(items: list[Any], i: int) -> int:
    """The reference count of ``items[i]``."""
    return sys.getrefcount(items[i])
