"""Helpers shared by several test modules (imported as ``support``: pytest puts tests/ on the
path). Shared fixtures live in conftest.py."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import descend

#: The table formats load_table reads, by extension.
FORMATS = ["csv", "tsv", "parquet", "pq"]


def write(df: pd.DataFrame, path: Path) -> Path:
    """Write ``df`` (without its index) in the format its extension names."""
    ext = path.suffix
    if ext == ".csv":
        df.to_csv(path, index=False)
    elif ext == ".tsv":
        df.to_csv(path, index=False, sep="\t")
    else:
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    return path


def square(x):
    return float(x[0] ** 2)


def square_grad(x):
    return 2 * x


def run_square(lr, **kwargs):
    """f(x) = x² from x₀ = 10 with plain gradient descent at rate ``lr`` (tol=0 by default)."""
    kwargs.setdefault("tol", 0)
    return descend.minimize(square, [10.0], grad=square_grad, lr=lr, **kwargs)
