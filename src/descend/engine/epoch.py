"""One epoch of the training loop, the NumPy reference: an update per batch.

:func:`run_epoch` is the piece a compiled kernel replaces (:mod:`descend.engine.compiled_fit`);
it and :class:`EpochOutput` are the contract between :func:`descend.engine.fit.fit` and the
epoch runners.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np

from descend.base.types import Array
from descend.engine.batches import Batch
from descend.models.linear import LinearModel
from descend.optim.transform import GradientTransformation


class EpochOutput(NamedTuple):
    """What :func:`run_epoch` returns.

    ``finite`` is False when an update made θ non-finite: ``theta``/``state`` are then those
    before that update and ``n_steps`` counts it. ``path``/``step_loss`` are filled only when
    recording. ``loss`` (the running loss: J_B(θ) of each batch just before its update,
    averaged over the epoch's batches) and ``first_loss`` (that of the first batch, at the
    epoch's start θ) only when asked for (``running=True``), else NaN.
    """

    theta: Array
    state: Any
    n_steps: int
    finite: bool
    path: list[Array]
    step_loss: list[float]
    loss: float = math.nan
    first_loss: float = math.nan


EpochRunner = Callable[..., EpochOutput]


def run_epoch(
    model: LinearModel, X: Any, y: Any, theta: Array, opt: GradientTransformation, state: Any,
    order: Iterable[Batch], *, record: bool = False, running: bool = False,
) -> EpochOutput:  # fmt: skip
    """One epoch: an update per batch of ``order``, θ ← θ + opt.update(∇J_B(θ)).

    This is the piece a compiled kernel replaces (``fit(..., kernel=...)``): same arguments,
    ``order`` an :class:`~descend.engine.batches.EpochOrder` (``perm``, ``batch_size``), same
    :class:`EpochOutput`, θ equal to this reference to 1e-9. It stops at the first update that
    makes θ non-finite. ``running`` also measures J_B(θ) of each batch before its update (the
    running loss of :class:`EpochOutput`).

    >>> from descend.engine.batches import EpochOrder
    >>> from descend.models.linear import linear_regression
    >>> from descend.optim.sgd import sgd
    >>> model, opt = linear_regression(1, fit_intercept=False), sgd(0.1)
    >>> X, y = np.array([[1.0], [2.0]]), np.array([1.0, 2.0])
    >>> out = run_epoch(model, X, y, np.zeros(1), opt, opt.init(np.zeros(1)), EpochOrder(2, 1))
    >>> out.theta, out.n_steps   # θ = 0.1·1, then 0.1 + 0.1·2·(2 − 0.2)
    (array([0.46]), 2)
    """
    path: list[Array] = []
    step_loss: list[float] = []
    n = 0
    total, first = 0.0, math.nan
    for batch in order:
        Xb, yb = X[batch], y[batch]
        if record or running:
            f, g = model.value_and_grad(theta, Xb, yb)
            total += f
            first = f if n == 0 else first
            if record:
                step_loss.append(f)
        else:
            g = model.gradient(theta, Xb, yb)
        step, new_state = opt.update(g, state, theta)
        new_theta = theta + step
        n += 1
        if not np.isfinite(new_theta).all():
            return EpochOutput(theta, state, n, False, path, step_loss)
        theta, state = new_theta, new_state
        if record:
            path.append(theta)
    if not running:
        return EpochOutput(theta, state, n, True, path, step_loss)
    return EpochOutput(theta, state, n, True, path, step_loss, total / max(n, 1), first)
