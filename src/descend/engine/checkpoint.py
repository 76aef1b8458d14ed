"""Checkpoints: the state of a run on disk, so that a killed run resumes where it was.

A checkpoint is two files side by side, both written atomically (:mod:`descend.base.files`:
temporary file, then rename), the ``.npz`` first and the ``.json`` last, so a ``.json`` on
disk always names a complete ``.npz``::

    PATH/ckpt-000012.npz    the arrays: θ, the optimizer state's leaves, rows carried over
    PATH/ckpt-000012.json   everything else: format, fingerprint, epoch, step count, the data
                            cursor, the random generator's state, the history so far

The number is the count of updates made. Only the last ``keep`` checkpoints are kept; older
pairs are deleted once a newer one is complete. Nothing is pickled: the optimizer state, a tree
of NamedTuples (``ChainState(AdamState(count, m, v), ScaleByScheduleState(count))``), is stored
as its flat list of leaves and rebuilt on the tree that ``opt.init(θ)`` makes, so a checkpoint
cannot name a type to construct. The random generator's state is the plain dictionary of
``numpy.random.Generator.bit_generator.state``.

The **fingerprint** is a SHA-256 over a description of the data (file names, sizes,
modification times and row counts, or the bytes of in-memory arrays) and of the configuration
(model, optimizer with its hyperparameters and schedule, learning rate, batch size, shuffling,
seed). Resuming with a different fingerprint is refused with one line that says which of the
two changed. ``max_epochs``, ``tol`` and ``n_iter_no_change`` are not part of it: a finished
run can be resumed with a larger ``max_epochs`` to train further.

>>> import tempfile
>>> ck = Checkpointer(tempfile.mkdtemp(), keep=2)
>>> for step in (1, 2, 3):
...     _ = ck.save({"n_steps": step, "fingerprint": {"data": "d", "config": "c"}},
...                 {"theta": np.full(2, step, dtype=float)})
>>> [p.name for p in ck.saved()]
['ckpt-000002.json', 'ckpt-000003.json']
>>> meta, arrays = ck.load()
>>> meta["n_steps"], arrays["theta"].tolist()
(3, [3.0, 3.0])
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from descend.base.errors import DataError, HyperparameterError
from descend.base.files import atomic_write_bytes, atomic_write_text
from descend.base.types import Array

FORMAT = "descend-checkpoint/1"
_NAME = re.compile(r"^ckpt-(\d+)\.json$")


class Checkpointer:
    """Where checkpoints go and how many are kept.

    Parameters
    ----------
    path : str or path-like
        A folder (created when missing) that holds the checkpoint files.
    keep : int, default=3
        How many of the latest checkpoints to keep (older ones are deleted).
    every : int, default=1
        Save after every this many epochs.
    chunks : int or None, default=None
        For streamed data, also save within an epoch after every this many chunks (the data
        cursor then points into the middle of the epoch).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, keep: int = 3, every: int = 1,
        chunks: int | None = None,
    ) -> None:  # fmt: skip
        for name, value in (("keep", keep), ("checkpoint_every", every)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise HyperparameterError(f"{name}={value!r} must be a whole number >= 1")
        if chunks is not None and (isinstance(chunks, bool) or not isinstance(chunks, int)
                                   or chunks < 1):  # fmt: skip
            raise HyperparameterError(f"chunks={chunks!r} must be a whole number >= 1, or None")
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise DataError(f"checkpoint path {str(self.path)!r} is a file; give a folder")
        self.keep, self.every, self.chunks = keep, every, chunks

    def saved(self) -> list[Path]:
        """The complete checkpoints on disk (their ``.json`` files), oldest first."""
        if not self.path.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in self.path.iterdir() if (m := _NAME.match(p.name))]
        return [p for _, p in sorted(found)]

    def save(self, meta: dict[str, Any], arrays: dict[str, Array]) -> Path:
        """Write one checkpoint (arrays, then metadata) and prune to the last ``keep``."""
        stem = f"ckpt-{int(meta['n_steps']):06d}"
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)  # type: ignore[arg-type]
        atomic_write_bytes(self.path / f"{stem}.npz", buffer.getvalue())
        text = json.dumps({"format": FORMAT, **meta}, indent=1, allow_nan=True)
        out = atomic_write_text(self.path / f"{stem}.json", text + "\n")
        for old in self.saved()[: -self.keep]:
            old.unlink(missing_ok=True)
            old.with_suffix(".npz").unlink(missing_ok=True)
        return out

    def load(self) -> tuple[dict[str, Any], dict[str, Array]] | None:
        """The latest checkpoint as ``(metadata, arrays)``, or None when there is none."""
        saved = self.saved()
        if not saved:
            return None
        latest = saved[-1]
        try:
            meta = json.loads(latest.read_text(encoding="utf-8"))
            with np.load(latest.with_suffix(".npz"), allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read the checkpoint {str(latest)!r}: {exc}") from None
        if meta.get("format") != FORMAT:
            raise DataError(f"{str(latest)!r} is not a descend checkpoint ({FORMAT})")
        return meta, arrays


def as_checkpointer(checkpoint: Any, every: int = 1, keep: int = 3) -> Checkpointer | None:
    """``checkpoint`` (None, a folder or a :class:`Checkpointer`) as a Checkpointer."""
    if checkpoint is None or isinstance(checkpoint, Checkpointer):
        return checkpoint
    if isinstance(checkpoint, str | os.PathLike):
        return Checkpointer(checkpoint, keep=keep, every=every)
    raise HyperparameterError(
        f"checkpoint={checkpoint!r}; give a folder path or a descend Checkpointer"
    )


def check_fingerprint(meta: dict[str, Any], fingerprint: dict[str, str], where: Path) -> None:
    """Refuse (one line) to resume from a checkpoint of other data or another configuration."""
    saved = meta.get("fingerprint", {})
    for part, what in (("data", "other data"), ("config", "another configuration")):
        if saved.get(part) != fingerprint[part]:
            raise DataError(
                f"the checkpoint in {str(where)!r} was made on {what} than this run; resume "
                "with the same data and settings, or give another checkpoint folder"
            )


def fingerprint(data: str, **config: Any) -> dict[str, str]:
    """``{"data": ..., "config": ...}``: SHA-256 digests of a data description and a config."""
    text = json.dumps({k: describe(v) for k, v in sorted(config.items())}, sort_keys=True)
    return {"data": _sha(data), "config": _sha(text)}


def array_digest(*arrays: Any) -> str:
    """A digest of arrays' shapes, dtypes and bytes (the fingerprint of in-memory data)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.shape}{a.dtype.str}".encode())
        h.update(memoryview(a).cast("B"))  # type: ignore[arg-type]
    return h.hexdigest()


def describe(value: Any) -> Any:
    """A JSON-able, process-independent description of a configuration value.

    Numbers and strings stand for themselves; a schedule (a closure) for its name and the
    values it closes over; an optimizer for its name and hyperparameters; a model for its
    fields.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, np.random.Generator):
        return {"generator": value.bit_generator.state}
    if isinstance(value, list | tuple):
        return [describe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): describe(v) for k, v in sorted(value.items())}
    if hasattr(value, "init") and hasattr(value, "update") and hasattr(value, "hyperparams"):
        return {"optimizer": value.name, "hyperparams": describe(value.hyperparams or {})}
    if hasattr(value, "__dataclass_fields__"):
        fields = {k: describe(getattr(value, k)) for k in value.__dataclass_fields__}
        return {"type": type(value).__name__, **fields}
    if callable(value):
        cells = [c.cell_contents for c in (getattr(value, "__closure__", None) or ())]
        name = getattr(value, "__qualname__", type(value).__name__)
        return {"callable": name, "closure": [describe(c) for c in cells]}
    return type(value).__name__


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def flatten_state(state: Any) -> list[Any]:
    """The leaves of an optimizer state (arrays, numbers, None), depth first."""
    if isinstance(state, tuple):
        return [leaf for part in state for leaf in flatten_state(part)]
    return [state]


def unflatten_state(template: Any, leaves: list[Any]) -> Any:
    """The tree of ``template`` (from ``opt.init(θ)``) with ``leaves`` put back in order."""
    it = iter(leaves)

    def rebuild(node: Any) -> Any:
        if isinstance(node, tuple):
            parts = [rebuild(p) for p in node]
            return type(node)(*parts) if hasattr(node, "_fields") else tuple(parts)
        return next(it)

    out = rebuild(template)
    if next(it, None) is not None:
        raise DataError("the checkpoint's optimizer state does not fit this optimizer")
    return out


def pack_state(state: Any) -> tuple[list[Any], dict[str, Array]]:
    """An optimizer state as JSON leaves (numbers, None, or the name of an array) + arrays."""
    leaves: list[Any] = []
    arrays: dict[str, Array] = {}
    for i, leaf in enumerate(flatten_state(state)):
        if isinstance(leaf, np.ndarray):
            arrays[f"state_{i}"] = leaf
            leaves.append({"array": f"state_{i}"})
        elif isinstance(leaf, bool | np.bool_):
            leaves.append({"bool": bool(leaf)})
        elif isinstance(leaf, int | np.integer):
            leaves.append({"int": int(leaf)})
        elif isinstance(leaf, float | np.floating):
            leaves.append({"float": float(leaf)})
        else:
            leaves.append(None)
    return leaves, arrays


def unpack_state(template: Any, leaves: list[Any], arrays: dict[str, Array]) -> Any:
    """The inverse of :func:`pack_state`, on the tree of ``template``."""
    values: list[Any] = []
    for leaf in leaves:
        if leaf is None:
            values.append(None)
        elif "array" in leaf:
            values.append(np.array(arrays[leaf["array"]]))
        else:
            ((kind, value),) = leaf.items()
            values.append({"bool": bool, "int": int, "float": float}[kind](value))
    return unflatten_state(template, values)


def floats(values: list[float]) -> list[float | None]:
    """A list of floats for JSON, NaN as null (read back by :func:`unfloats`)."""
    return [None if math.isnan(v) else float(v) for v in values]


def unfloats(values: list[Any]) -> list[float]:
    """The inverse of :func:`floats`."""
    return [math.nan if v is None else float(v) for v in values]
