"""The training loop: learn a model's θ from data by (mini-batch) gradient descent.

This is the seeds' loop over epochs made exact::

    for epoch in 1..max_epochs:
        for each batch B of the epoch (all rows, one row, or b rows; shuffled or not):
            g = ∇J_B(θ)                       # mean over the rows of B, plus the penalty
            step, state = opt.update(g, state, θ)
            θ = θ + step                      # θ − α·g for plain gradient descent
        J = J(θ) over all training rows       # recorded; divergence and stopping tests
        stop "converged" when J (or the validation loss) has not improved by more than tol
        for n_iter_no_change epochs in a row; "diverged" when J or θ is not finite or explodes

The optimizer's state, and so the schedule's t, carries over from epoch to epoch: t counts
updates. The inner loop is :func:`run_epoch`, the one piece a compiled kernel replaces; this
NumPy path is the reference such kernels must match.

``lr="auto"`` picks the learning rate: with ``batch_size="full"`` a backtracking (Armijo) line
search at every step; with mini-batches a learning-rate range test (:func:`lr_range_test`)
before training.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np

from descend.base.errors import DataError, HyperparameterError
from descend.base.types import Array, LearningRate
from descend.engine.batches import check_batch_size, epoch_order, train_validation_split
from descend.engine.epoch import EpochOutput, EpochRunner, run_epoch
from descend.engine.stopping import FINE, divergence, tol_count
from descend.models.linear import LinearModel, check_data, check_theta
from descend.models.model import Model
from descend.models.scaling import Scaler, standardise
from descend.optim.line_search import backtrack
from descend.optim.rules import OPTIMIZERS, get_optimizer
from descend.optim.transform import GradientTransformation, learning_rate_at, update_count

FitStatus = Literal["converged", "max_epochs", "diverged", "stopped"]


@dataclass(frozen=True)
class FitHistory:
    """Per-epoch records (entry 0 is the start, before any update).

    ``loss`` is the full training objective, ``val_loss`` the validation loss (NaN without
    validation), ``grad_norm`` the full-batch ‖∇J‖, ``lr`` the learning rate of the epoch's last
    update (NaN at epoch 0). With ``record_path=True``: ``path``, θ after every update (row 0
    is θ₀), and ``step_loss``, each batch's loss at the θ where its gradient was taken.
    For a model with layers (an :class:`~descend.models.mlp.MLP`), ``layer_grad_norms`` has
    one row per epoch and one column per layer: ‖∂J/∂Wˡ‖ of the full-batch gradient.
    """

    loss: Array
    val_loss: Array
    grad_norm: Array
    lr: Array
    path: Array | None = None
    step_loss: Array | None = None
    layer_grad_norms: Array | None = None

    def __len__(self) -> int:
        return len(self.loss)


@dataclass(frozen=True)
class FitResult:
    """The outcome of :func:`fit`; ``theta`` and ``opt_state`` let a later call continue.

    ``status`` is ``"converged"`` (no improvement > tol for n_iter_no_change epochs),
    ``"max_epochs"``, ``"stopped"`` (by the callback) or ``"diverged"`` (``theta`` is then the
    last good one: the end of the last epoch whose loss was finite and not exploding).
    ``n_epochs``/``n_steps`` count the epochs and updates that ``theta`` results from;
    ``lr_chosen`` is the range test's learning rate (``lr="auto"`` with mini-batches).
    """

    theta: Array
    opt_state: Any
    status: FitStatus
    message: str
    n_epochs: int
    n_steps: int
    history: FitHistory
    lr_chosen: float | None = None

    @property
    def success(self) -> bool:
        """True when the loss stopped improving (status ``"converged"``)."""
        return self.status == "converged"

    @property
    def loss(self) -> float:
        """The training objective at ``theta``."""
        return float(self.history.loss[-1])


class EpochInfo(NamedTuple):
    """What a ``callback`` receives after each epoch; return True to stop training."""

    epoch: int
    theta: Array
    loss: float
    val_loss: float
    grad_norm: float
    lr: float
    n_steps: int


Evaluator = Callable[[Array, Any, Any], tuple[float, Array]]


def with_lr(optimizer: str | GradientTransformation, lr: LearningRate) -> GradientTransformation:
    """The optimizer rebuilt with learning rate ``lr`` (a name, or a named transform)."""
    if isinstance(optimizer, str):
        return get_optimizer(optimizer, lr)
    if optimizer.name in OPTIMIZERS and optimizer.hyperparams is not None:
        factory: Callable[..., GradientTransformation] = OPTIMIZERS[optimizer.name]
        return factory(**{**optimizer.hyperparams, "lr": lr})
    raise HyperparameterError(
        "lr='auto' with mini-batches needs an optimizer given by name (or a named one such as "
        "adam()); a hand-made chain carries its own learning rate"
    )


def lr_range_test(
    model: Model, X: Any, y: Any, theta: Array, optimizer: str | GradientTransformation,
    batch_size: Any, rng: np.random.Generator, shuffle: bool = True, *, n_steps: int = 100,
    lr_min: float = 1e-6, lr_max: float = 10.0, smoothing: float = 0.9, stop_factor: float = 4.0,
    scaler: Scaler | None = None,
) -> float:  # fmt: skip
    """A learning rate from a range test (Smith 2017; the fastai "lr finder").

    From a copy of θ, make up to ``n_steps`` mini-batch updates with αₜ growing geometrically
    from ``lr_min`` to ``lr_max``. After each update, measure the loss on one fixed sample of
    at most 1,024 rows (not on the next mini-batch, whose noise can make a lucky first batch
    look best) and keep its exponential average; stop once it exceeds ``stop_factor`` × its
    minimum. The answer is α_{t*} / 10, t* the update after which the average was smallest.
    With a ``scaler``, the rows it reads are standardised as they are gathered (no copy of X).
    """

    def rows(index: Any) -> Any:
        return X[index] if scaler is None else standardise(X[index], scaler)

    def schedule(t: int) -> float:
        return float(lr_min * (lr_max / lr_min) ** (min(t, n_steps - 1) / (n_steps - 1)))

    opt = with_lr(optimizer, schedule)
    state, theta = opt.init(theta), theta.copy()
    probe = np.sort(rng.choice(len(X), size=min(len(X), 1024), replace=False))
    X_probe, y_probe = rows(probe), y[probe]
    avg, best, best_t = 0.0, math.inf, 0
    epochs = (epoch_order(len(X), batch_size, rng, shuffle) for _ in itertools.count())
    steps = itertools.islice(itertools.chain.from_iterable(epochs), n_steps)
    with np.errstate(all="ignore"):
        for t, batch in enumerate(steps):
            g = model.gradient(theta, rows(batch), y[batch])
            step, state = opt.update(g, state, theta)
            theta = theta + step
            f = model.loss_value(theta, X_probe, y_probe)
            avg = smoothing * avg + (1.0 - smoothing) * f
            smoothed = avg / (1.0 - smoothing ** (t + 1))
            if not math.isfinite(smoothed) or smoothed > stop_factor * best:
                break
            if smoothed < best:
                best, best_t = smoothed, t
    return schedule(best_t) / 10


def fit(
    model: Model,
    X: Any,
    y: Any,
    *,
    optimizer: str | GradientTransformation = "sgd",
    lr: LearningRate | str = 0.01,
    batch_size: int | str = "full",
    max_epochs: int = 100,
    tol: float | None = 1e-4,
    n_iter_no_change: int = 5,
    early_stopping: bool = False,
    validation_fraction: float = 0.1,
    shuffle: bool = True,
    seed: int | np.random.Generator | None = None,
    theta0: Any = None,
    opt_state: Any = None,
    callback: Callable[[EpochInfo], Any] | None = None,
    verbose: bool = False,
    record_path: bool = False,
    kernel: EpochRunner | bool | str | None = None,
    scaler: Scaler | None = None,
    assume_finite: bool = False,
    monitor: str = "full",
) -> FitResult:
    """Fit ``model`` to ``(X, y)`` by batch, stochastic or mini-batch gradient descent.

    Parameters
    ----------
    model : Model
        The model, its loss and its penalty: a :class:`~descend.models.linear.LinearModel`
        (:func:`linear_regression`, ...), an :class:`~descend.models.mlp.MLP`, or any object
        with the :class:`~descend.models.model.Model` interface.
    X : array-like of shape (m, d)
        Finite numbers; float32 stays float32.
    y : array-like of shape (m,)
        Targets, already encoded for classification (0/1 for the log loss, −1/+1 for the hinge,
        0..K−1 for softmax).
    optimizer : str or GradientTransformation, default="sgd"
        A name of ``OPTIMIZERS`` or a built optimizer (which carries its own learning rate:
        ``lr`` must then stay at its default, or be ``"auto"``).
    lr : float, schedule or "auto", default=0.01
        The learning rate; ``"auto"``: a line search each step for ``batch_size="full"``, a
        learning-rate range test (result in ``lr_chosen``) for mini-batches.
    batch_size : "full" or int, default="full"
        Rows per update: all (batch GD), 1 (stochastic) or b (mini-batch).
    max_epochs : int, default=100
        Most passes over the data.
    tol : float or None, default=1e-4
        Stop ("converged") when the loss has not improved by more than ``tol`` for
        ``n_iter_no_change`` epochs in a row; None always runs ``max_epochs``.
    n_iter_no_change : int, default=5
        See ``tol``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and apply ``tol`` to their loss.
    validation_fraction : float, default=0.1
        Share of the rows held out with ``early_stopping``.
    shuffle : bool, default=True
        Draw a fresh permutation of the rows every epoch.
    seed : int, Generator or None
        Seeds ``numpy.random.default_rng``; each epoch's order is ``rng.permutation(m)``.
    theta0, opt_state : optional
        Where to start (default zeros) and the optimizer state to continue from.
    callback : callable, optional
        Called with an :class:`EpochInfo` after each epoch; returning True stops.
    verbose : bool, default=False
        Print one line per epoch.
    record_path : bool, default=False
        Record θ after every update and each batch's loss in the history.
    kernel : None, bool, "numpy" or callable, default=None
        None: the compiled kernels of :mod:`descend.kernels.fit` where they apply (built-in
        model, named optimizer, C-contiguous float32/float64 X) and the run is long enough to
        repay loading them (:func:`worth_compiling`), else this NumPy reference; they also
        evaluate J and ∇J over all rows each epoch. True: the kernels, or an error where they
        do not apply. False or ``"numpy"``: the reference. A callable: a replacement for
        :func:`run_epoch` with the same signature.
    scaler : Scaler, optional
        Train on the standardised features (x − μ)/σ (:mod:`descend.models.scaling`); θ is
        then on that scale. The kernels read them on the fly (no copy of X); the NumPy path
        standardises one copy.
    assume_finite : bool, default=False
        Skip the pass over X that looks for missing or infinite values, when the caller has
        made it (as scikit-learn's ``assume_finite``). X with such values then trains to NaN.
    monitor : "full" or "running", default="full"
        What ``history.loss`` (and ``tol``, ``verbose``, divergence) measure after each epoch.
        "full": J(θ) and ∇J(θ) over all rows, one pass over the data each epoch (and one at
        the start). "running": no pass of its own; the loss of each batch J_B(θ), taken just
        before its update, averaged over the epoch's batches (scikit-learn's measure for its
        ``tol``); ``history.loss[0]`` and ``history.grad_norm`` are then NaN, and an epoch has
        diverged when its running loss is not finite or has moved more than 10¹² times (1 +
        |J_B₀|) from that of the first batch. The line search (``lr="auto"`` with the full
        batch) evaluates J and ∇J anyway and always runs "full". On file sources a streamed
        epoch is then one read of the files instead of two; a full-batch epoch's running loss
        is J(θ) before its step; on Dask, the partitions' J_B averaged over all their batches.

    Returns
    -------
    FitResult
        Divergence is a status (θ the last finite one, a message with the fix), not an error.

    Examples
    --------
    >>> from descend.models.linear import linear_regression
    >>> X, y = np.array([[1.0], [2], [3], [4], [5]]), np.array([2.0, 4, 5, 4, 5])
    >>> r = fit(linear_regression(1), X, y, lr="auto", max_epochs=1000, tol=None)
    >>> r.status, r.theta.round(6)  # least squares: y = 0.6x + 2.2
    ('max_epochs', array([2.2, 0.6]))
    """
    X, y = check_data(model, X, y, assume_finite=assume_finite)
    size = check_batch_size(batch_size)
    check_epoch_args(max_epochs, tol, n_iter_no_change)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    theta = check_theta(model, theta0)
    if scaler is not None and (early_stopping or record_path):
        X, scaler = standardise(X, scaler), None  # rows are copied (or the reference runs)
    X_val = y_val = None
    if early_stopping:
        train, val = train_validation_split(len(X), validation_fraction, rng)
        X, y, X_val, y_val = X[train], y[train], X[val], y[val]
    opt, line_search, lr_chosen, rate = choose_optimizer(
        optimizer, lr, size,
        lambda: lr_range_test(model, X, y, theta, optimizer, size, rng, shuffle, scaler=scaler),
    )  # fmt: skip
    state = opt.init(theta) if opt_state is None else opt_state
    if kernel is None and not worth_compiling(X, size, max_epochs):
        kernel = False
    runner, evaluate, compiled = choose_engine(kernel, model, opt, X, scaler)
    if scaler is not None and not compiled:
        X = standardise(X, scaler)  # the NumPy reference trains on one standardised copy
    alpha = 1.0  # the line search's last accepted step
    if monitor not in ("full", "running"):
        raise HyperparameterError(f"monitor={monitor!r}; give 'full' or 'running'")
    running = monitor == "running" and not line_search

    def advance(theta: Array, state: Any, f: float, g: Array) -> tuple[EpochOutput, float, Any]:
        """One epoch from θ (J, ∇J at θ given): its output, its lr, and (J, ∇J) at the new θ
        when already known."""
        nonlocal alpha
        if line_search:
            out, alpha, known = armijo_step(
                model, X, y, theta, f, g, opt, state, alpha, value_and_grad=evaluate
            )
            return out, alpha, known
        order = epoch_order(len(X), size, rng, shuffle)
        if running:
            out = runner(model, X, y, theta, opt, state, order, record=record_path, running=True)
        else:
            out = runner(model, X, y, theta, opt, state, order, record=record_path)
        return out, _rate_at(rate, update_count(out.state) - 1), None

    with np.errstate(all="ignore"):
        return _loop(
            model, X, y, X_val, y_val, theta, state, advance, lr_chosen=lr_chosen,
            max_epochs=max_epochs, tol=tol, n_iter_no_change=n_iter_no_change,
            callback=callback, verbose=verbose, record=record_path, value_and_grad=evaluate,
            running=running,
        )  # fmt: skip


#: Seconds of NumPy work below which fit keeps to the reference rather than load the kernels
#: (loading Numba and the cached kernels takes about half a second in a new process).
COMPILE_MIN_SECONDS = 0.1


def choose_optimizer(
    optimizer: str | GradientTransformation, lr: LearningRate | str, size: Any,
    range_test: Callable[[], float],
) -> tuple[GradientTransformation, bool, float | None, Any]:  # fmt: skip
    """The optimizer ``fit`` runs, from the ``optimizer`` and ``lr`` it was given.

    Returns (optimizer, whether each step is a line search, the range test's learning rate,
    the learning rate to record). ``lr="auto"`` means a line search for the full batch and,
    for mini-batches, the rate ``range_test()`` chooses (called only then).
    """
    auto = isinstance(lr, str)
    if auto and lr != "auto":
        raise HyperparameterError(f"lr={lr!r}; give a number, a schedule or 'auto'")
    line_search = auto and size == "full"
    lr_chosen: float | None = None
    if line_search:
        opt = with_lr(optimizer, 1.0) if isinstance(optimizer, str) else optimizer
    elif auto:
        lr_chosen = range_test()
        opt = with_lr(optimizer, lr_chosen)
    elif isinstance(optimizer, GradientTransformation):
        if lr != 0.01:
            get_optimizer(optimizer, lr)  # type: ignore[arg-type]  # raises: lr given twice
        opt = optimizer
    else:
        opt = get_optimizer(optimizer, lr)  # type: ignore[arg-type]
    rate: Any = lr_chosen if lr_chosen is not None else lr
    if not auto and isinstance(optimizer, GradientTransformation):
        rate = (optimizer.hyperparams or {}).get("lr", math.nan)
    return opt, line_search, lr_chosen, rate


def worth_compiling(X: Any, size: Any, max_epochs: int) -> bool:
    """Whether a fit is long enough to repay loading the kernels: its NumPy reference is
    estimated at 20 µs per update plus 2 ns per multiply-add of the full passes, and the
    kernels take over above :data:`COMPILE_MIN_SECONDS`.

    >>> worth_compiling(np.zeros((50, 3)), "full", 1000)
    False
    >>> worth_compiling(np.zeros((100_000, 3)), 1, 1)  # 100,000 updates
    True
    """
    shape = getattr(X, "shape", (0, 0))
    m, n = int(shape[0]), int(shape[1]) if len(shape) > 1 else 1
    updates = 1 if size == "full" else -(-m // max(int(size), 1))
    seconds = max_epochs * (updates * 20e-6 + 2 * m * n * 2e-9)
    return seconds >= COMPILE_MIN_SECONDS


def choose_engine(
    kernel: Any, model: Model, opt: GradientTransformation, X: Any,
    scaler: Scaler | None = None,
) -> tuple[EpochRunner, Evaluator, bool]:  # fmt: skip
    """The epoch runner and the full-batch ``(J, ∇J)`` evaluator that ``kernel`` asks for, and
    whether they are the compiled ones (which read X standardised by ``scaler``; the
    reference ones need the standardised X)."""
    if kernel is False or (isinstance(kernel, str) and kernel == "numpy"):
        return run_epoch, model.value_and_grad, False
    if callable(kernel):
        return kernel, model.value_and_grad, False
    if kernel is not None and kernel is not True:
        raise HyperparameterError(
            f"kernel={kernel!r}; give None, True, False, 'numpy' or a callable"
        )
    compiled = evaluate = None
    if isinstance(model, LinearModel):  # the kernels compile the built-in linear models only
        from descend.engine.compiled_fit import evaluator_for, kernel_for

        compiled, evaluate = kernel_for(model, opt, X, scaler), evaluator_for(model, X, scaler)
    if kernel is True and compiled is None:
        raise HyperparameterError(
            "kernel=True, but no compiled kernel covers this fit: it needs a linear model with a "
            "built-in loss, a named optimizer and X as a C-contiguous float32/float64 array; "
            "use kernel=None"
        )
    if compiled is None or evaluate is None:
        return run_epoch, model.value_and_grad, False
    return compiled, evaluate, True


def armijo_step(
    model: Model, X: Any, y: Any, theta: Array, f: float, g: Array,
    opt: GradientTransformation, state: Any, alpha: float,
    value_and_grad: Evaluator | None = None,
) -> tuple[EpochOutput, float, tuple[float, Array] | None]:  # fmt: skip
    """One full-batch update with α from the backtracking line search of
    :func:`descend.optim.line_search.backtrack` along the optimizer's direction d.

    Returns the update as an :class:`EpochOutput`, the α taken, and (J, ∇J) at the new θ.
    ``value_and_grad`` replaces ``model.value_and_grad`` (the compiled full pass).
    """
    evaluate = value_and_grad or model.value_and_grad
    d, new_state = opt.update(g, state, theta)
    d, alpha, known = backtrack(lambda t: evaluate(t, X, y), theta, f, g, d, alpha)
    new_theta = theta + alpha * d
    finite = bool(np.isfinite(new_theta).all())
    return EpochOutput(new_theta, new_state, 1, finite, [new_theta], [f]), alpha, known


def _loop(
    model: Model, X: Any, y: Any, X_val: Any, y_val: Any, theta: Array, state: Any,
    advance: Callable[[Array, Any, float, Array], tuple[EpochOutput, float, Any]], *,
    lr_chosen: float | None, max_epochs: int, tol: float | None, n_iter_no_change: int,
    callback: Callable[[EpochInfo], Any] | None, verbose: bool, record: bool,
    value_and_grad: Evaluator | None = None, running: bool = False,
) -> FitResult:  # fmt: skip
    """The epochs of :func:`fit`: advance, evaluate, record, test for stopping. ``running``:
    the epochs' running losses stand in for J (``monitor="running"``), and ∇J is not known."""
    evaluate = value_and_grad or model.value_and_grad
    f, g = (math.nan, np.full(len(theta), math.nan)) if running else evaluate(theta, X, y)
    if not running and not (math.isfinite(f) and np.isfinite(g).all()):
        raise DataError(f"the loss is not finite at the start θ₀ (J = {f}); scale the features")
    f_start = f
    val = _val_loss(model, theta, X_val, y_val)
    losses, vals, norms, lrs = [f], [val], [float(np.linalg.norm(g))], [math.nan]
    per_layer = getattr(model, "layer_grad_norms", None)
    layer_norms = [per_layer(g)] if callable(per_layer) and not running else None
    path: list[Array] = [theta.copy()]
    step_loss: list[float] = []
    best = val if X_val is not None else (math.inf if running else f)
    stale, n_steps, epoch = 0, 0, 0
    status: FitStatus = "max_epochs"
    message = ""
    if verbose:
        _print_epoch(0, f, val, norms[0], math.nan)
    while epoch < max_epochs:
        epoch += 1
        out, used, known = advance(theta, state, f, g)
        if running:
            if epoch == 1:
                f_start = out.first_loss
                if out.finite and not math.isfinite(f_start):
                    raise DataError(
                        f"the loss is not finite at the start θ₀ (J = {f_start} on the first "
                        "batch); scale the features"
                    )
            f_new, g_new = out.loss, g
        else:
            f_new, g_new = known if known else evaluate(out.theta, X, y)
        finite = out.finite and math.isfinite(f_new) and bool(running or np.isfinite(g_new).all())
        if divergence(f_new, f_start, finite) != FINE:
            status = "diverged"
            message = _diverged_message(epoch, n_steps + out.n_steps, used)
            break
        theta, state, f, g = out.theta, out.state, f_new, g_new
        n_steps += out.n_steps
        val = _val_loss(model, theta, X_val, y_val)
        losses.append(f)
        vals.append(val)
        norms.append(float(np.linalg.norm(g)))
        lrs.append(used)
        if layer_norms is not None and callable(per_layer):
            layer_norms.append(per_layer(g))
        if record:
            path.extend(out.path)
            step_loss.extend(out.step_loss)
        if verbose:
            _print_epoch(epoch, f, val, norms[-1], used)
        info = EpochInfo(epoch, theta.copy(), f, val, norms[-1], used, n_steps)
        if callback is not None and callback(info):
            status, message = "stopped", f"stopped by the callback after epoch {epoch}"
            break
        if tol is not None:
            score = val if X_val is not None else f
            best, stale = tol_count(score, best, stale, tol)
            if stale >= n_iter_no_change:
                which = "validation" if X_val is not None else "training"
                status = "converged"
                message = (
                    f"converged: the {which} loss improved by less than tol={tol:g} for "
                    f"{n_iter_no_change} epochs in a row (epoch {epoch})"
                )
                break
    if status == "max_epochs":
        why = " (tol=None: no convergence test)" if tol is None else ", still improving"
        message = f"ran max_epochs={max_epochs} epochs{why}"
    history = FitHistory(
        loss=np.array(losses),
        val_loss=np.array(vals),
        grad_norm=np.array(norms),
        lr=np.array(lrs),
        path=np.array(path) if record else None,
        step_loss=np.array(step_loss) if record else None,
        layer_grad_norms=np.array(layer_norms) if layer_norms is not None else None,
    )
    n_epochs = len(losses) - 1
    return FitResult(theta, state, status, message, n_epochs, n_steps, history, lr_chosen)


def _rate_at(rate: Any, t: int) -> float:
    if rate is None or isinstance(rate, str):
        return math.nan
    return learning_rate_at(rate, max(t, 0))


def _val_loss(model: Model, theta: Array, X_val: Any, y_val: Any) -> float:
    return math.nan if X_val is None else model.loss_value(theta, X_val, y_val)


def _diverged_message(epoch: int, step: int, lr: float) -> str:
    hint = f", e.g. lr={lr / 10:.3g}" if math.isfinite(lr) else ""
    return (
        f"diverged at epoch {epoch} (step {step}): the loss or θ became non-finite or exploded; "
        f"θ is the last finite one (end of epoch {epoch - 1}). Scale the features (scale=True) "
        f"or lower the learning rate{hint}"
    )


def _print_epoch(epoch: int, f: float, val: float, gnorm: float, lr: float) -> None:
    text = f"epoch {epoch:>5}  loss {f:<14.8g}"
    if math.isfinite(val):
        text += f"  val_loss {val:<14.8g}"
    print(text + f"  grad_norm {gnorm:<10.3e}  lr {lr:.3g}")


def check_epoch_args(max_epochs: Any, tol: Any, n_iter_no_change: Any) -> None:
    whole = (("max_epochs", max_epochs, 0), ("n_iter_no_change", n_iter_no_change, 1))
    for name, value, low in whole:
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise HyperparameterError(f"{name}={value!r} must be a whole number >= {low}")
    if tol is not None and (not isinstance(tol, int | float | np.floating) or not tol >= 0):
        raise HyperparameterError(f"tol={tol!r} must be a number >= 0, or None")
