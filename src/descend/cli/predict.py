"""``descend predict``: read a model file back and write one prediction per row."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from descend.base.errors import DataError
from descend.base.files import atomic_write_bytes
from descend.cli.common import (
    check_not_overwriting,
    check_output_path,
    csv_cell,
    csv_text,
    fmt,
    stdout_console,
)
from descend.io.model_files import predict, read_document


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
    doc = read_document(model)
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
