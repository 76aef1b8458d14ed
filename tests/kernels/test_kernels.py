"""The compiled epoch kernels agree with the NumPy reference on every model × rule × batch size."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pytest

from descend import (
    HyperparameterError,
    LinearModel,
    adagrad,
    adam,
    adamw,
    chain,
    clip,
    fit,
    get_loss,
    momentum,
    rmsprop,
    scale_by_learning_rate,
    sgd,
    step_decay,
    time_decay,
)
from descend.engine.batches import EpochOrder
from descend.engine.compiled_fit import CompiledEpoch, full_loss_and_grad, kernel_for
from descend.engine.fit import run_epoch
from descend.kernels import fit as _kernels
from descend.kernels import passes as _passes
from descend.kernels import update as _update
from descend.kernels.fit import n_blocks
from descend.models.linear import L2, NO_PENALTY, PENALTY_CODES
from descend.models.losses import LOSS_CODES, SquaredLoss, dz_scalar, value_scalar
from descend.models.scaling import fit_scaler

LOSSES = ["squared", "mse", "absolute", "huber", "log_loss", "hinge", "softmax"]
RULES = {
    "sgd": lambda: sgd(0.05),
    "momentum": lambda: momentum(0.02, beta=0.9),
    "nesterov": lambda: momentum(0.02, beta=0.9, nesterov=True),
    "adagrad": lambda: adagrad(0.05),
    "rmsprop": lambda: rmsprop(0.01),
    "rmsprop_centered_momentum": lambda: rmsprop(0.005, centered=True, momentum=0.5),
    "adam": lambda: adam(0.01),
    "amsgrad": lambda: adam(0.01, amsgrad=True),
    "adamw": lambda: adamw(0.01, weight_decay=0.1),
}
PENALTIES = [(None, 0.0), ("l2", 0.01), ("l1", 0.01), ("elasticnet", 0.02)]
BATCHES = [1, 7, "full"]
RTOL = 1e-9


def problem(loss: str, m: int = 40, d: int = 3, seed: int = 0, dtype: Any = np.float64):
    """A small well-conditioned data set for ``loss``, and its target encoding."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, d))
    score = X @ rng.normal(size=d) + 0.3
    if loss == "softmax":
        y = np.digitize(score + 0.3 * rng.normal(size=m), [-0.5, 0.5]).astype(np.intp)
    elif loss == "log_loss":
        y = (score + 0.5 * rng.normal(size=m) > 0).astype(np.float64)
    elif loss == "hinge":
        y = np.where(score + 0.5 * rng.normal(size=m) > 0, 1.0, -1.0)
    else:
        y = score + 0.2 * rng.normal(size=m)
    return X.astype(dtype), y


def model_for(loss: str, d: int = 3, penalty: Any = None, alpha: float = 0.0) -> LinearModel:
    k = 3 if loss == "softmax" else 1
    return LinearModel(d, k, loss, penalty, alpha)


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def assert_same_state(a: Any, b: Any, rtol: float = RTOL) -> None:
    """Two optimizer states: same NamedTuple structure, counts equal, arrays to rtol."""
    assert type(a) is type(b)
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, z in zip(a, b, strict=True):
            assert_same_state(x, z, rtol)
    elif isinstance(a, np.ndarray):
        scale = max(float(np.max(np.abs(b), initial=0.0)), 1e-12)
        assert np.max(np.abs(a - b), initial=0.0) <= rtol * scale
    else:
        assert a == b


def both(model: LinearModel, X: Any, y: Any, **kw: Any):
    """The same fit on the kernels (forced) and on the NumPy reference."""
    return fit(model, X, y, kernel=True, **kw), fit(model, X, y, kernel=False, **kw)


@pytest.fixture
def kernel_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the calls of the compiled functions: proof that a fit did not fall back."""
    calls = {"epoch": 0, "step": 0, "block": 0}  # called from Python only
    homes = {"epoch": _passes, "step": _update, "block": _passes}

    def counting(name: str) -> Any:
        original = getattr(homes[name], name)

        def wrapper(*args: Any) -> Any:
            calls[name] += 1
            return original(*args)

        return wrapper

    for name in calls:
        monkeypatch.setattr(homes[name], name, counting(name))
    return calls


@pytest.mark.parametrize("scale", [False, True])
@pytest.mark.parametrize("batch_size", BATCHES)
@pytest.mark.parametrize("rule", sorted(RULES))
@pytest.mark.parametrize("loss", LOSSES)
def test_kernel_matches_numpy(
    loss: str, rule: str, batch_size: Any, scale: bool, kernel_calls: dict[str, int]
) -> None:
    """Every loss × rule × batch size, on raw features and standardised on the fly (the
    reference standardises a copy); the penalty cycles so each pair meets every penalty."""
    which = (LOSSES.index(loss) + sorted(RULES).index(rule) + BATCHES.index(batch_size)) % 4
    penalty, alpha = PENALTIES[which]
    X, y = problem(loss)
    scaler = None
    if scale:  # features of different sizes and offsets
        X = X * np.array([1.0, 30.0, 0.02]) + np.array([4.0, -50.0, 0.5])
        scaler = fit_scaler(X)
    model = model_for(loss, penalty=penalty, alpha=alpha)
    kw = dict(optimizer=RULES[rule](), batch_size=batch_size, max_epochs=3, tol=None, seed=3,
              scaler=scaler)  # fmt: skip
    fast, ref = both(model, X, y, **kw)
    # 3 epochs compiled (a full batch is one update), 1 + 3 (+ 3) full passes
    full = batch_size == "full"
    assert kernel_calls == {"epoch": 0 if full else 3, "step": 3 if full else 0,
                            "block": 7 if full else 4}  # fmt: skip
    assert fast.status == ref.status == "max_epochs" and fast.n_steps == ref.n_steps
    assert rel_err(fast.theta, ref.theta) <= RTOL
    assert_same_state(fast.opt_state, ref.opt_state)
    np.testing.assert_allclose(fast.history.loss, ref.history.loss, rtol=RTOL)
    np.testing.assert_allclose(fast.history.grad_norm, ref.history.grad_norm, rtol=1e-8)


@pytest.mark.parametrize("penalty,alpha", PENALTIES)
@pytest.mark.parametrize("loss", LOSSES)
def test_every_penalty_with_every_loss(loss: str, penalty: Any, alpha: float) -> None:
    X, y = problem(loss, m=50, seed=1)
    model = model_for(loss, penalty=penalty, alpha=alpha)
    for opt in (momentum(0.02, nesterov=True), adam(0.02)):
        fast, ref = both(model, X, y, optimizer=opt, batch_size=5, max_epochs=3, tol=None, seed=0)
        assert rel_err(fast.theta, ref.theta) <= RTOL


def test_no_intercept_and_unshuffled() -> None:
    for loss in ("squared", "softmax"):
        X, y = problem(loss)
        k = 3 if loss == "softmax" else 1
        model = LinearModel(3, k, loss, "l2", 0.01, fit_intercept=False)
        fast, ref = both(model, X, y, optimizer=rmsprop(0.01, centered=True), batch_size=6,
                         max_epochs=3, tol=None, shuffle=False)  # fmt: skip
        assert rel_err(fast.theta, ref.theta) <= RTOL


def test_schedules() -> None:
    X, y = problem("squared")
    model = model_for("squared")
    for lr in (time_decay(0.1, k=0.05), step_decay(0.1, milestones=[5, 12], gamma=0.5)):
        for size in (1, 7, "full"):
            fast, ref = both(model, X, y, optimizer="momentum", lr=lr, batch_size=size,
                             max_epochs=3, tol=None, seed=2)  # fmt: skip
            assert rel_err(fast.theta, ref.theta) <= RTOL
            np.testing.assert_array_equal(fast.history.lr, ref.history.lr)


def test_partial_continuation_equals_one_fit() -> None:
    X, y = problem("log_loss", m=60)
    model = model_for("log_loss", penalty="l2", alpha=0.01)
    kw: dict[str, Any] = dict(optimizer=adam(0.05), batch_size=8, tol=None)
    whole = fit(model, X, y, max_epochs=2, seed=np.random.default_rng(5), **kw)
    rng = np.random.default_rng(5)
    first = fit(model, X, y, max_epochs=1, seed=rng, **kw)
    rest = fit(model, X, y, max_epochs=1, seed=rng, theta0=first.theta,
               opt_state=first.opt_state, **kw)  # fmt: skip
    np.testing.assert_array_equal(rest.theta, whole.theta)
    assert_same_state(rest.opt_state, whole.opt_state, rtol=0.0)
    # switching paths midway: kernel epoch, then the NumPy reference, and the other way round
    for a, b in ((True, False), (False, True)):
        rng = np.random.default_rng(5)
        first = fit(model, X, y, max_epochs=1, seed=rng, kernel=a, **kw)
        rest = fit(model, X, y, max_epochs=1, seed=rng, theta0=first.theta,
                   opt_state=first.opt_state, kernel=b, **kw)  # fmt: skip
        assert rel_err(rest.theta, whole.theta) <= RTOL
        assert_same_state(rest.opt_state, whole.opt_state)


def test_momentum_buffer_starts_as_none_and_carries_over() -> None:
    X, y = problem("squared")
    model = model_for("squared")
    opt = momentum(0.02)
    state = opt.init(np.zeros(4))
    order = EpochOrder(len(X), 7, np.random.default_rng(0).permutation(len(X)))
    fast = CompiledEpoch()(model, X, y, np.zeros(4), opt, state, order)
    ref = run_epoch(model, X, y, np.zeros(4), opt, state, order)
    assert state.states[0].buffer is None
    assert rel_err(fast.theta, ref.theta) <= RTOL and fast.n_steps == ref.n_steps == 6
    assert_same_state(fast.state, ref.state)


def test_divergence_stops_at_the_same_update() -> None:
    X, y = problem("squared")
    X = X * 1e4
    model = model_for("squared")
    steps: list[int] = []
    cases = [(sgd(10.0), 1), (momentum(10.0), 1), (adagrad(1e306), 7), (sgd(1e306), 40)]
    for opt, size in cases:
        order = EpochOrder(len(X), size, np.random.default_rng(0).permutation(len(X)))
        state = opt.init(np.zeros(4))
        with np.errstate(all="ignore"):
            fast = CompiledEpoch()(model, X, y, np.zeros(4), opt, state, order)
            ref = run_epoch(model, X, y, np.zeros(4), opt, state, order)
        assert not fast.finite and not ref.finite and fast.n_steps == ref.n_steps
        steps.append(fast.n_steps)
        assert np.all(np.isfinite(fast.theta)) and rel_err(fast.theta, ref.theta) <= RTOL
        assert_same_state(fast.state, ref.state)
    assert steps[0] > 1 and steps[-1] == 1  # mid-epoch, and at the very first update
    fast, ref = both(model, X, y, lr=1.0, batch_size=1, max_epochs=5, seed=0)
    assert fast.status == ref.status == "diverged" and fast.message == ref.message


def test_float32_is_read_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    X, y = problem("squared", m=3000, d=5, dtype=np.float32)
    seen: list[np.ndarray] = []

    def spy(name: str) -> Any:
        original = getattr(_passes, name)

        def wrapper(*args: Any) -> Any:
            seen.append(args[0])
            return original(*args)

        return wrapper

    for name in ("epoch", "block"):
        monkeypatch.setattr(_passes, name, spy(name))
    model = model_for("squared", d=5)
    scaler = fit_scaler(X)
    for size in (1, 64, "full"):
        for s in (None, scaler):  # standardised on the fly: X itself, no copy
            fit(model, X, y, optimizer="adam", lr=0.01, batch_size=size, max_epochs=2, tol=None,
                scaler=s, kernel=True)  # fmt: skip
    assert len(seen) >= 18 and all(a is X for a in seen)


def test_float32_makes_no_copy_of_the_data() -> None:
    X, y = problem("squared", m=200_000, d=10, dtype=np.float32)  # 8 MB
    model = model_for("squared", d=10)
    kw: dict[str, Any] = dict(optimizer="sgd", lr=0.01, max_epochs=2, tol=None, seed=0, kernel=True)
    fit(model, X, y, batch_size=1000, **kw)  # compile, start the threads: outside the measure
    scaler = fit_scaler(X)
    for size in (1000, "full"):
        for s in (None, scaler):
            tracemalloc.start()
            fit(model, X, y, batch_size=size, scaler=s, **kw)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            assert peak < 0.5 * X.nbytes  # a float64 copy of X would be 2 × X.nbytes


def test_float32_close_to_the_numpy_float32_path() -> None:
    for loss in ("squared", "log_loss", "softmax"):
        X, y = problem(loss, m=200)
        model = model_for(loss, penalty="l2", alpha=0.01)
        kw = dict(optimizer="adam", lr=0.02, batch_size=16, max_epochs=3, tol=None, seed=1)
        fast, ref = both(model, X.astype(np.float32), y, **kw)
        exact = fit(model, X.astype(np.float32).astype(np.float64), y, kernel=False, **kw)
        assert rel_err(fast.theta, ref.theta) <= 1e-4
        # float64 accumulators: the kernel is closer to exact arithmetic than float32 BLAS
        assert rel_err(fast.theta, exact.theta) <= 1e-9


@pytest.mark.parametrize("loss", LOSSES)
def test_full_loss_and_grad(loss: str) -> None:
    X, y = problem(loss, m=6000, d=100, seed=4)
    rng = np.random.default_rng(0)
    for penalty, alpha in PENALTIES:
        model = model_for(loss, d=100, penalty=penalty, alpha=alpha)
        theta = 0.1 * rng.normal(size=model.n_params)
        assert n_blocks(len(X), model.n_params) >= 2  # the parallel pass, in blocks
        f, g = full_loss_and_grad(model, X, y, theta)
        f_ref, g_ref = model.value_and_grad(theta, X, y)
        assert f == pytest.approx(f_ref, rel=1e-12)
        assert rel_err(g, g_ref) <= 1e-12
        f32, g32 = full_loss_and_grad(model, X.astype(np.float32), y, theta)
        assert f32 == pytest.approx(f_ref, rel=1e-5) and rel_err(g32, g_ref) <= 1e-4


def test_full_pass_does_not_depend_on_the_number_of_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    X, y = problem("huber", m=20_000, d=50)
    model = model_for("huber", d=50)
    theta = np.linspace(-1, 1, 51)
    assert n_blocks(len(X), 51) > 2
    results = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(_kernels, "n_threads", lambda threads=threads: threads)
        results.append(full_loss_and_grad(model, X, y, theta))
    for f, g in results[1:]:
        assert f == results[0][0] and np.array_equal(g, results[0][1])


def test_full_pass_survives_fork() -> None:
    """The thread pool is per process: a forked child (multiprocessing's default on Linux)
    runs the parallel pass too (Numba's OpenMP layer would abort it)."""
    import multiprocessing

    X, y = problem("squared", m=20_000, d=50)
    model = model_for("squared", d=50)
    expected = full_loss_and_grad(model, X, y, np.zeros(51))[0]
    with multiprocessing.get_context("fork").Pool(1) as pool:
        got = pool.apply(full_loss_and_grad, (model, X, y, np.zeros(51)))[0]
    assert got == expected


def test_what_falls_back_to_numpy() -> None:
    X, y = problem("squared")
    model = model_for("squared")
    hand_made = chain(clip(1.0), scale_by_learning_rate(0.1))

    class MyLoss(SquaredLoss):
        pass

    custom = LinearModel(3, 1, MyLoss())
    assert kernel_for(model, sgd(0.1), X) is not None
    assert kernel_for(model, hand_made, X) is None
    assert kernel_for(custom, sgd(0.1), X) is None
    assert kernel_for(model, sgd(0.1), np.asfortranarray(X)) is None
    assert kernel_for(model, sgd(0.1), X.astype(np.float16)) is None
    with pytest.raises(HyperparameterError, match="kernel=True"):
        fit(model, X, y, optimizer=hand_made, kernel=True)
    with pytest.raises(HyperparameterError, match="kernel="):
        fit(model, X, y, kernel="fast")
    # auto uses the kernels where they apply, the reference elsewhere, with the same results
    for opt in (hand_made, sgd(0.1)):
        auto = fit(model, X, y, optimizer=opt, batch_size=5, max_epochs=2, seed=0)
        ref = fit(model, X, y, optimizer=opt, batch_size=5, max_epochs=2, seed=0, kernel="numpy")
        assert rel_err(auto.theta, ref.theta) <= RTOL


def test_record_path_falls_back() -> None:
    X, y = problem("squared")
    model = model_for("squared")
    fast, ref = both(model, X, y, optimizer="adam", lr=0.05, batch_size=7, max_epochs=2,
                     tol=None, seed=0, record_path=True)  # fmt: skip
    assert fast.history.path is not None and ref.history.path is not None
    np.testing.assert_array_equal(fast.history.path, ref.history.path)


@pytest.mark.parametrize("loss", [name for name in LOSSES if name != "softmax"])
def test_scalar_losses_equal_the_numpy_losses(loss: str) -> None:
    """The compiled scalar forms (one sample) against the Loss classes' vectorised ones."""
    fn = get_loss(loss)
    code = LOSS_CODES[type(fn)]
    assert len(set(LOSS_CODES.values())) == len(LOSS_CODES) == len(LOSSES)
    z = np.array([-40.0, -3.0, -1.0, -0.5, 0.0, 0.3, 1.0, 1.5, 2.0, 35.0, 800.0])
    targets = {"log_loss": (0.0, 1.0), "hinge": (-1.0, 1.0)}.get(loss, (-1.0, 0.0, 1.0, 2.5))
    for yv in targets:
        y = np.full(z.shape, yv)
        dz = [_passes.dz(code, zi, yv, 1.0) for zi in z]
        value = [_passes.value(code, zi, yv, 1.0) for zi in z]
        np.testing.assert_allclose(dz, fn.dz(z, y), rtol=1e-15, atol=0)
        np.testing.assert_allclose(value, fn.value(z, y), rtol=1e-15, atol=0)
        assert [dz_scalar(code, zi, yv, 1.0) for zi in z] == dz  # plain Python, same numbers
        assert [value_scalar(code, zi, yv, 1.0) for zi in z] == value


def _raw_epoch(X: Any, y: Any, perm: Any, theta: Any, pen: int, alpha: float, lrs: Any,
               nI: int, rule: int) -> Any:  # fmt: skip
    """One per-sample epoch of the compiled kernel (squared loss); ``rule`` SGD takes the
    fused in-place path, MOMENTUM with β = 0 the same update through the checked path."""
    s = np.zeros(theta.size)
    raw = np.empty(0, dtype=X.dtype)
    out = _passes.epoch(X, y, perm, 1, theta.copy(), raw, raw, 0, 1.0, 1, nI, pen, alpha, 0.0,
                        rule, np.zeros(6), lrs, 0, False, s, s.copy(), s.copy(), False)  # fmt: skip
    return out[:6]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_sgd_is_bit_identical_to_the_checked_path(dtype: Any) -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(500, 13)).astype(dtype)
    y = X @ rng.normal(size=13) + 0.5
    for pen, alpha in ((NO_PENALTY, 0.0), (L2, 0.05)):
        for nI in (0, 1):
            for lrs in (np.array([0.02]), np.linspace(0.05, 0.001, 500)):
                for perm in (np.empty(0, dtype=np.intp), rng.permutation(500)):
                    theta = rng.normal(size=13 + nI)
                    fused = _raw_epoch(X, y, perm, theta, pen, alpha, lrs, nI, _update.SGD)
                    checked = _raw_epoch(X, y, perm, theta, pen, alpha, lrs, nI,
                                         _update.MOMENTUM)  # fmt: skip
                    np.testing.assert_array_equal(fused[0], checked[0])
                    assert fused[4:] == checked[4:] == (500, True)


@pytest.mark.parametrize("penalty,alpha", [(None, 0.0), ("l2", 0.01)])
def test_per_sample_sgd_matches_numpy(penalty: Any, alpha: float) -> None:
    X, y = problem("squared", m=200, d=5, seed=2)
    model = model_for("squared", d=5, penalty=penalty, alpha=alpha)
    for lr in (0.05, time_decay(0.1, k=0.05)):
        fast, ref = both(model, X, y, optimizer="sgd", lr=lr, batch_size=1, max_epochs=3,
                         tol=None, seed=4)  # fmt: skip
        assert fast.n_steps == ref.n_steps
        assert rel_err(fast.theta, ref.theta) <= RTOL


@pytest.mark.parametrize("penalty,alpha", [(None, 0.0), ("l2", 0.5)])
def test_fused_sgd_overflow_stops_like_the_reference(penalty: Any, alpha: float) -> None:
    """Updates near the overflow threshold: δ·x overflows with a tiny rate; θ starts huge;
    a rate that makes θ grow until it overflows mid-epoch. Each stops (or not) at the same
    update as the reference and as the checked path, with the same θ."""
    X, y = problem("squared", m=40, d=3)
    model = model_for("squared", penalty=penalty, alpha=alpha)
    pen = PENALTY_CODES[penalty]
    cases = [(X * 1e155, 1e-20, np.full(4, 1.0)), (X, 1e-3, np.full(4, 1e305)),
             (X * 1e4, 10.0, np.zeros(4)), (X, 1e306, np.full(4, 1.0))]  # fmt: skip
    for Xc, lr, theta0 in cases:
        order = EpochOrder(len(Xc), 1, np.random.default_rng(0).permutation(len(Xc)))
        opt = sgd(lr)
        state = opt.init(theta0)
        with np.errstate(all="ignore"):
            fast = CompiledEpoch()(model, Xc, y, theta0, opt, state, order)
            ref = run_epoch(model, Xc, y, theta0, opt, state, order)
            checked = _raw_epoch(Xc, y, np.asarray(order.perm), theta0, pen, alpha,
                                 np.array([lr]), 1, _update.MOMENTUM)  # fmt: skip
        assert fast.finite == ref.finite and fast.n_steps == ref.n_steps == checked[4]
        assert np.all(np.isfinite(fast.theta)) and rel_err(fast.theta, ref.theta) <= RTOL
        np.testing.assert_array_equal(fast.theta, checked[0])
    assert not fast.finite  # (the last case fails at its second update)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_scaler_equals_numpy_mean_and_std(dtype: Any) -> None:
    from descend.engine.compiled_fit import MOMENTS_MIN_SIZE, measure_scaler

    rng = np.random.default_rng(5)
    X = rng.normal(size=(30_000, 40)) * rng.uniform(0.1, 50, 40) + rng.uniform(-9, 9, 40)
    X = X.astype(dtype)
    X[:, 3] = 7.0  # a constant column keeps σ = 1
    assert X.size >= MOMENTS_MIN_SIZE and n_blocks(*X.shape) >= 2
    for center in (True, False):
        s = measure_scaler(X, center)
        X64 = X.astype(np.float64)
        mean = X64.mean(axis=0) if center else np.zeros(40)
        std = np.sqrt(((X64 - mean) ** 2).mean(axis=0))
        std[3] = 1.0 if center else std[3]
        np.testing.assert_allclose(s.mean, mean, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(s.scale, std, rtol=1e-12)


def test_fused_softmax_sgd_is_bit_identical_to_the_checked_path_and_numpy() -> None:
    """Per-sample SGD on softmax: the in-place path (SGD) against the checked path (momentum
    with β = 0, the same update), bit for bit; and against the NumPy reference to 1e-9."""
    from descend.models.losses import SoftmaxCrossEntropy

    rng = np.random.default_rng(11)
    K, d, m = 4, 6, 300
    X = rng.normal(size=(m, d))
    y = rng.integers(0, K, size=m).astype(np.float64)
    code = LOSS_CODES[SoftmaxCrossEntropy]
    for pen, alpha in ((NO_PENALTY, 0.0), (L2, 0.05)):
        for nI in (0, K):
            for perm in (np.empty(0, dtype=np.intp), rng.permutation(m)):
                theta = 0.1 * rng.normal(size=nI + d * K)
                lrs = np.linspace(0.2, 0.01, m)
                outs = []
                for rule in (_update.SGD, _update.MOMENTUM):
                    s = np.zeros(theta.size)
                    outs.append(_passes.epoch(X, y, perm, 1, theta.copy(), X[0, :0], X[0, :0],
                                              code, 1.0, K, nI, pen, alpha, 0.0, rule,
                                              np.zeros(6), lrs, 0, False, s, s.copy(), s.copy(),
                                              True))  # fmt: skip
                np.testing.assert_array_equal(outs[0][0], outs[1][0])
                assert outs[0][4:6] == outs[1][4:6] == (m, True)
                assert np.isclose(outs[0][6], outs[1][6], rtol=1e-12)  # the running sums
    from descend.models.linear import LinearModel

    model = LinearModel(d, K, "softmax", "l2", 0.05, 0.15, True)
    fast, ref = (fit(model, X, y.astype(np.intp), optimizer="sgd", lr=0.05, batch_size=1,
                     max_epochs=2, tol=None, seed=3, kernel=kernel)
                 for kernel in (True, "numpy"))  # fmt: skip
    assert fast.n_steps == ref.n_steps == 2 * m
    assert rel_err(fast.theta, ref.theta) <= RTOL
