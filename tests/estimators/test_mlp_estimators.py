"""GDMLPRegressor and GDMLPClassifier: the scikit-learn contract, and scikit-learn's own
MLPRegressor/MLPClassifier as the peer on the same data and architecture."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_moons, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from descend import GDMLPClassifier, GDMLPRegressor, UnknownNameError

SMALL = {"hidden_layer_sizes": (8,), "lr": 0.01, "batch_size": 32, "random_state": 0}
ESTIMATORS = [
    GDMLPRegressor(**SMALL, max_epochs=100, tol=None),
    GDMLPClassifier(**SMALL, max_epochs=100, tol=None),
    GDMLPClassifier(
        hidden_layer_sizes=(6, 6),
        activation="tanh",
        optimizer="sgd",
        lr=0.1,
        batch_size="full",
        max_epochs=200,
        tol=None,
        scale=False,
        random_state=0,
    ),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def moons():
    return make_moons(400, noise=0.2, random_state=0)


def test_classifier_accuracy_matches_sklearn_mlp(moons):
    X, y = moons
    arch = {"hidden_layer_sizes": (16, 16), "activation": "relu", "batch_size": 32}
    ours = GDMLPClassifier(**arch, lr=0.01, max_epochs=200, random_state=0).fit(X, y)
    Xs = StandardScaler().fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLPClassifier(**arch, learning_rate_init=0.01, max_iter=200, random_state=0)
        ref.fit(Xs, y)
    assert abs(ours.score(X, y) - ref.score(Xs, y)) <= 0.02
    assert [W.shape for W in ours.coefs_] == [W.shape for W in ref.coefs_]
    assert ours.n_layers_ == ref.n_layers_ and ours.n_outputs_ == ref.n_outputs_


def test_regressor_r2_matches_sklearn_mlp():
    X, y = make_regression(300, 5, noise=5.0, random_state=0)
    y = y / y.std()
    arch = {"hidden_layer_sizes": (32,), "activation": "tanh", "batch_size": 32}
    ours = GDMLPRegressor(**arch, lr=0.01, max_epochs=300, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = MLPRegressor(**arch, learning_rate_init=0.01, max_iter=300, random_state=0)
        ref.fit(StandardScaler().fit_transform(X), y)
    r2_ref = ref.score(StandardScaler().fit_transform(X), y)
    assert ours.score(X, y) >= r2_ref - 0.01 and ours.score(X, y) > 0.95


def test_coefs_act_on_raw_features(moons):
    """The folded first layer on raw x gives the network's scores on standardised x."""
    X, y = moons
    clf = GDMLPClassifier(hidden_layer_sizes=(5,), max_epochs=5, tol=None, random_state=0)
    clf.fit(3.0 * X + 7.0, y)
    Xs = (3.0 * X + 7.0 - clf.scaler_mean_) / clf.scaler_scale_
    np.testing.assert_allclose(clf.scaler_mean_, (3 * X + 7).mean(axis=0))
    inner = clf._model.decision(clf._theta, Xs)
    z = np.maximum((3 * X + 7) @ clf.coefs_[0] + clf.intercepts_[0], 0)
    z = (z @ clf.coefs_[1] + clf.intercepts_[1])[:, 0]
    np.testing.assert_allclose(z, inner, rtol=1e-10, atol=1e-10)
    proba = clf.predict_proba(3 * X + 7)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-inner)), rtol=1e-12)


def test_multiclass_probabilities_and_labels():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = GDMLPClassifier(
        hidden_layer_sizes=(10,), lr=0.01, batch_size=16, max_epochs=200, tol=None, random_state=0
    ).fit(X, names)
    assert clf.score(X, names) > 0.95 and clf.coefs_[-1].shape == (10, 3)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(proba, axis=1)])


def test_history_holds_layer_gradient_norms(moons):
    X, y = moons
    clf = GDMLPClassifier(hidden_layer_sizes=(4, 4), max_epochs=7, tol=None, random_state=1)
    clf.fit(X, y)
    assert clf.history_.layer_grad_norms.shape == (8, 3)
    assert clf.status_ == "max_epochs" and clf.n_iter_ == 7


def test_same_random_state_same_weights(moons):
    X, y = moons
    a = GDMLPClassifier(hidden_layer_sizes=(4,), max_epochs=3, tol=None, random_state=5).fit(X, y)
    b = GDMLPClassifier(hidden_layer_sizes=(4,), max_epochs=3, tol=None, random_state=5).fit(X, y)
    c = GDMLPClassifier(hidden_layer_sizes=(4,), max_epochs=3, tol=None, random_state=6).fit(X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_convergence_warning_and_divergence(moons):
    X, y = moons
    with pytest.warns(ConvergenceWarning, match="ran max_epochs=2 epochs"):
        GDMLPClassifier(hidden_layer_sizes=(4,), max_epochs=2, random_state=0).fit(X, y)
    big = GDMLPRegressor(hidden_layer_sizes=(16,), init="normal", optimizer="sgd", lr=10.0,
                         random_state=0)  # fmt: skip
    with pytest.warns(ConvergenceWarning, match="diverged"):
        big.fit(X, 100 * y)
    assert big.status_ == "diverged" and all(np.isfinite(W).all() for W in big.coefs_)


def test_partial_fit_continues(moons):
    X, y = moons
    clf = GDMLPClassifier(hidden_layer_sizes=(8,), lr=0.01, batch_size=32, random_state=0)
    clf.partial_fit(X, y, classes=[0, 1])
    first = clf.loss_
    for _ in range(20):
        clf.partial_fit(X, y)
    assert clf.loss_ < first and clf.t_ == 21 * 13


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"activation": "swish"}, UnknownNameError, "unknown activation 'swish'"),
        ({"init": "zeros"}, UnknownNameError, "unknown init 'zeros'"),
        ({"lr": -1.0}, Exception, "lr=-1.0"),
        ({"hidden_layer_sizes": (4, 0)}, Exception, "hidden=0"),
    ],
)
def test_bad_parameters_raise_at_fit_time(moons, params, error, match):
    X, y = moons
    clf = GDMLPClassifier(**params)
    with pytest.raises(error, match=match):
        clf.fit(X, y)
