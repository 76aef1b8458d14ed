"""``descend fit FILE --stream``, ``--checkpoint``, ``--resume`` and ``--scheduler``.

Data that need not fit in memory: the file, glob or folder is read chunk by chunk
(:mod:`descend.stream`), or, with ``--scheduler tcp://HOST:8786``, read by the workers of a
Dask cluster (:mod:`descend.dist`). No rows are held out: the metrics are measured on the
training data by one more pass over it.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import typer

from descend.base.errors import DataError

CLASSIFICATION_LOSSES = ("log_loss", "hinge", "softmax")


def scale_source(data: str, target: str | None, features: str | None, scheduler: str | None,
                 chunk_rows: int) -> tuple[Any, Any, Any]:  # fmt: skip
    """The file source, or the Dask DataFrame on the cluster at ``scheduler``; the file
    source (for the metrics pass and for inferring the task); the Dask client or None."""
    import descend.stream

    if target is None:
        raise typer.BadParameter("name the column to predict", param_hint="--target")
    wanted = None if features is None else [f.strip() for f in features.split(",") if f.strip()]
    src = descend.stream.source(data, target, wanted, chunk_rows=chunk_rows)
    if scheduler is None:
        return src, src, None
    try:
        from dask import dataframe as dd
        from distributed import Client
    except ImportError:
        raise DataError('--scheduler needs Dask: pip install "descend[dask]"') from None
    try:
        client = Client(scheduler, timeout=10, set_as_default=True)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DataError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
    columns = [*src.features, target]
    if all(f.endswith((".parquet", ".pq")) for f in src.files):
        frame = dd.read_parquet(src.files, columns=columns)
    else:
        frame = dd.read_csv(src.files, usecols=columns)
    # persisted, the partitions are fixed (a lazy read may regroup them when converted)
    return frame.persist(), src, client


def infer_task(task: str | None, loss: str | None, src: Any) -> str:
    """The task: as given, from the loss, or from the first chunk's targets."""
    if task is not None:
        key = task.strip().lower()
        if key not in ("regression", "classification"):
            raise typer.BadParameter(
                f"{task!r}; choose regression or classification", param_hint="--task"
            )
        return key
    if loss in CLASSIFICATION_LOSSES:
        return "classification"
    _, y = next(iter(src.chunks(raw=True)))
    if y.dtype == object or len(np.unique(y)) <= 2:
        return "classification"
    return "regression"


def train(est: Any, data: Any, checkpoint: Any, resume: bool) -> tuple[str, str]:
    """Fit on the source (or the Dask DataFrame); the status and the message."""
    from descend.estimators.sources import train_source

    if hasattr(data, "__descend_fit__"):
        X, y = data, None
    else:  # a Dask DataFrame: features and target
        target = data.columns[-1]
        X, y = data[[c for c in data.columns if c != target]], data[target]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_source(est, X, y, partial=False, checkpoint=checkpoint, resume=resume)
    status, message = str(est.status_), str(est.message_)
    if status == "max_epochs":
        message += "; raise --epochs or --tol"
    return status, message


def metrics(est: Any, src: Any, classify: bool) -> dict[str, Any]:
    """Rows, mean loss and R² (or accuracy) over the whole source, one chunk at a time."""
    from descend.cli.training import engine_loss

    n, loss_sum, right, sse, y_sum, y_sq = 0, 0.0, 0, 0.0, 0.0, 0.0
    for X, y in src.chunks(raw=True):
        n += len(X)
        loss_sum += len(X) * engine_loss(est, X, y, classify)
        pred = est.predict(X)
        if classify:
            right += int((pred == y).sum())
        else:
            sse += float(((y - pred) ** 2).sum())
            y_sum, y_sq = y_sum + float(y.sum()), y_sq + float((y**2).sum())
    spread = y_sq - y_sum**2 / n if n else math.nan
    score = right / n if classify else (1.0 - sse / spread if spread > 0 else math.nan)
    key = "accuracy" if classify else "r2"
    return {"rows": n, "loss": loss_sum / n, key: score}


def fit_at_scale(data: Any, *, options: dict[str, Any], checkpoint: Any, resume: bool,
                 scheduler: str | None) -> None:  # fmt: skip
    """``descend fit`` on a streamed source or a cluster (see the module docstring)."""
    import sys

    from descend.cli.common import EXIT_DIVERGED, fmt, print_json, stdout_console
    from descend.cli.parse import parse_lr
    from descend.cli.training import build_estimator, coef_rows, parse_batch_size
    from descend.io.model_files import model_document, write_document

    o = options
    if data is None:
        raise typer.BadParameter(
            "--stream, --checkpoint, --resume and --scheduler need a data file, glob or folder",
            param_hint="DATA",
        )
    if o["validation"] not in (0, 0.2):
        raise typer.BadParameter(
            "a streamed fit holds no rows out; split the files instead", param_hint="--validation"
        )
    frame, src, client = scale_source(str(data), o["target"], o["features"], scheduler, 65536)
    kind = infer_task(o["task"], o["loss"], src)
    classify = kind == "classification"
    est = build_estimator(kind, o["loss"], o["penalty"], o["alpha"], o["optimizer"],
                     parse_lr(o["lr"]), parse_batch_size(o["batch_size"]), o["epochs"], o["tol"],
                     o["scale"], o["seed"])  # fmt: skip
    try:
        status, message = train(est, frame, None if checkpoint is None else str(checkpoint),
                                resume)  # fmt: skip
    finally:
        if client is not None:
            client.close()
    measured = {"train": metrics(est, src, classify), "validation": {"rows": 0}}
    where = f"cluster {scheduler}" if scheduler else "streamed"
    training = {"data": str(data), "source": where, "optimizer": o["optimizer"], "lr": o["lr"],
                "lr_used": est.lr_, "batch_size": o["batch_size"], "epochs": est.n_iter_,
                "max_epochs": o["epochs"], "status": status, "message": message,
                "scale": o["scale"], "seed": o["seed"],
                "checkpoint": None if checkpoint is None else str(checkpoint)}  # fmt: skip
    doc = model_document(est, task=kind, features=list(src.features), target=src.target,
                         metrics=measured, training=training)  # fmt: skip
    diverged = status == "diverged"
    out = o["out"]
    if out is not None and not diverged:
        write_document(doc, out)
    key = "accuracy" if classify else "r2"
    m = measured["train"]
    if o["json_out"]:
        print_json({**doc, "model_path": None if out is None or diverged else str(out),
                    "history": {"loss": est.history_.loss.tolist()}})  # fmt: skip
    else:
        console = stdout_console()
        line = f"train loss {fmt(m['loss'])} {key} {fmt(m[key], 4)} ({m['rows']} rows, {where})"
        console.print(line, markup=False)
        if not o["quiet"]:
            for row in coef_rows(est, src.features, classify):
                console.print("  ".join(row), markup=False)
            shown = message if message.startswith(status) else f"{status}: {message}"
            console.print(f"status: {shown}", markup=False)
            if out is not None and not diverged:
                console.print(f"model saved to {out}", markup=False)
    if diverged:
        sys.stderr.write(f"diverged: {message}\n")
        raise typer.Exit(EXIT_DIVERGED)
