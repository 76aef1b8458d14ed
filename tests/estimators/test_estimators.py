"""GDRegressor and GDClassifier: the scikit-learn contract, and numbers from outside the code.

The reference values come from NumPy's ``lstsq`` and scikit-learn's closed-form or
second-order solvers (Ridge, LogisticRegression), never from descend itself. With the objective
J = (1/m)·Σ l + α/2·‖w‖², multiplying by 2m gives Ridge's ‖y − Xw‖² + (α·m)‖w‖², and dividing
by α·m gives LogisticRegression's C·Σ log-loss + ½‖w‖² with C = 1/(α·m).
"""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from descend import DataError, GDClassifier, GDRegressor, adam

ESTIMATORS = [
    GDRegressor(),
    GDRegressor(loss="huber", scale=False),
    GDRegressor(batch_size=16, optimizer="adam", lr=0.1, random_state=0),
    GDClassifier(),
    GDClassifier(scale=False),
    GDClassifier(loss="softmax"),
    GDClassifier(loss="hinge"),
    GDClassifier(batch_size=16, random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=300, n_features=8, noise=5.0, bias=3.0, random_state=0)
    return X, y


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def rel_err(a, b):
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


# -- numbers from outside the code ------------------------------------------------------------


@pytest.mark.parametrize("scale", [True, False])
def test_regressor_matches_lstsq(regression, scale):
    X, y = regression
    beta = np.linalg.lstsq(np.column_stack([np.ones(len(X)), X]), y, rcond=None)[0]
    reg = GDRegressor(penalty=None, tol=1e-12, max_epochs=5000, scale=scale).fit(X, y)
    assert rel_err(reg.coef_, beta[1:]) < 1e-6
    assert reg.intercept_ == pytest.approx(beta[0], rel=1e-6)


def test_l2_matches_ridge_with_alpha_times_m(regression):
    X, y = regression
    alpha, m = 0.1, len(X)
    ridge = Ridge(alpha=alpha * m).fit(X, y)
    reg = GDRegressor(penalty="l2", alpha=alpha, tol=1e-12, max_epochs=5000, scale=False)
    reg.fit(X, y)
    assert rel_err(reg.coef_, ridge.coef_) < 1e-6
    assert reg.intercept_ == pytest.approx(ridge.intercept_, rel=1e-6)


def test_l2_with_scale_penalises_standardised_weights(regression):
    X, y = regression
    alpha, m = 0.1, len(X)
    scaler = StandardScaler().fit(X)
    ridge = Ridge(alpha=alpha * m).fit(scaler.transform(X), y)
    reg = GDRegressor(alpha=alpha, tol=1e-12, max_epochs=5000).fit(X, y)
    assert rel_err(reg.coef_, ridge.coef_ / scaler.scale_) < 1e-6
    np.testing.assert_allclose(reg.scaler_mean_, scaler.mean_)
    np.testing.assert_allclose(reg.scaler_scale_, scaler.scale_)


def test_log_loss_matches_logistic_regression():
    X, y = make_classification(n_samples=500, n_features=10, random_state=0)
    alpha, m = 1e-3, len(X)
    ref = LogisticRegression(C=1 / (alpha * m), tol=1e-10, max_iter=10_000).fit(X, y)
    clf = GDClassifier(alpha=alpha, tol=1e-12, max_epochs=5000, scale=False).fit(X, y)
    np.testing.assert_allclose(clf.coef_, ref.coef_, atol=1e-5)
    default = GDClassifier().fit(X, y)  # default settings: accuracy within 1 %
    assert abs(default.score(X, y) - ref.score(X, y)) <= 0.01
    assert clf.coef_.shape == (1, 10) and clf.intercept_.shape == (1,)


def test_multinomial_on_iris_is_not_one_vs_rest(iris):
    X, y = iris
    alpha, m = 1e-3, len(X)
    clf = GDClassifier(alpha=alpha, tol=1e-12, max_epochs=5000).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert clf.score(X, y) >= 0.95
    assert clf.coef_.shape == (3, 4) and clf.intercept_.shape == (3,)
    # scale=True: the same model as sklearn's multinomial fit on standardised features
    Xs = StandardScaler().fit_transform(X)
    C = 1 / (alpha * m)
    multinomial = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(Xs, y)
    np.testing.assert_allclose(proba, multinomial.predict_proba(Xs), atol=1e-4)
    ovr = OneVsRestClassifier(LogisticRegression(C=C, tol=1e-12, max_iter=10_000)).fit(Xs, y)
    assert np.max(np.abs(proba - ovr.predict_proba(Xs))) > 0.1
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), atol=1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "mse", "absolute_error", "huber"])
@pytest.mark.parametrize("batch_size", ["full", 32])
def test_every_regression_loss_fits(regression, loss, batch_size):
    X, y = regression
    reg = GDRegressor(loss=loss, batch_size=batch_size, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.99 and reg.n_iter_ < 1000


# -- scaling, divergence, convergence ---------------------------------------------------------


def test_scaled_internal_model_and_raw_coef_agree(regression, iris):
    X, y = regression
    reg = GDRegressor().fit(X, y)
    Xs = (X - reg.scaler_mean_) / reg.scaler_scale_
    np.testing.assert_allclose(reg.predict(X), reg._model.decision(reg._theta, Xs), rtol=1e-10)
    np.testing.assert_allclose(reg.predict(X), X @ reg.coef_ + reg.intercept_)
    X, y = iris
    clf = GDClassifier().fit(X, y)
    Xs = (X - clf.scaler_mean_) / clf.scaler_scale_
    z = clf._model.decision(clf._theta, Xs)
    np.testing.assert_allclose(clf.decision_function(X), z, rtol=1e-10, atol=1e-10)


def test_scale_fixes_badly_scaled_features(regression):
    X, y = regression
    X = X.copy()
    X[:, 0] *= 1000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scaled = GDRegressor(lr=0.1).fit(X, y)
    assert scaled.score(X, y) > 0.99
    with pytest.warns(ConvergenceWarning, match=r"diverged at epoch \d+.*scale=True"):
        raw = GDRegressor(lr=0.1, scale=False).fit(X, y)
    assert np.isfinite(raw.coef_).all() and np.isfinite(raw.intercept_)
    assert not hasattr(raw, "scaler_mean_")


def test_convergence_warning_when_max_epochs_run_out(regression):
    X, y = regression
    with pytest.warns(ConvergenceWarning, match="max_epochs=1"):
        reg = GDRegressor(max_epochs=1).fit(X, y)
    assert reg.n_iter_ == 1 and len(reg.history_) == 2


def test_status_converged_for_a_normal_fit(regression, iris):
    X, y = regression
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = GDRegressor().fit(X, y)
        clf = GDClassifier(alpha=1e-3).fit(*iris)
    for est in (reg, clf):
        assert est.status_ == "converged"
        assert est.message_.startswith("converged: the training loss improved by less than")


def test_status_diverged_with_a_huge_lr_on_unscaled_data(regression):
    X, y = regression
    X = X * np.array([1000.0] + [1.0] * (X.shape[1] - 1))
    with pytest.warns(ConvergenceWarning, match="diverged"):
        reg = GDRegressor(lr=10.0, scale=False, penalty=None).fit(X, y)
    assert reg.status_ == "diverged"
    assert reg.message_.startswith("diverged at epoch")
    assert "lower the learning rate" in reg.message_
    assert np.isfinite(reg.coef_).all() and np.isfinite(reg.intercept_)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        clf = GDClassifier(lr=1e9, scale=False, penalty=None).fit(X, y > np.median(y))
    assert clf.status_ == "diverged" and np.isfinite(clf.coef_).all()


def test_status_max_epochs_and_partial_fit(regression, iris):
    X, y = regression
    with pytest.warns(ConvergenceWarning, match="max_epochs=2"):
        reg = GDRegressor(max_epochs=2).fit(X, y)
    assert reg.status_ == "max_epochs"
    assert reg.message_ == "ran max_epochs=2 epochs, still improving"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one epoch is all partial_fit asks for: no warning
        reg.partial_fit(X, y)
        clf = GDClassifier().partial_fit(*iris, classes=[0, 1, 2])
    for est in (reg, clf):
        assert est.status_ == "max_epochs" and "max_epochs=1" in est.message_
    reg.set_params(max_epochs=1000).fit(X, y)  # a later fit replaces them
    assert reg.status_ == "converged"


def test_fit_intercept_false_scales_without_centring(regression):
    X, y = regression
    reg = GDRegressor(fit_intercept=False, penalty=None, tol=1e-12).fit(X, y - 3.0)
    assert reg.intercept_ == 0.0
    np.testing.assert_array_equal(reg.scaler_mean_, 0.0)
    beta = np.linalg.lstsq(X, y - 3.0, rcond=None)[0]
    assert rel_err(reg.coef_, beta) < 1e-6


# -- inputs -----------------------------------------------------------------------------------


def test_pandas_and_polars_inputs(regression):
    X, y = regression
    names = [f"x{i}" for i in range(X.shape[1])]
    ref = GDRegressor().fit(X, y)
    frames = [pd.DataFrame(X, columns=names), pl.DataFrame(X, schema=names)]
    for frame, target in zip(frames, [pd.Series(y), pl.Series(y)], strict=True):
        reg = GDRegressor().fit(frame, target)
        np.testing.assert_allclose(reg.coef_, ref.coef_, rtol=1e-12)
        assert list(reg.feature_names_in_) == names
        np.testing.assert_allclose(reg.predict(frame), ref.predict(X))


def test_polars_frame_with_string_labels(iris):
    X, y = iris
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    frame = pl.DataFrame(X, schema=["a", "b", "c", "d"])
    clf = GDClassifier().fit(frame, pl.Series(labels))
    assert list(clf.classes_) == ["setosa", "versicolor", "virginica"]
    assert (clf.predict(frame) == labels).mean() >= 0.95


def test_binary_string_labels_and_hinge():
    X, y = make_classification(n_samples=300, n_features=5, random_state=1)
    labels = np.where(y == 1, "spam", "ham")
    for loss in ("log_loss", "hinge"):
        clf = GDClassifier(loss=loss).fit(X, labels)
        assert list(clf.classes_) == ["ham", "spam"]
        pred = clf.predict(X)
        np.testing.assert_array_equal(pred == "spam", clf.decision_function(X) > 0)
        assert (pred == labels).mean() > 0.85  # LinearSVC and LogisticRegression: 0.89
    assert not hasattr(clf, "predict_proba")  # hinge: no probabilities
    assert hasattr(GDClassifier(loss="log_loss"), "predict_proba")


def test_extreme_scores_keep_finite_log_probabilities():
    X = np.array([[-1.0], [-0.5], [0.5], [1.0]])
    clf = GDClassifier(penalty=None, max_epochs=50, tol=None).fit(X, [0, 0, 1, 1])
    logp = clf.predict_log_proba(np.array([[-1e4], [1e4]]))
    assert np.isfinite(logp).all()


# -- partial_fit, seeds, optimizers -----------------------------------------------------------


def test_partial_fit_over_chunks_approaches_full_fit(regression):
    X, y = regression
    full = GDRegressor(tol=1e-12).fit(X, y)
    reg = GDRegressor(lr=0.1)
    chunks = np.array_split(np.arange(len(X)), 4)
    errors = []
    for _ in range(150):
        for rows in chunks:
            reg.partial_fit(X[rows], y[rows])
        errors.append(rel_err(reg.coef_, full.coef_))
    assert errors[-1] < 1e-2 and errors[-1] < errors[0] / 10
    assert reg.t_ == 600 and reg.n_iter_ == 1


def test_partial_fit_continues_a_fit_and_checks_classes(iris):
    X, y = iris
    clf = GDClassifier(max_epochs=3, tol=None).fit(X, y)
    t = clf.t_
    clf.partial_fit(X, y)
    assert clf.t_ == t + 1
    with pytest.raises(ValueError, match="classes must be passed"):
        GDClassifier().partial_fit(X, y)
    clf = GDClassifier().partial_fit(X[:60], y[:60], classes=[0, 1, 2])
    assert clf.coef_.shape == (3, 4)
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:5], np.full(5, 7))


def test_same_random_state_same_coefficients(regression):
    X, y = regression
    params = dict(batch_size=8, lr=0.01, max_epochs=20, tol=None)
    a = GDRegressor(random_state=3, **params).fit(X, y)
    b = clone(a).fit(X, y)
    c = GDRegressor(random_state=4, **params).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    assert not np.array_equal(a.coef_, c.coef_)


def test_lr_attribute_and_optimizers(regression):
    X, y = regression
    assert GDRegressor(lr=0.05, tol=None, max_epochs=5).fit(X, y).lr_ == 0.05
    auto = GDRegressor(batch_size=32, random_state=0).fit(X, y)
    assert 0 < auto.lr_ < 10 and auto.score(X, y) > 0.99
    own = GDRegressor(optimizer=adam(0.05), lr=None, batch_size=32, random_state=0).fit(X, y)
    assert own.lr_ == 0.05 and own.score(X, y) > 0.99
    early = GDRegressor(early_stopping=True, random_state=0).fit(X, y)
    assert np.isfinite(early.history_.val_loss[1:]).all()
    assert pickle.loads(pickle.dumps(auto)).predict(X[:3]) == pytest.approx(auto.predict(X[:3]))


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"loss": "nope"}, "unknown loss='nope'"),
        ({"batch_size": 0}, "batch_size=0 must be >= 1"),
        ({"lr": -1}, "lr=-1 must be a positive"),
        ({"lr": "fast"}, "lr='fast'"),
        ({"optimizer": "nope"}, "unknown optimizer 'nope'"),
        ({"penalty": "l3"}, "penalty='l3'"),
        ({"alpha": -1.0}, "alpha=-1.0"),
        ({"max_epochs": -1}, "max_epochs=-1"),
    ],
)
def test_bad_parameters_raise_at_fit_time(regression, params, match):
    X, y = regression
    reg = GDRegressor(**params)  # __init__ only stores
    with pytest.raises(ValueError, match=match):
        reg.fit(X, y)


def test_hinge_with_three_classes_is_refused(iris):
    X, y = iris
    with pytest.raises(ValueError, match=r"Only binary classification.*use loss='log_loss'"):
        GDClassifier(loss="hinge").fit(X, y)
    with pytest.raises(ValueError, match="unknown loss='squared_error'"):
        GDClassifier(loss="squared_error").fit(X, y)
    with pytest.raises(ValueError, match="one class"):
        GDClassifier().fit(X[:10], y[:10])


def test_scaler_by_blocks_equals_numpy_std(monkeypatch: pytest.MonkeyPatch) -> None:
    import descend.estimators.linear as est
    import descend.models.scaling as scaling

    monkeypatch.setattr(scaling, "BLOCK_ROWS", 7)  # 50 rows: seven full blocks and a short one
    rng = np.random.default_rng(3)
    X = rng.normal(5.0, 3.0, size=(50, 4)) * [1.0, 10.0, 0.1, 1000.0]
    y = X @ [1.0, -2.0, 3.0, 0.001] + 1.0
    reg = est.GDRegressor(penalty=None, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(reg.scaler_mean_, X.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(reg.scaler_scale_, X.std(axis=0), rtol=1e-12)


@pytest.mark.parametrize("batch_size", [1, 16, "full"])
@pytest.mark.parametrize(
    ("make", "loss"),
    [(GDRegressor, "squared_error"), (GDRegressor, "huber"), (GDClassifier, "log_loss"),
     (GDClassifier, "hinge"), (GDClassifier, "softmax")],
)  # fmt: skip
def test_scale_true_equals_standard_scaler_then_scale_false(make, loss, batch_size) -> None:
    """scale=True (the kernels standardise on the fly, nothing copied) against scikit-learn's
    StandardScaler followed by scale=False, the coefficients folded back by hand."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(300, 4)) * [1.0, 40.0, 0.05, 3.0] + [2.0, -100.0, 0.3, 0.0]
    score = (X - X.mean(axis=0)) / X.std(axis=0) @ [1.0, -0.5, 0.8, 0.2]
    y = score + 0.1 * rng.normal(size=300) if make is GDRegressor else np.digitize(score, [-0.3])
    if loss == "softmax":
        y = np.digitize(score, [-0.5, 0.5])
    kw = dict(loss=loss, optimizer="adam", lr=0.01, batch_size=batch_size, max_epochs=4,
              tol=None, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = make(**kw).fit(X, y)
        std = StandardScaler().fit(X)
        ref = make(scale=False, **kw).fit(std.transform(X), y)
    coef = np.atleast_2d(ref.coef_) / std.scale_
    intercept = np.ravel(ref.intercept_) - coef @ std.mean_
    np.testing.assert_allclose(np.atleast_2d(ours.coef_), coef, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.ravel(ours.intercept_), intercept, rtol=1e-9, atol=1e-12)


def test_a_small_first_fit_does_not_load_numba() -> None:
    """A fit too short to repay loading the kernels keeps to the NumPy reference."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from descend import GDRegressor\n"
        "X = np.random.default_rng(0).normal(size=(50, 3)); y = X @ [1.0, 2.0, 3.0] + 1.0\n"
        "r = GDRegressor().fit(X, y)\n"
        "print('numba' in sys.modules, round(r.score(X, y), 6))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "1.0"]


def test_scale_true_with_the_range_test_equals_standard_scaler() -> None:
    """lr="auto" with mini-batches: the range test reads its rows standardised as it gathers
    them; the rate it picks and the fit equal those on a StandardScaler copy."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 3)) * [1.0, 25.0, 0.1] + [3.0, -40.0, 1.0]
    y = (X - X.mean(axis=0)) / X.std(axis=0) @ [1.0, -2.0, 0.5] + 0.2 * rng.normal(size=400)
    kw = dict(batch_size=8, max_epochs=3, tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = GDRegressor(**kw).fit(X, y)
        std = StandardScaler().fit(X)
        ref = GDRegressor(scale=False, **kw).fit(std.transform(X), y)
    assert ours.lr_ == pytest.approx(ref.lr_, rel=1e-12)
    np.testing.assert_allclose(ours.coef_, ref.coef_ / std.scale_, rtol=1e-9)


@pytest.mark.parametrize("scale", [True, False])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_missing_value_is_named_however_large_x(scale: bool, bad: float) -> None:
    """X is checked once (by the compiled μ, σ pass when scaling a large X, else by its own
    pass): the error names the first bad value's place, on a small and on a large X."""
    rng = np.random.default_rng(0)
    for m in (50, 12_000):  # 12,000 × 100 is above the compiled moments' threshold
        X = rng.normal(size=(m, 100))
        X[m - 7, 42] = bad
        X[m - 3, 5] = bad
        y = rng.normal(size=m)
        est = GDRegressor(scale=scale, max_epochs=1, batch_size=1, tol=None)
        with pytest.raises(DataError, match=f"at row {m - 7}, column 42"):
            est.fit(X, y)
        X[m - 7, 42] = X[m - 3, 5] = 1e300  # huge but finite: trains, or reports divergence
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        assert est.status_ in ("max_epochs", "diverged")


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int64, np.uint8, np.uint32])
def test_integer_labels_by_counting_equal_unique_and_searchsorted(dtype: Any) -> None:
    from descend.estimators.base import class_codes, class_labels

    info = np.iinfo(dtype)
    rng = np.random.default_rng(0)
    for span in ((info.min, info.min + 3), (info.max - 4, info.max), (0, 2)):
        values = np.array([span[0], span[1], (span[0] + span[1]) // 2], dtype=dtype)
        y = rng.choice(values, size=500)
        labels = class_labels(GDClassifier(), y, None, True, False)
        np.testing.assert_array_equal(labels, np.unique(y))
        assert labels.dtype == y.dtype
        np.testing.assert_array_equal(class_codes(labels, y), np.searchsorted(np.unique(y), y))
        with pytest.raises(DataError, match="not in classes_"):
            class_codes(labels[:2], y)
    wide = np.array([0, 1 << 40, 5], dtype=np.int64)  # a span too wide to count: sorted
    np.testing.assert_array_equal(class_labels(GDClassifier(), wide, None, True, False),
                                  [0, 5, 1 << 40])  # fmt: skip
