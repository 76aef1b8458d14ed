"""The notebook view (``_repr_html_``) of a Table."""

from __future__ import annotations

import numpy as np

from descend import Table


def test_table_shows_its_first_rows() -> None:
    t = Table(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([5.0, 6.0]), ("a", "b"), "y<", "m")
    text = t._repr_html_()
    assert "<th>a</th><th>b</th><th>y&lt;</th>" in text  # the names escaped
    assert "<td>1</td><td>2</td><td>5.0</td>" in text
    assert "2 rows, 2 features" in text
