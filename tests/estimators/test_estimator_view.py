"""The notebook view (``_repr_html_``) of the estimators."""

from __future__ import annotations

import numpy as np
import sklearn

import descend


def test_estimators_show_scikit_learns_view_and_the_fit() -> None:
    X = np.arange(8.0)[:, None]
    est = descend.GDRegressor(penalty=None).fit(X, 2 * X[:, 0] + 1)
    text = est._repr_html_()
    assert "GDRegressor" in text
    assert f"fitted: <b>{est.status_}</b> after {est.n_iter_} epochs" in text
    with sklearn.config_context(display="text"):
        assert not hasattr(est, "_repr_html_")  # notebooks then fall back to the text repr
