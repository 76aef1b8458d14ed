"""Part 4 of the demo tour: optimizers racing, escaping a saddle, finding the global minimum.

Momentum, RMSprop, Adam and AdaGrad (with plain SGD as the reference) race on Rosenbrock's
valley and on the saddle x² − y²; random restarts and simulated annealing find the global
minimum of the double well that plain descent misses; then gradient ascent, a decay schedule
and gradient clipping. Every number comes from the engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from descend.demo.common import Tour, num, vec
from descend.demo.regression import excess, least_squares
from descend.engine.fit import fit
from descend.engine.minimize import minimize
from descend.engine.result import Result
from descend.engine.strategies import random_restarts, simulated_annealing
from descend.io.datasets import load_dataset
from descend.models.linear import linear_regression
from descend.objectives.expression import expression
from descend.objectives.functions import function
from descend.optim.rules import sgd
from descend.optim.schedules import time_decay
from descend.optim.transform import chain, clip
from descend.plots import animate_race, plot_contour, plot_curve_1d, plot_loss

#: (optimizer, learning rate) for the Rosenbrock race, each near its best for this start.
RACE = (("sgd", 0.001), ("momentum", 0.001), ("rmsprop", 0.005), ("adam", 0.05), ("adagrad", 0.5))
#: Frames of the animated race (fewer frames write faster).
RACE_FRAMES = 60


def _race_rows(runs: dict[str, Result]) -> list[list[Any]]:
    return [[name, r.status, r.nit, vec(r.x, 5), r.fun] for name, r in runs.items()]


def race(tour: Tour) -> dict[str, Any]:
    """Rosenbrock from (−1.2, 1): a contour figure and an animated GIF of the race."""
    tour.begin("4. Optimizers racing: Rosenbrock's valley and a saddle", "race")
    rb = function("rosenbrock")
    runs = {
        f"{name} (α = {lr:g})": minimize(rb, rb.x0, optimizer=name, lr=lr, max_iter=2000, tol=1e-6)
        for name, lr in RACE
    }
    tour.say(
        f"Rosenbrock's function f(x, y) = {rb.formula} has its minimum at (1, 1) at the "
        "end of a long curved valley. Each optimizer starts at (−1.2, 1) and gets 2000 "
        "steps."
    )
    tour.table(
        ["optimizer", "status", "steps", "end point", "f"],
        _race_rows(runs),
        "The race on Rosenbrock",
    )
    labels, paths = list(runs), [r.history.x for r in runs.values()]
    box = ((-1.6, 1.6), (-0.6, 1.6))
    fig = plot_contour(
        rb,
        paths,
        labels=labels,
        xlim=box[0],
        ylim=box[1],
        title="Rosenbrock from (−1.2, 1): the path of each optimizer (the others in grey); "
        "circle start, square end, star minimum",
        panels=True,
    )
    tour.figure(
        fig,
        "07_race_rosenbrock.png",
        "Paths of five optimizers on Rosenbrock's contours, one panel each (several follow "
        "the same valley floor, so one map would hide them under each other).",
    )
    names = [name for name, _ in RACE]
    gif = animate_race(
        rb,
        paths,
        names,
        tour.out_dir / "08_race_rosenbrock.gif",
        xlim=box[0],
        ylim=box[1],
        minima=rb.minima,
        frames=RACE_FRAMES,
        fps=12,
    )
    tour.add_file(gif, "The same race, animated: every optimizer at the same step.")
    saddle = _saddle(tour)
    return {
        "rosenbrock": {
            k: {"status": r.status, "nit": r.nit, "x": r.x.tolist()} for k, r in runs.items()
        },
        "saddle": saddle,
    }


def _saddle(tour: Tour) -> dict[str, int]:
    sd = function("saddle")
    escape = 2.0
    runs = {
        name: minimize(
            sd,
            sd.x0,
            optimizer=name,
            lr=0.05,
            max_iter=1000,
            tol=1e-9,
            callback=lambda s: abs(s.x[1]) > escape,
        )
        for name in ("sgd", "momentum", "rmsprop", "adam", "adagrad")
    }
    tour.say(
        f"The saddle f(x, y) = {sd.formula} is a minimum along x and a maximum along y. "
        f"From {vec(sd.x0)} the gradient along y is tiny, so plain descent lingers near the "
        f"saddle point; each run (α = 0.05) stops once |y| > {num(escape)}."
    )
    rows = [[name, r.nit, vec(r.x, 4), r.fun] for name, r in runs.items()]
    tour.table(
        ["optimizer", f"steps to |y| > {num(escape)}", "end point", "f"],
        rows,
        "Escaping the saddle point (0, 0)",
    )
    fig = plot_contour(
        sd,
        [r.history.x for r in runs.values()],
        labels=list(runs),
        xlim=(-2.0, 2.0),
        ylim=(-0.6, 2.4),
        minima=(),
        title="Escaping the saddle x² − y² (α = 0.05)",
    )
    order = sorted(runs, key=lambda name: runs[name].nit)
    tour.figure(
        fig,
        "09_saddle.png",
        f"Leaving the saddle: {order[0]} is first ({runs[order[0]].nit} steps, it "
        f"rescales the tiny y-gradient), {order[-1]} last ({runs[order[-1]].nit} steps).",
    )
    return {name: r.nit for name, r in runs.items()}


def global_minimum(tour: Tour) -> dict[str, Any]:
    """The double well: plain descent is stuck; restarts and annealing find the global one."""
    tour.begin("5. Local and global minima: restarts and simulated annealing", "minima")
    dw = function("double_well")
    local, best = dw.local_minima[0][0], dw.minima[0][0]
    plain = minimize(dw, dw.x0, lr=0.01, max_iter=2000)
    restarts = random_restarts(dw, 20, optimizer="sgd", lr=0.01, max_iter=2000, seed=0)
    annealed = simulated_annealing(
        dw, dw.x0, lr=0.01, temperature=2.0, cooling=0.99, noise=0.5, max_iter=2000, seed=1
    )
    ends = restarts.x[:, 0]
    n_global = int(np.sum(np.abs(ends - best) < 1e-3))
    tour.say(
        f"f(x) = {dw.formula} has a local minimum at x = {num(local, 4)} "
        f"(f = {num(dw.fun([local]), 4)}) and the global one at x = {num(best, 4)} "
        f"(f = {num(dw.fmin, 4)}). Plain gradient descent from x₀ = 2 rolls into the "
        "nearer, local one."
    )
    rows = [
        ["gradient descent from x₀ = 2 (α = 0.01)", plain.x[0], plain.fun, plain.message],
        [
            "20 random restarts in [−2.5, 2.5]",
            restarts.best.x[0],
            restarts.best.fun,
            f"{n_global} of 20 starts reached the global minimum; distinct minima "
            f"{', '.join(num(m[0], 5) for m in restarts.distinct_minima(4))}",
        ],
        [
            "simulated annealing from x₀ = 2 (T₀ = 2, cooling 0.99)",
            annealed.x[0],
            annealed.fun,
            annealed.message,
        ],
    ]
    tour.table(["strategy", "x", "f(x)", "how"], rows, "Three ways down the double well")
    fig = plot_curve_1d(
        dw, plain, grad=dw.grad, title="Gradient descent from x₀ = 2 stops in the local minimum"
    )
    tour.figure(
        fig,
        "10_double_well_descent.png",
        "Plain gradient descent on the double well: stuck at x ≈ 1.13.",
    )
    moves = annealed.history.x[:, 0]
    fig = plot_loss(
        [moves],
        labels=["x after each accepted move"],
        log=False,
        title="Simulated annealing from x₀ = 2",
        xlabel="accepted move",
        ylabel="x",
    )
    for value, name in ((local, "local minimum"), (best, "global minimum")):
        fig.axes[0].axhline(value, color="0.35", lw=1, ls="--")
        fig.axes[0].annotate(
            f"{name} x = {value:.3f}",
            (len(moves) - 1, value),
            xytext=(0, 5),
            textcoords="offset points",
            fontsize=9,
            color="0.2",
            ha="right",
        )
    tour.figure(
        fig,
        "11_double_well_annealing.png",
        "Simulated annealing's accepted moves: while the temperature is high the noise "
        "carries x over the hump; as it cools, x stays in the global well.",
    )
    return {
        "descent": plain.x[0],
        "restarts": restarts.best.x[0],
        "annealing": annealed.x[0],
        "restarts_global": n_global,
    }


def more_tools(tour: Tour) -> dict[str, Any]:
    """Gradient ascent, a decay schedule and gradient clipping."""
    tour.begin("6. Gradient ascent, a decay schedule, gradient clipping", "tools")
    return {"ascent": _ascent(tour), "schedule": _schedule(tour), "clipping": _clipping(tour)}


def _ascent(tour: Tour) -> dict[str, Any]:
    f = expression("3 - (x - 1)**2 - 2*(y - 2)**2")
    r = minimize(f, [-2.0, -1.0], lr=0.1, maximize=True, max_iter=200)
    tour.say(
        f"Gradient ascent climbs f(x, y) = {f.text} with θ ← θ + α∇f (∇f = "
        f"({', '.join(f.gradient_formulas)})): from (−2, −1) with α = 0.1 it reaches "
        f"{vec(r.x, 6)} with f = {num(r.fun, 8)} in {r.nit} steps ({r.status}); the "
        "maximum is f(1, 2) = 3."
    )
    fig = plot_contour(
        f,
        [r],
        labels=["gradient ascent (α = 0.1)"],
        minima=(),
        maxima=[(1.0, 2.0)],  # ∇f = (−2(x − 1), −4(y − 2)) = 0
        xlim=(-2.5, 2.5),
        ylim=(-1.5, 3.0),
        title="Gradient ascent: θ ← θ + α∇f climbs to the maximum (1, 2)",
    )
    tour.figure(
        fig,
        "12_gradient_ascent.png",
        "Gradient ascent on a concave function: the path climbs to the maximum (1, 2), the star.",
    )
    return {"x": r.x.tolist(), "fun": r.fun, "nit": r.nit}


def _schedule(tour: Tour) -> dict[str, Any]:
    t = load_dataset("hours_studied")
    exact = least_squares(t.X, t.y)
    model = linear_regression(1, loss="mse")  # the cost of parts 2 and 3
    schedule = time_decay(0.025, k=0.003)
    runs = {
        "constant α = 0.025": fit(
            model, t.X, t.y, lr=0.025, batch_size=1, max_epochs=300, tol=None, seed=0
        ),
        "time decay α = 0.025/(1 + 0.003·t)": fit(
            model, t.X, t.y, lr=schedule, batch_size=1, max_epochs=300, tol=None, seed=0
        ),
    }
    j_min = model.loss_value(exact, t.X, t.y)
    rows = [
        [name, r.n_steps, vec(r.theta, 5), r.loss - j_min, float(np.linalg.norm(r.theta - exact))]
        for name, r in runs.items()
    ]
    tour.say(
        "Stochastic gradient descent (one row per update) keeps bouncing around the "
        "minimum while α stays constant; a decaying α_t = α₀/(1 + k·t) lets it settle. "
        "Learning rates of the schedule: "
        + ", ".join(f"α_{s} = {num(schedule(s), 4)}" for s in (0, 10, 100, 1000))
        + "."
    )
    tour.table(
        ["stochastic GD, 300 epochs", "updates", "θ", "J(θ) − J(θ*)", "‖θ − θ*‖"],
        rows,
        f"A decay schedule (θ* = {vec(exact, 4)}, the least-squares line)",
    )
    fig = plot_loss(
        [excess(r.history.loss, j_min) for r in runs.values()],
        labels=list(runs),
        log=True,
        title="Stochastic GD: constant vs decaying learning rate",
        xlabel="epoch",
        ylabel="J(θ) − J(θ*)",
    )
    tour.figure(
        fig,
        "13_schedule.png",
        "With a constant α the stochastic updates keep the cost noisy; the decaying "
        "schedule settles closer to the minimum.",
    )
    return {name: float(np.linalg.norm(r.theta - exact)) for name, r in runs.items()}


def _clipping(tour: Tour) -> dict[str, Any]:
    f = expression("x**4")
    plain = minimize(f, [10.0], optimizer="sgd", lr=0.01, max_iter=300, tol=1e-6)
    clipped = minimize(f, [10.0], optimizer=chain(clip(10.0), sgd(0.01)), max_iter=300, tol=1e-6)
    tour.say(
        "f(x) = x⁴ from x₀ = 10 with α = 0.01: the first gradient is 4·10³ = 4000, so "
        "the first step jumps to x = −30 and the steps grow without bound. Clipping each "
        "gradient component to [−10, 10] (the articles' clip) caps every step at 0.1."
    )
    rows = [
        ["plain", plain.status, plain.nit, plain.x[0], plain.message],
        ["clip(10)", clipped.status, clipped.nit, clipped.x[0], clipped.message],
    ]
    tour.table(["gradient", "status", "steps", "x", "message"], rows, "Gradient clipping")
    fig = plot_loss(
        [plain, clipped],
        labels=["plain gradient", "clipped to [−10, 10]"],
        title="Gradient clipping on f(x) = x⁴ from x₀ = 10 (α = 0.01)",
        ylabel="f(x) = x⁴",
    )
    tour.figure(
        fig,
        "14_clipping.png",
        "Without clipping f explodes (×: diverged); with it, descent is tame.",
    )
    return {"plain": plain.status, "clipped": clipped.status, "clipped_x": clipped.x[0]}
