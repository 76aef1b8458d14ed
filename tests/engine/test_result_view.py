"""The notebook view (``_repr_html_``) of a Result."""

from __future__ import annotations

import html
import re

import descend


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
