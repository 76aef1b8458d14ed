"""Figures that do not mislead: every colour kept in the GIF, paths not hidden, panels that
share their axes, end markers above the stars, the maximum of an ascent marked, labels that
name what is plotted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from PIL import Image

import descend
from descend import plots

#: The Okabe–Ito palette as published (Okabe & Ito, 2008, "Color Universal Design").
PUBLISHED = ["#0072B2", "#D55E00", "#CC79A7", "#000000", "#009E73"]


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def five_paths() -> list[np.ndarray]:
    """Five paths along one diagonal, as five optimizers following one valley would be."""
    t = np.linspace(0, 1, 40)[:, None]
    return [np.hstack([-1 + 2 * t, -1 + 2 * t + 0.002 * k]) for k in range(5)]


def test_the_gif_keeps_every_path_colour(tmp_path: Path) -> None:
    out = plots.animate_race(
        lambda p: p[:, 0] ** 2 + p[:, 1] ** 2,
        [
            np.column_stack([np.linspace(-1, 1, 30), np.full(30, y)])
            for y in (-0.8, -0.4, 0, 0.4, 0.8)
        ],
        ["a", "b", "c", "d", "e"],
        tmp_path / "race.gif",
        xlim=(-1.2, 1.2),
        ylim=(-1.2, 1.2),
        frames=10,
    )
    with Image.open(out) as gif:
        gif.seek(gif.n_frames - 1)
        last = np.asarray(gif.convert("RGB")).reshape(-1, 3)
    present = {tuple(int(c) for c in px) for px in np.unique(last, axis=0)}
    for colour in PUBLISHED:
        assert rgb(colour) in present, colour  # the exact legend colour, not a neighbour


def test_panels_draw_each_path_in_its_own_panel() -> None:
    paths = five_paths()
    fig = plots.plot_contour(
        lambda p: (p[:, 1] - p[:, 0]) ** 2 + 0.1 * p[:, 0] ** 2,
        paths,
        labels=list("abcde"),
        xlim=(-1.5, 1.5),
        ylim=(-1.5, 1.5),
        panels=True,
    )
    drawn = [ax for ax in fig.axes if ax.axison]
    assert [ax.get_title() for ax in drawn] == list("abcde")
    for ax, p, colour in zip(drawn, paths, PUBLISHED, strict=True):
        (line,) = [ln for ln in ax.lines if ln.get_gid() == "path"]
        np.testing.assert_array_equal(line.get_xydata(), p)
        assert line.get_color().upper() == colour
        assert ax.get_xlim() == (-1.5, 1.5) and ax.get_ylim() == (-1.5, 1.5)


def test_learning_rate_panels_share_log_axes_and_can_show_the_excess() -> None:
    j = [np.array([10.0, 5.0, 4.0]), np.array([10.0, 2.0, 1.0 + 1e-9]), np.array([10.0, 1e3, 1e6])]
    fig = plots.plot_learning_rates(j, [0.01, 0.1, 1.0], minimum=1.0)
    a, b, c = fig.axes
    assert a.get_shared_x_axes().joined(a, c) and a.get_shared_y_axes().joined(a, b)
    assert {ax.get_yscale() for ax in fig.axes} == {"log"}
    assert a.get_ylabel() == "J(θ) − J(θ*)"
    np.testing.assert_allclose(b.lines[0].get_ydata(), [9.0, 1.0, 1e-9], rtol=1e-6)


def test_the_end_marker_is_drawn_above_the_minimum_star() -> None:
    r = descend.minimize("x**2 + y**2", [1.0, 1.0], lr=0.5, max_iter=2)  # lands on (0, 0)
    fig = plots.plot_contour("x**2 + y**2", [r], minima=[(0.0, 0.0)])
    ax = fig.axes[0]
    (end,) = [ln for ln in ax.lines if ln.get_gid() == "end"]
    star = max(ax.collections, key=lambda c: c.get_zorder())
    assert end.get_zorder() > star.get_zorder()
    one = descend.minimize("x**2", [1.0], lr=0.5, max_iter=2)
    fig = plots.plot_curve_1d(descend.function("double_well"), one)
    ax = fig.axes[0]
    end_1d = next(ln for ln in ax.lines if ln.get_label() == "end")
    stars = [c for c in ax.collections if c.get_label() == "minimum"]
    assert stars and end_1d.get_zorder() > stars[0].get_zorder()


def test_an_ascent_marks_its_maximum() -> None:
    # 3 − (x − 1)² − 2(y − 2)² has its maximum at (1, 2): ∇f = 0 there.
    fig = plots.plot_contour("3 - (x - 1)**2 - 2*(y - 2)**2", [], minima=(), maxima=[(1.0, 2.0)])
    ax = fig.axes[0]
    assert "maximum" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert "minimum" not in [t.get_text() for t in ax.get_legend().get_texts()]
    offsets = np.concatenate([c.get_offsets() for c in ax.collections if len(c.get_offsets())])
    assert [1.0, 2.0] in offsets.tolist()


def saved_figure(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> Any:
    from typer.testing import CliRunner

    from descend.main import app

    saved: list[Any] = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: saved.append(fig))
    result = CliRunner().invoke(app, ["minimize", *args, "--plot", "/tmp/unused.png", "-q"])
    assert result.exit_code == 0, result.output
    return saved[0]


def test_minimize_plot_of_an_ascent_marks_the_maximum_not_a_minimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fig = saved_figure(monkeypatch, ["4 - x**2 - y**2", "--x0", "1,2", "--maximize", "--lr", "0.1"])
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "maximum" in texts and "minimum" not in texts
    assert fig.axes[0].get_title() == "Gradient ascent on 4 - x**2 - y**2"


def test_minimize_plot_of_many_variables_is_not_labelled_a_loss(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fig = saved_figure(monkeypatch, ["sphere", "--x0", "1,1,1", "--lr", "0.1"])
    assert fig.axes[0].get_ylabel() == "f(θ)"
