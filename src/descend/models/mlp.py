r"""A small multilayer perceptron on one flat parameter vector θ, trained by the same loop.

L dense layers, each a = φ(a_in·W + b), the last one with the identity (its scores z go to
the loss, which applies the sigmoid or the softmax itself)::

    a⁰ = X,    zˡ = aˡ⁻¹·Wˡ + bˡ,    aˡ = φˡ(zˡ)   (l = 1..L, φᴸ = identity)

    J(θ) = (1/m)·Σᵢ l(zᴸᵢ, yᵢ) + α/2·Σₗ ‖Wˡ‖²         (the biases are never penalised)

θ packs the layers in order, each its Wˡ (n_in × n_out, row-major) then its bˡ, so
``n_params = Σₗ (n_in + 1)·n_out`` and every optimizer, schedule, clipping rule and batch mode
of :func:`descend.fit` applies unchanged.

Backpropagation is the chain rule run backwards, one layer at a time, each layer's backward
pass beside its forward pass in :class:`Dense`. With δᴸ = ∂l/∂zᴸ / m from the loss::

    δˡ = ∂J/∂zˡ = ∂J/∂aˡ ⊙ φ′(zˡ)
    ∂J/∂Wˡ = aˡ⁻¹ᵀ·δˡ + α·Wˡ,    ∂J/∂bˡ = Σᵢ δˡᵢ,    ∂J/∂aˡ⁻¹ = δˡ·Wˡᵀ

Every line is a matrix product over the whole batch. The factor φ′ ≤ ¼ of the sigmoid,
multiplied in once per layer, is why the first layers of a deep sigmoid network learn slowly
(vanishing gradients); weights drawn too large multiply the gradient up instead (exploding
gradients). :meth:`MLP.layer_grad_norms` measures both; :func:`descend.fit` records them.

The products of a small network are too small to gain from several BLAS threads, and on a busy
machine they can lose several times over; the estimators train inside
``threadpoolctl.threadpool_limits(1, "blas")``, which a direct ``descend.fit`` may use too.

>>> import numpy as np
>>> net = MLP(2, hidden=(3,), activation="tanh", seed=0)
>>> net.n_params, [layer.n_params for layer in net.layers]   # (2+1)·3 + (3+1)·1
(13, [9, 4])
>>> X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1.0, -1.0])
>>> J, g = net.value_and_grad(net.init_params(), X, y)
>>> g.shape, net.layer_grad_norms(g).shape
((13,), (2,))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from descend.base.checks import check_positive
from descend.base.errors import DataError, HyperparameterError, ShapeError
from descend.base.types import Array
from descend.models.activations import Activation, get_activation, identity
from descend.models.init import check_init, initialise
from descend.models.losses import Loss, get_loss
from descend.models.model import EmpiricalRisk


@dataclass(frozen=True)
class Dense:
    """One dense layer a = φ(a_in·W + b), whose W and b are ``θ[start : start + n_params]``.

    Parameters
    ----------
    n_in, n_out : int
        Inputs and outputs (units) of the layer; W has shape (n_in, n_out).
    activation : Activation
        φ, applied element-wise.
    start : int
        Where the layer's parameters begin in θ.
    """

    n_in: int
    n_out: int
    activation: Activation
    start: int

    @property
    def n_params(self) -> int:
        """(n_in + 1)·n_out: the weights, then the biases."""
        return (self.n_in + 1) * self.n_out

    @property
    def weights(self) -> slice:
        """Where W sits in θ (row-major)."""
        return slice(self.start, self.start + self.n_in * self.n_out)

    def unpack(self, theta: Array) -> tuple[Array, Array]:
        """Views of θ as ``(W, b)``, shapes (n_in, n_out) and (n_out,)."""
        stop = self.start + self.n_in * self.n_out
        W = theta[self.start : stop].reshape(self.n_in, self.n_out)
        return W, theta[stop : stop + self.n_out]

    def forward(self, theta: Array, a_in: Array) -> tuple[Array, Array]:
        """``(z, a)`` with z = a_in·W + b and a = φ(z), for a batch a_in of shape (m, n_in)."""
        W, b = self.unpack(theta)
        z = a_in @ W
        z += b
        return z, self.activation.value(z)

    def backward(
        self, theta: Array, a_in: Array, z: Array, a: Array, grad_a: Array, grad: Array,
        *, propagate: bool = True,
    ) -> Array | None:  # fmt: skip
        """Given ∂J/∂a, write ∂J/∂W and ∂J/∂b into ``grad`` and return ∂J/∂a_in (None with
        ``propagate=False``: the first layer's input is the data, which needs no gradient).

        δ = ∂J/∂a ⊙ φ′(z),   ∂J/∂W = a_inᵀ·δ,   ∂J/∂b = Σᵢ δᵢ,   ∂J/∂a_in = δ·Wᵀ
        """
        W, _ = self.unpack(theta)
        delta = grad_a if self.activation is identity else grad_a * self.activation.derivative(z, a)
        grad_W, grad_b = self.unpack(grad)
        np.matmul(a_in.T, delta, out=grad_W)
        grad_b[:] = delta.sum(axis=0)
        return delta @ W.T if propagate else None


#: Rows of one forward/backward pass: larger batches go through in blocks of this many.
ROWS_PER_PASS = 256


def _whole(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise HyperparameterError(f"{name}={value!r} must be a whole number >= 1")
    return int(value)


@dataclass(frozen=True)
class MLP(EmpiricalRisk):
    """A multilayer perceptron: dense layers of ``hidden`` units, then K outputs.

    Parameters
    ----------
    n_features : int
        d, the number of columns of X.
    hidden : sequence of int, default=(16,)
        Units of each hidden layer, input side first (empty: a linear model).
    n_outputs : int, default=1
        K: 1 for regression and binary classification, the number of classes for softmax.
    activation : str, Activation or a sequence of them, default="tanh"
        φ of the hidden layers (``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"identity"``), one
        for all or one per hidden layer. The output layer is always the identity.
    loss : str or Loss, default="squared"
        A loss of :mod:`descend.models.losses` on the output scores: ``"squared"`` or
        ``"mse"`` for regression, ``"log_loss"`` (K = 1) or ``"softmax"`` for classification.
    init : str, default="xavier"
        The initialisation of the weights (:mod:`descend.models.init`): ``"normal"``,
        ``"xavier"``, ``"xavier_uniform"`` or ``"he"``; biases start at 0.
    init_scale : float, default=1.0
        s of ``init="normal"`` (W ~ N(0, s²)); a factor on the others' spread.
    alpha : float, default=0.0
        The L2 penalty α/2·Σ‖Wˡ‖² on the weights.
    seed : int, default=0
        Seeds the generator that draws θ₀ (:meth:`init_params`), so θ₀ is reproducible.
    """

    n_features: int
    hidden: Sequence[int] = (16,)
    n_outputs: int = 1
    activation: str | Activation | Sequence[str | Activation] = "tanh"
    loss: Loss | str = "squared"
    init: str = "xavier"
    init_scale: float = 1.0
    alpha: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        _whole("n_features", self.n_features)
        _whole("n_outputs", self.n_outputs)
        if isinstance(self.hidden, int | np.integer) and not isinstance(self.hidden, bool):
            object.__setattr__(self, "hidden", (self.hidden,))
        if isinstance(self.hidden, str) or not isinstance(self.hidden, Sequence):
            raise HyperparameterError(
                f"hidden={self.hidden!r} must be a sequence of layer widths, e.g. hidden=(32, 16)"
            )
        object.__setattr__(self, "hidden", tuple(_whole("hidden", h) for h in self.hidden))
        object.__setattr__(self, "loss", get_loss(self.loss))
        self._check_outputs()
        object.__setattr__(self, "init", check_init(self.init))
        check_positive("init_scale", self.init_scale)
        check_positive("alpha", self.alpha, allow_zero=True)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer):
            raise HyperparameterError(f"seed={self.seed!r} must be a whole number")
        object.__setattr__(self, "layers", self._build_layers())

    def _build_layers(self) -> tuple[Dense, ...]:
        acts = self.activation
        if isinstance(acts, str | Activation):
            acts = [acts] * len(self.hidden)
        acts = list(acts)
        if len(acts) != len(self.hidden):
            raise HyperparameterError(
                f"{len(acts)} activations for {len(self.hidden)} hidden layers; give one "
                "activation, or one per hidden layer"
            )
        phis = [get_activation(a) for a in acts] + [identity]
        widths = [self.n_features, *self.hidden, self.n_outputs]
        layers, start = [], 0
        for n_in, n_out, phi in zip(widths[:-1], widths[1:], phis, strict=True):
            layers.append(Dense(n_in, n_out, phi, start))
            start += layers[-1].n_params
        return tuple(layers)

    #: The layers, input side first (built from the widths on construction).
    layers: tuple[Dense, ...] = field(init=False, repr=False, compare=False, default=())

    @property
    def n_params(self) -> int:
        """Σₗ (n_in + 1)·n_out.

        >>> MLP(4, hidden=(8, 8), n_outputs=3, loss="softmax").n_params   # 40 + 72 + 27
        139
        """
        return sum(layer.n_params for layer in self.layers)

    def init_params(self) -> Array:
        """θ₀: each Wˡ drawn by ``init`` from a generator seeded with ``seed``, biases 0."""
        rng = np.random.default_rng(self.seed)
        theta = np.zeros(self.n_params)
        for layer in self.layers:
            W, _ = layer.unpack(theta)
            W[:] = initialise(self.init, rng, layer.n_in, layer.n_out, self.init_scale)
        return theta

    def unpack(self, theta: Any) -> list[tuple[Array, Array]]:
        """``[(W¹, b¹), ..., (Wᴸ, bᴸ)]``, views of θ.

        >>> [W.shape for W, b in MLP(3, hidden=(5,)).unpack(np.zeros(26))]
        [(3, 5), (5, 1)]
        """
        theta = self._check_theta(theta)
        return [layer.unpack(theta) for layer in self.layers]

    def pack(self, params: Sequence[tuple[Any, Any]]) -> Array:
        """θ from ``[(W¹, b¹), ...]`` (the inverse of :meth:`unpack`)."""
        if len(params) != len(self.layers):
            raise ShapeError(f"{len(params)} (W, b) pairs for {len(self.layers)} layers")
        theta = np.zeros(self.n_params)
        for layer, (W_new, b_new) in zip(self.layers, params, strict=True):
            W, b = layer.unpack(theta)
            W_new, b_new = np.asarray(W_new, dtype=np.float64), np.asarray(b_new, np.float64)
            if W_new.shape != W.shape or b_new.shape != b.shape:
                raise ShapeError(
                    f"layer of shape {W.shape} got W {W_new.shape} and b {b_new.shape}"
                )
            W[:], b[:] = W_new, b_new
        return theta

    def _check_theta(self, theta: Any) -> Array:
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.n_params,):
            raise ShapeError(
                f"θ has shape {theta.shape} but this network has {self.n_params} parameters"
            )
        return theta

    def _forward(self, theta: Array, X: Any) -> list[tuple[Array, Array, Array]]:
        """``(a_in, z, a)`` of each layer, input side first."""
        a = np.asarray(X, dtype=np.float64)
        if a.ndim != 2 or a.shape[1] != self.n_features:
            raise ShapeError(f"X has shape {a.shape} but the network expects {self.n_features} "
                             "features")  # fmt: skip
        tape = []
        for layer in self.layers:
            z, a_out = layer.forward(theta, a)
            tape.append((a, z, a_out))
            a = a_out
        return tape

    def decision(self, theta: Any, X: Any) -> Array:
        """The output scores zᴸ, shape (m,) for K = 1, else (m, K)."""
        z = self._forward(self._check_theta(theta), X)[-1][1]
        return z[:, 0] if self.n_outputs == 1 else z

    def penalty_value(self, theta: Array) -> float:
        """α/2·Σₗ ‖Wˡ‖²."""
        if self.alpha == 0:
            return 0.0
        return 0.5 * self.alpha * sum(float(theta[ly.weights] @ theta[ly.weights])
                                      for ly in self.layers)  # fmt: skip

    def value_and_grad(
        self, theta: Array, X: Any, y: Any, *, value: bool = True
    ) -> tuple[float, Array]:
        """``(J(θ), ∇J(θ))``: one forward pass, then the layers' backward passes in reverse.

        More than :data:`ROWS_PER_PASS` rows go through in blocks of that many, whose
        gradients (each already divided by the total m) are summed: the same J and ∇J, with
        the activations of one block kept in cache. With ``value=False`` the value is skipped
        (returned as NaN).
        """
        theta = self._check_theta(theta)
        X, y = np.asarray(X), np.asarray(y)
        m = len(X)
        if m == 0:
            raise DataError("X has no rows: J and ∇J are means over at least one row")
        grad = np.empty(self.n_params)
        total = self._backprop(theta, X[:ROWS_PER_PASS], y[:ROWS_PER_PASS], m, grad, value)
        if m > ROWS_PER_PASS:
            block = np.empty(self.n_params)
            for start in range(ROWS_PER_PASS, m, ROWS_PER_PASS):
                rows = slice(start, start + ROWS_PER_PASS)
                total += self._backprop(theta, X[rows], y[rows], m, block, value)
                grad += block
        if self.alpha:
            for layer in self.layers:
                grad[layer.weights] += self.alpha * theta[layer.weights]
        f = total / m + self.penalty_value(theta) if value else float("nan")
        return f, grad

    def _backprop(self, theta: Array, X: Any, y: Any, m: int, grad: Array, value: bool) -> float:
        """Write the rows' share of ∇(mean loss over m rows) into ``grad``; return the sum of
        their losses (0 without ``value``)."""
        tape = self._forward(theta, X)
        z_out = tape[-1][1]
        z = z_out[:, 0] if self.n_outputs == 1 else z_out
        grad_a = self.loss_fn.dz(z, y).reshape(len(z_out), -1) / m  # δᴸ = ∂l/∂z / m
        for i in range(len(self.layers) - 1, -1, -1):
            a_in, z_l, a_l = tape[i]
            back = self.layers[i].backward(theta, a_in, z_l, a_l, grad_a, grad, propagate=i > 0)
            grad_a = back if back is not None else grad_a
        return float(np.sum(self.loss_fn.value(z, y))) if value else 0.0

    def layer_grad_norms(self, grad: Any) -> Array:
        """‖∂J/∂Wˡ‖ (Frobenius) of each layer, input side first, from a gradient ∇J.

        >>> net = MLP(1, hidden=(2,))
        >>> net.layer_grad_norms(np.arange(7.0))   # W¹ = θ[0:2], W² = θ[4:6]
        array([1.        , 6.40312424])
        """
        grad = np.asarray(grad, dtype=np.float64)
        return np.array([float(np.linalg.norm(grad[layer.weights])) for layer in self.layers])
