"""Batches: which rows each update of an epoch sees.

An epoch is one pass over the m training rows, cut into batches of ``batch_size`` rows:

==============  ===================  ==========================================
batch_size      updates per epoch    the seeds' name
==============  ===================  ==========================================
"full"          1                    batch gradient descent
1               m                    stochastic gradient descent
b (int)         ⌈m / b⌉              mini-batch gradient descent (the last batch
                                     holds the m mod b rows left, if any)
==============  ===================  ==========================================

With ``shuffle=True`` every epoch draws a fresh permutation from the seeded
``numpy.random.Generator``, so the same seed gives the same batches; without shuffling (and
always for ``"full"``, whose single batch is the same set of rows in any order) the batches
are slices, so ``X[batch]`` is a view and no row is copied.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> list(batches(5, 2, rng, shuffle=False))
[slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
>>> [b.tolist() for b in batches(5, 2, np.random.default_rng(0))]
[[2, 4], [3, 0], [1]]
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from descend.base.errors import DataError, HyperparameterError

Index = NDArray[np.intp]
Batch = Index | slice
BatchSize = int | Literal["full"]


def check_batch_size(batch_size: Any) -> BatchSize:
    """``batch_size`` checked: ``"full"`` or a whole number >= 1.

    >>> check_batch_size("full"), check_batch_size(32)
    ('full', 32)
    """
    if isinstance(batch_size, str) and batch_size.strip().lower() == "full":
        return "full"
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer):
        raise HyperparameterError(
            f"batch_size={batch_size!r}; give 'full' (batch gradient descent), 1 (stochastic) "
            "or a whole number of rows per mini-batch, e.g. batch_size=32"
        )
    if batch_size < 1:
        raise HyperparameterError(f"batch_size={batch_size!r} must be >= 1 (or 'full')")
    return int(batch_size)


@dataclass(frozen=True)
class EpochOrder:
    """The batches of one epoch: rows ``perm`` (or 0..m−1 when None) cut every ``batch_size``.

    Iterating gives the batches, index arrays when shuffled and slices when not. A compiled
    kernel reads ``perm`` and ``batch_size`` directly.
    """

    n_samples: int
    batch_size: int
    perm: Index | None = None

    def __iter__(self) -> Iterator[Batch]:
        m, b = self.n_samples, self.batch_size
        for start in range(0, m, b):
            stop = min(start + b, m)
            yield slice(start, stop) if self.perm is None else self.perm[start:stop]

    def __len__(self) -> int:
        return math.ceil(self.n_samples / self.batch_size)


def epoch_order(
    n_samples: int, batch_size: Any, rng: np.random.Generator, shuffle: bool = True
) -> EpochOrder:
    """The :class:`EpochOrder` of the next epoch (draws one permutation when shuffling).

    >>> order = epoch_order(10, 4, np.random.default_rng(1))
    >>> len(order), [len(b) for b in order]
    (3, [4, 4, 2])
    """
    size = check_batch_size(batch_size)
    if size == "full":
        return EpochOrder(n_samples, max(n_samples, 1), None)
    perm = rng.permutation(n_samples).astype(np.intp, copy=False) if shuffle else None
    return EpochOrder(n_samples, size, perm)


def batches(
    n_samples: int, batch_size: Any, rng: np.random.Generator, shuffle: bool = True
) -> Iterator[Batch]:
    """The batches of one epoch over ``n_samples`` rows; call again for the next epoch.

    Parameters
    ----------
    n_samples : int
        m, the number of rows.
    batch_size : "full" or int
        ``"full"`` (one batch of all rows), 1 (one row per update) or a mini-batch size.
    rng : numpy.random.Generator
        Source of the permutation; each call with ``shuffle=True`` draws a fresh one.
    shuffle : bool, default=True
        Visit the rows in a random order; otherwise in order, as slices (views).

    Yields
    ------
    ndarray of intp or slice
        The rows of each batch.
    """
    yield from epoch_order(n_samples, batch_size, rng, shuffle)


def train_validation_split(
    n_samples: int, fraction: float, rng: np.random.Generator
) -> tuple[Index, Index]:
    """Random ``(train, validation)`` row indices, ⌈fraction·m⌉ rows for validation.

    Both are sorted, so the training rows keep their order.

    >>> train, val = train_validation_split(10, 0.2, np.random.default_rng(0))
    >>> len(train), len(val), sorted([*train, *val]) == list(range(10))
    (8, 2, True)
    """
    if isinstance(fraction, bool) or not isinstance(fraction, int | float | np.floating):
        raise HyperparameterError(f"validation_fraction={fraction!r} must be a number in (0, 1)")
    if not 0.0 < fraction < 1.0:
        raise HyperparameterError(
            f"validation_fraction={fraction!r} must be in (0, 1), e.g. validation_fraction=0.1"
        )
    n_val = math.ceil(fraction * n_samples)
    if n_val >= n_samples or n_samples < 2:
        raise DataError(
            f"cannot hold out validation_fraction={fraction} of {n_samples} rows and keep "
            "rows to train on; use more data or a smaller validation_fraction"
        )
    perm = rng.permutation(n_samples)
    return np.sort(perm[n_val:]).astype(np.intp), np.sort(perm[:n_val]).astype(np.intp)
