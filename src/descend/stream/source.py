"""File sources: CSV or Parquet data, one file, a glob or a folder, read chunk by chunk.

:func:`source` names the files and the columns; :func:`descend.fit` and the estimators then
train on them with bounded memory, re-reading the files every epoch::

    src = descend.stream.source("data/*.parquet", target="price")
    r = descend.fit(descend.linear_regression(src.n_features), src, optimizer="adam",
                    lr=0.01, batch_size=256, shuffle=True, seed=0)

**Pieces.** A Parquet file is read one row group at a time (the unit pyarrow decodes), each
row group cut into chunks of at most ``chunk_rows`` rows; a CSV file is one piece, streamed in
chunks of ``chunk_rows`` rows. Memory holds about ``read_ahead + 1`` decoded pieces (and
pyarrow's buffers of those being decoded) plus the shuffle buffer: with many columns, write
Parquet files with row groups of some 10⁴ rows (a 100-column float64 row group of 8,192 rows
is 6.5 MB).

**Order.** With ``shuffle=False`` the rows come in file order (files sorted by name), and a
fit equals the in-memory fit on the concatenated files (the full-batch gradient is the sum of
the chunks' partial sums, the mini-batches are cut from the stream of rows across chunk and
file boundaries). With ``shuffle=True`` each epoch (1) permutes the pieces with the seeded
generator (``rng.permutation(n_pieces)``), then (2) passes the rows through a shuffle buffer
of ``shuffle_buffer`` rows (:func:`descend.stream.reader.shuffle_buffer`: each buffer draws
``perm = rng.permutation(shuffle_buffer)``, its k-th row goes to slot ``perm[k]``, and its
slots are handed on in order, in chunks of at most ``chunk_rows`` rows). The same seed gives
the same order.

**Threads.** ``workers`` threads decode the next pieces while the kernel trains on the current
chunk (:mod:`descend.stream.reader`), at most ``read_ahead`` pieces ahead.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from descend.base.errors import DataError, HyperparameterError, ShapeError
from descend.base.types import Array
from descend.engine.batches import BatchSize
from descend.engine.chunked import (
    ChunkHook,
    Sums,
    chunked_value_and_grad,
    fit_chunked,
    full_batch_step,
    run_chunks,
)
from descend.engine.fit import EpochOutput, FitResult
from descend.models.linear import LinearModel, check_data
from descend.optim.transform import GradientTransformation
from descend.stream import parquet
from descend.stream.reader import background, prefetch, shuffle_buffer

if TYPE_CHECKING:
    from descend.kernels.thrift import Footer

_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}
Encoder = Callable[[Any], Array]


@dataclass(frozen=True)
class Piece:
    """The unit of reading: one row group of a Parquet file, or a whole CSV file."""

    path: str
    format: str
    row_group: int
    n_rows: int  # -1 for a CSV file (not counted before it is read)


def find_files(where: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """The data files ``where`` names: a file, a glob (``data/*.parquet``) or a folder.

    A folder gives its ``.parquet``/``.pq``/``.csv``/``.tsv`` files; a list, the files of each
    entry. Sorted by name, so the order is the same on every machine.
    """
    entries = [where] if isinstance(where, str | os.PathLike) else list(where)
    found: list[str] = []
    for entry in entries:
        text = os.fspath(entry)
        if os.path.isdir(text):
            names = [str(p) for p in Path(text).iterdir() if p.suffix.lower() in _SUFFIXES]
        elif any(c in text for c in "*?["):
            names = glob.glob(text)
        elif os.path.exists(text):
            names = [text]
        else:
            raise DataError(f"no such file or folder: {text!r}")
        found.extend(sorted(names))
    if not found:
        raise DataError(f"no CSV or Parquet files in {where!r}; give a file, a folder or a glob")
    for name in found:
        if Path(name).suffix.lower() not in _SUFFIXES:
            raise DataError(f"{name!r} is not a .csv, .tsv, .parquet or .pq file")
    return found


class FileSource:
    """CSV/Parquet files as training data read in chunks (see the module docstring).

    Build it with :func:`source`. ``n_rows`` counts the rows (Parquet from the metadata, CSV
    by one pass); ``features`` are the feature columns in order.
    """

    def __init__(
        self, files: list[str], target: str, features: Sequence[str] | None, *,
        chunk_rows: int, shuffle_buffer: int, workers: int, read_ahead: int,
        dtype: Any, encode: Encoder | None = None,
    ) -> None:  # fmt: skip
        from descend.io.formats import read_table_columns

        for name, value in (("chunk_rows", chunk_rows), ("shuffle_buffer", shuffle_buffer),
                            ("workers", workers), ("read_ahead", read_ahead)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise HyperparameterError(f"{name}={value!r} must be a whole number >= 1")
        self.files, self.target = files, target
        self._layouts = {f: parquet.read_footer(f) for f in files if _format(f) == "parquet"}

        def columns_of(f: str) -> tuple[str, ...]:
            footer = self._layouts.get(f)
            return tuple(footer.names) if footer is not None else read_table_columns(f)

        columns = columns_of(files[0])
        if target not in columns:
            raise DataError(f"target column {target!r} is not in {files[0]}; it has {columns}")
        chosen = [c for c in columns if c != target] if features is None else list(features)
        missing = [c for c in chosen if c not in columns]
        if missing:
            raise DataError(f"feature columns {missing} are not in {files[0]}")
        self.features = tuple(chosen)
        for other in files[1:]:
            if not set([*chosen, target]) <= set(columns_of(other)):
                raise DataError(f"{other} lacks some of the columns of {files[0]}")
        self.chunk_rows, self.buffer_rows = chunk_rows, shuffle_buffer
        self.workers, self.read_ahead = workers, read_ahead
        self.dtype, self.encode = np.dtype(dtype), encode
        self.standardize: tuple[Array, Array] | None = None
        self.pieces, self._footers = _pieces(files, self._layouts)
        self._leaves = {f: np.array([footer.names.index(c) for c in [*chosen, target]])
                        for f, footer in self._layouts.items() if footer is not None}  # fmt: skip
        self._n_rows: int | None = None

    @property
    def n_features(self) -> int:
        """d, the number of feature columns."""
        return len(self.features)

    @property
    def n_rows(self) -> int:
        """m, the number of rows over all files."""
        if self._n_rows is None:
            if all(p.n_rows >= 0 for p in self.pieces):
                self._n_rows = sum(p.n_rows for p in self.pieces)
            else:
                self._n_rows = sum(len(y) for _, y in self.chunks(raw=True))
        return self._n_rows

    def prepared(
        self, encode: Encoder | None = None, standardize: tuple[Array, Array] | None = None
    ) -> FileSource:
        """The same files with each chunk's targets mapped by ``encode`` (labels to 0..K−1)
        and its features standardised, x′ = (x − μ)/σ for ``standardize=(μ, σ)``."""
        out = object.__new__(FileSource)
        out.__dict__.update(self.__dict__)
        out.encode, out.standardize = encode, standardize
        return out

    def __repr__(self) -> str:
        return (
            f"FileSource({len(self.files)} file(s), target={self.target!r}, "
            f"{self.n_features} features, chunk_rows={self.chunk_rows})"
        )

    def describe(self) -> str:
        """The files (name, size, modification time), columns and chunking: the fingerprint."""
        stats = [(f, os.stat(f).st_size, os.stat(f).st_mtime_ns) for f in self.files]
        scaled = None if self.standardize is None else [a.tolist() for a in self.standardize]
        return json.dumps({"files": stats, "target": self.target, "features": self.features,
                           "standardize": scaled,
                           "chunk_rows": self.chunk_rows, "buffer": self.buffer_rows,
                           "dtype": self.dtype.str})  # fmt: skip

    def chunks(self, order: Sequence[int] | None = None, *, raw: bool = False
               ) -> Iterator[tuple[Array, Array]]:  # fmt: skip
        """The ``(X, y)`` chunks of the pieces in ``order`` (file order when None)."""
        pieces = [self.pieces[i] for i in order] if order is not None else self.pieces
        runs: list[list[Piece]] = []
        for p in pieces:  # consecutive row groups: prefetched; a CSV file: one stream
            if p.format == "parquet" and runs and runs[-1][0].format == "parquet":
                runs[-1].append(p)
            else:
                runs.append([p])
        # the chunks are standardised and their targets encoded in the reading threads too
        encoded = (lambda c: c) if raw else self._encoded
        for run in runs:
            if run[0].format == "parquet":
                rows = parquet.RowBuffers(self.read_ahead + self.workers + 2)
                with parquet.Files() as files:
                    tasks = (partial(self._encoded_row_group, p, rows, files, encoded)
                             for p in run)  # fmt: skip
                    reader = prefetch(tasks, workers=self.workers, depth=self.read_ahead)
                    try:
                        for part in reader:
                            yield from part
                    finally:
                        reader.close()  # its threads done before the files close
            else:
                stream = (encoded(c) for c in self._read_csv(run[0].path))
                yield from background(stream, depth=self.read_ahead)

    def head(self) -> tuple[Array, Array]:
        """The first chunk."""
        return next(iter(self.chunks()))

    def epoch_chunks(
        self, rng: np.random.Generator, shuffle: bool
    ) -> Iterator[tuple[Array, Array]]:
        """One epoch's chunks: in file order, or pieces permuted then the shuffle buffer."""
        if not shuffle:
            return self.chunks()
        order = rng.permutation(len(self.pieces))
        return shuffle_buffer(self.chunks(order.tolist()), self.buffer_rows, rng, self.chunk_rows)

    def value_and_grad(self, model: LinearModel, theta: Array, kernel: Any) -> tuple[float, Array]:
        """J and ∇J over all rows, summed chunk by chunk in file order."""
        self._check_model(model)
        return chunked_value_and_grad(model, _checked(model, self.chunks()), theta, kernel)

    def run_epoch(
        self, model: LinearModel, theta: Array, opt: GradientTransformation, state: Any,
        batch_size: BatchSize, rng: np.random.Generator, shuffle: bool, *, grad: Array,
        kernel: Any, record: bool, skip: int, carry: tuple[Any, Any] | None,
        on_chunk: ChunkHook | None, running: bool = False, sums: Sums | None = None,
    ) -> EpochOutput:  # fmt: skip
        """One epoch: a full-batch step from ``grad``, or mini-batches across the chunks."""
        if batch_size == "full":
            return full_batch_step(theta, opt, state, grad)
        chunks = _checked(model, self.epoch_chunks(rng, shuffle))
        return run_chunks(model, chunks, theta, opt, state, batch_size,
                          kernel=kernel, record=record, skip=skip, carry=carry,
                          on_chunk=on_chunk, running=running, sums=sums)  # fmt: skip

    def __descend_fit__(self, model: LinearModel, y: Any = None, **options: Any) -> FitResult:
        """:func:`descend.fit` on this source (its targets are the ``target`` column)."""
        if y is not None:
            raise DataError(
                f"the file source holds its targets (column {self.target!r}); pass y=None"
            )
        self._check_model(model)
        return fit_chunked(model, self, **options)

    def _check_model(self, model: LinearModel) -> None:
        if model.n_features != self.n_features:
            raise ShapeError(
                f"the files have {self.n_features} feature columns but the model expects "
                f"{model.n_features}"
            )

    def _encoded(self, chunk: tuple[Array, Array]) -> tuple[Array, Array]:
        X, y = chunk
        if self.standardize is not None:  # X is this chunk's own fresh array
            X -= self.standardize[0].astype(X.dtype)
            X /= self.standardize[1].astype(X.dtype)
        if self.encode is not None:
            return X, self.encode(y)
        if y.dtype == object:
            raise DataError(
                f"target column {self.target!r} holds text labels; encode them first "
                "(GDClassifier does), or give numbers"
            )
        return X, y

    def _encoded_row_group(self, p: Piece, rows: parquet.RowBuffers, files: parquet.Files,
                           encoded: Callable[[tuple[Array, Array]], tuple[Array, Array]]
                           ) -> list[tuple[Array, Array]]:  # fmt: skip
        return [encoded(c) for c in self._read_row_group(p, rows, files)]

    def _read_row_group(self, p: Piece, rows: parquet.RowBuffers | None = None,
                        files: parquet.Files | None = None
                        ) -> list[tuple[Array, Array]]:  # fmt: skip
        """One row group decoded and cut into chunks of at most ``chunk_rows`` rows."""
        step = self.chunk_rows
        compiled = self._compiled_rows(p, rows, files)
        if compiled is not None:
            X, y = compiled
            return [(X[lo : lo + step], y[lo : lo + step]) for lo in range(0, len(y), step)]
        import pyarrow as pa

        from descend.io.formats import parquet_error

        columns = [*self.features, self.target]
        try:
            pf = parquet.parquet_file(p.path, self._footers.get(p.path))
            plain = parquet.plain_rows(pf, p.row_group, columns, rows, self.dtype)
            if plain is None:
                table = pf.read_row_group(p.row_group, columns=columns, use_threads=False)
        except (pa.ArrowException, OSError) as e:
            raise parquet_error(p.path, e) from None
        if plain is not None:
            X, y = plain
            return [(X[lo : lo + step], y[lo : lo + step]) for lo in range(0, len(y), step)]
        return [self._arrays(table.slice(lo, step), p.path, lo)
                for lo in range(0, table.num_rows, step)]  # fmt: skip

    def _compiled_rows(self, p: Piece, rows: parquet.RowBuffers | None,
                       files: parquet.Files | None) -> tuple[Array, Array] | None:  # fmt: skip
        """:func:`descend.stream.parquet.compiled_rows` of a row group (None: pyarrow's)."""
        footer, leaves = self._layouts.get(p.path), self._leaves.get(p.path)
        if footer is None or leaves is None or files is None:
            return None
        return parquet.compiled_rows(files.fd(p.path), footer, leaves, p.row_group, rows,
                                     self.dtype)  # fmt: skip

    def _arrays(self, table: Any, path: str, offset: int) -> tuple[Array, Array]:
        """``(X, y)`` of a table through the checked readers of descend.io (nulls, integers,
        text, NaN or ±inf: they name the offending rows)."""
        from descend.io.validate import RowNumbers, table_arrays

        rows = RowNumbers(path, offset, table.num_rows)
        return table_arrays(table, self.features, self.target, self.dtype, rows)

    def _read_csv(self, path: str) -> Iterator[tuple[Array, Array]]:
        from descend.io.table import iter_batches

        return iter_batches(path, self.target, self.chunk_rows, list(self.features),
                            dtype=self.dtype)  # fmt: skip


def _format(path: str) -> str:
    return _SUFFIXES[Path(path).suffix.lower()]


def _checked(model: LinearModel, chunks: Iterator[tuple[Array, Array]]
             ) -> Iterator[tuple[Array, Array]]:  # fmt: skip
    """Chunks whose targets the model's loss takes (0/1, ±1, 0..K−1), checked as they come."""
    if model.loss_fn.task == "regression":
        return chunks
    return (check_data(model, X, y) for X, y in chunks)


def _pieces(files: list[str], layouts: dict[str, Footer | None]
            ) -> tuple[list[Piece], dict[str, Any]]:  # fmt: skip
    """The pieces of the files, and pyarrow's parsed footers of the Parquet ones whose own
    footer (``layouts``) could not be read."""
    pieces: list[Piece] = []
    footers: dict[str, Any] = {}
    for f in files:
        if _format(f) == "csv":
            pieces.append(Piece(f, "csv", 0, -1))
            continue
        footer = layouts.get(f)
        if footer is not None:
            pieces.extend(Piece(f, "parquet", i, int(rows))
                          for i, rows in enumerate(footer.group_rows))  # fmt: skip
            continue
        import pyarrow as pa
        import pyarrow.parquet as pq

        from descend.io.formats import parquet_error

        try:
            meta = footers[f] = pq.ParquetFile(f).metadata
        except (pa.ArrowException, OSError) as e:
            raise parquet_error(f, e) from None
        pieces.extend(Piece(f, "parquet", i, meta.row_group(i).num_rows)
                      for i in range(meta.num_row_groups))  # fmt: skip
    return pieces, footers


def source(
    where: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    target: str,
    features: Sequence[str] | None = None,
    *,
    chunk_rows: int = 65536,
    shuffle_buffer: int = 65536,
    workers: int = 2,
    read_ahead: int = 2,
    dtype: Any = np.float64,
) -> FileSource:
    """A file source for :func:`descend.fit` and the estimators.

    Parameters
    ----------
    where : str, path or list of them
        A CSV/TSV/Parquet file, a glob such as ``"data/*.parquet"``, or a folder.
    target : str
        The column to predict.
    features : sequence of str, optional
        The feature columns, in order; by default every column but the target.
    chunk_rows : int, default=65536
        Rows per chunk handed to the kernel (a row group larger than this is cut).
    shuffle_buffer : int, default=65536
        Rows per shuffle buffer (``shuffle=True``).
    workers : int, default=2
        Threads decoding pieces in the background.
    read_ahead : int, default=2
        Most pieces submitted for decoding ahead of the one in use (the bound on memory).
    dtype : float dtype, default=np.float64
        The dtype of X (float32 halves memory and is read as float32 by the kernels).

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "a.csv"), "w") as f:
    ...     _ = f.write("x,y\\n" + "".join(f"{i},{2 * i + 1}\\n" for i in range(50)))
    >>> src = source(folder, target="y", chunk_rows=16)
    >>> src.n_rows, [len(y) for _, y in src.chunks()]
    (50, [16, 16, 16, 2])
    """
    files = find_files(where)
    return FileSource(files, target, features, chunk_rows=chunk_rows,
                      shuffle_buffer=shuffle_buffer, workers=workers, read_ahead=read_ahead,
                      dtype=dtype)  # fmt: skip
