"""The multilayer perceptron: backpropagation against central differences, PyTorch autograd
and a hand computation; initialisations against their formulas; the layout of θ."""

from __future__ import annotations

import math

import numpy as np
import pytest

from descend import (
    ACTIVATIONS,
    MLP,
    DataError,
    HyperparameterError,
    LinearModel,
    ShapeError,
    UnknownNameError,
)
from descend.models.activations import get_activation
from descend.models.init import initialise

ACTS = ["identity", "sigmoid", "tanh", "relu"]
RNG = np.random.default_rng(7)
X = RNG.normal(size=(25, 3))
Y = {
    "squared": X @ np.array([1.0, -2.0, 0.5]) + RNG.normal(size=25),
    "mse": X @ np.array([0.3, 1.0, -1.0]),
    "log_loss": (X[:, 0] + X[:, 1] > 0).astype(float),
    "softmax": RNG.integers(0, 4, size=25),
}
OUTPUTS = {"squared": 1, "mse": 1, "log_loss": 1, "softmax": 4}


def net(activation, loss="squared", alpha=0.0, hidden=(5, 4), seed=1, **kwargs):
    return MLP(3, hidden, OUTPUTS[loss], activation, loss, alpha=alpha, seed=seed, **kwargs)


def start(model):
    """A θ with non-zero biases too (θ₀ has zero biases), drawn independently of the model."""
    return model.init_params() + 0.1 * np.random.default_rng(3).normal(size=model.n_params)


def five_point_gradient(f, theta, h=1e-4):
    """∇f by the fourth-order central stencil (−f(+2h) + 8f(+h) − 8f(−h) + f(−2h)) / 12h:
    truncation O(h⁴) ≈ 1e-16, rounding ≈ ε/h ≈ 1e-12."""
    grad = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        grad[i] = (-f(theta + 2 * e) + 8 * f(theta + e) - 8 * f(theta - e) + f(theta - 2 * e)) / (
            12 * h
        )
    return grad


# -- the gradient -----------------------------------------------------------------------------


@pytest.mark.parametrize("loss", list(OUTPUTS))
@pytest.mark.parametrize("activation", ACTS)
def test_gradient_matches_finite_differences(activation, loss):
    model = net(activation, loss, alpha=0.05)
    theta, y = start(model), Y[loss]
    f, g = model.value_and_grad(theta, X, y)
    numeric = five_point_gradient(lambda t: model.loss_value(t, X, y), theta)
    np.testing.assert_allclose(g, numeric, rtol=0, atol=1e-10)
    assert f == model.loss_value(theta, X, y)
    np.testing.assert_array_equal(model.gradient(theta, X, y), g)


def torch_loss_and_grads(model, theta, X, y, loss, torch):
    """J and ∂J/∂W, ∂J/∂b of every layer by PyTorch autograd, the network written in torch."""
    act = {
        "identity": lambda z: z,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
    }
    params = [
        (torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True))
        for W, b in model.unpack(theta)
    ]
    a = torch.tensor(X)
    for i, (W, b) in enumerate(params):
        z = a @ W + b
        a = z if i == len(params) - 1 else act[model.layers[i].activation.name](z)
    target = torch.tensor(y)
    F = torch.nn.functional
    if loss == "squared":
        J = 0.5 * F.mse_loss(a[:, 0], target)
    elif loss == "mse":
        J = F.mse_loss(a[:, 0], target)
    elif loss == "log_loss":
        J = F.binary_cross_entropy_with_logits(a[:, 0], target)
    else:
        J = F.cross_entropy(a, target.long())
    J = J + 0.5 * model.alpha * sum((W * W).sum() for W, _ in params)
    J.backward()
    return float(J.detach()), [(W.grad.numpy(), b.grad.numpy()) for W, b in params]


@pytest.mark.parametrize("loss", list(OUTPUTS))
@pytest.mark.parametrize("activation", ACTS)
def test_gradient_matches_torch_autograd(activation, loss):
    torch = pytest.importorskip("torch")
    model = net(activation, loss, alpha=0.01, hidden=(6, 5, 4))
    theta, y = start(model), Y[loss]
    J, grads = torch_loss_and_grads(model, theta, X, y, loss, torch)
    f, g = model.value_and_grad(theta, X, y)
    assert f == pytest.approx(J, rel=1e-13)
    np.testing.assert_allclose(g, model.pack(grads), rtol=0, atol=1e-10)
    norms = [np.linalg.norm(gW) for gW, _ in grads]
    np.testing.assert_allclose(model.layer_grad_norms(g), norms, rtol=1e-12)


def test_mixed_activations_per_layer_match_torch():
    torch = pytest.importorskip("torch")
    model = MLP(3, (4, 4, 4), 1, ["relu", "sigmoid", "tanh"], "squared", seed=2)
    theta = start(model)
    _, grads = torch_loss_and_grads(model, theta, X, Y["squared"], "squared", torch)
    np.testing.assert_allclose(
        model.gradient(theta, X, Y["squared"]), model.pack(grads), atol=1e-10
    )


def test_one_unit_network_by_hand():
    """x → tanh(w₁x + b₁) → w₂a + b₂ with ½(z − y)², worked out on paper."""
    model = MLP(1, (1,), 1, "tanh", "squared")
    w1, b1, w2, b2 = 0.5, 0.1, -2.0, 0.3
    theta = np.array([w1, b1, w2, b2])  # layer by layer: W then b
    x, y = 2.0, 1.0
    a = math.tanh(w1 * x + b1)
    z = w2 * a + b2
    dz = z - y
    da = dz * w2
    dh = da * (1 - a * a)
    expected = [dh * x, dh, dz * a, dz]
    f, g = model.value_and_grad(theta, np.array([[x]]), np.array([y]))
    assert f == pytest.approx(0.5 * (z - y) ** 2, rel=1e-15)
    np.testing.assert_allclose(g, expected, rtol=1e-14)


@pytest.mark.parametrize("loss", ["squared", "log_loss", "softmax"])
def test_no_hidden_layer_is_the_linear_model(loss):
    """With hidden=() the network is z = X·W + b: LinearModel's value and gradient, whose θ
    orders the intercepts first."""
    K = OUTPUTS[loss]
    mlp, lin = MLP(3, (), K, loss=loss), LinearModel(3, K, loss)
    theta = np.random.default_rng(0).normal(size=mlp.n_params)
    (W, b), = mlp.unpack(theta)  # fmt: skip
    theta_lin = lin.pack(W[:, 0] if K == 1 else W, b[0] if K == 1 else b)
    f, g = mlp.value_and_grad(theta, X, Y[loss])
    f_lin, g_lin = lin.value_and_grad(theta_lin, X, Y[loss])
    assert f == pytest.approx(f_lin, rel=1e-14)
    gW, gb = mlp.unpack(g)[0]
    np.testing.assert_allclose(g_lin, lin.pack(gW[:, 0] if K == 1 else gW, gb), atol=1e-14)


def test_blocks_of_rows_give_the_one_pass_gradient(monkeypatch):
    """Over ROWS_PER_PASS rows the pass runs in blocks: the sums agree with a single pass."""
    import descend.models.mlp as mlp

    model = net("tanh", "softmax", alpha=0.1)
    theta = start(model)
    X_big = np.random.default_rng(1).normal(size=(70, 3))
    y_big = np.random.default_rng(2).integers(0, 4, size=70)
    one = model.value_and_grad(theta, X_big, y_big)
    monkeypatch.setattr(mlp, "ROWS_PER_PASS", 16)  # 5 blocks, the last of 6 rows
    blocks = model.value_and_grad(theta, X_big, y_big)
    assert blocks[0] == pytest.approx(one[0], rel=1e-14)
    np.testing.assert_allclose(blocks[1], one[1], rtol=1e-13, atol=1e-16)
    with pytest.raises(DataError, match="no rows"):
        model.gradient(theta, X_big[:0], y_big[:0])


def test_float32_data_gives_the_float64_gradient():
    model = net("tanh")
    theta = start(model)
    g64 = model.gradient(theta, X, Y["squared"])
    g32 = model.gradient(theta, X.astype(np.float32), Y["squared"])
    assert g32.dtype == np.float64
    np.testing.assert_allclose(g32, model.gradient(theta, X.astype(np.float32).astype(float),
                                                   Y["squared"]), rtol=1e-15)  # fmt: skip
    np.testing.assert_allclose(g32, g64, rtol=1e-5, atol=1e-6)


# -- activations and initialisations ----------------------------------------------------------


@pytest.mark.parametrize("name", ACTS)
def test_activation_derivative_matches_central_difference(name):
    phi = ACTIVATIONS[name]
    z = np.array([-3.0, -0.7, 0.4, 2.5])  # away from ReLU's kink
    h = 1e-6
    numeric = (phi.value(z + h) - phi.value(z - h)) / (2 * h)
    np.testing.assert_allclose(phi.derivative(z, phi.value(z)), numeric, atol=1e-9)


def test_activation_values():
    z = np.array([-1.0, 0.0, 1.0])
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"].value(z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(ACTIVATIONS["tanh"].value(z), np.tanh(z))
    np.testing.assert_array_equal(ACTIVATIONS["relu"].value(z), [0.0, 0.0, 1.0])
    assert get_activation("logistic") is ACTIVATIONS["sigmoid"]


@pytest.mark.parametrize(
    ("init", "std"),
    [
        ("normal", 0.3),
        ("xavier", math.sqrt(2 / (400 + 100))),
        ("he", math.sqrt(2 / 400)),
        ("xavier_uniform", math.sqrt(6 / (400 + 100)) / math.sqrt(3)),  # U(−r, r): r / √3
    ],
)
def test_initialisations_have_their_spread(init, std):
    W = initialise(init, np.random.default_rng(0), 400, 100, scale=0.3 if init == "normal" else 1)
    assert W.shape == (400, 100)
    assert abs(W.mean()) < 4 * std / math.sqrt(W.size)
    assert W.std() == pytest.approx(std, rel=0.01)  # 40,000 draws: about 0.35 % spread


def test_init_params_is_seeded_with_zero_biases():
    model = MLP(3, (8,), init="he", seed=5)
    theta = model.init_params()
    np.testing.assert_array_equal(theta, MLP(3, (8,), init="he", seed=5).init_params())
    assert not np.array_equal(theta, MLP(3, (8,), init="he", seed=6).init_params())
    assert all(np.all(b == 0) for _, b in model.unpack(theta))
    W = initialise("he", np.random.default_rng(5), 3, 8)
    np.testing.assert_array_equal(model.unpack(theta)[0][0], W)


# -- layout and errors ------------------------------------------------------------------------


def test_theta_layout_and_pack_round_trip():
    model = MLP(2, (3,), 1)
    theta = np.arange(13.0)
    (W1, b1), (W2, b2) = model.unpack(theta)
    np.testing.assert_array_equal(W1, [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(b1, [6, 7, 8])
    np.testing.assert_array_equal(W2, [[9], [10], [11]])
    np.testing.assert_array_equal(b2, [12])
    np.testing.assert_array_equal(model.pack(model.unpack(theta)), theta)


def test_layer_grad_norms_of_a_deep_sigmoid_net_shrink_towards_the_input():
    """Each sigmoid layer multiplies the back-propagated gradient by φ′ ≤ ¼: over ten layers
    with Xavier weights the first layer's gradient is orders of magnitude below the last's."""
    model = MLP(3, (16,) * 9, 1, "sigmoid", "squared", seed=0)
    norms = model.layer_grad_norms(model.gradient(model.init_params(), X, Y["squared"]))
    assert norms.shape == (10,)
    assert norms[0] < 1e-3 * norms[-1]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"hidden": (4, 0)}, HyperparameterError, "hidden=0"),
        ({"hidden": "16"}, HyperparameterError, "sequence of layer widths"),
        ({"activation": "swish"}, UnknownNameError, "unknown activation 'swish'"),
        ({"activation": ["relu"], "hidden": (4, 4)}, HyperparameterError, "1 activations for 2"),
        ({"init": "orthogonal"}, UnknownNameError, "unknown init 'orthogonal'"),
        ({"init_scale": 0.0}, HyperparameterError, "init_scale=0.0"),
        ({"alpha": -1.0}, HyperparameterError, "alpha=-1.0"),
        ({"loss": "softmax"}, HyperparameterError, "needs n_outputs >= 2"),
        ({"n_outputs": 3}, HyperparameterError, "needs loss='softmax'"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        MLP(3, **kwargs)


def test_wrong_shapes_are_named():
    model = MLP(3, (4,))
    with pytest.raises(ShapeError, match="this network has 21 parameters"):
        model.gradient(np.zeros(5), X, Y["squared"])
    with pytest.raises(ShapeError, match="expects 3 features"):
        model.decision(np.zeros(21), X[:, :2])
    with pytest.raises(ShapeError, match=r"layer of shape \(4, 1\) got W \(5, 1\)"):
        model.pack([(np.zeros((3, 4)), np.zeros(4)), (np.zeros((5, 1)), np.zeros(1))])
