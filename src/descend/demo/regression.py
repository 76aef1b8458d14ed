"""Parts 1–3 of the demo tour: f(x) = x², the seeds' linear regression, the learning rate.

Every number comes from the engine (:func:`descend.minimize`, :func:`descend.engine.fit.fit`, the
estimators); the only independent computation is the exact least-squares solution, taken
with :func:`numpy.linalg.lstsq`, against which the descent is judged.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning

from descend.demo.common import Tour, num, vec
from descend.engine.fit import FitResult, fit
from descend.engine.minimize import minimize
from descend.io.datasets import load_dataset
from descend.models.linear import LinearModel, linear_regression
from descend.objectives.expression import expression
from descend.objectives.objective import Objective
from descend.plots import (
    plot_curve_1d,
    plot_learning_rates,
    plot_loss,
    plot_paths_on_cost,
    plot_surface,
)

Array = NDArray[Any]

#: The seeds' printout of their hours-studied program (epoch: loss, m, b), and its last lines.
SEED_PRINTOUT = {0: (10.0, 0.4, 0.28), 100: (0.6863, 0.5918, 1.6294), 900: (0.4714, 0.6, 2.2)}
SEED_FINAL = (0.60, 2.20, 5.80)  # "y = 0.60x + 2.20", "prediction for 6 hours: 5.80"
#: The seeds' printout of f(x) = x² from x = 10, α = 0.1 (iteration: x, f(x), gradient).
SEED_PARABOLA = {1: (8.0, 64.0, 20.0), 2: (6.4, 40.96, 16.0), 3: (5.12, 26.2144, 12.8)}


def least_squares(X: Array, y: Array, intercept: bool = True) -> Array:
    """The exact least-squares θ = [b, w...] (or [w...]), from numpy's lstsq."""
    A = np.column_stack([np.ones(len(X)), X]) if intercept else X
    return np.linalg.lstsq(A, y, rcond=None)[0]


def excess(loss: Array, minimum: float) -> Array:
    """J − J* for a log-scale plot; differences below 1e-16 (rounding) are shown as 1e-16."""
    return np.maximum(np.asarray(loss, dtype=np.float64) - minimum, 1e-16)


def model_cost(model: LinearModel, X: Array, y: Array, names: tuple[str, ...]) -> Objective:
    """J(θ) of a model over (X, y) as an Objective (value and gradient from the model)."""
    return Objective(
        fun=lambda th: model.loss_value(th, X, y),
        grad=lambda th: model.gradient(th, X, y),
        n=model.n_params,
        names=names,
        name="J",
    )


def parabola(tour: Tour) -> dict[str, Any]:
    """Part 1: f(x) = x² from x = 10 with α = 0.1, the articles' first example."""
    tour.begin("1. f(x) = x², x₀ = 10, α = 0.1", "parabola")
    f = expression("x**2")
    r = minimize(f, [10.0], lr=0.1, max_iter=10, tol=0)
    x = r.history.x[:, 0]
    tour.say(
        f"The gradient of f(x) = x² is f′(x) = {f.gradient_formulas[0]}. Each step "
        "is x ← x − α·f′(x) = x − 0.1·2x = 0.8·x, so x_t = 10·0.8^t."
    )
    rows = []
    for t in range(len(x)):
        g = float(f.grad(r.history.x[t])[0])
        step = x[t + 1] - x[t] if t + 1 < len(x) else float("nan")
        rows.append([t, x[t], r.history.fun[t], g, step])
    tour.table(
        ["t", "x", "f(x)", "gradient f′(x)", "step −α·f′(x)"],
        rows,
        "The step table (every value from descend.minimize)",
    )
    agree = all(
        np.isclose(x[i], v[0]) and np.isclose(x[i] ** 2, v[1]) and np.isclose(2 * x[i - 1], v[2])
        for i, v in SEED_PARABOLA.items()
    )
    long = minimize(f, [10.0], lr=0.1, max_iter=1000, tol=2e-6)
    tour.say(
        "The article's printed iterations (8, 64, 20; 6.4, 40.96, 16; 5.12, 26.2144, 12.8) "
        "agree with exact arithmetic."
        if agree
        else "The article's printed iterations differ from exact arithmetic (table above)."
    )
    tour.note(
        f"The article ends with 'Found minimum! (x ≈ 0)', but after its 10 iterations "
        f"x = {num(x[-1])} and f(x) = {num(r.fun)}: still far from 0. It takes "
        f"{long.nit} steps for |x| to fall below 1e-6 (descend: {long.message})."
    )
    fig = plot_curve_1d(
        f, r, grad=f.grad, title="f(x) = x² from x₀ = 10 with α = 0.1: ten steps and their slopes"
    )
    tour.figure(
        fig,
        "01_parabola_steps.png",
        "The curve f(x) = x², the ten iterates and the slope f′(x) at each of them.",
    )
    return {"x": x.tolist(), "steps_to_1e-6": long.nit}


def _seed_program(tour: Tour, X: Array, y: Array) -> dict[str, Any]:
    """The seeds' hours-studied program: MSE, α = 0.01, 1000 epochs, m = b = 0."""
    r = fit(
        linear_regression(1, loss="mse"),
        X,
        y,
        optimizer="sgd",
        lr=0.01,
        batch_size="full",
        max_epochs=1000,
        tol=None,
        record_path=True,
    )
    path = r.history.path
    assert path is not None
    rows = []
    for epoch, (loss, m, b) in SEED_PRINTOUT.items():
        theta = path[epoch + 1]  # the seed prints the loss before and m, b after the update
        rows.append([epoch, loss, r.history.loss[epoch], m, theta[1], b, theta[0]])
    tour.table(
        ["epoch", "article: J", "exact: J", "article: m", "exact: θ₁", "article: b", "exact: θ₀"],
        rows,
        "An article's printout of its program against the same program run exactly",
    )
    b, m = r.theta
    exact = least_squares(X, y)
    min_loss = linear_regression(1, loss="mse").loss_value(exact, X, y)
    tour.note(
        f"The article's printout is not what its own code computes. At epoch 0 the cost is "
        f"mean(y²) = {num(r.history.loss[0])}, not 10.0, and one step from m = b = 0 "
        f"gives m = {num(path[1][1])}, b = {num(path[1][0])} (not 0.4 and 0.28). After "
        f"1000 epochs the line is y = {m:.4f}x + {b:.4f}, and the prediction for 6 "
        f"hours is {num(m * 6 + b, 4)} (the article: y = 0.60x + 2.20 and 5.80). Its "
        f"epoch-900 cost of 0.4714 is even below the least-squares minimum J(θ*) = "
        f"{num(min_loss, 4)}, which no line can beat."
    )
    tour.say(
        f"The exact least-squares line (numpy.linalg.lstsq) is y = {exact[1]:.4g}x + "
        f"{exact[0]:.4g}; with α = 0.01, gradient descent is still approaching it after "
        "1000 epochs (the intercept direction is the slow one)."
    )
    return {"seed_program_theta": r.theta.tolist(), "least_squares": exact.tolist()}


def _seed_comparison(tour: Tour, X: Array, y: Array) -> None:
    """The seeds' batch/stochastic/mini-batch code: no intercept, α = 0.01, 100 epochs."""
    model = linear_regression(1, fit_intercept=False)
    exact = least_squares(X, y, intercept=False)[0]
    rows = []
    for label, size, shuffle in (
        ("batch", "full", False),
        ("stochastic (rows in order)", 1, False),
        ("mini-batch of 2 (shuffled, seed 0)", 2, True),
    ):
        r = fit(
            model,
            X,
            y,
            optimizer="sgd",
            lr=0.01,
            batch_size=size,
            max_epochs=100,
            tol=None,
            shuffle=shuffle,
            seed=0,
        )
        rows.append([label, r.n_steps, r.theta[0], r.theta[0] - exact])
    tour.table(
        ["the articles' comparison code", "updates", "θ after 100 epochs", "θ − exact"],
        rows,
        f"No intercept column, as in the article: the exact answer is Σxy/Σx² = {num(exact)}",
    )


def _three_paths(tour: Tour, X: Array, y: Array, exact: Array) -> dict[str, Any]:
    """Batch, stochastic and mini-batch paths of (θ₀, θ₁) on J = (1/n)·Σ(h(x) − y)²."""
    model = linear_regression(1, loss="mse")
    cost = model_cost(model, X, y, ("θ₀", "θ₁"))
    runs: dict[str, FitResult] = {}
    # α per variant so that each moves about as far per epoch (α × updates per epoch alike).
    for label, size, lr in (
        ("batch (α = 0.025)", "full", 0.025),
        ("stochastic (α = 0.005)", 1, 0.005),
        ("mini-batch of 2 (α = 0.0125)", 2, 0.0125),
    ):
        runs[label] = fit(
            model,
            X,
            y,
            optimizer="sgd",
            lr=lr,
            batch_size=size,
            max_epochs=300,
            tol=None,
            seed=0,
            record_path=True,
        )
    rows = [
        [label, r.n_steps, r.theta[0], r.theta[1], r.loss, float(np.linalg.norm(r.theta - exact))]
        for label, r in runs.items()
    ]
    rows.append(["exact least squares", "", exact[0], exact[1], cost.value(exact), 0.0])
    tour.table(
        ["variant (300 epochs)", "updates", "θ₀", "θ₁", "J(θ)", "‖θ − θ*‖"],
        rows,
        "Batch, stochastic and mini-batch descent from θ = (0, 0)",
    )
    paths = [r.history.path for r in runs.values()]
    box = ((-0.6, 3.4), (-0.25, 1.45))
    fig = plot_surface(
        cost,
        next(iter(runs.values())).history.path,
        xlim=box[0],
        ylim=box[1],
        title="The bowl J(θ₀, θ₁) and the batch gradient-descent path",
    )
    tour.figure(
        fig,
        "02_regression_bowl.png",
        "The cost J(θ₀, θ₁) = (1/n)·Σ(θ₀ + θ₁x − y)² is a bowl; batch gradient "
        "descent walks down it to the least-squares line.",
    )
    fig = plot_paths_on_cost(cost, paths, labels=list(runs), xlim=box[0], ylim=box[1])
    tour.figure(
        fig,
        "03_regression_paths.png",
        "Batch (smooth), stochastic (noisy) and mini-batch paths of (θ₀, θ₁) on the "
        "contours of the cost J for the hours-studied data.",
    )
    return {label: r.theta.tolist() for label, r in runs.items()}


def _optimizers(tour: Tour, X: Array, y: Array, exact: Array) -> dict[str, Any]:
    """Each optimizer on the same batch regression problem."""
    model = linear_regression(1, loss="mse")
    cost = model_cost(model, X, y, ("θ₀", "θ₁"))
    settings = (
        ("sgd", 0.025),
        ("momentum", 0.025),
        ("nesterov", 0.025),
        ("adagrad", 0.5),
        ("rmsprop", 0.02),
        ("adam", 0.1),
    )
    rows, curves, labels, out = [], [], [], {}
    for name, lr in settings:
        r = fit(model, X, y, optimizer=name, lr=lr, batch_size="full", max_epochs=300, tol=None)
        rows.append(
            [name, lr, r.theta[0], r.theta[1], r.loss, float(np.linalg.norm(r.theta - exact))]
        )
        curves.append(excess(r.history.loss, cost.value(exact)))
        labels.append(f"{name} (α = {lr:g})")
        out[name] = r.theta.tolist()
    tour.table(
        ["optimizer", "α", "θ₀", "θ₁", "J(θ)", "‖θ − θ*‖"],
        rows,
        "Each optimizer, 300 full-batch epochs from θ = (0, 0)",
    )
    fig = plot_loss(
        curves,
        labels=labels,
        log=True,
        title="Each optimizer on the hours-studied regression",
        xlabel="epoch",
        ylabel="J(θ) − J(θ*)",
    )
    tour.figure(
        fig,
        "04_regression_optimizers.png",
        "How far each optimizer's cost is above the least-squares minimum J(θ*), per "
        "epoch (log scale).",
    )
    return out


def _house_prices(tour: Tour) -> dict[str, Any]:
    """The house-price set with GDRegressor: batch, stochastic, mini-batch vs least squares."""
    from descend.estimators.linear import GDRegressor

    t = load_dataset("house_prices")
    exact = least_squares(t.X, t.y)
    j_min = linear_regression(t.n_features, loss="mse").loss_value(exact, t.X, t.y)
    rows: list[list[Any]] = []
    curves, labels, out = [], [], {}
    for label, size, lr in (
        ("batch (line search)", "full", "auto"),
        ("stochastic", 1, 0.005),
        ("mini-batch of 8", 8, 0.025),
    ):
        est = GDRegressor(
            loss="mse",
            penalty=None,
            batch_size=size,
            lr=lr,
            max_epochs=200,
            tol=None,
            scale=True,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(t.X, t.y)
        coef = np.concatenate([[est.intercept_], est.coef_])
        rows.append(
            [label, est.t_, *coef, est.score(t.X, t.y), float(np.max(np.abs(coef - exact)))]
        )
        curves.append(excess(est.history_.loss, j_min))
        labels.append(label)
        out[label] = coef.tolist()
    rows.append(["exact least squares", "", *exact, "", 0.0])
    names = ["intercept", *t.feature_names]
    tour.table(
        ["variant (200 epochs, scaled features)", "updates", *names, "R²", "max |coef − exact|"],
        rows,
        f"House prices ({t.n_rows} houses): price_k from size, bedrooms and age",
    )
    fig = plot_loss(
        curves,
        labels=labels,
        log=True,
        title="House prices: batch vs stochastic vs mini-batch",
        xlabel="epoch",
        ylabel="J(θ) − J(θ*)",
    )
    tour.figure(
        fig,
        "05_house_prices_loss.png",
        "How far the training cost is above the least-squares minimum, per epoch, for "
        "the three batch sizes (log scale; the noise floor of stochastic updates shows).",
    )
    return {"least_squares": exact.tolist(), **out}


def regression(tour: Tour) -> dict[str, Any]:
    """Part 2: the seeds' linear regression, exact arithmetic, three batch sizes, optimizers."""
    tour.begin("2. Linear regression: hours studied → exam score, and house prices", "regression")
    t = load_dataset("hours_studied")
    X, y = t.X, t.y
    tour.say(
        "The articles' data: hours studied x = 1..5, exam scores y = 2, 4, 5, 4, 5. The model "
        "is h(x) = θ₀ + θ₁x (the articles write b for the intercept θ₀ and m for the slope "
        "θ₁). One cost throughout this part and the next: the mean squared error "
        "J(θ) = (1/n)·Σᵢ(h(xᵢ) − yᵢ)² over the n rows, the articles' program's own."
    )
    summary = _seed_program(tour, X, y)
    _seed_comparison(tour, X, y)
    exact = np.asarray(summary["least_squares"])
    summary["paths"] = _three_paths(tour, X, y, exact)
    summary["optimizers"] = _optimizers(tour, X, y, exact)
    summary["house_prices"] = _house_prices(tour)
    return summary


def learning_rates(tour: Tour) -> dict[str, Any]:
    """Part 3: α too small, about right, too large on the seeds' regression cost."""
    tour.begin("3. The learning rate: too small, right, too large", "learning-rate")
    t = load_dataset("hours_studied")
    cost = model_cost(linear_regression(1, loss="mse"), t.X, t.y, ("θ₀", "θ₁"))
    lrs = (0.001, 0.07, 0.1)
    runs = [minimize(cost, [0.0, 0.0], lr=lr, max_iter=1000, tol=1e-6) for lr in lrs]
    rows = [
        [lr, r.status, r.nit, r.fun, vec(r.x, 4), r.message]
        for lr, r in zip(lrs, runs, strict=True)
    ]
    tour.say(
        "The same cost J(θ₀, θ₁) = (1/n)·Σ(θ₀ + θ₁x − y)² on the hours-studied data, "
        "up to 1000 steps of plain gradient descent from (0, 0) with three learning rates."
    )
    tour.table(
        ["α", "status", "steps", "J", "(b, m)", "message"],
        rows,
        "Same problem, three learning rates",
    )
    bounce = minimize(expression("x**2"), [10.0], lr=1.0, max_iter=6, tol=0)
    tour.note(
        "On f(x) = x², the articles' 'too high' α = 1.0 neither converges nor diverges: "
        f"x_t = 10·(−1)^t bounces for ever ({vec(bounce.history.x[:, 0], 3)}); any "
        "α > 1 diverges and any 0 < α < 1 converges."
    )
    j_min = cost.value(least_squares(t.X, t.y))
    fig = plot_learning_rates(runs, lrs, minimum=j_min)
    tour.figure(
        fig,
        "06_learning_rates.png",
        f"How far the cost is above its minimum J(θ*) = {num(j_min, 4)}, per step, on shared "
        "axes (log scale): α too small crawls, about right converges, too large diverges "
        "(marked ×).",
    )
    return {
        str(lr): {"status": r.status, "nit": r.nit, "fun": r.fun}
        for lr, r in zip(lrs, runs, strict=True)
    }
