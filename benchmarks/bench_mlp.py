"""MLP benchmarks: GDMLPClassifier/GDMLPRegressor against scikit-learn's MLPClassifier and
MLPRegressor on the same standardised data, architecture, optimizer (Adam, lr = 1e-3),
batch size (200), Glorot-uniform initialisation and number of epochs; held-out accuracy (R² for
regression) and fit time."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

EPOCHS = 100
BATCH = 200


def datasets() -> list[tuple[str, str, Any, Any, tuple[int, ...]]]:
    from sklearn.datasets import load_digits, make_moons, make_regression

    X_d, y_d = load_digits(return_X_y=True)
    X_m, y_m = make_moons(2000, noise=0.25, random_state=0)
    X_r, y_r = make_regression(2000, 20, n_informative=10, noise=10.0, random_state=0)
    y_r = (y_r - y_r.mean()) / y_r.std()
    return [
        ("digits (1,797 × 64, 10 classes)", "classifier", X_d, y_d, (64,)),
        ("make_moons (2,000 × 2)", "classifier", X_m, y_m, (32, 32)),
        ("make_regression (2,000 × 20)", "regressor", X_r, y_r, (64,)),
    ]


def full_pass(est: Any, X: Any, y: Any, kind: str, best_of: Any) -> float:
    """Seconds of one full-batch (J, ∇J) of the fitted network, as fit runs after each epoch."""
    from threadpoolctl import threadpool_limits

    model, theta = est._model, est._theta
    if kind == "classifier":
        codes = np.searchsorted(est.classes_, y)
        y = codes if model.n_outputs > 1 else codes.astype(np.float64)
    with threadpool_limits(limits=1, user_api="blas"):
        return float(best_of(lambda: model.value_and_grad(theta, X, y), 5))


def run(best_of: Callable[[Callable[[], object], int], float]) -> None:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.preprocessing import StandardScaler

    from descend.estimators.mlp import GDMLPClassifier, GDMLPRegressor

    print(f"\n== mlp: GDMLP* vs scikit-learn's MLP* (Adam lr=1e-3, batch {BATCH}, {EPOCHS} epochs, "
          "ReLU) ==")  # fmt: skip
    header = f"{'data set':<34} {'hidden':<9} {'descend':>8} {'sklearn':>8} "
    print(header + f"{'descend s':>10} {'sklearn s':>10} {'speed-up':>9}")
    for name, kind, X, y, hidden in datasets():
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        common = {"hidden_layer_sizes": hidden, "activation": "relu", "batch_size": BATCH}
        # sklearn divides α by the batch size; descend does not: the same penalty is α/b here
        ours_cls = GDMLPClassifier if kind == "classifier" else GDMLPRegressor
        ref_cls = MLPClassifier if kind == "classifier" else MLPRegressor
        # init: scikit-learn draws Glorot-uniform weights; descend's "xavier_uniform" is that
        ours = ours_cls(**common, init="xavier_uniform", alpha=1e-4 / BATCH, lr=1e-3,
                        max_epochs=EPOCHS, tol=None, scale=False, random_state=0)  # fmt: skip
        ref = ref_cls(**common, alpha=1e-4, learning_rate_init=1e-3, max_iter=EPOCHS, tol=0.0,
                      n_iter_no_change=EPOCHS + 1, random_state=0)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t_ours = best_of(lambda: ours.fit(X_train, y_train), 3)  # noqa: B023
            t_ref = best_of(lambda: ref.fit(X_train, y_train), 3)  # noqa: B023
        assert ours.n_iter_ == EPOCHS and ref.n_iter_ == EPOCHS
        s_ours, s_ref = ours.score(X_test, y_test), ref.score(X_test, y_test)
        t_eval = (EPOCHS + 1) * full_pass(ours, X_train, y_train, kind, best_of)
        print(f"{name:<34} {hidden!s:<9} {s_ours:8.4f} {s_ref:8.4f} {t_ours:10.3f} "
              f"{t_ref:10.3f} {t_ref / t_ours:8.2f}×")  # fmt: skip
        print(
            f"{'':<34} of descend's fit, the full-batch J and ∇J after each epoch (history, "
            f"stopping): {t_eval:.3f} s; without them {t_ref / (t_ours - t_eval):.2f}×"
        )
    print("(scores on a held-out quarter: accuracy for the classifiers, R² for the regressor)")


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from run import best_of

    run(best_of)
