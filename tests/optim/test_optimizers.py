"""The update rules against numbers computed outside descend.

* an independent pure-Python (scalar, per-coordinate) implementation of each rule, written from
  the pseudo-code of PyTorch's ``torch.optim`` documentation;
* PyTorch itself (float64 tensors, 300 steps on Rosenbrock and on a 5-D quadratic);
* a convergence table on classic test functions, AdamW as a chain, and the seeds' two momentum
  forms. (First steps by hand, the building blocks and validation: test_optimizer_steps.py.)

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
    adagrad,
    adam,
    adamw,
    expression,
    momentum,
    rmsprop,
    sgd,
)

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


def test_adamw_is_adam_chain_with_decay_before_the_learning_rate():
    hand = descend.chain(
        descend.scale_by_adam(0.9, 0.999, 1e-8),
        descend.add_decayed_weights(0.1),
        descend.scale_by_learning_rate(0.01),
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
