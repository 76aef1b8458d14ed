"""Many starts: random restarts and simulated annealing, every start's path and what it found.

Restarts are :func:`descend.random_restarts` (the starts drawn from its seeded generator, each
run's end and status); each start's path for the plot is :func:`descend.minimize` from that
start with the same optimizer. Annealing runs :func:`descend.simulated_annealing` from the same
kind of seeded starts. The minima found are the end points rounded and counted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.engine.minimize import minimize
from descend.engine.strategies import random_restarts, simulated_annealing
from descend.lab.race import clean_json, landscape, resolve
from descend.lab.spec import LabRequestError, Limits, build_optimizer, number, whole

#: Most points of one path sent to the page (evenly thinned, the end always kept).
MAX_PATH_POINTS = 200


def _thin(path: np.ndarray) -> np.ndarray:
    if len(path) <= MAX_PATH_POINTS:
        return path
    keep = np.unique(np.linspace(0, len(path) - 1, MAX_PATH_POINTS).round().astype(int))
    return path[keep]


def _domain(body: dict[str, Any], meta: dict[str, Any]) -> list[tuple[float, float]]:
    n = meta["n"]
    domain = body.get("domain", meta.get("domain"))
    if domain is None:
        raise LabRequestError(
            f"domain is missing: give one [low, high] pair per variable ({n}), e.g. "
            + str([[-5, 5]] * n)
        )
    if not isinstance(domain, list) or len(domain) != n:
        raise LabRequestError(f"domain must hold {n} [low, high] pair(s), one per variable")
    out = []
    for i, pair in enumerate(domain):
        if not isinstance(pair, list) or len(pair) != 2:
            raise LabRequestError(f"domain[{i}] must be a [low, high] pair")
        low, high = (number(v, f"domain[{i}]") for v in pair)
        if not low < high:
            raise LabRequestError(f"domain[{i}]={pair} needs low < high")
        out.append((low, high))
    return out


def _counts(ends: np.ndarray, ok: np.ndarray, decimals: int) -> list[dict[str, Any]]:
    if not ok.any():
        return []
    points, counts = np.unique(ends[ok].round(decimals) + 0.0, axis=0, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    return [{"x": clean_json(points[i]), "count": int(counts[i])} for i in order]


def run_starts(body: Any, limits: Limits) -> dict[str, Any]:
    """Answer ``POST /api/starts``: each start's path and end, and the minima found."""
    obj, meta = resolve(body, limits)
    domain = _domain(body, meta)
    k = whole(body.get("n_starts", 20), "n_starts", 1, limits.max_starts)
    steps = whole(body.get("steps", 500), "steps", 1, limits.max_start_steps)
    seed = whole(body.get("seed", 0), "seed", 0, 2**31 - 1)
    method = body.get("method", "restarts")
    if method == "restarts":
        opt, settings = build_optimizer(body.get("optimizer", {"name": "adam", "lr": 0.05}))
        tol = number(body.get("tol", 1e-4), "tol", low=0.0)
        rr = random_restarts(
            obj, k, domain=domain, optimizer=opt, max_iter=steps, tol=tol, seed=seed
        )
        paths = [
            minimize(obj, s, optimizer=opt, max_iter=steps, tol=tol, engine="numpy").history.x
            for s in rr.starts
        ]
        starts, ends, status = rr.starts, rr.x, rr.status
        fun = rr.fun
        decimals = 2
        found = _counts(ends, status != "diverged", decimals)
        best = {"x": clean_json(rr.best.x), "fun": clean_json(rr.best.fun), "index": rr.best_index}
    elif method == "annealing":
        a = body.get("annealing", {})
        if not isinstance(a, dict):
            raise LabRequestError("annealing must be an object of lr, temperature, cooling, noise")
        lr = number(a.get("lr", 0.01), "annealing.lr", positive=True)
        temperature = number(a.get("temperature", 2.0), "annealing.temperature", positive=True)
        cooling = number(a.get("cooling", 0.99), "annealing.cooling", positive=True)
        noise = number(a.get("noise", 0.5), "annealing.noise", low=0.0)
        settings = {"lr": lr, "temperature": temperature, "cooling": cooling, "noise": noise}
        box = np.array(domain)
        rng = np.random.default_rng(seed)
        starts = box[:, 0] + (box[:, 1] - box[:, 0]) * rng.random((k, len(box)))
        results = [
            simulated_annealing(
                obj, s, lr=lr, temperature=temperature, cooling=cooling, noise=noise,
                max_iter=steps, seed=seed + i,
            )
            for i, s in enumerate(starts)
        ]  # fmt: skip
        paths = [r.history.x for r in results]
        ends = np.array([r.x for r in results])
        fun = np.array([r.fun for r in results])
        status = np.array([r.status for r in results])
        decimals = 1
        found = _counts(ends, np.isfinite(fun), decimals)
        i_best = int(np.nanargmin(fun))
        best = {"x": clean_json(ends[i_best]), "fun": clean_json(fun[i_best]), "index": i_best}
    else:
        raise LabRequestError(f"method={method!r}; choose 'restarts' or 'annealing'")
    for f in found:  # J at each found point, unrounded: the mean end of the runs there
        f["fun"] = clean_json(
            float(np.mean(fun[np.all(ends.round(decimals) + 0.0 == f["x"], axis=1)]))
        )
    meta = {**meta, "domain": [list(pair) for pair in domain]}
    surface = landscape(obj, meta, [], list(np.mean(domain, axis=1)), 60)
    public = {key: v for key, v in meta.items() if key != "x0"}
    return {
        "function": body["function"],
        **public,
        "method": method,
        "settings": settings,
        "seed": seed,
        "runs": [
            {
                "start": clean_json(s),
                "end": clean_json(e),
                "fun": clean_json(f),
                "status": str(st),
                "path": clean_json(_thin(p)),
                "path_fun": clean_json(obj.value(_thin(p))),
            }
            for s, e, f, st, p in zip(starts, ends, fun, status, paths, strict=True)
        ],
        "found": found,
        "decimals": decimals,
        "best": best,
        "surface": surface,
    }
