"""Update rules step by step: first and second steps by hand, the building blocks (clip,
clip_norm, chain, weight decay), the seeds' two momentum forms, and hyperparameter validation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from descend import (
    HyperparameterError,
    UnknownNameError,
    adagrad,
    adam,
    adamw,
    add_decayed_weights,
    chain,
    clip,
    clip_norm,
    get_optimizer,
    momentum,
    rmsprop,
    scale_by_learning_rate,
    sgd,
)

# --------------------------------------------------------------------------------------------
# First and second steps by hand.
# --------------------------------------------------------------------------------------------


def two_steps(opt, x0, g1, g2):
    """The steps (θ_{t+1} − θ_t) of two updates with the given gradients."""
    x = np.array(x0, dtype=np.float64)
    state = opt.init(x)
    s1, state = opt.update(np.array(g1, dtype=np.float64), state, x)
    x = x + s1
    s2, state = opt.update(np.array(g2, dtype=np.float64), state, x)
    return s1, s2


HAND_CASES = [
    # sgd α = 0.1: step = −0.1·g → [−0.4, 0.2], then [−0.1, −0.05]
    ("sgd", sgd(0.1), [1.0, 2.0], [4.0, -2.0], [1.0, 0.5], [-0.4, 0.2], [-0.1, -0.05]),
    # momentum α = 0.1, β = 0.9: b₁ = g₁ = 1 → −0.1; b₂ = 0.9·1 + 2 = 2.9 → −0.29
    ("momentum", momentum(0.1, beta=0.9), [0.0], [1.0], [2.0], [-0.1], [-0.29]),
    # nesterov: b₁ = 1, d₁ = 1 + 0.9·1 = 1.9 → −0.19;
    #           b₂ = 0.9·1 + 2 = 2.9, d₂ = 2 + 0.9·2.9 = 4.61 → −0.461
    (
        "nesterov",
        momentum(0.1, beta=0.9, nesterov=True),
        [0.0],
        [1.0],
        [2.0],
        [-0.19],
        [-0.461],
    ),
    # adagrad α = 0.5, ε = 0: G₁ = [9, 16], g/√G = [1, −1] → [−0.5, 0.5];
    #   G₂ = [9 + 16, 16 + 9] = [25, 25], g/√G = [4/5, 3/5] → [−0.4, −0.3]
    (
        "adagrad",
        adagrad(0.5, eps=0.0),
        [0.0, 0.0],
        [3.0, -4.0],
        [4.0, 3.0],
        [-0.5, 0.5],
        [-0.4, -0.3],
    ),
    # rmsprop α = 0.1, β = 0.75, ε = 0: E₁ = 0.25·[4, 16] = [1, 4], g/√E = [2, 2] → [−0.2, −0.2]
    #   E₂ = 0.75·[1, 4] + 0.25·[1, 4] = [1, 4], g/√E = [1, 1] → [−0.1, −0.1]
    (
        "rmsprop",
        rmsprop(0.1, beta=0.75, eps=0.0),
        [0.0, 0.0],
        [2.0, 4.0],
        [1.0, 2.0],
        [-0.2, -0.2],
        [-0.1, -0.1],
    ),
    # centered, β = 0.5: E₁ = 0.5·4 = 2, ḡ₁ = 0.5·2 = 1, √(2 − 1) = 1 → d = 2 → −0.2
    #   E₂ = 0.5·2 + 0.5·1 = 1.5, ḡ₂ = 0.5·1 + 0.5·1 = 1, √(1.5 − 1) = √0.5 → d = √2 → −0.1·√2
    (
        "rmsprop-centered",
        rmsprop(0.1, beta=0.5, eps=0.0, centered=True),
        [0.0],
        [2.0],
        [1.0],
        [-0.2],
        [-0.1 * math.sqrt(2.0)],
    ),
    # momentum 0.5, β = 0.75: d₁ = 2/√1 = 2, b₁ = 2 → −0.2; d₂ = 1/√1 = 1, b₂ = 0.5·2 + 1 = 2 → −0.2
    (
        "rmsprop-momentum",
        rmsprop(0.1, beta=0.75, eps=0.0, momentum=0.5),
        [0.0],
        [2.0],
        [1.0],
        [-0.2],
        [-0.2],
    ),
    # adam α = 0.1, β₁ = β₂ = 0.5, ε = 0:
    #   m₁ = 1, v₁ = 2, m̂ = 1/0.5 = 2, v̂ = 2/0.5 = 4 → 2/2 = 1 → −0.1
    #   m₂ = 0.5 + 2 = 2.5, v₂ = 1 + 8 = 9, m̂ = 2.5/0.75 = 10/3, v̂ = 9/0.75 = 12
    #   → −0.1·(10/3)/√12
    (
        "adam",
        adam(0.1, beta1=0.5, beta2=0.5, eps=0.0),
        [0.0],
        [2.0],
        [4.0],
        [-0.1],
        [-0.1 * (10 / 3) / math.sqrt(12.0)],
    ),
    # amsgrad, same betas, g = 4 then 0: m₁ = 2, v₁ = 8, m̂ = 4, v̂ = 16 → −0.1
    #   m₂ = 1, v₂ = 4, vmax = 8, m̂ = 1/0.75 = 4/3, v̂ = 8/0.75 = 32/3 → (4/3)/√(32/3) = 1/√6
    (
        "amsgrad",
        adam(0.1, beta1=0.5, beta2=0.5, eps=0.0, amsgrad=True),
        [0.0],
        [4.0],
        [0.0],
        [-0.1],
        [-0.1 / math.sqrt(6.0)],
    ),
    # plain adam on the same gradients: v̂ = 4/0.75 = 16/3 → (4/3)/√(16/3) = 1/√3
    (
        "adam-no-amsgrad",
        adam(0.1, beta1=0.5, beta2=0.5, eps=0.0),
        [0.0],
        [4.0],
        [0.0],
        [-0.1],
        [-0.1 / math.sqrt(3.0)],
    ),
    # adamw α = 0.1, λ = 0.5, ε = 0, θ₀ = 2, g = 1 twice (so m̂/√v̂ = 1 both times):
    #   −0.1·(1 + 0.5·2) = −0.2 → θ₁ = 1.8;  −0.1·(1 + 0.5·1.8) = −0.19
    ("adamw", adamw(0.1, weight_decay=0.5, eps=0.0), [2.0], [1.0], [1.0], [-0.2], [-0.19]),
]


@pytest.mark.parametrize(
    ("opt", "x0", "g1", "g2", "step1", "step2"),
    [c[1:] for c in HAND_CASES],
    ids=[c[0] for c in HAND_CASES],
)
def test_first_two_steps_by_hand(opt, x0, g1, g2, step1, step2):
    s1, s2 = two_steps(opt, x0, g1, g2)
    np.testing.assert_allclose(s1, step1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s2, step2, rtol=1e-12, atol=1e-15)


def test_update_does_not_mutate_its_inputs():
    opt = adam(0.1, amsgrad=True)
    x = np.array([1.0, 2.0])
    g = np.array([0.5, -0.5])
    state = opt.init(x)
    state_copy = [np.copy(a) if isinstance(a, np.ndarray) else a for a in state.states[0]]
    opt.update(g, state, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])
    np.testing.assert_array_equal(g, [0.5, -0.5])
    for before, after in zip(state_copy, state.states[0], strict=True):
        np.testing.assert_array_equal(before, after)


# --------------------------------------------------------------------------------------------
# Building blocks.
# --------------------------------------------------------------------------------------------


def apply(transform, g, params=None):
    g = np.array(g, dtype=np.float64)
    params = np.zeros_like(g) if params is None else np.array(params, dtype=np.float64)
    out, _ = transform.update(g, transform.init(params), params)
    return out


def test_clip_componentwise():
    # min(max(g, −1), 1): 5 → 1, −0.5 stays, −3 → −1, 1 stays
    np.testing.assert_array_equal(apply(clip(1.0), [5.0, -0.5, -3.0, 1.0]), [1.0, -0.5, -1.0, 1.0])


def test_clip_norm_scales_long_gradients_only():
    # ‖(3, 4)‖ = 5 > 1 → (0.6, 0.8);  ‖(0.3, 0.4)‖ = 0.5 ≤ 1 → unchanged
    np.testing.assert_allclose(apply(clip_norm(1.0), [3.0, 4.0]), [0.6, 0.8], rtol=1e-15)
    np.testing.assert_allclose(apply(clip_norm(1.0), [0.3, 0.4]), [0.3, 0.4], rtol=1e-15)
    np.testing.assert_array_equal(apply(clip_norm(1.0), [0.0, 0.0]), [0.0, 0.0])


def test_clip_norm_per_row_of_a_batch():
    # rows: ‖(3, 4)‖ = 5 → ×2/5; ‖(0.3, 0.4)‖ = 0.5 → kept; ‖(0, −6)‖ = 6 → ×2/6
    g = [[3.0, 4.0], [0.3, 0.4], [0.0, -6.0]]
    want = [[1.2, 1.6], [0.3, 0.4], [0.0, -2.0]]
    np.testing.assert_allclose(apply(clip_norm(2.0), g), want, rtol=1e-15)


def test_clip_norm_of_a_huge_gradient():
    # ‖(1e200, 1e200)‖ = √2·1e200 is finite; rescaled to norm 1 it is (1/√2, 1/√2), with no
    # overflow on the way (the sum of squares alone would be inf).
    got = apply(clip_norm(1.0), [1e200, 1e200])
    np.testing.assert_allclose(got, [math.sqrt(0.5), math.sqrt(0.5)], rtol=1e-12)


def test_chain_order_matters():
    g = [5.0]
    # clip then scale: 5 → 1 → −0.1
    np.testing.assert_allclose(apply(chain(clip(1.0), scale_by_learning_rate(0.1)), g), [-0.1])
    # scale then clip: 5 → −0.5 → −0.5 (inside [−1, 1])
    np.testing.assert_allclose(apply(chain(scale_by_learning_rate(0.1), clip(1.0)), g), [-0.5])
    # scale by a large α then clip: 5 → −50 → −1
    np.testing.assert_allclose(apply(chain(scale_by_learning_rate(10.0), clip(1.0)), g), [-1.0])


def test_chain_keeps_each_state():
    opt = chain(clip(1.0), momentum(0.1, beta=0.5))
    x = np.zeros(1)
    state = opt.init(x)
    # clipped g = 1 → b = 1 → −0.1; clipped g = 1 → b = 0.5 + 1 = 1.5 → −0.15
    s1, state = opt.update(np.array([7.0]), state, x)
    s2, state = opt.update(np.array([3.0]), state, x)
    np.testing.assert_allclose([s1[0], s2[0]], [-0.1, -0.15], rtol=1e-15)


def test_add_decayed_weights():
    # g + λθ = [1 + 0.5·2, 2 + 0.5·(−4)] = [2, 0]
    np.testing.assert_allclose(apply(add_decayed_weights(0.5), [1.0, 2.0], [2.0, -4.0]), [2.0, 0.0])


# --------------------------------------------------------------------------------------------
# Validation.
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: sgd(0.0), r"lr=0\.0"),
        (lambda: sgd(-0.1), r"lr=-0\.1"),
        (lambda: sgd(float("nan")), r"lr=nan"),
        (lambda: sgd(float("inf")), r"lr=inf"),
        (lambda: sgd("fast"), r"lr='fast'"),
        (lambda: adam(lr=-1), r"lr=-1"),
        (lambda: momentum(0.1, beta=1.0), r"beta=1\.0"),
        (lambda: momentum(0.1, beta=-0.1), r"beta=-0\.1"),
        (lambda: rmsprop(0.1, beta=1.0), r"beta=1\.0"),
        (lambda: rmsprop(0.1, momentum=1.5), r"momentum=1\.5"),
        (lambda: adam(0.1, beta1=1.5), r"beta1=1\.5"),
        (lambda: adam(0.1, beta2=1.0), r"beta2=1\.0"),
        (lambda: adam(0.1, eps=-1e-8), r"eps=-1e-08"),
        (lambda: adagrad(0.1, eps=-1.0), r"eps=-1\.0"),
        (lambda: rmsprop(0.1, eps=-1.0), r"eps=-1\.0"),
        (lambda: adamw(0.1, weight_decay=-0.01), r"weight_decay=-0\.01"),
        (lambda: clip(0.0), r"max_value=0\.0"),
        (lambda: clip_norm(-1.0), r"max_norm=-1\.0"),
        (lambda: get_optimizer("adam", -0.5), r"lr=-0\.5"),
    ],
)
def test_bad_hyperparameters(make, match):
    with pytest.raises(HyperparameterError, match=match):
        make()


def test_hyperparameter_error_is_a_value_error():
    with pytest.raises(ValueError, match="lr"):
        sgd(0)


def test_unknown_optimizer_lists_the_names():
    with pytest.raises(UnknownNameError, match="nope") as info:
        get_optimizer("nope")
    for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "amsgrad", "adamw"):
        assert name in str(info.value)


def test_get_optimizer_by_name():
    # " Adam " is normalised; the lr reaches the rule: the first Adam step is α·g/(|g| + ε),
    # i.e. α up to a relative 1e-8/0.01 = 1e-6.
    opt = get_optimizer(" Adam ", 0.25)
    step = apply(opt, [3.0, -0.01])
    np.testing.assert_allclose(step, [-0.25, 0.25], rtol=1e-5)
    assert get_optimizer("nesterov").hyperparams["nesterov"] is True
    assert get_optimizer("amsgrad").hyperparams["amsgrad"] is True


def test_get_optimizer_refuses_lr_with_a_built_optimizer():
    with pytest.raises(HyperparameterError, match="lr was given"):
        get_optimizer(sgd(0.1), 0.2)


def test_get_optimizer_type_error():
    with pytest.raises(TypeError, match="optimizer must be a name"):
        get_optimizer(42)
