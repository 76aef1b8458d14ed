"""Engine benchmarks: minimize on 2-D Rosenbrock with Adam, and vectorised random restarts."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import descend

ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"
X0 = np.array([-1.2, 1.0])
LR = 0.01


def rosen_grad(x: np.ndarray) -> np.ndarray:
    b = x[1] - x[0] * x[0]
    return np.array([-2.0 * (1.0 - x[0]) - 400.0 * x[0] * b, 200.0 * b])


def numpy_adam(steps: int) -> np.ndarray:
    """The anchor: Adam written by hand as a plain NumPy loop."""
    x = X0.copy()
    m = np.zeros(2)
    v = np.zeros(2)
    for t in range(1, steps + 1):
        g = rosen_grad(x)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        x = x - LR * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return x


def torch_adam(steps: int) -> object:
    """torch.optim.Adam on the same gradient (computed as the NumPy loop does, no autograd)."""
    import torch

    torch.set_num_threads(1)
    p = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=LR)
    for _ in range(steps):
        p.grad = torch.from_numpy(rosen_grad(p.detach().numpy()))
        opt.step()
    return p


def run(best_of: Callable[[Callable[[], object], int], float]) -> None:
    print("\n== engine: minimize 2-D Rosenbrock with Adam (lr=0.01, tol=0) ==")
    steps = 20_000
    expr = descend.expression(ROSENBROCK)
    descend.minimize(expr, X0, optimizer="adam", lr=LR, max_iter=10, tol=0, engine="compiled")
    compiled = best_of(
        lambda: descend.minimize(
            expr, X0, optimizer="adam", lr=LR, max_iter=steps, tol=0, engine="compiled"
        ),
        5,
    )
    callable_numpy = best_of(
        lambda: descend.minimize(
            lambda x: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2,
            X0,
            grad=rosen_grad,
            optimizer="adam",
            lr=LR,
            max_iter=steps,
            tol=0,
        ),
        3,
    )
    anchor = best_of(lambda: numpy_adam(steps), 3)
    rows = [
        ("descend, compiled engine (expression)", compiled),
        ("descend, NumPy engine (Python callable)", callable_numpy),
        ("plain NumPy loop (anchor)", anchor),
    ]
    try:
        import torch  # noqa: F401

        rows.append(("torch.optim.Adam (same gradient)", best_of(lambda: torch_adam(steps), 3)))
    except ImportError:
        print("(torch not installed: torch.optim.Adam row skipped)")
    for name, seconds in rows:
        us = seconds / steps * 1e6
        print(f"{name:<42} {us:8.2f} µs/step   {anchor / seconds:6.2f}× the NumPy loop")
    print(f"target: descend ≤ 8 µs/step -> {'met' if compiled / steps * 1e6 <= 8 else 'MISSED'}")

    print("\n== engine: 10,000 random restarts × 1,000 Adam steps on 2-D Rosenbrock ==")
    fn = descend.function("rosenbrock")
    box = [(-2.0, 2.0), (-1.0, 3.0)]

    def restarts() -> object:
        return descend.random_restarts(
            fn, 10_000, domain=box, optimizer="adam", lr=LR, max_iter=1000, tol=0, seed=0
        )

    def hand_vectorised() -> np.ndarray:
        rng = np.random.default_rng(0)
        lo, hi = np.array(box).T
        x = lo + (hi - lo) * rng.random((10_000, 2))
        m = np.zeros_like(x)
        v = np.zeros_like(x)
        for t in range(1, 1001):
            b = x[:, 1] - x[:, 0] ** 2
            g = np.stack([-2 * (1 - x[:, 0]) - 400 * x[:, 0] * b, 200 * b], axis=1)
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            x = x - LR * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        return x

    ours = best_of(restarts, 3)
    hand = best_of(hand_vectorised, 3)
    print(f"{'descend.random_restarts':<42} {ours:8.3f} s")
    anchor_name = "hand-written vectorised NumPy (anchor)"
    print(f"{anchor_name:<42} {hand:8.3f} s   ratio {ours / hand:.2f}×")
    print(f"target: ≤ 0.5 s -> {'met' if ours <= 0.5 else 'MISSED'}")
