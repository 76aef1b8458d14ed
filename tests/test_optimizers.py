"""The update rules against numbers computed outside descend.

* an independent pure-Python (scalar, per-coordinate) implementation of each rule, written from
  the pseudo-code of PyTorch's ``torch.optim`` documentation;
* PyTorch itself (float64 tensors, 300 steps on Rosenbrock and on a 5-D quadratic);
* first and second steps computed by hand;
* the building blocks (clip, clip_norm, chain, add_decayed_weights), the two momentum forms of
  the seeds, hyperparameter validation, and a convergence table on classic test functions.

A note on the trajectory comparisons: PyTorch fuses some operations (``addcmul``, ``lerp``) and so
rounds differently from NumPy in the last bit. Where a trajectory is locally unstable (e.g.
RMSprop or Adam oscillating with a step that is large for the local curvature) such one-ulp
differences grow exponentially and no two implementations can agree to 1e-12. The settings
below are therefore chosen in the stable regime, where a 1-ulp difference stays 1 ulp.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest

import descend
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
from descend._expression import expression

# --------------------------------------------------------------------------------------------
# Test functions with hand-written gradients (independent of descend's expression module).
# --------------------------------------------------------------------------------------------


def rosenbrock(x: np.ndarray) -> float:
    return float((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2)


def rosenbrock_grad(x: np.ndarray) -> np.ndarray:
    # ∂/∂x = −2(1 − x) − 400x(y − x²),  ∂/∂y = 200(y − x²)
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


# A symmetric positive definite 5x5 matrix (eigenvalues ≈ 0.46 ... 2.34) and a minimum c.
QUAD_M = np.array(
    [
        [2.0, 0.5, 0.0, 0.0, 0.2],
        [0.5, 1.5, 0.3, 0.0, 0.0],
        [0.0, 0.3, 1.0, 0.1, 0.0],
        [0.0, 0.0, 0.1, 0.8, 0.05],
        [0.2, 0.0, 0.0, 0.05, 0.5],
    ]
)
QUAD_C = np.array([1.0, -2.0, 3.0, 0.5, -1.5])
# Start away from c in every coordinate (no gradient component is zero at the start).
QUAD_X0 = QUAD_C + np.array([3.0, -2.0, 1.5, 2.0, -1.0])


def quad(x: np.ndarray) -> float:
    d = x - QUAD_C
    return float(0.5 * d @ QUAD_M @ d)


def quad_grad(x: np.ndarray) -> np.ndarray:
    return QUAD_M @ (x - QUAD_C)


ROSEN_X0 = np.array([-1.2, 1.0])


# --------------------------------------------------------------------------------------------
# Independent reference implementations: plain Python floats, one coordinate at a time, from the
# pseudo-code in the PyTorch documentation (torch.optim.SGD / Adagrad / RMSprop / Adam / AdamW).
# --------------------------------------------------------------------------------------------


class RefSGD:
    """torch.optim.SGD, dampening = 0, weight_decay = 0.

    if μ ≠ 0: b_t = g_t if t = 1 else μ b_{t−1} + g_t;  g_t = g_t + μ b_t (nesterov) or b_t
    θ_t = θ_{t−1} − γ g_t
    """

    def __init__(self, n: int, lr: float, momentum: float = 0.0, nesterov: bool = False):
        self.lr, self.mu, self.nesterov = lr, momentum, nesterov
        self.b: list[float] | None = None

    def step(self, theta: list[float], g: list[float]) -> list[float]:
        direction = list(g)
        if self.mu != 0.0:
            if self.b is None:
                self.b = list(g)
            else:
                self.b = [self.mu * self.b[i] + g[i] for i in range(len(g))]
            if self.nesterov:
                direction = [g[i] + self.mu * self.b[i] for i in range(len(g))]
            else:
                direction = list(self.b)
        return [theta[i] - self.lr * direction[i] for i in range(len(g))]


class RefAdagrad:
    """torch.optim.Adagrad, lr_decay = 0, initial_accumulator_value = 0.

    state_sum_t = state_sum_{t−1} + g_t²;  θ_t = θ_{t−1} − γ g_t / (√state_sum_t + ε)
    """

    def __init__(self, n: int, lr: float, eps: float = 1e-10):
        self.lr, self.eps = lr, eps
        self.s = [0.0] * n

    def step(self, theta: list[float], g: list[float]) -> list[float]:
        out = []
        for i in range(len(g)):
            self.s[i] = self.s[i] + g[i] * g[i]
            out.append(theta[i] - self.lr * g[i] / (math.sqrt(self.s[i]) + self.eps))
        return out


class RefRMSprop:
    """torch.optim.RMSprop (decay α, called ``beta`` in descend).

    v_t = α v_{t−1} + (1 − α) g_t²;  ṽ_t = v_t
    centered: gᵃᵛᵉ_t = α gᵃᵛᵉ_{t−1} + (1 − α) g_t;  ṽ_t = ṽ_t − (gᵃᵛᵉ_t)²
    μ > 0: b_t = μ b_{t−1} + g_t / (√ṽ_t + ε);  θ_t = θ_{t−1} − γ b_t
    else:  θ_t = θ_{t−1} − γ g_t / (√ṽ_t + ε)
    """

    def __init__(
        self,
        n: int,
        lr: float,
        alpha: float = 0.99,
        eps: float = 1e-8,
        centered: bool = False,
        momentum: float = 0.0,
    ):
        self.lr, self.alpha, self.eps, self.centered, self.mu = lr, alpha, eps, centered, momentum
        self.v = [0.0] * n
        self.gave = [0.0] * n
        self.b = [0.0] * n

    def step(self, theta: list[float], g: list[float]) -> list[float]:
        a = self.alpha
        out = []
        for i in range(len(g)):
            self.v[i] = a * self.v[i] + (1 - a) * g[i] ** 2
            v_tilde = self.v[i]
            if self.centered:
                self.gave[i] = a * self.gave[i] + (1 - a) * g[i]
                v_tilde = v_tilde - self.gave[i] ** 2
            if self.mu > 0:
                self.b[i] = self.mu * self.b[i] + g[i] / (math.sqrt(v_tilde) + self.eps)
                out.append(theta[i] - self.lr * self.b[i])
            else:
                out.append(theta[i] - self.lr * g[i] / (math.sqrt(v_tilde) + self.eps))
        return out


class RefAdam:
    """torch.optim.Adam / AdamW.

    AdamW first decays: θ_t = θ_{t−1} − γλθ_{t−1}. Then
    m_t = β₁ m_{t−1} + (1 − β₁) g_t;  v_t = β₂ v_{t−1} + (1 − β₂) g_t²
    m̂_t = m_t / (1 − β₁ᵗ)
    amsgrad: vᵐᵃˣ_t = max(vᵐᵃˣ_{t−1}, v_t); v̂_t = vᵐᵃˣ_t / (1 − β₂ᵗ)  (the implementation keeps
    the max of the raw v, which is what torch.optim.Adam's code does), else v̂_t = v_t / (1 − β₂ᵗ)
    θ_t = θ_t − γ m̂_t / (√v̂_t + ε)
    """

    def __init__(
        self,
        n: int,
        lr: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        amsgrad: bool = False,
        weight_decay: float = 0.0,
    ):
        self.lr, self.b1, self.b2, self.eps = lr, beta1, beta2, eps
        self.amsgrad, self.wd = amsgrad, weight_decay
        self.m = [0.0] * n
        self.v = [0.0] * n
        self.vmax = [0.0] * n
        self.t = 0

    def step(self, theta: list[float], g: list[float]) -> list[float]:
        self.t += 1
        out = []
        for i in range(len(g)):
            th = theta[i] - self.lr * self.wd * theta[i]
            self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g[i]
            self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g[i] ** 2
            m_hat = self.m[i] / (1 - self.b1**self.t)
            if self.amsgrad:
                self.vmax[i] = max(self.vmax[i], self.v[i])
                v_hat = self.vmax[i] / (1 - self.b2**self.t)
            else:
                v_hat = self.v[i] / (1 - self.b2**self.t)
            out.append(th - self.lr * m_hat / (math.sqrt(v_hat) + self.eps))
        return out


# (id, descend factory kwargs, reference class, reference kwargs, torch class name, torch kwargs)
RULES = [
    ("sgd", sgd, dict(lr=1e-3), RefSGD, dict(lr=1e-3), "SGD", dict(lr=1e-3)),
    (
        "momentum",
        momentum,
        dict(lr=1e-3, beta=0.9),
        RefSGD,
        dict(lr=1e-3, momentum=0.9),
        "SGD",
        dict(lr=1e-3, momentum=0.9),
    ),
    (
        "momentum-0.5",
        momentum,
        dict(lr=5e-4, beta=0.5),
        RefSGD,
        dict(lr=5e-4, momentum=0.5),
        "SGD",
        dict(lr=5e-4, momentum=0.5),
    ),
    (
        "nesterov",
        momentum,
        dict(lr=1e-3, beta=0.9, nesterov=True),
        RefSGD,
        dict(lr=1e-3, momentum=0.9, nesterov=True),
        "SGD",
        dict(lr=1e-3, momentum=0.9, nesterov=True),
    ),
    ("adagrad", adagrad, dict(lr=0.1), RefAdagrad, dict(lr=0.1), "Adagrad", dict(lr=0.1)),
    (
        "adagrad-eps",
        adagrad,
        dict(lr=0.5, eps=1e-6),
        RefAdagrad,
        dict(lr=0.5, eps=1e-6),
        "Adagrad",
        dict(lr=0.5, eps=1e-6),
    ),
    ("rmsprop", rmsprop, dict(lr=1e-3), RefRMSprop, dict(lr=1e-3), "RMSprop", dict(lr=1e-3)),
    (
        "rmsprop-0.9",
        rmsprop,
        dict(lr=1e-3, beta=0.9),
        RefRMSprop,
        dict(lr=1e-3, alpha=0.9),
        "RMSprop",
        dict(lr=1e-3, alpha=0.9),
    ),
    (
        "rmsprop-centered",
        rmsprop,
        dict(lr=1e-4, beta=0.99, centered=True),
        RefRMSprop,
        dict(lr=1e-4, alpha=0.99, centered=True),
        "RMSprop",
        dict(lr=1e-4, alpha=0.99, centered=True),
    ),
    (
        "rmsprop-momentum",
        rmsprop,
        dict(lr=1e-4, beta=0.9, momentum=0.9),
        RefRMSprop,
        dict(lr=1e-4, alpha=0.9, momentum=0.9),
        "RMSprop",
        dict(lr=1e-4, alpha=0.9, momentum=0.9),
    ),
    (
        "rmsprop-centered-momentum",
        rmsprop,
        dict(lr=1e-4, beta=0.99, centered=True, momentum=0.5),
        RefRMSprop,
        dict(lr=1e-4, alpha=0.99, centered=True, momentum=0.5),
        "RMSprop",
        dict(lr=1e-4, alpha=0.99, centered=True, momentum=0.5),
    ),
    ("adam", adam, dict(lr=0.01), RefAdam, dict(lr=0.01), "Adam", dict(lr=0.01)),
    (
        "adam-amsgrad",
        adam,
        dict(lr=0.01, amsgrad=True),
        RefAdam,
        dict(lr=0.01, amsgrad=True),
        "Adam",
        dict(lr=0.01, amsgrad=True),
    ),
    (
        "adam-betas-amsgrad",
        adam,
        dict(lr=0.01, beta1=0.8, beta2=0.99, amsgrad=True),
        RefAdam,
        dict(lr=0.01, beta1=0.8, beta2=0.99, amsgrad=True),
        "Adam",
        dict(lr=0.01, betas=(0.8, 0.99), amsgrad=True),
    ),
    (
        "adamw",
        adamw,
        dict(lr=0.01, weight_decay=0.1),
        RefAdam,
        dict(lr=0.01, weight_decay=0.1),
        "AdamW",
        dict(lr=0.01, weight_decay=0.1),
    ),
    (
        "adamw-amsgrad",
        adamw,
        dict(lr=0.01, weight_decay=0.5, amsgrad=True),
        RefAdam,
        dict(lr=0.01, weight_decay=0.5, amsgrad=True),
        "AdamW",
        dict(lr=0.01, weight_decay=0.5, amsgrad=True),
    ),
]
RULE_IDS = [r[0] for r in RULES]


def descend_path(
    opt: descend.GradientTransformation,
    grad: Callable[[np.ndarray, int], np.ndarray],
    x0: Sequence[float],
    steps: int,
) -> np.ndarray:
    """θ_0 ... θ_steps from descend's init/update, the gradient given as grad(θ, t)."""
    x = np.array(x0, dtype=np.float64)
    state = opt.init(x)
    path = [x.copy()]
    for t in range(steps):
        step, state = opt.update(grad(x, t), state, x)
        x = x + step
        path.append(x.copy())
    return np.array(path)


def reference_path(
    ref: RefSGD | RefAdagrad | RefRMSprop | RefAdam,
    grad: Callable[[np.ndarray, int], np.ndarray],
    x0: Sequence[float],
    steps: int,
) -> np.ndarray:
    theta = [float(v) for v in x0]
    path = [list(theta)]
    for t in range(steps):
        g = [float(v) for v in grad(np.array(theta), t)]
        theta = ref.step(theta, g)
        path.append(list(theta))
    return np.array(path)


def open_loop(x: np.ndarray, t: int) -> np.ndarray:
    """A gradient sequence that ignores θ: no feedback, so no amplification of rounding."""
    return np.array([3.0 * math.sin(0.7 * t + 0.3), 0.5 + math.cos(0.31 * t), 10.0 / (t + 1)])


GRADIENT_SEQUENCES = {
    "quadratic": (lambda x, t: quad_grad(x), QUAD_X0),
    "rosenbrock": (lambda x, t: rosenbrock_grad(x), ROSEN_X0),
    "open-loop": (open_loop, np.array([0.5, -1.0, 2.0])),
}


@pytest.mark.parametrize("sequence", list(GRADIENT_SEQUENCES))
@pytest.mark.parametrize(
    ("factory", "kwargs", "ref_cls", "ref_kwargs"),
    [r[1:5] for r in RULES],
    ids=RULE_IDS,
)
def test_matches_scalar_reference(factory, kwargs, ref_cls, ref_kwargs, sequence):
    grad, x0 = GRADIENT_SEQUENCES[sequence]
    got = descend_path(factory(**kwargs), grad, x0, 200)
    want = reference_path(ref_cls(len(x0), **ref_kwargs), grad, x0, 200)
    assert np.all(np.isfinite(want))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def torch_path(cls_name, kwargs, grad, x0, steps):
    torch = pytest.importorskip("torch")
    p = torch.tensor(np.array(x0, dtype=np.float64), dtype=torch.float64)
    opt = getattr(torch.optim, cls_name)([p], foreach=False, **kwargs)
    path = [p.numpy().copy()]
    for t in range(steps):
        p.grad = torch.from_numpy(grad(p.numpy().copy(), t))
        opt.step()
        path.append(p.numpy().copy())
    return np.array(path)


@pytest.mark.parametrize("sequence", ["rosenbrock", "quadratic"])
@pytest.mark.parametrize(
    ("factory", "kwargs", "torch_cls", "torch_kwargs"),
    [(r[1], r[2], r[5], r[6]) for r in RULES],
    ids=RULE_IDS,
)
def test_matches_pytorch(factory, kwargs, torch_cls, torch_kwargs, sequence):
    pytest.importorskip("torch")
    grad, x0 = GRADIENT_SEQUENCES[sequence]
    want = torch_path(torch_cls, torch_kwargs, grad, x0, 300)
    got = descend_path(factory(**kwargs), grad, x0, 300)
    assert np.all(np.isfinite(want))
    assert not np.allclose(want[-1], want[0])  # the run really moved
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_pytorch_adagrad_defaults_are_the_ones_descend_reproduces():
    torch = pytest.importorskip("torch")
    p = torch.zeros(1, dtype=torch.float64)
    defaults = torch.optim.Adagrad([p]).defaults
    assert defaults["initial_accumulator_value"] == 0
    assert defaults["lr_decay"] == 0


def test_rows_are_independent_points():
    """A (k, n) θ runs k independent copies of the rule."""
    starts = np.array([[-1.2, 1.0], [0.5, 0.5], [2.0, -1.0]])

    def batch_grad(x, t):
        return np.stack([rosenbrock_grad(row) for row in x])

    together = descend_path(adam(0.01, amsgrad=True), batch_grad, starts, 100)
    for k, start in enumerate(starts):
        alone = descend_path(adam(0.01, amsgrad=True), lambda x, t: rosenbrock_grad(x), start, 100)
        np.testing.assert_allclose(together[:, k, :], alone, rtol=1e-13, atol=0)


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


def test_adamw_is_adam_chain_with_decay_before_the_learning_rate():
    hand = chain(
        descend.scale_by_adam(0.9, 0.999, 1e-8),
        add_decayed_weights(0.1),
        scale_by_learning_rate(0.01),
    )
    grad = GRADIENT_SEQUENCES["rosenbrock"][0]
    np.testing.assert_array_equal(
        descend_path(adamw(0.01, weight_decay=0.1), grad, ROSEN_X0, 50),
        descend_path(hand, grad, ROSEN_X0, 50),
    )


# The seeds' two momentum forms.


def momentum_form_a(lrs, beta, x0, grad, steps):
    """(a) v = βv + g; θ −= α_t v   (v₀ = 0, so v₁ = g₁ as in PyTorch)."""
    x, v = float(x0), 0.0
    path = [x]
    for t in range(steps):
        v = beta * v + grad(x)
        x = x - lrs(t) * v
        path.append(x)
    return np.array(path)


def momentum_form_b(lrs, beta, x0, grad, steps):
    """(b) v = βv − α_t g; θ += v."""
    x, v = float(x0), 0.0
    path = [x]
    for t in range(steps):
        v = beta * v - lrs(t) * grad(x)
        x = x + v
        path.append(x)
    return np.array(path)


def test_momentum_forms_agree_at_constant_rate_and_differ_under_a_schedule():
    def grad(x):
        return 2.0 * x  # f(x) = x²

    constant = descend.constant(0.05)
    a = momentum_form_a(constant, 0.9, 10.0, grad, 100)
    b = momentum_form_b(constant, 0.9, 10.0, grad, 100)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)

    decaying = descend.time_decay(0.05, k=0.5)
    a = momentum_form_a(decaying, 0.9, 10.0, grad, 100)
    b = momentum_form_b(decaying, 0.9, 10.0, grad, 100)
    # Step 1 is the same in both; step 2 is not: (a) −α₁(β g₁ + g₂), (b) −βα₀ g₁ − α₁ g₂.
    assert a[1] == pytest.approx(b[1], rel=1e-15)
    assert abs(a[2] - b[2]) > 1e-2
    assert np.max(np.abs(a - b)) > 0.1

    # descend's momentum is form (a), with a schedule too.
    got = descend_path(momentum(decaying, beta=0.9), lambda x, t: 2.0 * x, [10.0], 100)[:, 0]
    np.testing.assert_allclose(got, a, rtol=1e-12, atol=1e-13)
    assert np.max(np.abs(got - b)) > 0.1


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


# --------------------------------------------------------------------------------------------
# Convergence table: every named optimizer on four classic functions.
# --------------------------------------------------------------------------------------------

HIMMELBLAU_MINIMA = np.array(
    [[3.0, 2.0], [-2.805118, 3.131312], [-3.779310, -3.283186], [3.584428, -1.848126]]
)


def bowl(x):
    return float(x[0] ** 2 + 3 * x[1] ** 2)


def bowl_grad(x):
    return np.array([2 * x[0], 6 * x[1]])


def booth(x):
    return float((x[0] + 2 * x[1] - 7) ** 2 + (2 * x[0] + x[1] - 5) ** 2)


def booth_grad(x):
    # a = x + 2y − 7, b = 2x + y − 5: ∂/∂x = 2a + 4b, ∂/∂y = 4a + 2b
    a, b = x[0] + 2 * x[1] - 7, 2 * x[0] + x[1] - 5
    return np.array([2 * a + 4 * b, 4 * a + 2 * b])


def himmelblau(x):
    return float((x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2)


def himmelblau_grad(x):
    # a = x² + y − 11, b = x + y² − 7: ∂/∂x = 4xa + 2b, ∂/∂y = 2a + 4yb
    a, b = x[0] ** 2 + x[1] - 11, x[0] + x[1] ** 2 - 7
    return np.array([4 * x[0] * a + 2 * b, 2 * a + 4 * x[1] * b])


FUNCTIONS = {
    # name: (f, ∇f, x0, known minima, max_iter)
    "bowl": (bowl, bowl_grad, [4.0, -3.0], np.array([[0.0, 0.0]]), 3000),
    "booth": (booth, booth_grad, [0.0, 0.0], np.array([[1.0, 3.0]]), 3000),
    "himmelblau": (himmelblau, himmelblau_grad, [0.0, 0.0], HIMMELBLAU_MINIMA, 3000),
    "rosenbrock": (rosenbrock, rosenbrock_grad, [-1.2, 1.0], np.array([[1.0, 1.0]]), 10000),
}

# Per optimizer: factory kwargs; per (optimizer, function) overrides (kwargs, max_iter).
SETTINGS = {
    "sgd": dict(lr=0.05),
    "momentum": dict(lr=1e-3),
    "nesterov": dict(lr=1e-3),
    "adagrad": dict(lr=0.5),
    "rmsprop": dict(lr=1e-3, momentum=0.5),
    "adam": dict(lr=0.02),
    "amsgrad": dict(lr=0.05),
    "adamw": dict(lr=0.02, weight_decay=1e-4),
}
OVERRIDES = {
    # plain gradient descent needs α < 2/λ_max: λ_max ≈ 1330 on Rosenbrock's path, ~60 on
    # Himmelblau's; the narrow valley of Rosenbrock then takes many steps.
    ("sgd", "rosenbrock"): (dict(lr=1e-3), 20000),
    ("sgd", "himmelblau"): (dict(lr=1e-3), 3000),
}


def optimizer_for(name: str, kwargs: dict) -> descend.GradientTransformation:
    if name == "nesterov":
        return momentum(nesterov=True, **kwargs)
    if name == "amsgrad":
        return adam(amsgrad=True, **kwargs)
    return descend.OPTIMIZERS[name](**kwargs)


@pytest.mark.parametrize("function", list(FUNCTIONS))
@pytest.mark.parametrize("name", list(SETTINGS))
def test_convergence_table(name, function):
    f, grad, x0, minima, max_iter = FUNCTIONS[function]
    kwargs = SETTINGS[name]
    if (name, function) in OVERRIDES:
        kwargs, max_iter = OVERRIDES[name, function]
    result = descend.minimize(
        f, x0, grad=grad, optimizer=optimizer_for(name, kwargs), max_iter=max_iter, tol=1e-6
    )
    assert result.status in ("converged", "max_iter"), result.message
    distance = np.min(np.linalg.norm(minima - result.x, axis=1))
    assert distance < 1e-3, (result.x, result.status, result.nit)
    assert result.fun < 1e-6  # every minimum of the four functions has f = 0


@pytest.mark.parametrize(
    ("text", "f", "grad", "minimum"),
    [
        ("(x + 2*y - 7)**2 + (2*x + y - 5)**2", booth, booth_grad, [1.0, 3.0]),
        ("(x**2 + y - 11)**2 + (x + y**2 - 7)**2", himmelblau, himmelblau_grad, [3.0, 2.0]),
    ],
)
def test_text_expression_runs_like_the_callable(text, f, grad, minimum):
    kwargs = dict(optimizer="adam", lr=0.1, max_iter=600, tol=1e-6)
    by_text = descend.minimize(expression(text), [0.0, 0.0], engine="numpy", **kwargs)
    by_callable = descend.minimize(f, [0.0, 0.0], grad=grad, **kwargs)
    np.testing.assert_allclose(by_text.x, minimum, atol=1e-5)
    np.testing.assert_allclose(by_text.history.x, by_callable.history.x, rtol=1e-9, atol=1e-12)
