"""Per-sample losses: hand values, derivatives against central differences, stability."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from descend import LOSSES, HyperparameterError, Loss, UnknownNameError, get_loss
from descend.models.losses import (
    HuberLoss,
    absolute,
    hinge,
    huber,
    log_loss,
    mse,
    softmax_cross_entropy,
    squared,
)

H = 1e-6


def central_dz(loss: Loss, z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∂l/∂z per sample (and per class column) by central differences, written here."""
    out = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += H
        down[idx] -= H
        row = idx[0]
        out[idx] = (loss.value(up, y)[row] - loss.value(down, y)[row]) / (2 * H)
    return out


RNG = np.random.default_rng(0)
Z = RNG.normal(scale=2.0, size=40)


@pytest.mark.parametrize(
    ("loss", "y"),
    [
        (squared, RNG.normal(size=40)),
        (mse, RNG.normal(size=40)),
        (absolute, Z + RNG.choice([-1.0, 1.0], size=40) * RNG.uniform(0.1, 2, size=40)),
        (huber, Z + RNG.choice([-2.5, -0.7, -0.3, 0.4, 0.8, 1.5, 3.0], size=40)),
        (HuberLoss(delta=0.3), Z + RNG.choice([-2.5, -0.7, -0.1, 0.2, 0.8, 1.5], size=40)),
        (log_loss, RNG.integers(0, 2, size=40).astype(float)),
        (hinge, RNG.choice([-1.0, 1.0], size=40)),
    ],
    ids=["squared", "mse", "absolute", "huber", "huber0.3", "log_loss", "hinge"],
)
def test_derivative_matches_central_differences(loss: Loss, y: np.ndarray) -> None:
    z = Z.copy()
    if loss is hinge:  # stay off the kink y·z = 1
        z = np.where(np.abs(y * z - 1) < 0.05, z + 0.2, z)
    if isinstance(loss, HuberLoss):  # stay off the joins |r| = δ
        assert np.all(np.abs(np.abs(z - y) - loss.delta) > 0.05)
    np.testing.assert_allclose(loss.dz(z, y), central_dz(loss, z, y), rtol=1e-6, atol=1e-7)


def test_softmax_derivative_matches_central_differences() -> None:
    z = RNG.normal(scale=3.0, size=(12, 4))
    y = RNG.integers(0, 4, size=12)
    dz = softmax_cross_entropy.dz(z, y)
    np.testing.assert_allclose(dz, central_dz(softmax_cross_entropy, z, y), atol=1e-7)
    np.testing.assert_allclose(dz.sum(axis=1), 0.0, atol=1e-12)


def test_hand_values() -> None:
    one = np.array([1.0])
    assert squared.value(np.array([3.0]), one)[0] == 2.0
    assert mse.value(np.array([3.0]), one)[0] == 4.0
    assert absolute.value(np.array([-1.0]), one)[0] == 2.0
    assert huber.value(np.array([3.0]), np.array([0.0]))[0] == 2.5  # 1·3 − ½
    assert huber.value(np.array([0.5]), np.array([0.0]))[0] == 0.125
    assert hinge.value(np.array([0.5]), one)[0] == 0.5
    assert hinge.value(np.array([2.0]), one)[0] == 0.0
    assert hinge.value(np.array([0.5]), -one)[0] == 1.5
    assert log_loss.value(np.array([0.0]), one)[0] == pytest.approx(math.log(2), abs=1e-15)
    assert softmax_cross_entropy.value(np.zeros((1, 3)), np.array([1]))[0] == pytest.approx(
        math.log(3), abs=1e-15
    )
    z = np.array([[1.0, 2.0, 3.0]])
    expected = math.log(math.exp(1) + math.exp(2) + math.exp(3)) - 1.0
    assert softmax_cross_entropy.value(z, np.array([0]))[0] == pytest.approx(expected, rel=1e-14)


def test_log_loss_is_binary_cross_entropy() -> None:
    z = np.linspace(-6, 6, 13)
    for label in (0.0, 1.0):
        y = np.full_like(z, label)
        p = 1 / (1 + np.exp(-z))
        bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        np.testing.assert_allclose(log_loss.value(z, y), bce, rtol=1e-12)
        np.testing.assert_allclose(log_loss.dz(z, y), p - y, atol=1e-15)


def test_subgradients_at_the_kinks() -> None:
    assert absolute.dz(np.array([1.0]), np.array([1.0]))[0] == 0.0
    # hinge: −y where y·z < 1, 0 from the kink y·z = 1 on
    z = np.array([1.0, 0.999, 1.0, -0.5])
    y = np.array([1.0, 1.0, -1.0, -1.0])
    np.testing.assert_array_equal(hinge.dz(z, y), [0.0, -1.0, 1.0, 1.0])
    np.testing.assert_array_equal(hinge.dz(np.array([-1.0, 2.0]), np.array([-1.0, 1.0])), [0, 0])
    np.testing.assert_array_equal(huber.dz(np.array([5.0, -5.0]), np.zeros(2)), [1.0, -1.0])


def test_extreme_scores_are_finite_without_warnings() -> None:
    z = np.array([-1000.0, 1000.0, -1e300, 1e300])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        v, d = log_loss.value(z, y), log_loss.dz(z, y)
        s = softmax_cross_entropy.value(np.array([[1000.0, 0.0, -1000.0]]), np.array([2]))
        sd = softmax_cross_entropy.dz(np.array([[1000.0, 0.0, -1000.0]]), np.array([2]))
    assert np.all(np.isfinite(v)) and np.all(np.isfinite(d)) and np.isfinite(s).all()
    np.testing.assert_allclose(v[:2], [1000.0, 1000.0])
    np.testing.assert_allclose(d, [-1.0, 1.0, -1.0, 1.0])
    np.testing.assert_allclose(s, [2000.0])
    np.testing.assert_allclose(sd, [[1.0, 0.0, -1.0]])


@settings(max_examples=60, deadline=None)
@given(st.floats(-700, 700), st.sampled_from([0.0, 1.0]))
def test_log_loss_is_nonnegative_and_consistent(z: float, y: float) -> None:
    value = log_loss.value(np.array([z]), np.array([y]))[0]
    assert value >= 0 and math.isfinite(value)
    assert abs(log_loss.dz(np.array([z]), np.array([y]))[0]) <= 1.0


def test_registry_and_aliases() -> None:
    assert LOSSES["squared_error"] is squared and LOSSES["squared"] is squared
    assert LOSSES["absolute_error"] is absolute
    assert LOSSES["cross_entropy"] is log_loss
    assert LOSSES["softmax"] is softmax_cross_entropy
    assert LOSSES["softmax_cross_entropy"] is softmax_cross_entropy
    assert {loss.name for loss in LOSSES.values()} == {
        "squared", "mse", "absolute", "huber", "log_loss", "softmax", "hinge"
    }  # fmt: skip
    assert get_loss(" Squared-Error ") is squared
    assert get_loss(huber) is huber
    with pytest.raises(UnknownNameError, match="unknown loss 'l3'"):
        get_loss("l3")
    with pytest.raises(TypeError):
        get_loss(3)  # type: ignore[arg-type]
    with pytest.raises(HyperparameterError):
        HuberLoss(delta=0.0)
