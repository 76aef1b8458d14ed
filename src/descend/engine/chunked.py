"""The training loop over data in chunks, with checkpoints: files, Dask, or arrays resumed.

:func:`fit_chunked` runs :func:`descend.fit`'s epochs (same stopping tests, same history, same
:class:`~descend.engine.fit.FitResult`) over a :class:`ChunkedData`: anything that can

* evaluate the full objective, ``value_and_grad(model, θ) -> (J, ∇J)``, here a sum over the
  chunks: J = Σᵢ (mᵢ/m)·Jᵢ⁰ + R(w) and ∇J = Σᵢ (mᵢ/m)·∇Jᵢ⁰ + ∇R(w), with Jᵢ⁰ the chunk's
  mean loss without the penalty (:func:`chunked_value_and_grad`);
* run one epoch of updates, ``run_epoch(...)``, for a file source with :func:`run_chunks`;
* describe itself for the checkpoint's fingerprint.

The optimizer's state (Adam's moments, the schedule's t) lives in the loop, not in the data, so
it carries across chunks, files and epochs exactly as in memory. Mini-batches are cut from the
stream of rows, not from each chunk: a batch may start in one chunk and end in the next (the
rows left at the end of a chunk are carried over), so with ``shuffle=False`` the updates are
those of the in-memory fit, batch for batch.

Checkpoints (:mod:`descend.engine.checkpoint`) are written after every ``every`` epochs and,
for streamed mini-batch epochs with ``chunks=k``, after every k chunks; a mid-epoch checkpoint
holds the random generator's state at the start of the epoch, how many chunks are done and the
rows carried over, so the resumed epoch draws the same order, skips the chunks done and goes
on: the resumed run makes the same floating-point operations as an uninterrupted one. With
``monitor="running"`` the epoch's running loss replaces the pass over all rows after it, and
the sums of the running loss so far are part of the mid-epoch cursor.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from descend.base.errors import DataError, HyperparameterError
from descend.base.types import Array, LearningRate
from descend.engine.batches import BatchSize, EpochOrder, check_batch_size, epoch_order
from descend.engine.checkpoint import (
    Checkpointer,
    array_digest,
    as_checkpointer,
    check_fingerprint,
    fingerprint,
    floats,
    pack_state,
    unfloats,
    unpack_state,
)
from descend.engine.fit import (
    EpochInfo,
    EpochOutput,
    FitHistory,
    FitResult,
    FitStatus,
    _diverged_message,
    _print_epoch,
    _rate_at,
    armijo_step,
    check_epoch_args,
    choose_engine,
    choose_optimizer,
    lr_range_test,
    run_epoch,
    worth_compiling,
)
from descend.engine.stopping import FINE, divergence, tol_count
from descend.models.linear import LinearModel, check_data, check_theta
from descend.optim.rules import get_optimizer
from descend.optim.transform import GradientTransformation, update_count

#: Called after each chunk of an epoch: (chunks done, θ, state, updates so far, carried rows,
#: the running loss so far as (Σ J_B, batches, first J_B), or None when not measured).
ChunkHook = Callable[[int, Array, Any, int, tuple[Any, Any] | None, "Sums | None"], None]
#: The running loss of an epoch in progress: (Σ J_B over its batches so far, their number, the
#: first batch's J_B).
Sums = tuple[float, int, float]


class ChunkedData(Protocol):
    """What :func:`fit_chunked` trains on (a file source, a Dask source, arrays)."""

    @property
    def n_rows(self) -> int:
        """m, the number of rows."""
        ...

    def describe(self) -> str:
        """A description of the data for the checkpoint fingerprint."""
        ...

    def head(self) -> tuple[Any, Any]:
        """Some rows ``(X, y)`` from the start (the learning-rate range test runs on them)."""
        ...

    def value_and_grad(self, model: LinearModel, theta: Array, kernel: Any) -> tuple[float, Array]:
        """``(J(θ), ∇J(θ))`` over all rows."""
        ...

    def run_epoch(
        self, model: LinearModel, theta: Array, opt: GradientTransformation, state: Any,
        batch_size: BatchSize, rng: np.random.Generator, shuffle: bool, *, grad: Array,
        kernel: Any, record: bool, skip: int, carry: tuple[Any, Any] | None,
        on_chunk: ChunkHook | None, running: bool = False, sums: Sums | None = None,
    ) -> EpochOutput:  # fmt: skip
        """One epoch of updates from θ (``grad`` is ∇J at θ, for a full-batch step);
        ``running``: with the epoch's running loss (``EpochOutput.loss``, ``first_loss``),
        ``sums`` those of the chunks already done (a resumed epoch)."""
        ...


def without_penalty(model: LinearModel) -> LinearModel:
    """The model with R(w) = 0: its J over a chunk is the chunk's mean loss alone."""
    return dataclasses.replace(model, penalty=None, alpha=0.0)


def chunked_value_and_grad(
    model: LinearModel, chunks: Iterable[tuple[Any, Any]], theta: Array, kernel: Any = None
) -> tuple[float, Array]:
    """J and ∇J over all rows of ``chunks``: (Σᵢ mᵢ·(Jᵢ⁰, ∇Jᵢ⁰)) / Σᵢ mᵢ + (R, ∇R).

    Jᵢ⁰ and ∇Jᵢ⁰ are the mean loss of chunk i and its gradient without the penalty (a
    compiled fused pass per chunk where it applies).

    >>> from descend.models.linear import linear_regression
    >>> X, y = np.arange(6.0).reshape(3, 2), np.array([1.0, 0.0, 2.0])
    >>> model = linear_regression(2, penalty="l2", alpha=0.1)
    >>> parts = [(X[:2], y[:2]), (X[2:], y[2:])]
    >>> f, g = chunked_value_and_grad(model, parts, np.ones(3), kernel=False)
    >>> f0, g0 = model.value_and_grad(np.ones(3), X, y)
    >>> bool(np.isclose(f, f0)), bool(np.allclose(g, g0))
    (True, True)
    """
    bare = without_penalty(model)
    probe = get_optimizer("sgd", 1.0)
    f, g, m = 0.0, np.zeros(model.n_params), 0
    for Xc, yc in chunks:
        fc, gc = choose_engine(kernel, bare, probe, Xc)[1](theta, Xc, yc)
        f += len(Xc) * fc
        g += len(Xc) * gc
        m += len(Xc)
    if m == 0:
        raise DataError("the data holds no rows to train on")
    return f / m + model.penalty_value(theta), g / m + model.penalty_gradient(theta)


def run_chunks(
    model: LinearModel, chunks: Iterable[tuple[Any, Any]], theta: Array,
    opt: GradientTransformation, state: Any, batch_size: int, *, kernel: Any = None,
    record: bool = False, skip: int = 0, carry: tuple[Any, Any] | None = None,
    on_chunk: ChunkHook | None = None, running: bool = False, sums: Sums | None = None,
) -> EpochOutput:  # fmt: skip
    """One mini-batch epoch over a stream of chunks, batches of ``batch_size`` rows across them.

    Each chunk's whole batches run as one call of the epoch runner (a compiled kernel where it
    applies); the rows left at its end are carried into the first batch of the next chunk;
    the epoch's last batch holds the m mod b rows left, as in memory. The first ``skip``
    chunks are passed over (a resumed epoch, with the rows ``carry`` carried from them).
    ``running``: the epoch's running loss too, the mean of every batch's J_B(θ) before its
    update, summed over the runner's calls as (mean of the call) × (its batches), from the
    ``sums`` of the chunks already done when resuming.
    """
    b = batch_size
    path: list[Array] = []
    step_loss: list[float] = []
    n = 0
    cx, cy = carry if carry is not None else (None, None)
    total, count, first = sums if sums is not None else (0.0, 0, math.nan)

    def run(X: Any, y: Any) -> bool:
        nonlocal theta, state, n, total, count, first
        runner = choose_engine(kernel, model, opt, X)[0] if not record else run_epoch
        out = runner(model, X, y, theta, opt, state, EpochOrder(len(X), b), record=record,
                     running=running)  # fmt: skip
        n += out.n_steps
        theta, state = out.theta, out.state
        path.extend(out.path)
        step_loss.extend(out.step_loss)
        if running and out.finite:
            total += out.loss * out.n_steps
            first = out.first_loss if count == 0 else first
            count += out.n_steps
        return out.finite

    def done() -> EpochOutput:
        if not running:
            return EpochOutput(theta, state, n, True, path, step_loss)
        return EpochOutput(theta, state, n, True, path, step_loss, total / max(count, 1), first)

    def now() -> Sums | None:
        return (total, count, first) if running else None

    for k, (Xc, yc) in enumerate(chunks):
        if k < skip:
            continue
        start = 0
        if cx is not None:
            need = b - len(cx)
            if len(Xc) < need:
                cx, cy = np.concatenate([cx, Xc]), np.concatenate([cy, yc])
                if on_chunk is not None:
                    on_chunk(k + 1, theta, state, n, (cx, cy), now())
                continue
            if not run(np.concatenate([cx, Xc[:need]]), np.concatenate([cy, yc[:need]])):
                return EpochOutput(theta, state, n, False, path, step_loss)
            start, cx, cy = need, None, None
        whole = (len(Xc) - start) // b * b
        if whole and not run(Xc[start : start + whole], yc[start : start + whole]):
            return EpochOutput(theta, state, n, False, path, step_loss)
        if start + whole < len(Xc):
            cx, cy = Xc[start + whole :].copy(), yc[start + whole :].copy()
        if on_chunk is not None:
            on_chunk(k + 1, theta, state, n, None if cx is None else (cx, cy), now())
    if cx is not None and not run(cx, cy):
        return EpochOutput(theta, state, n, False, path, step_loss)
    return done()


def full_batch_step(
    theta: Array, opt: GradientTransformation, state: Any, grad: Array
) -> EpochOutput:
    """One batch-gradient-descent update from ∇J(θ) already summed over all chunks."""
    step, new_state = opt.update(grad, state, theta)
    new_theta = theta + step
    if not np.isfinite(new_theta).all():
        return EpochOutput(theta, state, 1, False, [], [])
    return EpochOutput(new_theta, new_state, 1, True, [new_theta], [])


class ArrayData:
    """In-memory ``(X, y)`` as :class:`ChunkedData`: :func:`descend.fit` with checkpoints.

    Its epochs are exactly those of :func:`descend.fit` (one runner call over the epoch's
    order), so a checkpointed in-memory fit equals the plain one.
    """

    def __init__(self, model: LinearModel, X: Any, y: Any) -> None:
        self.X, self.y = check_data(model, X, y)
        self.n_rows = len(self.X)

    def describe(self) -> str:
        return f"arrays {array_digest(self.X, self.y)}"

    def head(self) -> tuple[Any, Any]:
        return self.X, self.y

    def value_and_grad(self, model: LinearModel, theta: Array, kernel: Any) -> tuple[float, Array]:
        evaluate = choose_engine(kernel, model, get_optimizer("sgd", 1.0), self.X)[1]
        return evaluate(theta, self.X, self.y)

    def run_epoch(
        self, model: LinearModel, theta: Array, opt: GradientTransformation, state: Any,
        batch_size: BatchSize, rng: np.random.Generator, shuffle: bool, *, grad: Array,
        kernel: Any, record: bool, skip: int, carry: tuple[Any, Any] | None,
        on_chunk: ChunkHook | None, running: bool = False, sums: Sums | None = None,
    ) -> EpochOutput:  # fmt: skip
        runner = choose_engine(kernel, model, opt, self.X)[0]
        order = epoch_order(self.n_rows, batch_size, rng, shuffle)
        return runner(model, self.X, self.y, theta, opt, state, order, record=record,
                      running=running)  # fmt: skip


@dataclass
class _Run:
    """Everything the loop carries from epoch to epoch (what a checkpoint stores)."""

    theta: Array
    state: Any
    epoch: int = 0
    n_steps: int = 0
    losses: list[float] = field(default_factory=list)
    vals: list[float] = field(default_factory=list)
    norms: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    best: float = math.inf
    stale: int = 0
    alpha: float = 1.0
    f_start: float = math.nan
    status: str = "running"
    message: str = ""
    lr_chosen: float | None = None
    skip: int = 0
    carry: tuple[Any, Any] | None = None
    sums: Sums | None = None


def fit_chunked(
    model: LinearModel, data: ChunkedData, *, optimizer: str | GradientTransformation = "sgd",
    lr: LearningRate | str = 0.01, batch_size: int | str = "full", max_epochs: int = 100,
    tol: float | None = 1e-4, n_iter_no_change: int = 5, early_stopping: bool = False,
    shuffle: bool = True, seed: int | np.random.Generator | None = None, theta0: Any = None,
    opt_state: Any = None, callback: Callable[[EpochInfo], Any] | None = None,
    verbose: bool = False, record_path: bool = False, kernel: Any = None,
    checkpoint: Any = None, checkpoint_every: int = 1, resume: bool = False, **unused: Any,
) -> FitResult:  # fmt: skip
    """:func:`descend.fit` over a :class:`ChunkedData`, with checkpoints and resumption.

    The arguments are :func:`descend.fit`'s; ``checkpoint`` is a folder (or a
    :class:`~descend.engine.checkpoint.Checkpointer`), ``checkpoint_every`` the epochs between
    checkpoints, ``resume=True`` continues from the folder's latest checkpoint (a fresh start
    when it holds none). A checkpoint of other data or settings is refused with one line.
    """
    monitor = unused.pop("monitor", "full")
    del unused  # validation_fraction: early stopping needs the rows in memory
    if monitor not in ("full", "running"):
        raise HyperparameterError(f"monitor={monitor!r}; give 'full' or 'running'")
    size = check_batch_size(batch_size)
    check_epoch_args(max_epochs, tol, n_iter_no_change)
    if early_stopping:
        raise HyperparameterError(
            "early_stopping is not available with checkpoints, file sources or Dask (no rows "
            "are held out); use tol on the training loss (early_stopping=False)"
        )
    ck = as_checkpointer(checkpoint, every=checkpoint_every)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    start_theta = check_theta(model, theta0)
    prints = fingerprint(
        data.describe(), model=model, optimizer=optimizer, lr=lr, batch_size=size,
        shuffle=shuffle, seed=seed, theta0=array_digest(start_theta),
        **({"monitor": monitor} if monitor != "full" else {}),
    )  # fmt: skip
    saved = _resume(ck, prints, resume)

    def range_test() -> float:  # a resumed run keeps the rate it chose
        if saved and saved["lr_chosen"] is not None:
            return float(saved["lr_chosen"])
        X0, y0 = data.head()
        return lr_range_test(model, X0, y0, start_theta, optimizer, size, rng, shuffle)

    opt, line_search, lr_chosen, rate = choose_optimizer(optimizer, lr, size, range_test)
    run = _Run(start_theta, opt.init(start_theta) if opt_state is None else opt_state)
    run.lr_chosen = lr_chosen
    if saved:
        _restore(run, saved, opt, rng)
    if (
        kernel is None
        and isinstance(data, ArrayData)
        and not worth_compiling(data.X, size, max_epochs)
    ):
        kernel = False  # as descend.fit decides: a short fit on arrays stays on the reference
    running = monitor == "running" and not line_search
    loop = _Loop(model, data, opt, size, rng, shuffle, kernel, record_path, line_search, rate,
                 ck, prints, verbose, callback, running)  # fmt: skip
    with np.errstate(all="ignore"):
        return loop.run(run, max_epochs, tol, n_iter_no_change)


def _resume(ck: Checkpointer | None, prints: dict[str, str], resume: bool) -> dict[str, Any] | None:
    if resume and ck is None:
        raise HyperparameterError("resume=True needs checkpoint=FOLDER, the checkpoints to resume")
    if ck is None:
        return None
    found = ck.load()
    if found is None:
        return None
    if not resume:
        raise DataError(
            f"the checkpoint folder {str(ck.path)!r} already holds a run; pass resume=True "
            "(--resume) to continue it, or give an empty folder"
        )
    meta, arrays = found
    check_fingerprint(meta, prints, ck.path)
    return {**meta, "arrays": arrays}


def _restore(run: _Run, saved: dict[str, Any], opt: GradientTransformation, rng: Any) -> None:
    arrays = saved["arrays"]
    run.theta = np.array(arrays["theta"])
    run.state = unpack_state(opt.init(run.theta), saved["state"], arrays)
    run.epoch, run.n_steps = int(saved["epoch"]), int(saved["n_steps"])
    h = saved["history"]
    run.losses, run.vals = unfloats(h["loss"]), unfloats(h["val_loss"])
    run.norms, run.lrs = unfloats(h["grad_norm"]), unfloats(h["lr"])
    run.best, run.stale, run.alpha = float(saved["best"]), int(saved["stale"]), saved["alpha"]
    run.f_start, run.status, run.message = (
        float(saved["f_start"]),
        saved["status"],
        saved["message"],
    )
    run.skip = int(saved["cursor"]["chunks"])
    if "running" in saved["cursor"]:
        total, count, first = unfloats(saved["cursor"]["running"])
        run.sums = (total, int(count), first)
    if "carry_X" in arrays:
        run.carry = (np.array(arrays["carry_X"]), np.array(arrays["carry_y"]))
    rng.bit_generator.state = saved["rng"]


class _Loop:
    """The epochs of :func:`fit_chunked` (the same tests as :func:`descend.fit`'s loop)."""

    def __init__(
        self, model: LinearModel, data: ChunkedData, opt: GradientTransformation,
        size: BatchSize, rng: np.random.Generator, shuffle: bool, kernel: Any, record: bool,
        line_search: bool, rate: Any, ck: Checkpointer | None, prints: dict[str, str],
        verbose: bool, callback: Callable[[EpochInfo], Any] | None, running: bool = False,
    ) -> None:  # fmt: skip
        self.model, self.data, self.opt, self.size, self.rng = model, data, opt, size, rng
        self.shuffle, self.kernel, self.record, self.line_search = (
            shuffle,
            kernel,
            record,
            line_search,
        )
        self.rate, self.ck, self.prints, self.verbose, self.callback = (
            rate,
            ck,
            prints,
            verbose,
            callback,
        )
        self.running = running  # monitor="running": the epochs' running losses stand in for J
        self.path: list[Array] = []
        self.step_loss: list[float] = []

    def evaluate(self, theta: Array) -> tuple[float, Array]:
        return self.data.value_and_grad(self.model, theta, self.kernel)

    def run(self, run: _Run, max_epochs: int, tol: float | None, patience: int) -> FitResult:
        if (run.losses and self.size != "full") or self.running:  # no J, ∇J at θ needed
            f = run.losses[-1] if run.losses else math.nan
            g = np.full_like(run.theta, math.nan)
        else:
            f, g = self.evaluate(run.theta)
        if not run.losses:
            if not self.running and not (math.isfinite(f) and np.isfinite(g).all()):
                raise DataError(
                    f"the loss is not finite at the start θ₀ (J = {f}); scale the features"
                )
            run.f_start = f
            run.losses, run.vals, run.norms, run.lrs = (
                [f],
                [math.nan],
                [float(np.linalg.norm(g))],
                [math.nan],
            )
            run.best = math.inf if self.running else f
            self.path.append(run.theta.copy())
            if self.verbose:
                _print_epoch(0, f, math.nan, run.norms[0], math.nan)
        while run.status == "running" and run.epoch < max_epochs:
            f, g = self._epoch(run, f, g, tol, patience)
        if run.status == "running" and run.epoch >= max_epochs:
            why = " (tol=None: no convergence test)" if tol is None else ", still improving"
            run.message = f"ran max_epochs={max_epochs} epochs{why}"
        if self.ck is not None:
            self.save(run)
        return self.result(run)

    def _epoch(
        self, run: _Run, f: float, g: Array, tol: float | None, patience: int
    ) -> tuple[float, Array]:
        epoch = run.epoch + 1
        start_rng = dict(copy.deepcopy(self.rng.bit_generator.state))
        known = None
        if self.line_search:
            evaluate = lambda t, X, y: self.evaluate(t)  # noqa: E731
            out, run.alpha, known = armijo_step(
                self.model, None, None, run.theta, f, g, self.opt, run.state, run.alpha,
                value_and_grad=evaluate,
            )  # fmt: skip
            used = run.alpha
        elif self.running and self.size == "full":  # J(θ) before the step is its running loss
            f_at, g = self.evaluate(run.theta)
            out = full_batch_step(run.theta, self.opt, run.state, g)
            out = out._replace(loss=f_at, first_loss=f_at) if out.finite else out
            used = _rate_at(self.rate, update_count(out.state) - 1)
        else:
            hook = self._mid_epoch(run, start_rng) if self.ck and self.ck.chunks else None
            out = self.data.run_epoch(
                self.model, run.theta, self.opt, run.state, self.size, self.rng, self.shuffle,
                grad=g, kernel=self.kernel, record=self.record, skip=run.skip, carry=run.carry,
                on_chunk=hook, running=self.running, sums=run.sums,
            )  # fmt: skip
            used = _rate_at(self.rate, update_count(out.state) - 1)
        run.skip, run.carry, run.sums = 0, None, None
        if self.running:
            if run.epoch == 0:
                run.f_start = out.first_loss
                if out.finite and not math.isfinite(run.f_start):
                    raise DataError(
                        f"the loss is not finite at the start θ₀ (J = {run.f_start} on the "
                        "first batch); scale the features"
                    )
            f_new, g_new = out.loss, g
        else:
            f_new, g_new = known if known else self.evaluate(out.theta)
        finite = out.finite and math.isfinite(f_new) and bool(
            self.running or np.isfinite(g_new).all()
        )
        if divergence(f_new, run.f_start, finite) != FINE:
            run.status = "diverged"
            run.message = _diverged_message(epoch, run.n_steps + out.n_steps, used)
            return f, g
        run.epoch, run.theta, run.state = epoch, out.theta, out.state
        run.n_steps += out.n_steps
        run.losses.append(f_new)
        run.vals.append(math.nan)
        run.norms.append(math.nan if self.running else float(np.linalg.norm(g_new)))
        run.lrs.append(used)
        if self.record:
            self.path.extend(out.path)
            self.step_loss.extend(out.step_loss)
        if self.verbose:
            _print_epoch(epoch, f_new, math.nan, run.norms[-1], used)
        info = EpochInfo(epoch, run.theta.copy(), f_new, math.nan, run.norms[-1], used, run.n_steps)
        if self.callback is not None and self.callback(info):
            run.status, run.message = "stopped", f"stopped by the callback after epoch {epoch}"
        elif tol is not None:
            run.best, run.stale = tol_count(f_new, run.best, run.stale, tol)
            if run.stale >= patience:
                run.status = "converged"
                run.message = (
                    f"converged: the training loss improved by less than tol={tol:g} for "
                    f"{patience} epochs in a row (epoch {epoch})"
                )
        if self.ck is not None and run.status == "running" and epoch % self.ck.every == 0:
            self.save(run)
        return f_new, g_new

    def _mid_epoch(self, run: _Run, start_rng: dict[str, Any]) -> ChunkHook:
        """Save after every ``ck.chunks`` chunks: θ, state and the cursor into the epoch."""
        assert self.ck is not None and self.ck.chunks is not None
        every = self.ck.chunks

        def hook(done: int, theta: Array, state: Any, n: int, carry: Any, sums: Sums | None
                 ) -> None:  # fmt: skip
            if done % every == 0:
                cursor: dict[str, Any] = {"epoch": run.epoch + 1, "chunks": done}
                if sums is not None:
                    cursor["running"] = floats([sums[0], float(sums[1]), sums[2]])
                mid = dataclasses.replace(run, theta=theta, state=state, n_steps=run.n_steps + n)
                self.save(mid, cursor=cursor, rng=start_rng, carry=carry)

        return hook

    def save(self, run: _Run, *, cursor: dict[str, Any] | None = None, rng: Any = None,
             carry: tuple[Any, Any] | None = None) -> None:  # fmt: skip
        assert self.ck is not None
        leaves, arrays = pack_state(run.state)
        arrays["theta"] = run.theta
        if carry is not None:
            arrays["carry_X"], arrays["carry_y"] = carry
        meta = {
            "fingerprint": self.prints, "epoch": run.epoch, "n_steps": run.n_steps,
            "cursor": cursor or {"epoch": run.epoch + 1, "chunks": 0},
            "rng": rng if rng is not None else self.rng.bit_generator.state,
            "state": leaves, "best": run.best, "stale": run.stale, "alpha": run.alpha,
            "f_start": run.f_start, "status": run.status, "message": run.message,
            "lr_chosen": run.lr_chosen,
            "history": {"loss": floats(run.losses), "val_loss": floats(run.vals),
                        "grad_norm": floats(run.norms), "lr": floats(run.lrs)},
        }  # fmt: skip
        self.ck.save(meta, arrays)

    def result(self, run: _Run) -> FitResult:
        status: FitStatus = "max_epochs" if run.status == "running" else run.status  # type: ignore[assignment]
        history = FitHistory(
            loss=np.array(run.losses), val_loss=np.array(run.vals),
            grad_norm=np.array(run.norms), lr=np.array(run.lrs),
            path=np.array(self.path) if self.record else None,
            step_loss=np.array(self.step_loss) if self.record else None,
        )  # fmt: skip
        return FitResult(run.theta, run.state, status, run.message, len(run.losses) - 1,
                         run.n_steps, history, run.lr_chosen)  # fmt: skip
