"""The lab's web app: the pages, their assets, and the JSON API they call.

=======================  ================================================================
route                    answer
=======================  ================================================================
``GET /``                the race page; ``/lr``, ``/starts``, ``/train`` the other pages
``GET /static/...``      the pages' scripts and styles, and the vendored Plotly and KaTeX
``GET /api/functions``   the built-in functions of one and two variables
``GET /api/optimizers``  each optimizer's rule and defaults, and the schedules
``GET /api/datasets``    the bundled data sets
``POST /api/race``       a race: every run's path, losses, status and per-step table
``POST /api/starts``     random restarts or simulated annealing from many starts
``POST /api/train``      training, as server-sent events (``data: {...}`` per epoch)
=======================  ================================================================

Errors are JSON ``{"error": message}`` (plus ``"position"`` for a typed expression) with a 4xx
status; bodies above :attr:`Limits.max_body_bytes` get 413.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, MutableMapping
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

import anyio
from anyio import to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from descend.lab.race import function_table
from descend.lab.spec import LabRequestError, Limits, optimizer_table, schedule_table
from descend.lab.workers import QUEUE_WAIT, WorkerPool, compute

STATIC = str(files("descend.lab").joinpath("static"))
PAGES = {"/": "race.html", "/lr": "lr.html", "/starts": "starts.html", "/train": "train.html"}

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Any]


def _error(message: str, status: int, position: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": message}
    if position is not None:
        body["position"] = position
    return JSONResponse(body, status_code=status)


class BodyLimit:
    """ASGI middleware: a request body above ``limit`` bytes gets 413 before it is read."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        length = headers.get(b"content-length", b"0")
        too_big = _error(f"the request body is over the lab's limit of {self.limit} bytes", 413)
        if not length.isdigit() or int(length) > self.limit:
            await too_big(scope, receive, send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise LabRequestError("the request body is too large", 413)
            return message

        await self.app(scope, counted, send)


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise LabRequestError("the request body is not valid JSON") from None


def create_app(*, workers: int | None = None, limits: Limits | None = None) -> Starlette:
    """The lab as an ASGI app.

    Parameters
    ----------
    workers : int, optional
        Worker processes that compute the answers under the time limit (default: the number
        of CPUs, at most 4). ``0`` computes in the server's own threads, without a time limit
        (for tests and debugging only).
    limits : Limits, optional
        The caps on requests (:class:`descend.lab.spec.Limits`).

    Returns
    -------
    starlette.applications.Starlette
    """
    limits = limits or Limits()
    size = min(4, os.cpu_count() or 1) if workers is None else workers
    state: dict[str, WorkerPool | None] = {"pool": None}
    # one job per worker at a time: requests wait here, not in threads (which are limited)
    slots = anyio.Semaphore(max(size, 1))

    @asynccontextmanager
    async def slot() -> AsyncIterator[None]:
        try:
            with anyio.fail_after(QUEUE_WAIT):
                await slots.acquire()
        except TimeoutError:
            raise LabRequestError("the lab is busy; try again in a moment", 503) from None
        try:
            yield
        finally:
            slots.release()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if size > 0:
            state["pool"] = await to_thread.run_sync(WorkerPool, size, limits)
        try:
            yield
        finally:
            if state["pool"] is not None:
                state["pool"].close()

    def events(kind: str, body: Any, time_limit: float) -> Generator[dict[str, Any], None, None]:
        pool = state["pool"]
        if pool is not None:
            yield from pool.stream(kind, body, time_limit)
            return
        queued: list[dict[str, Any]] = []
        result = compute(kind, body, limits, queued.append)
        yield from queued
        yield result

    async def answer(request: Request, kind: str) -> Response:
        body = await _json(request)
        result: dict[str, Any] = {}
        async with slot():
            it = events(kind, body, limits.time_limit)
            while (item := await to_thread.run_sync(next, it, None)) is not None:
                result = item
        return JSONResponse(result)

    async def race(request: Request) -> Response:
        return await answer(request, "race")

    async def starts(request: Request) -> Response:
        return await answer(request, "starts")

    async def train(request: Request) -> Response:
        body = await _json(request)
        held = slot()
        await held.__aenter__()
        it = events("train", body, limits.train_time_limit)
        try:
            first = await to_thread.run_sync(next, it, None)  # a bad request fails here, as JSON
        except BaseException:
            await held.__aexit__(None, None, None)
            raise

        async def stream() -> AsyncIterator[str]:
            item = first
            try:
                while item is not None:
                    yield f"data: {json.dumps(item)}\n\n"
                    item = await to_thread.run_sync(next, it, None)
            except LabRequestError as exc:
                yield f"data: {json.dumps({'event': 'error', 'error': str(exc)})}\n\n"
            finally:
                await to_thread.run_sync(it.close)
                await held.__aexit__(None, None, None)

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def functions(request: Request) -> Response:
        return JSONResponse({"functions": function_table()})

    async def optimizers(request: Request) -> Response:
        return JSONResponse({"optimizers": optimizer_table(), "schedules": schedule_table()})

    async def datasets(request: Request) -> Response:
        from descend.io.datasets import DATASETS

        return JSONResponse(
            {"datasets": [{"name": k, "description": v} for k, v in DATASETS.items()]}
        )

    def page(name: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return FileResponse(os.path.join(STATIC, name), media_type="text/html")

        return endpoint

    async def lab_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LabRequestError)
        return _error(str(exc), exc.status, exc.position)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _error(str(exc.detail), exc.status_code)

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error("the lab could not compute this request", 500)

    routes = [
        *(Route(path, page(name)) for path, name in PAGES.items()),
        Route("/api/functions", functions),
        Route("/api/optimizers", optimizers),
        Route("/api/datasets", datasets),
        Route("/api/race", race, methods=["POST"]),
        Route("/api/starts", starts, methods=["POST"]),
        Route("/api/train", train, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            LabRequestError: lab_error,
            HTTPException: http_error,
            Exception: server_error,
        },
    )
    app.add_middleware(BodyLimit, limit=limits.max_body_bytes)
    return app
