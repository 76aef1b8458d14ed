"""Learning-rate schedules against values computed by hand (first update t = 0)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import descend
from descend import (
    SCHEDULES,
    HyperparameterError,
    constant,
    cosine,
    exponential,
    step_decay,
    time_decay,
    warmup,
)


def values(schedule, ts):
    return [schedule(t) for t in ts]


def test_constant():
    assert values(constant(0.1), [0, 1, 10, 10**6]) == [0.1, 0.1, 0.1, 0.1]
    assert isinstance(constant(1)(3), float)


def test_time_decay():
    # α₀/(1 + kt) with α₀ = 0.5, k = 0.25: 0.5/1, 0.5/1.25, 0.5/1.5, 0.5/2, 0.5/3.5
    got = values(time_decay(0.5, k=0.25), [0, 1, 2, 4, 10])
    np.testing.assert_allclose(got, [0.5, 0.4, 1 / 3, 0.25, 0.5 / 3.5], rtol=1e-15)


def test_time_decay_with_k_zero_is_constant():
    assert values(time_decay(0.3, k=0.0), [0, 5, 50]) == [0.3, 0.3, 0.3]


def test_step_decay():
    # α₀ = 1, milestones 3 and 5, γ = 0.5: ×1 for t < 3, ×0.5 for 3 ≤ t < 5, ×0.25 from 5
    got = values(step_decay(1.0, milestones=[5, 3], gamma=0.5), range(8))
    assert got == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25]


def test_step_decay_seeds_example():
    # the seeds' "× 0.1 at 30, 60, 90": 0.1 → 0.01 → 0.001 → 0.0001
    s = step_decay(0.1, milestones=[30, 60, 90], gamma=0.1)
    got = values(s, [0, 29, 30, 59, 60, 89, 90, 1000])
    want = [0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0001, 0.0001]
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_step_decay_milestone_zero_applies_at_once():
    assert values(step_decay(2.0, milestones=[0], gamma=0.5), [0, 1]) == [1.0, 1.0]


def test_exponential():
    # α₀γᵗ with α₀ = 2, γ = 0.9: 2, 1.8, 1.62, 1.458, 2·0.9¹⁰
    got = values(exponential(2.0, gamma=0.9), [0, 1, 2, 3, 10])
    np.testing.assert_allclose(got, [2.0, 1.8, 1.62, 1.458, 2 * 0.9**10], rtol=1e-14)


def test_cosine():
    # α_t = (1 + cos(πt/T))/2 with α₀ = 1, T = 4: t = 0, 1, 2, 3, 4
    # cos(π/4) = √2/2 → (1 + 0.7071)/2 = 0.853553; cos(π/2) = 0 → 0.5; cos(3π/4) → 0.146447
    got = values(cosine(1.0, decay_steps=4), range(5))
    r = math.sqrt(2) / 2
    want = [1.0, (1 + r) / 2, 0.5, (1 - r) / 2, 0.0]
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-16)


def test_cosine_with_lr_min_and_after_the_end():
    # α_min + (α₀ − α_min)(1 + cos(πt/T))/2 with α₀ = 1, α_min = 0.2, T = 4:
    # t = 1: 0.2 + 0.8·(1 + √2/2)/2 = 0.2 + 0.4 + 0.2√2;  t = 2: 0.2 + 0.4 = 0.6;  t ≥ 4: 0.2
    s = cosine(1.0, decay_steps=4, lr_min=0.2)
    got = values(s, [0, 1, 2, 4, 5, 100])
    want = [1.0, 0.6 + 0.2 * math.sqrt(2), 0.6, 0.2, 0.2, 0.2]
    np.testing.assert_allclose(got, want, rtol=1e-14)


def test_warmup_then_constant():
    # n = 3 warm-up updates: α_peak·(t + 1)/(n + 1) = 0.25, 0.5, 0.75; then α_peak
    assert values(warmup(3, then=constant(1.0)), range(6)) == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_warmup_then_a_float():
    assert values(warmup(1, then=0.4), range(3)) == [0.2, 0.4, 0.4]


def test_warmup_then_another_schedule_restarts_its_clock():
    # warm-up to exponential(1, 0.5)(0) = 1 over n = 3, then 1, 0.5, 0.25 (t − n = 0, 1, 2)
    got = values(warmup(3, then=exponential(1.0, gamma=0.5)), range(7))
    assert got == [0.25, 0.5, 0.75, 1.0, 0.5, 0.25, 0.125]


def test_warmup_then_step_decay():
    # n = 1: 0.5·1/2 = 0.25; then step_decay(0.5, [2], 0.1) at t − 1 = 0, 1, 2, 3
    got = values(warmup(1, then=step_decay(0.5, milestones=[2], gamma=0.1)), range(5))
    np.testing.assert_allclose(got, [0.25, 0.5, 0.5, 0.05, 0.05], rtol=1e-15)


def test_zero_warmup_is_the_schedule_itself():
    s = time_decay(1.0, k=1.0)
    assert values(warmup(0, then=s), range(4)) == values(s, range(4))


def test_schedules_are_pure():
    s = cosine(0.3, decay_steps=10, lr_min=0.01)
    first = values(s, [7, 0, 3, 7])
    assert values(s, [7, 0, 3, 7]) == first
    assert first[0] == first[3]


def test_schedule_registry():
    assert set(SCHEDULES) == {"constant", "time_decay", "step_decay", "exponential", "cosine"}
    assert SCHEDULES["exponential"](1.0, 0.5)(2) == 0.25


# --------------------------------------------------------------------------------------------
# A schedule inside minimize.
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schedule",
    [
        time_decay(0.1, k=0.5),
        step_decay(0.2, milestones=[3, 6], gamma=0.5),
        exponential(0.3, gamma=0.8),
        cosine(0.2, decay_steps=5, lr_min=0.01),
        warmup(4, then=exponential(0.3, gamma=0.9)),
    ],
    ids=["time_decay", "step_decay", "exponential", "cosine", "warmup"],
)
def test_schedule_drives_sgd_in_minimize(schedule):
    n = 12
    result = descend.minimize(
        lambda x: float(x[0] ** 2),
        [10.0],
        grad=lambda x: 2 * x,
        optimizer=descend.sgd(schedule),
        max_iter=n,
        tol=0,
    )
    assert result.nit == n
    want_lr = [schedule(t) for t in range(n)]
    np.testing.assert_allclose(result.history.lr, want_lr, rtol=1e-15)
    # and the path is x_{t+1} = x_t − α_t·2x_t = x_t(1 − 2α_t), computed here by hand
    x, path = 10.0, [10.0]
    for a in want_lr:
        x = x * (1 - 2 * a)
        path.append(x)
    np.testing.assert_allclose(result.history.x[:, 0], path, rtol=1e-12)


def test_schedule_given_as_lr_to_a_named_optimizer():
    s = exponential(0.05, gamma=0.5)
    result = descend.minimize(
        lambda x: float(x @ x),
        [1.0, -1.0],
        grad=lambda x: 2 * x,
        optimizer="momentum",
        lr=s,
        max_iter=6,
        tol=0,
    )
    np.testing.assert_allclose(result.history.lr, [0.05 * 0.5**t for t in range(6)], rtol=1e-15)


# --------------------------------------------------------------------------------------------
# Bad arguments.
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: constant(0.0), r"lr=0\.0"),
        (lambda: constant(float("nan")), r"lr=nan"),
        (lambda: constant("big"), r"lr='big'"),
        (lambda: constant(constant(0.1)), r"must be a number"),
        (lambda: time_decay(-1.0, k=0.1), r"lr=-1\.0"),
        (lambda: time_decay(0.1, k=-0.5), r"k=-0\.5"),
        (lambda: step_decay(0.1, milestones=[3, -1]), r"milestones=\[3, -1\]"),
        (lambda: step_decay(0.1, milestones=[3], gamma=0.0), r"gamma=0\.0"),
        (lambda: exponential(0.1, gamma=-0.9), r"gamma=-0\.9"),
        (lambda: exponential(0.0, gamma=0.9), r"lr=0\.0"),
        (lambda: cosine(0.1, decay_steps=0), r"decay_steps=0"),
        (lambda: cosine(0.1, decay_steps=10, lr_min=-0.01), r"lr_min=-0\.01"),
        (lambda: warmup(-2, then=0.1), r"warmup_steps=-2"),
        (lambda: warmup(2, then=-0.1), r"lr=-0\.1"),
    ],
)
def test_bad_schedule_arguments(make, match):
    with pytest.raises(HyperparameterError, match=match):
        make()
