"""Part 7 of the demo tour: what goes wrong in deep networks, made visible.

A 10-layer perceptron learns the two-moons set. With sigmoids its first-layer gradient is some
10⁵ times smaller than its last (vanishing gradients); with weights drawn too large the
gradients explode and plain descent diverges at once. The fixes, each shown with its figure:
ReLU with He initialisation, gradient clipping, Adam. Then a saddle point, where full-batch
descent stops (its gradient is zero there) and a little noise in the gradient escapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.base.types import Array
from descend.demo.common import Tour, num, vec
from descend.engine.fit import FitResult, fit
from descend.engine.minimize import minimize
from descend.models.mlp import MLP
from descend.objectives.expression import expression
from descend.optim.rules import adam, sgd
from descend.optim.transform import GradientTransformation, chain, clip_norm, scale_by_learning_rate
from descend.plots import plot_contour, plot_layer_grad_norms, plot_layer_profile

#: The hidden layers of the deep network: nine of 16 units (ten weight layers with the output).
HIDDEN = (16,) * 9
EPOCHS = 40
BATCH = 32
#: The saddle: a minimum along x, a maximum along y at (0, 0), minima at (0, ±1) with f = −¼.
SADDLE = "x**2 + y**4/4 - y**2/2"


def two_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[Any, Any]:
    """Two interleaving half circles (scikit-learn's ``make_moons`` construction),
    standardised, labels 0 (upper moon) and 1."""
    t = rng.uniform(0.0, np.pi, n)
    upper = np.arange(n) % 2 == 0
    x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    X = np.column_stack([x, y]) + noise * rng.normal(size=(n, 2))
    return (X - X.mean(axis=0)) / X.std(axis=0), (~upper).astype(np.float64)


def _train(
    X: Any, y: Any, activation: str, init: str, optimizer: GradientTransformation
) -> tuple[MLP, FitResult]:
    net = MLP(2, HIDDEN, 1, activation, "log_loss", init=init, seed=0)
    result = fit(net, X, y, optimizer=optimizer, batch_size=BATCH, max_epochs=EPOCHS, tol=None,
                 seed=0)  # fmt: skip
    return net, result


def _norms(result: FitResult) -> Array:
    """The (epochs + 1, layers) per-layer gradient norms that fit records for a network."""
    return np.asarray(result.history.layer_grad_norms, dtype=np.float64)


def _accuracy(net: MLP, result: FitResult, X: Any, y: Any) -> float:
    return float(np.mean((net.decision(result.theta, X) > 0) == y))


def deep_networks(tour: Tour) -> dict[str, Any]:
    """Vanishing and exploding gradients in a 10-layer network, the fixes, and a saddle."""
    tour.begin("7. Deep networks: vanishing and exploding gradients, saddle points", "deep")
    X, y = two_moons(300, 0.15, np.random.default_rng(0))
    clipped = chain(clip_norm(1.0), scale_by_learning_rate(0.05))
    setups = {
        "sigmoid, Xavier, SGD α = 0.5": ("sigmoid", "xavier", sgd(0.5)),
        "ReLU, N(0, 1) weights, SGD α = 0.05": ("relu", "normal", sgd(0.05)),
        "ReLU, He, SGD α = 0.05": ("relu", "he", sgd(0.05)),
        "ReLU, N(0, 1), clip ‖g‖ ≤ 1, SGD α = 0.05": ("relu", "normal", clipped),
        "sigmoid, Xavier, Adam α = 0.01": ("sigmoid", "xavier", adam(0.01)),
    }
    runs = {name: _train(X, y, *setup) for name, setup in setups.items()}
    names = list(runs)
    tour.say(
        "A perceptron with nine hidden layers of 16 units (ten weight layers) learns the "
        f"two-moons set ({len(X)} points, two classes) with the log loss: mini-batches of "
        f"{BATCH}, {EPOCHS} epochs, the same data and seed for every run. descend.fit records "
        "‖∂J/∂Wˡ‖, the full-batch gradient norm of each layer, after every epoch."
    )
    rows = []
    for name, (net, r) in runs.items():
        first, last = _norms(r)[0][[0, -1]]
        rows.append([name, first, last, first / last, r.status, r.loss, _accuracy(net, r, X, y)])
    tour.table(
        ["network and training", "‖∂J/∂W¹‖ at θ₀", "‖∂J/∂W¹⁰‖ at θ₀", "ratio", "status",
         "final loss", "accuracy"],
        rows,
        "Ten layers, five ways (ln 2 = 0.693 is the loss of a coin toss)",
    )  # fmt: skip
    sig, big, he = (runs[n][1] for n in names[:3])
    tour.say(
        f"Sigmoid: each layer multiplies the back-propagated gradient by σ′ ≤ ¼, so at θ₀ the "
        f"first layer's gradient is {num(_norms(sig)[0][0], 3)}, "
        f"{num(_norms(sig)[0][-1] / _norms(sig)[0][0], 2)} "
        f"times smaller than the last layer's: the first layers do not learn and the loss "
        f"stays at {num(sig.loss, 4)} ≈ ln 2. Weights drawn from N(0, 1), far above He's "
        f"√(2/16) = 0.35, make every activation grow layer by layer: the gradients are "
        f"{num(_norms(big)[0][0], 3)} and the first epoch diverges. He's "
        "initialisation keeps them near 1 in every layer."
    )
    n_sig, n_big, n_he = (_norms(r)[0] for r in (sig, big, he))
    vanish, explode = np.log10(n_sig[-1] / n_sig[0]), np.log10(n_big.mean() / n_he.mean())
    fig = plot_layer_profile(
        [sig, big, he], labels=names[:3],
        title="At the initial weights: ‖∂J/∂Wˡ‖ across the ten layers",
    )  # fmt: skip
    tour.figure(
        fig, "15_deep_layer_profile.png",
        "Gradient norm of each layer at θ₀ (log scale): with sigmoids it falls "
        f"{num(vanish, 2)} "
        "decades towards the input (vanishing); N(0, 1) weights put every layer "
        f"{num(explode, 2)} "
        "decades above He's (exploding); ReLU + He is flat.",
    )  # fmt: skip
    fig = plot_layer_grad_norms(
        [sig, he, runs[names[4]][1]],
        titles=["vanishing: sigmoid, SGD", "fix: ReLU + He init, SGD", "fix: sigmoid, Adam"],
        title="‖∂J/∂Wˡ‖ per epoch, one line per layer",
    )  # fmt: skip
    tour.figure(
        fig, "16_deep_vanishing.png",
        "Per-layer gradient norms during training. Adam does not make the tiny gradients "
        "larger: it divides each by its own running RMS, so layer 1 takes steps as large as "
        "layer 10 and the network learns.",
    )  # fmt: skip
    clip_run = runs[names[3]][1]
    g0 = big.history.grad_norm[0]
    fig = plot_layer_grad_norms(
        clip_run, titles=["ReLU, N(0, 1) weights, clip ‖g‖ ≤ 1, SGD α = 0.05"],
        title="Exploding gradients tamed by clipping",
    )  # fmt: skip
    tour.figure(
        fig, "17_deep_clipping.png",
        f"Without clipping the first update (‖g‖ = {num(g0, 3)}, α = 0.05) throws θ so far "
        "that the fit stops as diverged in epoch 1, θ kept at θ₀. Clipped to ‖g‖ ≤ 1, every "
        "step has length ≤ α: training goes on while the per-layer gradients fall from "
        f"thousands to {num(float(_norms(clip_run)[-1].max()), 2)}.",
    )  # fmt: skip
    saddle = _saddle_point(tour)
    return {
        "runs": {
            name: {
                "status": r.status,
                "loss": r.loss,
                "accuracy": _accuracy(net, r, X, y),
                "layer_grad_norms_0": _norms(r)[0].tolist(),
            }
            for name, (net, r) in runs.items()
        },
        "saddle": saddle,
    }


def _saddle_point(tour: Tour) -> dict[str, Any]:
    f = expression(SADDLE)
    start = [1.0, 0.0]
    full = minimize(f, start, lr=0.1, max_iter=500, tol=1e-8)
    rng = np.random.default_rng(0)
    sigma = 0.05

    def noisy_grad(theta: Any) -> Any:
        return f.grad(theta) + sigma * rng.normal(size=2)

    noisy = minimize(lambda theta: float(f(theta)), start, grad=noisy_grad, lr=0.1,
                     max_iter=full.nit, tol=0)  # fmt: skip
    hessian = np.array([[2.0, 0.0], [0.0, -1.0]])  # of f at (0, 0), by hand
    tour.say(
        f"A saddle point: f(x, y) = {SADDLE.replace('**', '^')} has a zero gradient at (0, 0), "
        f"a minimum along x and a maximum along y (Hessian eigenvalues "
        f"{', '.join(num(v) for v in np.linalg.eigvalsh(hessian))}); its minima are (0, ±1) "
        f"with f = −0.25. From {vec(start)} the full-batch gradient has no y component, ever, "
        f"so descent walks straight into the saddle and stops there: '{full.status}' after "
        f"{full.nit} steps at {vec(full.x, 3)}, f = {num(full.fun, 3)}. A small gradient norm "
        "does not mean a minimum. The same steps with noise of σ = "
        f"{num(sigma)} in each gradient component (what a mini-batch gradient carries) leave "
        f"the saddle and end at {vec(noisy.x, 3)}, f = {num(noisy.fun, 4)}."
    )
    tour.table(
        ["descent", "status", "steps", "end point", "f", "‖∇f‖ at the end"],
        [
            ["full batch (exact gradient)", full.status, full.nit, vec(full.x, 3), full.fun,
             full.grad_norm],
            [f"noisy gradient (σ = {num(sigma)})", noisy.status, noisy.nit, vec(noisy.x, 3),
             noisy.fun, float(np.linalg.norm(f.grad(noisy.x)))],
        ],
        "A saddle stops exact descent; noise escapes",
    )  # fmt: skip
    fig = plot_contour(
        f, [full, noisy], labels=["full batch: stalls at the saddle", "noisy gradient: escapes"],
        xlim=(-1.3, 1.3), ylim=(-1.4, 1.4), minima=[(0.0, 1.0), (0.0, -1.0)],
        linewidths=[5.0, 2.0],
        title=f"Saddle at (0, 0) of {SADDLE.replace('**', '^')}",
    )  # fmt: skip
    tour.figure(
        fig, "18_deep_saddle.png",
        "The exact gradient along y = 0 (thick line) leads into the saddle (0, 0) and vanishes "
        "there; the noisy path follows it, drifts off the ridge and rolls down to the minimum "
        f"{vec(np.round(noisy.x))} (stars: the minima).",
    )  # fmt: skip
    return {
        "full": {"status": full.status, "x": full.x.tolist(), "fun": full.fun, "nit": full.nit},
        "noisy": {"x": noisy.x.tolist(), "fun": noisy.fun},
    }
