"""Training a model live: batch, stochastic and mini-batch descent side by side, epoch by epoch.

Each mode is one :func:`descend.fit` call whose ``callback`` emits an event after every epoch
(its loss, θ, the accuracy of a classifier, and what the page draws: the fitted line for one
feature, the decision scores on a grid for two). The three fits run in threads of one worker,
so their events arrive interleaved as they are computed.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from descend.base.errors import DescendError
from descend.engine.fit import fit
from descend.io.datasets import DATASETS, load_dataset
from descend.io.table import Table, load_table
from descend.lab.race import clean_json
from descend.lab.spec import LabRequestError, Limits, build_optimizer, require, text, whole
from descend.models.linear import (
    LinearModel,
    linear_regression,
    linear_svm,
    logistic_regression,
    softmax_regression,
)

Emit = Callable[[dict[str, Any]], None]

#: The models a learner can train, and whether their target is class labels.
MODELS = {"linear": False, "logistic": True, "svm": True, "softmax": True}
#: Cells per side of the grid of decision scores sent for two features.
GRID = 25


def load(body: dict[str, Any], limits: Limits) -> Table:
    """The bundled data set or the uploaded CSV text, checked against the caps."""
    if body.get("csv") is not None:
        csv = text(body["csv"], "csv", limits.max_body_bytes)
        target = text(require(body, "target"), "target", 200)
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "upload.csv")
            with open(path, "w", encoding="utf-8") as f:
                f.write(csv)
            try:
                table = load_table(path, target)
            except DescendError as exc:
                raise LabRequestError(str(exc).replace(path, "the uploaded CSV")) from None
    else:
        name = require(body, "dataset")
        if name not in DATASETS:
            raise LabRequestError(
                f"unknown dataset {name!r}; the bundled ones are {', '.join(DATASETS)}"
            )
        table = load_dataset(name)
    if table.n_rows > limits.max_rows:
        raise LabRequestError(
            f"the data has {table.n_rows} rows; the lab trains on at most {limits.max_rows}"
        )
    if table.n_features > limits.max_columns:
        raise LabRequestError(
            f"the data has {table.n_features} feature columns; the limit is {limits.max_columns}"
        )
    return table


def _model(kind: str, X: np.ndarray, y: np.ndarray) -> tuple[LinearModel, np.ndarray, list]:
    """The model and y encoded for its loss; the class labels (empty for regression)."""
    d = X.shape[1]
    if kind == "linear":
        if y.dtype == object:
            raise LabRequestError("linear regression needs a numeric target; pick a classifier")
        return linear_regression(d), y.astype(np.float64), []
    classes, codes = np.unique(y.astype(str) if y.dtype == object else y, return_inverse=True)
    labels = [c.item() if hasattr(c, "item") else c for c in classes]
    if kind == "softmax":
        if len(classes) < 2:
            raise LabRequestError("the target has one class; a classifier needs two or more")
        return softmax_regression(d, len(classes)), codes.astype(np.float64), labels
    if len(classes) != 2:
        raise LabRequestError(
            f"{kind} needs a target of two classes, this one has {len(classes)}; use softmax"
        )
    if kind == "svm":
        return linear_svm(d), 2.0 * codes - 1.0, labels
    return logistic_regression(d), codes.astype(np.float64), labels


class _Scaler:
    """x′ = (x − μ)/σ on the training features (σ = 1 for a constant column)."""

    def __init__(self, X: np.ndarray, on: bool) -> None:
        self.mu = X.mean(axis=0) if on else np.zeros(X.shape[1])
        sigma = X.std(axis=0) if on else np.ones(X.shape[1])
        self.sigma = np.where(sigma > 0, sigma, 1.0)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mu) / self.sigma


def _view(model: LinearModel, X: np.ndarray, scale: _Scaler) -> dict[str, Any] | None:
    """Where the page evaluates the model: a line over x, or a grid over (x₁, x₂)."""
    low, high = X.min(axis=0), X.max(axis=0)
    pad = 0.05 * np.where(high > low, high - low, 1.0)
    low, high = low - pad, high + pad
    if X.shape[1] == 1 and model.n_outputs == 1 and model.loss_fn.name == "squared":
        return {"kind": "line", "x": np.linspace(low[0], high[0], 50)}
    if X.shape[1] == 2:
        g1, g2 = np.linspace(low[0], high[0], GRID), np.linspace(low[1], high[1], GRID)
        return {"kind": "grid", "x": g1, "y": g2, "points": np.array(np.meshgrid(g1, g2))}
    return None


def _drawn(model: LinearModel, theta: np.ndarray, view: Any, scale: _Scaler) -> Any:
    if view is None:
        return None
    if view["kind"] == "line":
        return clean_json(model.decision(theta, scale(view["x"][:, None])))
    P = view["points"].reshape(2, -1).T
    z = model.decision(theta, scale(P))
    z = z.argmax(axis=1).astype(float) if z.ndim == 2 else z
    return clean_json(z.reshape(GRID, GRID))


def _accuracy(model: LinearModel, theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> Any:
    if model.loss_fn.name == "squared":
        return None
    z = model.decision(theta, X)
    if z.ndim == 2:
        return float(np.mean(z.argmax(axis=1) == y))
    threshold_y = (y > 0).astype(float)
    return float(np.mean((z > 0).astype(float) == threshold_y))


def _modes(body: dict[str, Any], n_rows: int) -> list[tuple[str, int | str]]:
    b = whole(body.get("batch_size", min(8, n_rows)), "batch_size", 1, max(1, n_rows))
    wanted = body.get("modes", ["batch", "stochastic", "minibatch"])
    table: dict[str, int | str] = {"batch": "full", "stochastic": 1, "minibatch": b}
    if not isinstance(wanted, list) or not wanted or not set(wanted) <= set(table):
        raise LabRequestError("modes must be a list drawn from 'batch', 'stochastic', 'minibatch'")
    return [(m, table[m]) for m in wanted]


def run_train(body: Any, limits: Limits, emit: Emit) -> dict[str, Any]:
    """Answer ``POST /api/train``: a ``start`` event, ``epoch`` events, then the summary."""
    if not isinstance(body, dict):
        raise LabRequestError("the request body must be a JSON object")
    table = load(body, limits)
    kind = body.get("model", "linear")
    if kind not in MODELS:
        raise LabRequestError(f"model={kind!r}; choose one of {', '.join(MODELS)}")
    X = np.asarray(table.X, dtype=np.float64)
    model, y, labels = _model(kind, X, table.y)
    scale = _Scaler(X, body.get("standardize", True) is not False)
    Xs = scale(X)
    epochs = whole(body.get("epochs", 50), "epochs", 1, limits.max_epochs)
    seed = whole(body.get("seed", 0), "seed", 0, 2**31 - 1)
    opt, settings = build_optimizer(body.get("optimizer", {"name": "sgd", "lr": 0.1}))
    modes = _modes(body, table.n_rows)
    view = _view(model, X, scale)
    emit(
        {
            "event": "start",
            "features": list(table.feature_names),
            "target": table.target_name,
            "classes": labels,
            "X": clean_json(X[:, :2]),
            "y": clean_json(y),
            "view": None if view is None else
            {"kind": view["kind"], "x": clean_json(view["x"]), "y": clean_json(view.get("y", []))},
            "modes": [{"mode": m, "batch_size": b} for m, b in modes],
            "settings": settings,
        }
    )  # fmt: skip
    lock = threading.Lock()
    summary: list[dict[str, Any]] = [{} for _ in modes]

    def send(event: dict[str, Any]) -> None:
        with lock:
            emit(event)

    def event(i: int, epoch: int, loss: float, theta: Any) -> dict[str, Any]:
        return {
            "event": "epoch",
            "mode": i,
            "epoch": epoch,
            "loss": clean_json(loss),
            "theta": clean_json(theta),
            "accuracy": _accuracy(model, theta, Xs, y),
            "drawn": _drawn(model, theta, view, scale),
        }

    def train(i: int, mode: str, batch_size: int | str) -> None:
        theta0 = model.init_params()
        send(event(i, 0, model.loss_value(theta0, Xs, y), theta0))
        try:
            r = fit(
                model, Xs, y, optimizer=opt, batch_size=batch_size, max_epochs=epochs, tol=None,
                seed=seed, kernel="numpy",
                callback=lambda info: send(event(i, info.epoch, info.loss, info.theta)),
            )  # fmt: skip
            summary[i] = {"mode": mode, "status": r.status, "message": r.message,
                          "loss": clean_json(r.loss), "n_steps": r.n_steps}  # fmt: skip
        except DescendError as exc:
            summary[i] = {"mode": mode, "status": "error", "message": str(exc)}

    threads = [threading.Thread(target=train, args=(i, m, b)) for i, (m, b) in enumerate(modes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"event": "end", "runs": summary}
