"""``descend fit`` and ``descend predict``: train a linear model on a table, save it, use it.

``fit`` reads a CSV/Parquet file (or a bundled data set), holds out a validation share,
trains :class:`~descend.GDRegressor` or :class:`~descend.GDClassifier`,
prints the training and validation loss with R² or accuracy, and can save the model as JSON
(:mod:`descend.io.model_files`). ``predict`` reads such a file back and writes predictions.
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table as RichTable

from descend.base.errors import DataError
from descend.base.files import atomic_write_bytes
from descend.cli.common import (
    EXIT_DIVERGED,
    FIGURE_SUFFIXES,
    check_not_overwriting,
    check_output_path,
    csv_cell,
    csv_text,
    fmt,
    print_json,
    progress_bar,
    show_progress,
    stdout_console,
)
from descend.cli.parse import build_optimizer, parse_lr, parse_spec
from descend.io.model_files import finite_or_none, load_model, model_document, predict, save_model
from descend.io.table import Table
from descend.models.linear import LinearModel
from descend.optim.rules import OPTIMIZERS

_CLASSIFICATION_DATASETS = ("exam_pass", "iris")
_CLASSIFICATION_LOSSES = ("log_loss", "hinge", "softmax")


def _load(
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


def _task(task: str | None, loss: str | None, table: Table, bundled: str | None) -> tuple[str, str]:
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
    if loss in _CLASSIFICATION_LOSSES:
        return "classification", f"the loss {loss} classifies"
    if table.is_labelled:
        return "classification", f"the target {table.target_name!r} holds labels"
    if bundled is not None and bundled in _CLASSIFICATION_DATASETS:
        return "classification", f"the bundled dataset {bundled} is a classification task"
    return "regression", f"the target {table.target_name!r} holds numbers"


def _check_classes(table: Table, loss: str | None) -> None:
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


def _batch_size(text: str) -> int | str:
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


def _split(table: Table, fraction: float, seed: int, classify: bool) -> tuple[Any, ...]:
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


def _engine_loss(est: Any, X: Any, y: Any, classify: bool) -> float:
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


def _metrics(est: Any, X: Any, y: Any, classify: bool) -> dict[str, Any]:
    name = "accuracy" if classify else "r2"
    score = math.nan
    if len(X) >= 2 or (classify and len(X) >= 1):
        score = float(est.score(X, y))
    return {
        "rows": len(X),
        "loss": finite_or_none(_engine_loss(est, X, y, classify)),
        name: finite_or_none(score),
    }


def _estimator(
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


def _train(est: Any, X: Any, y: Any, show: bool) -> tuple[str, str]:
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


def _coef_rows(est: Any, features: tuple[str, ...], classify: bool) -> list[list[str]]:
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(est.intercept_, dtype=np.float64))
    rows = [["intercept", *(fmt(b) for b in intercept)]]
    rows += [[f, *(fmt(w) for w in coef[:, j])] for j, f in enumerate(features)]
    return rows


def _report(
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
    for row in _coef_rows(est, table.feature_names, classify):
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


def fit_command(
    data: Annotated[
        Path | None,
        typer.Argument(
            help="A CSV, TSV or Parquet file; without it, a bundled dataset (see --dataset).",
            show_default=False,
        ),
    ] = None,
    target: Annotated[str | None, typer.Option(help="The column to predict.")] = None,
    features: Annotated[
        str | None,
        typer.Option(help="Feature columns, comma-separated (default: every other column)."),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            help="Bundled dataset: hours_studied, house_prices (the default), exam_pass (the "
            "default for classification), iris."
        ),
    ] = None,
    task: Annotated[
        str | None,
        typer.Option(help="regression or classification (default: inferred from the target)."),
    ] = None,
    loss: Annotated[
        str | None,
        typer.Option(
            help="Regression: squared_error, mse, absolute_error, huber; classification: "
            "log_loss, softmax, hinge."
        ),
    ] = None,
    penalty: Annotated[str, typer.Option(help="none, l2, l1 or elasticnet.")] = "l2",
    alpha: Annotated[float, typer.Option(help="Penalty strength.")] = 1e-4,
    optimizer: Annotated[
        str,
        typer.Option(
            help="Update rule, optionally with hyperparameters, e.g. adam or momentum:beta=0.9."
        ),
    ] = "sgd",
    lr: Annotated[
        str,
        typer.Option(
            help="Learning rate, or auto (a line search for full batches, a range test for "
            "mini-batches)."
        ),
    ] = "auto",
    batch_size: Annotated[
        str,
        typer.Option(help="Rows per update: full (batch GD), 1 (stochastic) or N (mini-batch)."),
    ] = "full",
    epochs: Annotated[int, typer.Option(help="Most passes over the data.")] = 1000,
    tol: Annotated[
        float, typer.Option(help="Stop when the loss improves by less than this for 5 epochs.")
    ] = 1e-4,
    scale: Annotated[
        bool,
        typer.Option(
            help="Standardise the features while training (coefficients stay in raw units)."
        ),
    ] = True,
    validation: Annotated[
        float, typer.Option(help="Share of the rows held out for validation (0 for none).")
    ] = 0.2,
    seed: Annotated[int, typer.Option(help="Seed of the split and the shuffling.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Save the model as JSON (no pickle), e.g. model.json."),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Save the loss curve (PNG, SVG or PDF).")
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON only.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print the metrics only.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace existing --out and --plot files.")
    ] = False,
    stream: Annotated[
        bool, typer.Option(help="Read the file(s) chunk by chunk every epoch (larger than memory).")
    ] = False,
    checkpoint: Annotated[
        Path | None, typer.Option(help="Folder for checkpoints (streams the data).")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Continue from the latest checkpoint in --checkpoint.")
    ] = False,
    scheduler: Annotated[
        str | None, typer.Option(help="Train on a Dask cluster, e.g. tcp://HOST:8786.")
    ] = None,
) -> None:
    """Fit a linear model (regression or classification) by gradient descent.

    Prints the training and validation loss with R² (regression) or accuracy
    (classification), the coefficients, and saves the model as JSON with --out.
    With --stream (or --checkpoint, --scheduler) DATA may be a glob or a folder.
    """
    if out is not None:
        out = check_output_path(out, "--out")
        check_not_overwriting(out, "--out", [data, plot], force)
    if plot is not None:
        plot = check_output_path(plot, "--plot", FIGURE_SUFFIXES)
        check_not_overwriting(plot, "--plot", [data, out], force)
    if epochs < 1:
        raise typer.BadParameter(f"{epochs} must be >= 1", param_hint="--epochs")
    if stream or checkpoint is not None or resume or scheduler is not None:
        from descend.cli.scale import fit_at_scale

        options = dict(locals())
        fit_at_scale(data, options=options, checkpoint=checkpoint, resume=resume,
                     scheduler=scheduler)  # fmt: skip
        return
    table, source = _load(data, dataset, target, features, task)
    bundled = None if data is not None else table.path.strip("<>").split(":")[-1]
    kind, inferred = _task(task, loss, table, bundled)
    classify = kind == "classification"
    if classify:
        _check_classes(table, loss)
    lr_value = parse_lr(lr)
    est = _estimator(
        kind,
        loss,
        penalty,
        alpha,
        optimizer,
        lr_value,
        _batch_size(batch_size),
        epochs,
        tol,
        scale,
        seed,
    )
    X_tr, y_tr, X_val, y_val = _split(table, validation, seed, classify)
    status, message = _train(est, X_tr, y_tr, show_progress(quiet, json_out))
    metrics = {
        "train": _metrics(est, X_tr, y_tr, classify),
        "validation": _metrics(est, X_val, y_val, classify),
    }
    training = {
        "data": source,
        "optimizer": optimizer,
        "lr": lr,
        "lr_used": est.lr_,
        "batch_size": batch_size,
        "epochs": est.n_iter_,
        "max_epochs": epochs,
        "status": status,
        "message": message,
        "scale": scale,
        "seed": seed,
        "validation": validation,
    }
    doc = model_document(
        est,
        task=kind,
        features=list(table.feature_names),
        target=table.target_name,
        metrics=metrics,
        training=training,
    )
    diverged = status == "diverged"
    if out is not None and not diverged:  # a diverged model is not worth keeping
        save_model(doc, out)
    if plot is not None:
        _plot_history(est, plot)
    if json_out:
        print_json(
            {
                **doc,
                "model_path": None if out is None or diverged else str(out),
                "history": {
                    "loss": est.history_.loss.tolist(),
                    "val_loss": est.history_.val_loss.tolist(),
                },
            }
        )
    else:
        console = stdout_console()
        if quiet:
            console.print(_quiet_line(metrics, classify), markup=False)
        else:
            _report(console, est, table, source, kind, inferred, metrics, status, message)
            if out is not None:
                console.print(
                    "model not saved: the fit diverged" if diverged else f"model saved to {out}",
                    markup=False,
                )
            if plot is not None:
                console.print(f"loss curve saved to {plot}", markup=False)
    if diverged:
        sys.stderr.write(f"{message}\n")
        raise typer.Exit(EXIT_DIVERGED)


def _quiet_line(metrics: dict[str, Any], classify: bool) -> str:
    key = "accuracy" if classify else "r2"
    parts = []
    for name in ("train", "validation"):
        m = metrics[name]
        if m["rows"]:
            parts.append(f"{name} loss {fmt(m['loss'])} {key} {fmt(m[key], 4)}")
    return "; ".join(parts)


def _plot_history(est: Any, path: Path) -> None:
    from descend.plots import plot_loss, save_figure

    fig = plot_loss(
        [est.history_.loss],
        labels=["training loss"],
        title="Training loss",
        xlabel="epoch",
        ylabel=f"loss ({est.loss})",
    )
    save_figure(fig, path)


def predict_command(
    model: Annotated[
        Path,
        typer.Argument(help="A model file written by 'descend fit --out'.", show_default=False),
    ],
    data: Annotated[
        Path,
        typer.Argument(
            help="A CSV, TSV or Parquet file with the model's feature columns.", show_default=False
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the predictions to this CSV file (default: print CSV)."),
    ] = None,
    proba: Annotated[
        bool,
        typer.Option(
            "--proba",
            help="Classifiers trained with log_loss or softmax: add one probability column "
            "per class, proba_<class>.",
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file.")] = False,
) -> None:
    """Predict with a saved model: one prediction per row of DATA.

    The CSV written has every column of DATA as it was (ids included, integers as integers)
    and predicted_<target> after them; with --proba, also proba_<class> for each class.
    """
    if out is not None:
        out = check_output_path(out, "--out")
        check_not_overwriting(out, "--out", [model, data], force)
    doc = load_model(model)
    if proba and (doc["task"] != "classification" or doc.get("loss") == "hinge"):
        what = "a regression model" if doc["task"] != "classification" else "loss hinge"
        raise typer.BadParameter(
            f"{what} gives no probabilities; use --proba with a classifier trained with "
            "log_loss or softmax",
            param_hint="--proba",
        )
    features = list(doc["features"])
    from descend.io.table import load_columns, load_features, read_table_columns

    columns = read_table_columns(data)
    missing = [f for f in features if f not in columns]
    if missing:
        raise DataError(
            f"feature column {missing[0]!r} of the model is not in {data}; the "
            f"columns are: {', '.join(columns)}"
        )
    X = np.asarray(load_features(data, features)[0], dtype=np.float64)
    preds = predict(doc, X)
    target = doc["target"]
    names, values = load_columns(data)
    added = {f"predicted_{target}": list(preds)}
    if proba:
        from descend.models.linear import probabilities, scores

        p = probabilities(scores(X, doc["coef"], doc["intercept"]))
        for j, label in enumerate(doc["classes"]):
            added[f"proba_{label}"] = list(p[:, j])
    text = csv_text(list(names), values, added)
    if out is None:
        sys.stdout.write(text)
        return
    atomic_write_bytes(out, text.encode("utf-8"))
    console = stdout_console()
    console.print(f"{len(preds)} predictions of {target!r} written to {out}", markup=False)
    if target in columns:
        truth = values[list(names).index(target)]
        if doc["task"] == "classification":
            acc = float(
                np.mean([csv_cell(a) == csv_cell(b) for a, b in zip(truth, preds, strict=True)])
            )
            console.print(f"accuracy on {data.name}: {fmt(acc, 4)}", markup=False)
        elif len(truth) >= 2 and all(isinstance(v, int | float) for v in truth):
            from sklearn.metrics import r2_score

            console.print(f"R² on {data.name}: {fmt(r2_score(truth, preds), 4)}", markup=False)
