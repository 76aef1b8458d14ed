"""Notebook views (``_repr_html_``) of Result, Table and the estimators."""

from __future__ import annotations

import html
import re

import numpy as np
import sklearn

import descend
from descend.io.table import Table


def cells(text: str) -> dict[str, str]:
    """The rows of a two-column HTML table as {header: cell}."""
    rows = re.findall(r"<tr><th[^>]*>(.*?)</th><td[^>]*>(.*?)</td></tr>", text)
    return {k: html.unescape(v) for k, v in rows}


def test_result_shows_its_fields() -> None:
    # x² from 10 with α = 0.1: x_t = 10·0.8ᵗ, so three steps end at 5.12 and f = 26.2144
    r = descend.minimize("x**2", [10.0], lr=0.1, max_iter=3, tol=0)
    shown = cells(r._repr_html_())
    assert shown["status"] == "max_iter" and shown["nit"] == "3"
    assert shown["x"] == "[5.12]" and shown["fun"] == "26.2144"
    assert shown["message"] == r.message


def test_a_diverged_result_shows_where() -> None:
    r = descend.minimize("x**2", [10.0], lr=1.1, max_iter=1000)
    shown = cells(r._repr_html_())
    assert shown["diverged_at"] == str(r.nit + 1)


def test_table_shows_its_first_rows() -> None:
    t = Table(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([5.0, 6.0]), ("a", "b"), "y<", "m")
    text = t._repr_html_()
    assert "<th>a</th><th>b</th><th>y&lt;</th>" in text  # the names escaped
    assert "<td>1</td><td>2</td><td>5.0</td>" in text
    assert "2 rows, 2 features" in text


def test_estimators_show_scikit_learns_view_and_the_fit() -> None:
    X = np.arange(8.0)[:, None]
    est = descend.GDRegressor(penalty=None).fit(X, 2 * X[:, 0] + 1)
    text = est._repr_html_()
    assert "GDRegressor" in text
    assert f"fitted: <b>{est.status_}</b> after {est.n_iter_} epochs" in text
    with sklearn.config_context(display="text"):
        assert not hasattr(est, "_repr_html_")  # notebooks then fall back to the text repr
