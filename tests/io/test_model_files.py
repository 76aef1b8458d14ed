"""descend.save_model / descend.load_model: a fitted estimator round-trips through JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import descend


def _data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(200, 3))
    return X, X @ np.array([1.5, -2.0, 0.5]) + 4.0 + 0.1 * rng.normal(size=200)


def test_a_regressor_predicts_the_same_after_the_round_trip(tmp_path):
    X, y = _data()
    est = descend.GDRegressor(lr="auto", max_epochs=300).fit(X, y)
    path = tmp_path / "reg.json"
    descend.save_model(est, path, target="price")
    saved = descend.load_model(path)
    assert (saved.task, saved.features, saved.target) == ("regression", ["x0", "x1", "x2"], "price")
    np.testing.assert_allclose(saved.predict(X), est.predict(X), rtol=1e-12)
    doc = json.loads(path.read_text())
    # the file holds the raw-feature coefficients: z = X·coef + b by hand
    by_hand = X @ np.array(doc["coef"]) + doc["intercept"]
    np.testing.assert_allclose(saved.predict(X), by_hand, rtol=1e-12)


def test_a_classifier_keeps_its_labels_and_the_frame_s_column_names(tmp_path):
    X, y = _data(1)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    labels = np.where(y > 4.0, "high", "low")
    est = descend.GDClassifier(lr="auto", max_epochs=200, random_state=0).fit(frame, labels)
    path = tmp_path / "clf.json"
    descend.save_model(est, path)
    saved = descend.load_model(path)
    assert saved.features == ["a", "b", "c"] and saved.classes == ["high", "low"]
    assert saved.predict(X).tolist() == est.predict(frame).tolist()


def test_predict_checks_the_number_of_features(tmp_path):
    X, y = _data()
    path = tmp_path / "reg.json"
    descend.save_model(descend.GDRegressor(lr="auto", max_epochs=300).fit(X, y), path)
    with pytest.raises(descend.ShapeError, match="takes 3 feature column"):
        descend.load_model(path).predict(X[:, :2])
