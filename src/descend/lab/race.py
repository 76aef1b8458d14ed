"""The race: several optimizers from one start on one function, every step's numbers kept.

Each run is :func:`descend.minimize` (its path, losses, status and message are the engine's).
The per-step table then replays that path through the same optimizer's public ``init`` and
``update``: at step t it calls ``update(∇J(θ_t), state, θ_t)`` and reports the state it returns
(m, v, G, the momentum buffer...), the step Δθ and the effective learning rate −Δθᵢ/gᵢ. The
replayed θ_t + Δθ is checked against the engine's θ_{t+1}, so the table and the path agree.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from descend.base.errors import ExpressionError
from descend.engine.minimize import minimize
from descend.lab.spec import (
    LabRequestError,
    Limits,
    build_optimizer,
    number,
    point,
    require,
    text,
    whole,
)
from descend.objectives.functions import FUNCTIONS, expression_text, function
from descend.objectives.objective import Objective
from descend.optim.transform import ChainState, GradientTransformation

#: How the optimizer states' fields are shown: (state class, field) -> (label, shown when).
_STATE_LABELS: dict[tuple[str, str], tuple[str, Any]] = {
    ("MomentumState", "buffer"): ("b", None),
    ("AdagradState", "sum_sq"): ("G", None),
    ("RMSpropState", "square_avg"): ("E[g²]", None),
    ("RMSpropState", "grad_avg"): ("E[g]", "centered"),
    ("RMSpropState", "buffer"): ("b", "momentum"),
    ("AdamState", "m"): ("m", None),
    ("AdamState", "v"): ("v", None),
    ("AdamState", "v_max"): ("v_max", "amsgrad"),
}


def clean_json(a: Any) -> Any:
    """Arrays as JSON lists with None for every non-finite number."""
    arr = np.asarray(a, dtype=np.float64)
    out = np.where(np.isfinite(arr), arr, np.nan).tolist()
    if isinstance(out, list):
        return _none(out)
    return None if out != out else out


def _none(values: list[Any]) -> list[Any]:
    return [_none(v) if isinstance(v, list) else (None if v != v else v) for v in values]


@functools.lru_cache(maxsize=64)
def objective_of(source: str) -> tuple[Objective, dict[str, Any]]:
    """The objective for a built-in name or a typed expression, and what the page shows of it.

    Cached per process: a worker parses each distinct text once.
    """
    import sympy

    from descend.objectives.expression import expression

    key = source.strip().lower().replace("-", "_").replace(" ", "_")
    if key in FUNCTIONS:
        fn = function(key)
        info: dict[str, Any] = {
            "builtin": fn.name,
            "title": fn.title,
            "formula": fn.formula,
            "domain": [list(b) for b in fn.domain],
            "x0": list(fn.x0),
            "minima": [list(m) for m in fn.minima],
            "local_minima": [list(m) for m in fn.local_minima],
        }
        as_text = expression_text(fn)
        if as_text is None:
            info.update(gradient=[], latex={"f": None, "gradient": []})
        else:
            expr = expression(as_text, fn.variables)
            info.update(_formulas(expr, sympy))
        return fn.to_objective(), {"variables": list(fn.variables), "n": fn.n, **info}
    try:
        expr = expression(source)
    except ExpressionError as exc:
        raise LabRequestError(str(exc), position=exc.position) from None
    meta = {
        "variables": list(expr.variables),
        "n": expr.n,
        "builtin": None,
        **_formulas(expr, sympy),
    }
    return expr.to_objective(), meta


def _formulas(expr: Any, sympy: Any) -> dict[str, Any]:
    return {
        "gradient": list(expr.gradient_formulas),
        "latex": {
            "f": sympy.latex(expr.sympy),
            "gradient": [sympy.latex(g) for g in expr.gradient_sympy],
        },
    }


def resolve(body: dict[str, Any], limits: Limits) -> tuple[Objective, dict[str, Any]]:
    """The request's ``function`` as an objective, checked against the variable cap."""
    obj, meta = objective_of(text(require(body, "function"), "function"))
    if meta["n"] == 0:
        raise LabRequestError("the function has no variables; use x (and y), e.g. x**2 + y**2")
    if meta["n"] > limits.max_variables:
        raise LabRequestError(
            f"the function has {meta['n']} variables; the lab takes at most {limits.max_variables}"
        )
    return obj, meta


def _state_leaves(state: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """The arrays of an optimizer state, by their names in the update rules."""
    out: dict[str, Any] = {}
    for s in state.states if isinstance(state, ChainState) else (state,):
        if isinstance(s, ChainState):
            out.update(_state_leaves(s, settings))
            continue
        for field in getattr(s, "_fields", ()):
            label, when = _STATE_LABELS.get((type(s).__name__, field), (None, None))
            value = getattr(s, field)
            if label is None or value is None or (when is not None and not settings.get(when)):
                continue
            out[label] = value
    return out


def replay(
    obj: Objective, path: np.ndarray, opt: GradientTransformation, sign: float, settings: dict
) -> list[dict[str, Any]]:
    """Step ``opt`` along the engine's ``path``: one table row per update."""
    grads = sign * np.asarray(obj.gradient(path), dtype=np.float64).reshape(path.shape)
    state = opt.init(path[0])
    rows = []
    with np.errstate(all="ignore"):
        for t in range(len(path) - 1):
            g = grads[t]
            step, state = opt.update(g, state, path[t])
            if not np.allclose(path[t] + step, path[t + 1], rtol=1e-9, atol=1e-12):
                raise RuntimeError("the replayed step does not match the engine's path")
            effective = np.where(g != 0, -step / np.where(g != 0, g, 1.0), np.nan)
            rows.append(
                {
                    "t": t + 1,
                    "theta": clean_json(path[t]),
                    "grad": clean_json(sign * g),
                    "state": {k: clean_json(v) for k, v in _state_leaves(state, settings).items()},
                    "step": clean_json(step),
                    "effective_lr": clean_json(effective),
                    "theta_next": clean_json(path[t + 1]),
                }
            )
    return rows


def run_race(body: Any, limits: Limits) -> dict[str, Any]:
    """Answer ``POST /api/race``: the function's formulas, every run, and the surface."""
    obj, meta = resolve(body, limits)
    n = meta["n"]
    if body.get("x0", meta.get("x0")) is None:
        raise LabRequestError(f"x0 is missing: give the start as a list of {n} number(s)")
    x0 = point(body.get("x0", meta.get("x0")), "x0", n)
    steps = whole(body.get("steps", 50), "steps", 1, limits.max_steps)
    tol = number(body.get("tol", 1e-6), "tol", low=0.0)
    maximize = body.get("maximize", False)
    if not isinstance(maximize, bool):
        raise LabRequestError("maximize must be true or false")
    specs = require(body, "optimizers")
    if not isinstance(specs, list) or not specs:
        raise LabRequestError("optimizers must be a non-empty list")
    if len(specs) > limits.max_optimizers:
        raise LabRequestError(
            f"{len(specs)} optimizers is above the lab's limit of {limits.max_optimizers}"
        )
    built = [build_optimizer(s, f"optimizers[{i}]") for i, s in enumerate(specs)]
    sign = -1.0 if maximize else 1.0
    runs = []
    for opt, settings in built:
        try:
            r = minimize(
                obj, x0, optimizer=opt, max_iter=steps, tol=tol, maximize=maximize, engine="numpy"
            )
        except ExpressionError as exc:
            raise LabRequestError(str(exc), position=exc.position) from None
        h = r.history
        table = replay(obj, h.x, opt, sign, settings)
        for row, alpha in zip(table, clean_json(h.lr), strict=True):
            row["lr"] = alpha
        runs.append(
            {
                "name": settings["name"],
                "label": settings["label"],
                "settings": settings,
                "x": clean_json(h.x),
                "loss": clean_json(h.fun),
                "grad_norm": clean_json(h.grad_norm),
                "lr": clean_json(h.lr),
                "status": r.status,
                "message": r.message,
                "nit": r.nit,
                "diverged_at": r.diverged_at,
                "suggested_lr": r.suggested_lr,
                "steps": table,
            }
        )
    grid = whole(body.get("grid", 60), "grid", 10, limits.max_grid)
    surface = landscape(obj, meta, [np.asarray(r["x"], dtype=float) for r in runs], x0, grid)
    public = {k: v for k, v in meta.items() if k != "x0"}
    return {"function": body["function"], "x0": x0, **public, "runs": runs, "surface": surface}


def box_for(meta: dict[str, Any], points: list[np.ndarray], x0: list[float]) -> np.ndarray:
    """The plotting box: the built-in's domain or one around x0, grown to hold the paths."""
    n = meta["n"]
    if meta.get("domain"):
        box = np.array(meta["domain"], dtype=float)
    else:
        half = max(2.0, 1.5 * float(np.max(np.abs(x0))))
        box = np.array([[-half, half]] * n)
    reach = 10.0 * float(np.max(np.abs(box)))
    for p in points:
        p = p[np.all(np.isfinite(p), axis=1) & np.all(np.abs(p) <= reach, axis=1)]
        if len(p):
            box[:, 0] = np.minimum(box[:, 0], p.min(axis=0))
            box[:, 1] = np.maximum(box[:, 1], p.max(axis=0))
    pad = 0.05 * (box[:, 1] - box[:, 0])
    return np.column_stack([box[:, 0] - pad, box[:, 1] + pad])


def landscape(
    obj: Objective, meta: dict[str, Any], points: list[np.ndarray], x0: list[float], grid: int
) -> dict[str, Any] | None:
    """J on a grid over the box: a curve for f(x), a grid for f(x, y), nothing above that."""
    n = meta["n"]
    if n > 2:
        return None
    box = box_for(meta, points, x0)
    if n == 1:
        xs = np.linspace(box[0, 0], box[0, 1], 8 * grid)
        with np.errstate(all="ignore"):
            zs = np.asarray(obj.value(xs[:, None]), dtype=float)
        return {"x": clean_json(xs), "z": clean_json(zs), "box": box.tolist()}
    xs = np.linspace(box[0, 0], box[0, 1], grid)
    ys = np.linspace(box[1, 0], box[1, 1], grid)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = np.asarray(obj.value(np.column_stack([X.ravel(), Y.ravel()])), dtype=float)
    return {
        "x": clean_json(xs),
        "y": clean_json(ys),
        "z": clean_json(Z.reshape(X.shape)),
        "box": box.tolist(),
    }


def function_table() -> list[dict[str, Any]]:
    """What ``GET /api/functions`` answers: the built-ins of one and two variables."""
    out = []
    for name in FUNCTIONS:
        fn = function(name)
        if fn.n > 2:
            continue
        out.append(
            {
                "name": fn.name,
                "title": fn.title,
                "formula": fn.formula,
                "n": fn.n,
                "variables": list(fn.variables),
                "domain": [list(b) for b in fn.domain],
                "x0": list(fn.x0),
                "minima": [list(m) for m in fn.minima],
                "fmin": fn.fmin if np.isfinite(fn.fmin) else None,
            }
        )
    return out
