"""``descend fit``: train a linear model on a table, report it, save it.

It reads a CSV/Parquet file (or a bundled data set), holds out a validation share, trains
:class:`~descend.GDRegressor` or :class:`~descend.GDClassifier`, prints the training and
validation loss with R² or accuracy, and can save the model as JSON
(:mod:`descend.io.model_files`); ``--stream``, ``--checkpoint`` and ``--scheduler`` hand the
data to :mod:`descend.cli.scale`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from descend.cli.common import (
    EXIT_DIVERGED,
    FIGURE_SUFFIXES,
    check_not_overwriting,
    check_output_path,
    print_json,
    show_progress,
    stdout_console,
)
from descend.cli.parse import parse_lr
from descend.cli.training import (
    build_estimator,
    check_classes,
    choose_task,
    load_data,
    metrics_of,
    parse_batch_size,
    plot_history,
    print_report,
    quiet_line,
    split_rows,
    train_estimator,
)
from descend.io.model_files import model_document, write_document


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
    table, source = load_data(data, dataset, target, features, task)
    bundled = None if data is not None else table.path.strip("<>").split(":")[-1]
    kind, inferred = choose_task(task, loss, table, bundled)
    classify = kind == "classification"
    if classify:
        check_classes(table, loss)
    lr_value = parse_lr(lr)
    est = build_estimator(
        kind,
        loss,
        penalty,
        alpha,
        optimizer,
        lr_value,
        parse_batch_size(batch_size),
        epochs,
        tol,
        scale,
        seed,
    )
    X_tr, y_tr, X_val, y_val = split_rows(table, validation, seed, classify)
    status, message = train_estimator(est, X_tr, y_tr, show_progress(quiet, json_out))
    metrics = {
        "train": metrics_of(est, X_tr, y_tr, classify),
        "validation": metrics_of(est, X_val, y_val, classify),
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
        write_document(doc, out)
    if plot is not None:
        plot_history(est, plot)
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
            console.print(quiet_line(metrics, classify), markup=False)
        else:
            print_report(console, est, table, source, kind, inferred, metrics, status, message)
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
