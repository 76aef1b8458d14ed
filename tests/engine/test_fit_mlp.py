"""``fit`` trains a multilayer perceptron unchanged: every optimizer, schedule, clipping rule
and batch mode, against a hand-written loop; per-layer gradient norms in the history."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_moons

from descend import (
    MLP,
    OPTIMIZERS,
    HyperparameterError,
    chain,
    clip,
    clip_norm,
    cosine,
    fit,
    get_optimizer,
    linear_regression,
    scale_by_learning_rate,
    step_decay,
    time_decay,
)

X, Y = make_moons(200, noise=0.15, random_state=0)
Y = Y.astype(float)
NET = MLP(2, (8, 8), 1, "tanh", "log_loss", seed=0)


def hand_loop(model, X, y, opt, batch_size, epochs, seed):
    """The seeds' loop written out: a fresh permutation per epoch, one update per batch."""
    rng = np.random.default_rng(seed)
    theta = model.init_params()
    state = opt.init(theta)
    for _ in range(epochs):
        perm = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            rows = perm[start : start + batch_size]
            step, state = opt.update(model.gradient(theta, X[rows], y[rows]), state, theta)
            theta = theta + step
    return theta


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_trains_the_network_as_the_hand_loop_does(name):
    lr = 0.5 if name in ("sgd", "momentum", "nesterov", "adagrad") else 0.02
    r = fit(NET, X, Y, optimizer=name, lr=lr, batch_size=20, max_epochs=30, tol=None, seed=3)
    expected = hand_loop(NET, X, Y, get_optimizer(name, lr), 20, 30, seed=3)
    np.testing.assert_allclose(r.theta, expected, rtol=1e-12, atol=1e-12)
    assert r.status == "max_epochs" and r.n_steps == 30 * 10
    assert r.history.loss[-1] < 0.5 * r.history.loss[0]


@pytest.mark.parametrize(
    "lr",
    [time_decay(0.5, 0.01), step_decay(0.5, [50, 100]), cosine(0.5, 300)],
    ids=["time_decay", "step_decay", "cosine"],
)
def test_schedules_apply_per_update(lr):
    r = fit(NET, X, Y, lr=lr, batch_size=20, max_epochs=30, tol=None, seed=1)
    opt = chain(scale_by_learning_rate(lr))
    np.testing.assert_allclose(r.theta, hand_loop(NET, X, Y, opt, 20, 30, 1), rtol=1e-12)
    assert r.history.lr[-1] == pytest.approx(lr(299))


@pytest.mark.parametrize("clipper", [clip(0.05), clip_norm(0.1)], ids=["clip", "clip_norm"])
def test_clipping_rules_apply(clipper):
    opt = chain(clipper, scale_by_learning_rate(0.5))
    r = fit(NET, X, Y, optimizer=opt, batch_size=1, max_epochs=2, tol=None, seed=2)
    np.testing.assert_allclose(r.theta, hand_loop(NET, X, Y, opt, 1, 2, 2), rtol=1e-12)


@pytest.mark.parametrize("batch_size", ["full", 1, 32])
def test_batch_modes(batch_size):
    r = fit(NET, X, Y, optimizer="adam", lr=0.01, batch_size=batch_size, max_epochs=40, seed=0)
    per_epoch = {"full": 1, 1: 200, 32: 7}[batch_size]
    assert r.n_steps == per_epoch * r.n_epochs
    assert r.history.loss[-1] < r.history.loss[0]


def test_full_batch_line_search_and_range_test():
    r = fit(NET, X, Y, lr="auto", max_epochs=100, tol=None)
    assert r.loss < 0.5 * r.history.loss[0]
    assert np.all(np.diff(r.history.loss) <= 0)  # Armijo: every accepted step decreases J
    r = fit(NET, X, Y, optimizer="adam", lr="auto", batch_size=20, max_epochs=20, seed=0)
    assert r.lr_chosen is not None and r.lr_chosen > 0


def test_layer_grad_norms_are_recorded_each_epoch():
    r = fit(NET, X, Y, optimizer="adam", lr=0.01, batch_size=20, max_epochs=15, tol=None, seed=0)
    norms = r.history.layer_grad_norms
    assert norms.shape == (16, 3)
    full = NET.gradient(r.theta, X, Y)
    np.testing.assert_allclose(norms[-1], [np.linalg.norm(W) for W, _ in NET.unpack(full)])
    np.testing.assert_allclose(
        norms[0], NET.layer_grad_norms(NET.gradient(NET.init_params(), X, Y))
    )


def test_linear_models_record_no_layer_norms():
    r = fit(linear_regression(2), X, Y, max_epochs=3)
    assert r.history.layer_grad_norms is None


def test_divergence_is_reported_for_a_network():
    big = MLP(2, (16,), 1, "relu", "squared", init="normal", init_scale=3.0)
    r = fit(big, X, 100 * Y, lr=5.0, max_epochs=50)
    assert r.status == "diverged" and "lower the learning rate" in r.message
    assert np.isfinite(r.theta).all()


def test_no_compiled_kernel_for_a_network():
    with pytest.raises(HyperparameterError, match="needs a linear model"):
        fit(NET, X, Y, kernel=True)
    a = fit(NET, X, Y, max_epochs=3, batch_size=50, seed=0)
    b = fit(NET, X, Y, max_epochs=3, batch_size=50, seed=0, kernel="numpy")
    np.testing.assert_array_equal(a.theta, b.theta)


def test_early_stopping_and_softmax():
    y3 = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)
    model = MLP(2, (16,), 3, "relu", "softmax", init="he")
    r = fit(model, X, y3, optimizer="adam", lr=0.01, batch_size=32, max_epochs=300,
            early_stopping=True, seed=0)  # fmt: skip
    assert r.status == "converged" and np.isfinite(r.history.val_loss).all()
    accuracy = np.mean(np.argmax(model.decision(r.theta, X), axis=1) == y3)
    assert accuracy > 0.9
