"""What ``descend fit`` shares with the out-of-core fit (:mod:`descend.cli.scale`): reading the
table, choosing the task, building and training the estimator, and reporting the result.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.table import Table as RichTable

from descend.base.errors import DataError
from descend.cli.common import (
    fmt,
    progress_bar,
)
from descend.cli.parse import build_optimizer, parse_spec
from descend.io.model_files import finite_or_none
from descend.io.table import Table
from descend.models.linear import LinearModel
from descend.optim.rules import OPTIMIZERS

CLASSIFICATION_DATASETS = ("exam_pass", "iris")
CLASSIFICATION_LOSSES = ("log_loss", "hinge", "softmax")


def load_data(
    data: Path | None,
    dataset: str | None,
    target: str | None,
    features: str | None,
    task: str | None,
) -> tuple[Table, str]:
    """The table to learn from and a short description of where it came from.

    Without a file: ``--dataset``, else house_prices (or exam_pass for classification).
    """
    from descend.io.datasets import load_dataset
    from descend.io.table import load_table, read_table_columns

    wanted = None if features is None else [f.strip() for f in features.split(",") if f.strip()]
    if data is not None:
        if dataset is not None:
            raise typer.BadParameter(
                "give a data file or --dataset, not both", param_hint="--dataset"
            )
        if target is None:
            columns = ", ".join(read_table_columns(data))
            raise typer.BadParameter(
                f"name the column to predict; the columns of {str(data)!r} are: {columns}",
                param_hint="--target",
            )
        return load_table(data, target, features=wanted), str(data)
    classify = (task or "").strip().lower() == "classification"
    name = dataset or ("exam_pass" if classify else "house_prices")
    table = load_dataset(name)
    if target is not None and target != table.target_name:
        raise DataError(
            f"unknown target {target!r}: the bundled dataset {name!r} predicts "
            f"{table.target_name!r}; leave out --target, or fit a file of your own"
        )
    if wanted is not None:
        missing = [f for f in wanted if f not in table.feature_names]
        if missing:
            raise DataError(
                f"feature column {missing[0]!r} is not in the dataset; its features "
                f"are: {', '.join(table.feature_names)}"
            )
        index = [table.feature_names.index(f) for f in wanted]
        table = Table(
            np.ascontiguousarray(table.X[:, index]),
            table.y,
            tuple(wanted),
            table.target_name,
            table.path,
        )
    return table, f"bundled dataset {table.path.strip('<>').split(':')[-1]}"


def choose_task(
    task: str | None, loss: str | None, table: Table, bundled: str | None
) -> tuple[str, str]:
    """The task, and why it was chosen when it was inferred ("" when ``--task`` set it).

    Inferred from the data's type, never from a file's name: text or boolean labels (or a
    classification loss) mean classification, numbers mean regression; of the bundled data
    sets, exam_pass and iris are classification.
    """
    if task is not None:
        key = task.strip().lower()
        if key not in ("regression", "classification"):
            raise typer.BadParameter(
                f"{task!r}; choose regression or classification", param_hint="--task"
            )
        if key == "regression" and table.is_labelled:
            raise DataError(
                f"target {table.target_name!r} holds text labels, which regression "
                "cannot fit; use --task classification"
            )
        return key, ""
    if loss in CLASSIFICATION_LOSSES:
        return "classification", f"the loss {loss} classifies"
    if table.is_labelled:
        return "classification", f"the target {table.target_name!r} holds labels"
    if bundled is not None and bundled in CLASSIFICATION_DATASETS:
        return "classification", f"the bundled dataset {bundled} is a classification task"
    return "regression", f"the target {table.target_name!r} holds numbers"


def check_classes(table: Table, loss: str | None) -> None:
    """A classifier needs a target of classes, not continuous numbers."""
    if table.is_labelled:
        return
    y = np.asarray(table.y, dtype=np.float64)
    if np.all(y == np.round(y)):
        return
    example = next(float(v) for v in y if v != round(v))
    how = f"--loss {loss}" if loss is not None else "classification"
    raise DataError(
        f"target {table.target_name!r} holds continuous values (e.g. {example:g}), which "
        f"{how} cannot fit: it predicts classes; use a regression loss (squared_error, "
        "absolute_error, huber) or a target of class labels"
    )


def parse_batch_size(text: str) -> int | str:
    if text.strip().lower() == "full":
        return "full"
    try:
        value = int(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}; give 'full' or a whole number of rows, e.g. 32", param_hint="--batch-size"
        ) from None
    if value < 1:
        raise typer.BadParameter(f"{value} must be >= 1", param_hint="--batch-size")
    return value


def split_rows(table: Table, fraction: float, seed: int, classify: bool) -> tuple[Any, ...]:
    """Train and validation rows; no validation set when it would hold fewer than 2 rows."""
    if not 0 <= fraction < 1:
        raise typer.BadParameter(f"{fraction} must be in [0, 1)", param_hint="--validation")
    m = table.n_rows
    n_val = round(fraction * m)
    if n_val < 2 or m - n_val < 2:
        return table.X, table.y, table.X[:0], table.y[:0]
    from sklearn.model_selection import train_test_split

    stratify = None
    if classify:
        _, counts = np.unique(table.y, return_counts=True)
        if counts.min() >= 2 and n_val >= len(counts):
            stratify = table.y
    X_tr, X_val, y_tr, y_val = train_test_split(
        table.X, table.y, test_size=n_val, random_state=seed, stratify=stratify
    )
    return X_tr, y_tr, X_val, y_val


def engine_loss(est: Any, X: Any, y: Any, classify: bool) -> float:
    """The mean per-sample loss of the fitted model on (X, y), from the engine's LinearModel."""
    if len(X) == 0:
        return math.nan
    coef = np.asarray(est.coef_, dtype=np.float64)
    if not classify:
        model = LinearModel(X.shape[1], 1, est.loss)
        return model.loss_value(model.pack(coef, est.intercept_), X, np.asarray(y, float))
    codes = np.searchsorted(est.classes_, y)
    k = coef.shape[0]
    if k == 1:
        model = LinearModel(X.shape[1], 1, est.loss)
        target = 2.0 * codes - 1.0 if est.loss == "hinge" else codes.astype(np.float64)
        return model.loss_value(model.pack(coef[0], est.intercept_[0]), X, target)
    model = LinearModel(X.shape[1], k, "softmax")
    return model.loss_value(model.pack(coef.T, est.intercept_), X, codes)


def metrics_of(est: Any, X: Any, y: Any, classify: bool) -> dict[str, Any]:
    name = "accuracy" if classify else "r2"
    score = math.nan
    if len(X) >= 2 or (classify and len(X) >= 1):
        score = float(est.score(X, y))
    return {
        "rows": len(X),
        "loss": finite_or_none(engine_loss(est, X, y, classify)),
        name: finite_or_none(score),
    }


def build_estimator(
    task: str,
    loss: str | None,
    penalty: str,
    alpha: float,
    optimizer: str,
    lr: Any,
    batch_size: int | str,
    epochs: int,
    tol: float,
    scale: bool,
    seed: int,
) -> Any:
    from descend.estimators.linear import GDClassifier, GDRegressor

    name, params = parse_spec(optimizer, "--optimizer", tuple(OPTIMIZERS))
    opt: Any = name if not params else build_optimizer(optimizer, None)[1]
    pen = None if penalty.strip().lower() in ("none", "") else penalty.strip().lower()
    cls = GDClassifier if task == "classification" else GDRegressor
    kwargs: dict[str, Any] = dict(
        penalty=pen,
        alpha=alpha,
        optimizer=opt,
        lr=lr,
        batch_size=batch_size,
        max_epochs=epochs,
        tol=tol,
        scale=scale,
        random_state=seed,
    )
    if loss is not None:
        kwargs["loss"] = loss
    return cls(**kwargs)


def train_estimator(est: Any, X: Any, y: Any, show: bool) -> tuple[str, str]:
    """Fit; the status ("converged", "max_epochs" or "diverged") and the engine's message.

    The estimator's warnings (a ConvergenceWarning) are not shown: the status and the message
    are printed, or put in the JSON, instead.
    """
    with warnings.catch_warnings(), progress_bar(show, "fitting", None):
        warnings.simplefilter("ignore")
        est.fit(X, y)
    status, message = str(est.status_), str(est.message_)
    if status == "max_epochs":
        message += "; raise --epochs or --tol"
    return status, message


def coef_rows(est: Any, features: tuple[str, ...], classify: bool) -> list[list[str]]:
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(est.intercept_, dtype=np.float64))
    rows = [["intercept", *(fmt(b) for b in intercept)]]
    rows += [[f, *(fmt(w) for w in coef[:, j])] for j, f in enumerate(features)]
    return rows


def print_report(
    out: Any,
    est: Any,
    table: Table,
    source: str,
    task: str,
    inferred: str,
    metrics: dict[str, Any],
    status: str,
    message: str,
) -> None:
    classify = task == "classification"
    out.print(
        f"data: {source} ({table.n_rows} rows, target {table.target_name!r}, "
        f"features {', '.join(table.feature_names)})",
        markup=False,
    )
    opt = est.optimizer if isinstance(est.optimizer, str) else est.optimizer.name
    out.print(
        f"task: {task}"
        + (f" (inferred: {inferred}; set it with --task)" if inferred else "")
        + f", loss {est.loss}, optimizer {opt}, α = {fmt(est.lr_, 4)}"
        + (" (chosen by lr=auto)" if est.lr == "auto" else ""),
        markup=False,
    )
    score = "accuracy" if classify else "R²"
    key = "accuracy" if classify else "r2"
    t = RichTable(title="Metrics", title_justify="left", header_style="bold")
    for column in ("set", "rows", f"loss ({est.loss})", score):
        t.add_column(column, justify="right" if column != "set" else "left")
    for name in ("train", "validation"):
        m = metrics[name]
        if m["rows"]:
            t.add_row(name, str(m["rows"]), fmt(m["loss"]), fmt(m[key], 4))
    out.print(t)
    c = RichTable(title="Coefficients", title_justify="left", header_style="bold")
    c.add_column("term")
    classes = [str(v) for v in getattr(est, "classes_", [])]
    k = np.atleast_2d(np.asarray(est.coef_)).shape[0]
    heads = ["coef"] if k == 1 else [f"class {v}" for v in classes]
    if classify and k == 1:
        heads = [f"coef (> 0 → {classes[1]})"]
    for h in heads:
        c.add_column(h, justify="right")
    for row in coef_rows(est, table.feature_names, classify):
        c.add_row(*row)
    out.print(c)
    out.print(f"status: {status_line(status, message)}", markup=False)


def status_line(status: str, message: str) -> str:
    """The status and the message, each word once: "converged — the training loss ...".

    >>> status_line("converged", "converged: the loss improved by less than tol")
    'converged — the loss improved by less than tol'
    >>> status_line("diverged", "diverged at epoch 3 (step 30): ...")
    'diverged at epoch 3 (step 30): ...'
    """
    if message.startswith(f"{status}: "):
        return f"{status} — {message[len(status) + 2 :]}"
    return message if message.startswith(status) else f"{status} — {message}"


def quiet_line(metrics: dict[str, Any], classify: bool) -> str:
    key = "accuracy" if classify else "r2"
    parts = []
    for name in ("train", "validation"):
        m = metrics[name]
        if m["rows"]:
            parts.append(f"{name} loss {fmt(m['loss'])} {key} {fmt(m[key], 4)}")
    return "; ".join(parts)


def plot_history(est: Any, path: Path) -> None:
    from descend.plots import plot_loss, save_figure

    fig = plot_loss(
        [est.history_.loss],
        labels=["training loss"],
        title="Training loss",
        xlabel="epoch",
        ylabel=f"loss ({est.loss})",
    )
    save_figure(fig, path)
