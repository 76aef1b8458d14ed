"""Long :func:`descend.minimize` runs with checkpoints: killed, resumed, the same path.

:func:`minimize_resumable` runs :func:`descend.minimize` (its NumPy loop) and saves a
checkpoint (:mod:`descend.engine.checkpoint`: JSON + ``.npz``, atomic, the last few kept) every
``checkpoint_every`` updates: θ, the optimizer state (Adam's moments, the schedule's t), the
update count and the history so far. ``resume=True`` starts again from the latest one: the
optimizer begins from the saved state, so with a fixed learning rate or a schedule the resumed
run makes exactly the updates of an uninterrupted one, and the history is the two runs joined.
Two things restart at a resume: ``patience`` counts from it, and ``lr="auto"``'s line search
starts again from α = 1.

>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> kw = dict(optimizer="adam", lr=0.05, tol=0, checkpoint=folder, checkpoint_every=100)
>>> first = minimize_resumable("(1 - x)**2 + 100*(y - x**2)**2", [-1.2, 1.0], max_iter=300, **kw)
>>> r = minimize_resumable("(1 - x)**2 + 100*(y - x**2)**2", [-1.2, 1.0], max_iter=1000,
...                        resume=True, **kw)
>>> whole = minimize("(1 - x)**2 + 100*(y - x**2)**2", [-1.2, 1.0], optimizer="adam", lr=0.05,
...                  tol=0, max_iter=1000, engine="numpy")
>>> r.nit, bool((r.x == whole.x).all())
(1000, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from descend.base.errors import DataError
from descend.base.types import Array
from descend.engine.checkpoint import (
    as_checkpointer,
    check_fingerprint,
    describe,
    fingerprint,
    pack_state,
    unpack_state,
)
from descend.engine.minimize import Step, minimize
from descend.engine.result import History, Result
from descend.objectives.resolve import as_objective
from descend.optim.rules import get_optimizer
from descend.optim.transform import GradientTransformation


def minimize_resumable(
    fun: Any, x0: Any, *, checkpoint: Any, checkpoint_every: int = 1000, resume: bool = False,
    optimizer: str | GradientTransformation = "sgd", lr: Any = None, max_iter: int = 1000,
    callback: Callable[[Step], Any] | None = None, **options: Any,
) -> Result:  # fmt: skip
    """:func:`descend.minimize` with a checkpoint every ``checkpoint_every`` updates.

    Parameters
    ----------
    fun, x0, optimizer, lr, max_iter, callback, **options
        As for :func:`descend.minimize` (the NumPy loop always runs: a checkpoint needs the
        state after each update).
    checkpoint : str, path or Checkpointer
        The folder of the checkpoints.
    checkpoint_every : int, default=1000
        Updates between checkpoints.
    resume : bool, default=False
        Continue from the folder's latest checkpoint (a fresh start when it has none).
    """
    ck = as_checkpointer(checkpoint, every=checkpoint_every)
    assert ck is not None
    prints = fingerprint(
        f"function {describe(fun) if not isinstance(fun, str) else fun}",
        x0=np.asarray(x0, dtype=float).tolist(), optimizer=optimizer, lr=lr,
    )  # fmt: skip
    opt = get_optimizer(optimizer, 1.0 if lr == "auto" else lr)
    found = ck.load()
    if found is not None and not resume:
        raise DataError(
            f"the checkpoint folder {str(ck.path)!r} already holds a run; pass resume=True "
            "to continue it, or give an empty folder"
        )
    x, state, done, before = np.array(x0, dtype=float), None, 0, None
    if found is not None:
        meta, arrays = found
        check_fingerprint(meta, prints, ck.path)
        x, done = np.array(arrays["x"]), int(meta["n_steps"])
        state = unpack_state(opt.init(x), meta["state"], arrays)
        before = History(arrays["h_x"], arrays["h_fun"], arrays["h_grad_norm"], arrays["h_lr"],
                         arrays["h_step_size"])  # fmt: skip
    latest: list[Any] = [state]

    def init(params: Array) -> Any:
        return opt.init(params) if latest[0] is None else latest[0]

    def update(grad: Array, s: Any, params: Array) -> tuple[Array, Any]:
        step, latest[0] = opt.update(grad, s, params)
        return step, latest[0]

    tracked = GradientTransformation(init, update)
    obj = as_objective(fun, options.get("grad"))
    xs, funs = [x], [float(obj.value(x))]
    norms, lrs, sizes = [float(np.linalg.norm(obj.gradient(x)))], [], []

    def save_every(step: Step) -> Any:
        sizes.append(float(np.linalg.norm(step.x - xs[-1])))
        xs.append(step.x)
        funs.append(step.fun)
        norms.append(float(np.linalg.norm(step.grad)))
        lrs.append(step.lr)
        t = done + step.t
        if t % ck.every == 0:
            leaves, arrays = pack_state(latest[0])
            now = History(np.array(xs), np.array(funs), np.array(norms), np.array(lrs),
                          np.array(sizes))  # fmt: skip
            so_far = _joined(before, now)
            arrays.update(x=step.x, h_x=so_far.x, h_fun=so_far.fun, h_grad_norm=so_far.grad_norm,
                          h_lr=so_far.lr, h_step_size=so_far.step_size)  # fmt: skip
            ck.save({"fingerprint": prints, "n_steps": t, "state": leaves}, arrays)
        return callback(step) if callback is not None else None

    lr_arg = "auto" if lr == "auto" else None
    r = minimize(fun, x, optimizer=tracked, lr=lr_arg, max_iter=max(max_iter - done, 0),
                 callback=save_every, engine="numpy", **options)  # fmt: skip
    if before is None:
        return r
    history = _joined(before, r.history)
    return dataclasses.replace(r, nit=done + r.nit, history=history)


def _joined(before: History | None, after: History) -> History:
    """Two histories end to end (the second starts where the first ended)."""
    if before is None:
        return after
    return History(
        np.concatenate([before.x, after.x[1:]]), np.concatenate([before.fun, after.fun[1:]]),
        np.concatenate([before.grad_norm, after.grad_norm[1:]]),
        np.concatenate([before.lr, after.lr]), np.concatenate([before.step_size, after.step_size]),
    )  # fmt: skip
