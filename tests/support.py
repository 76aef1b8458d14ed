"""Helpers shared by several test modules (imported as ``support``: pytest puts tests/ on the
path). Shared fixtures live in conftest.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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


def file_bytes(path):
    """A file's bytes as a uint8 array."""
    return np.fromfile(path, dtype=np.uint8)


def footer_bytes(raw):
    """The serialised FileMetaData of a Parquet file's bytes (before its last 8)."""
    assert bytes(raw[-4:]) == b"PAR1"
    n = int.from_bytes(bytes(raw[-8:-4]), "little")
    return raw[-8 - n : -8]


def float_table(m, seed=0, nullable=True):
    """Float columns pyarrow encodes in every way: normal values, few distinct ones (RLE runs
    of dictionary indices), float32, subnormals and negative zero."""
    rng = np.random.default_rng(seed)
    columns = {
        "x64": rng.normal(size=m),
        "few": rng.integers(0, 5, size=m) / 4.0,  # few values: RLE runs of indices
        "x32": rng.normal(size=m).astype(np.float32),
        "tiny": np.where(rng.random(m) < 0.5, 5e-324, -0.0),  # subnormal and negative zero
    }
    schema = pa.schema([pa.field(k, pa.from_numpy_dtype(v.dtype), nullable=nullable)
                        for k, v in columns.items()])  # fmt: skip
    return pa.table(columns, schema=schema)
