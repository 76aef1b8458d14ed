"""Model files: JSON only (never pickle), written atomically.

:func:`save_model` writes a fitted ``GDRegressor`` or ``GDClassifier`` (as ``descend fit --out
model.json`` does) and :func:`load_model` reads it back as a :class:`SavedModel` that predicts.

The schema (``format`` ``"descend-model"``, ``version`` 1)::

    {
      "format": "descend-model", "version": 1, "descend_version": "0.1.0",
      "task": "regression" | "classification",
      "loss": "squared_error", "penalty": "l2", "alpha": 0.0001,
      "features": ["size_m2", "bedrooms", "age_years"],   # column names, in order
      "target": "price_k",
      "classes": null | ["setosa", "versicolor", "virginica"],  # sorted labels
      "coef": [w₁, ..., w_d]            (regression)
            | [[w₁, ..., w_d], ...]     (classification: one row, or one per class)
      "intercept": b | [b₁, ...],
      "scaler": null | {"mean": [...], "scale": [...]},   # informational: coef and intercept
                                                          # already refer to the raw features
      "metrics": {"train": {...}, "validation": {...}},
      "training": {"optimizer": ..., "lr": ..., "batch_size": ..., "epochs": ..., ...}
    }

Predictions are z = X·coefᵀ + intercept on the raw features: the value itself for regression;
for classification with one row of coefficients the label ``classes[1]`` where z > 0, else
``classes[0]``; with one row per class the label of the largest score.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from descend.base.errors import DataError, ShapeError
from descend.base.files import atomic_write_bytes
from descend.models.linear import labels, scores

FORMAT = "descend-model"
VERSION = 1
_TASKS = ("regression", "classification")


def model_document(
    estimator: Any,
    *,
    task: str,
    features: list[str],
    target: str,
    metrics: dict[str, Any],
    training: dict[str, Any],
) -> dict[str, Any]:
    """The JSON document of a fitted GDRegressor or GDClassifier."""
    from descend.base.version import __version__

    coef = np.asarray(estimator.coef_, dtype=np.float64)
    intercept: Any = np.asarray(estimator.intercept_, dtype=np.float64)
    classes = None
    if task == "classification":
        classes = [_label(c) for c in estimator.classes_]
        coef_out: Any = coef.reshape(-1, len(features)).tolist()
        intercept = intercept.reshape(-1).tolist()
    else:
        coef_out = coef.reshape(-1).tolist()
        intercept = float(intercept.reshape(-1)[0])
    scaler = None
    if getattr(estimator, "scaler_mean_", None) is not None:
        scaler = {
            "mean": np.asarray(estimator.scaler_mean_).tolist(),
            "scale": np.asarray(estimator.scaler_scale_).tolist(),
        }
    return {
        "format": FORMAT,
        "version": VERSION,
        "descend_version": __version__,
        "task": task,
        "loss": estimator.loss,
        "penalty": estimator.penalty,
        "alpha": float(estimator.alpha),
        "features": list(features),
        "target": target,
        "classes": classes,
        "coef": coef_out,
        "intercept": intercept,
        "scaler": scaler,
        "metrics": metrics,
        "training": training,
    }


def _label(value: Any) -> Any:
    """A class label as a JSON value (numbers stay numbers, everything else a string)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, int | float | str | bool) else str(value)


def write_document(document: dict[str, Any], path: Path) -> None:
    """Write the document as JSON, atomically (temp file in the same folder, then rename)."""
    text = json.dumps(document, indent=2, allow_nan=False)
    atomic_write_bytes(path, (text + "\n").encode("utf-8"))


def _bad(path: Path, why: str) -> DataError:
    return DataError(
        f"{str(path)!r} is not a valid descend model file: {why}"
        + ("" if why.endswith("\n") else "; ")
        + "create one with 'descend fit ... --out model.json'"
    )


def _numbers(value: Any) -> NDArray[np.float64]:
    return np.asarray(value, dtype=np.float64)


def read_document(path: Path) -> dict[str, Any]:
    """Read and validate a model file against the schema (:mod:`descend.io.model_schema`).

    Raises
    ------
    DataError
        The file is not JSON, is nested too deeply, or breaks the schema: the message has one
        line per problem.
    """
    from descend.io.model_schema import problems

    raw = Path(path).read_bytes()
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _bad(path, f"it is not JSON ({exc})") from None
    except RecursionError:
        raise _bad(path, "it is nested too deeply to be a model") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _bad(path, f"'format' is not {FORMAT!r}")
    if doc.get("version") != VERSION:
        raise _bad(path, f"version {doc.get('version')!r} is not supported (expected {VERSION})")
    found = problems(doc)
    if found:
        raise _bad(path, f"{len(found)} problem(s):\n" + "\n".join(found) + "\n")
    doc["coef"] = _numbers(doc["coef"])
    if doc["task"] == "regression":
        doc["intercept"] = float(doc["intercept"])
    else:
        doc["intercept"] = _numbers(doc["intercept"])
    return doc


def predict(doc: dict[str, Any], X: NDArray[np.float64]) -> NDArray[Any]:
    """Predictions of a loaded model for raw features X of shape (m, d).

    Raises
    ------
    DataError
        A score X·coefᵀ + intercept overflows (is not finite) for some row: no prediction is
        returned rather than an infinite one.
    """
    with np.errstate(all="ignore"):
        z = scores(X, doc["coef"], doc["intercept"])
    bad = ~np.isfinite(z).reshape(len(X), -1).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise DataError(
            f"the model's prediction is not finite for {rows.size} row(s) (the first is row "
            f"{rows[0] + 1}): the features times the coefficients overflow; check the data "
            "and the model file"
        )
    if doc["task"] == "regression":
        return z
    return labels(z, np.asarray(doc["classes"], dtype=object))


def finite_or_none(value: float) -> float | None:
    """A float for JSON: None for NaN or infinities."""
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class SavedModel:
    """A model read back by :func:`load_model`: its validated document, and ``predict``."""

    document: dict[str, Any]

    @property
    def task(self) -> str:
        """``"regression"`` or ``"classification"``."""
        return str(self.document["task"])

    @property
    def features(self) -> list[str]:
        """The feature columns, in the order ``predict`` takes them."""
        return list(self.document["features"])

    @property
    def target(self) -> str:
        """The name of the target column the model was trained on."""
        return str(self.document["target"])

    @property
    def classes(self) -> list[Any] | None:
        """The class labels of a classifier (None for regression)."""
        return self.document["classes"]

    def predict(self, X: Any) -> NDArray[Any]:
        """Predictions for raw features X of shape (m, d), columns in the order of ``features``."""
        X = np.asarray(X, dtype=np.float64)
        d = len(self.features)
        if X.ndim != 2 or X.shape[1] != d:
            raise ShapeError(
                f"X has shape {X.shape}; the model takes {d} feature column(s): "
                + ", ".join(self.features)
            )
        return predict(self.document, X)


def save_model(
    estimator: Any,
    path: str | Path,
    *,
    features: list[str] | None = None,
    target: str = "y",
    metrics: dict[str, Any] | None = None,
    training: dict[str, Any] | None = None,
) -> None:
    """Write a fitted ``GDRegressor`` or ``GDClassifier`` to a JSON model file, atomically.

    ``features`` default to the estimator's ``feature_names_in_`` (a DataFrame's columns), else
    ``x0, x1, ...``; a classifier is recognised by its ``classes_``.

    >>> import os, tempfile
    >>> import numpy as np
    >>> from descend import GDRegressor
    >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 3.0, 5.0])
    >>> est = GDRegressor(penalty=None, lr="auto", max_epochs=500, tol=None).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "line.json")
    >>> save_model(est, path, features=["x"], target="y")
    >>> load_model(path).predict([[3.0]]).round(6)   # y = 2x + 1
    array([7.])
    """
    n = int(np.asarray(estimator.coef_).reshape(-1).size)
    task = "classification" if hasattr(estimator, "classes_") else "regression"
    if features is None:
        names = getattr(estimator, "feature_names_in_", None)
        d = n if task == "regression" else int(np.asarray(estimator.coef_).shape[-1])
        features = [str(f) for f in names] if names is not None else [f"x{i}" for i in range(d)]
    document = model_document(
        estimator, task=task, features=list(features), target=target,
        metrics=metrics or {}, training=training or {},
    )  # fmt: skip
    write_document(document, Path(path))


def load_model(path: str | Path) -> SavedModel:
    """Read and validate a model file (one line per problem, as :class:`~descend.DataError`)."""
    return SavedModel(read_document(Path(path)))
