"""Load test of the lab: `make loadtest`.

Starts ``descend lab`` on a free port of 127.0.0.1, sends REQUESTS race requests from
CONCURRENCY concurrent clients (httpx), and prints the errors and the p50 / p99 latency. It
stops by itself: each request has a timeout, and the whole run a deadline.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REQUESTS = int(os.environ.get("LAB_REQUESTS", "1000"))
CONCURRENCY, TIMEOUT, DEADLINE = int(os.environ.get("LAB_CONCURRENCY", "50")), 30.0, 300.0
BODY = {
    "function": "(1 - x)**2 + 100*(y - x**2)**2",
    "x0": [-1.2, 1.0],
    "steps": 50,
    "optimizers": [{"name": "sgd", "lr": 0.001}, {"name": "adam", "lr": 0.05}],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _load(url: str) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(REQUESTS):
        queue.put_nowait(i)

    async def client(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            queue.get_nowait()
            start = time.perf_counter()
            try:
                r = await http.post(url + "/api/race", json=BODY)
                if r.status_code != 200 or len(r.json()["runs"]) != 2:
                    errors.append(f"HTTP {r.status_code}")
            except httpx.HTTPError as exc:
                errors.append(type(exc).__name__)
            latencies.append(time.perf_counter() - start)

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as http:
        await asyncio.wait_for(
            asyncio.gather(*(client(http) for _ in range(CONCURRENCY))), DEADLINE
        )
    return latencies, errors


def main() -> int:
    port = _free_port()
    src = Path(__file__).resolve().parents[1] / "src"
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "descend", "lab", "--no-browser", "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/api/functions", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        httpx.post(url + "/api/race", json=BODY, timeout=TIMEOUT)  # every worker parses once
        start = time.perf_counter()
        latencies, errors = asyncio.run(_load(url))
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(10)
    ms = sorted(1000 * t for t in latencies)
    p50, p99 = ms[len(ms) // 2], ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    print(
        f"lab load test: {len(ms)} race requests, {CONCURRENCY} concurrent, {os.cpu_count()} CPUs"
    )
    print(f"  errors {len(errors)}  p50 {p50:.0f} ms  p99 {p99:.0f} ms  "
          f"throughput {len(ms) / wall:.0f} requests/s  ({wall:.1f} s)")  # fmt: skip
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
