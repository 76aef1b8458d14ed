"""Figures: real runs drawn, saved and read back; labels, legends, scales and the animation."""

from __future__ import annotations

import io
import os
import re
import stat
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure
from PIL import Image, ImageSequence

import descend
from descend import DescendError, plots
from descend.plots import animation as _plot_animation


def bowl(x: np.ndarray) -> float:
    """J(θ) = θ₀² + 10 θ₁², one point at a time (the form minimize takes)."""
    return float(x[0] ** 2 + 10 * x[1] ** 2)


def bowl_grad(x: np.ndarray) -> np.ndarray:
    return np.array([2 * x[0], 20 * x[1]])


def bowl_batch(points: np.ndarray) -> np.ndarray:
    """The same bowl on a (k, 2) batch."""
    return points[:, 0] ** 2 + 10 * points[:, 1] ** 2


def run(lr: float, optimizer: str = "sgd", max_iter: int = 300) -> descend.Result:
    return descend.minimize(
        bowl, [8.0, 2.0], grad=bowl_grad, optimizer=optimizer, lr=lr, max_iter=max_iter
    )


@pytest.fixture(scope="module")
def runs() -> dict[str, descend.Result]:
    out = {
        "small": run(0.005),
        "right": run(0.05),
        "large": run(0.105),
        "momentum": run(0.02, "momentum"),
    }
    assert [out[k].status for k in ("small", "right", "large")] == [
        "max_iter",
        "converged",
        "diverged",
    ]
    return out


def check_png(fig: Figure, path: Path, dpi: int = 50) -> np.ndarray:
    """Save, read back, and check the size and that something was drawn."""
    written = plots.save_figure(fig, path, dpi=dpi)
    assert written == path and path.stat().st_size > 0
    with Image.open(path) as im:
        expected = tuple(round(v * dpi) for v in fig.get_size_inches())
        assert im.size == expected
        pixels = np.asarray(im.convert("RGB"), dtype=np.float64)
    assert pixels.std() > 20
    differs = np.any(np.abs(pixels - 255.0) > 8, axis=-1).mean()
    assert differs > 0.02, f"only {differs:.1%} of the pixels are not background"
    return pixels


def legend_texts(ax: Any) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def contour_levels(ax: Any) -> np.ndarray:
    filled = next(c for c in ax.collections if isinstance(c, ContourSet) and c.filled)
    return np.asarray(filled.levels, dtype=np.float64)


# --- loss curves --------------------------------------------------------------------------------


def test_plot_loss_labels_log_scale_and_divergence(
    runs: dict[str, descend.Result], tmp_path: Path
) -> None:
    fig = plots.plot_loss(
        [runs["small"], runs["right"], runs["large"]], labels=["α = 0.005", "α = 0.05", "α = 0.105"]
    )
    ax = fig.axes[0]
    assert ax.get_xlabel() == "step" and ax.get_ylabel() and ax.get_title()
    assert legend_texts(ax) == ["α = 0.005", "α = 0.05", "α = 0.105 (diverged)"]
    assert ax.get_yscale() == "log"  # the losses span far more than two decades
    crosses = [ln for ln in ax.lines if ln.get_marker() == "X"]
    assert len(crosses) == 1
    last = len(runs["large"].history.fun) - 1
    assert np.asarray(crosses[0].get_xdata()).tolist() == [last]
    check_png(fig, tmp_path / "loss.png")


def test_plot_loss_linear_when_values_are_close_or_not_positive() -> None:
    assert plots.plot_loss([3.0, 2.5, 2.2, 2.1]).axes[0].get_yscale() == "linear"
    assert plots.plot_loss(np.array([1.0, 0.0, -1.0])).axes[0].get_yscale() == "linear"
    assert plots.plot_loss([10.0, 1.0, 0.01], log=False).axes[0].get_yscale() == "linear"
    assert plots.plot_loss([10.0, 1.0, 0.01]).axes[0].get_yscale() == "log"


def test_plot_loss_accepts_history_arrays_and_non_finite_tails(
    runs: dict[str, descend.Result],
) -> None:
    fig = plots.plot_loss(
        [runs["right"].history, np.array([4.0, 8.0, np.inf])],
        labels=["history", "array"],
        xlabel="epoch",
    )
    ax = fig.axes[0]
    assert ax.get_xlabel() == "epoch"
    assert legend_texts(ax) == ["history", "array (diverged)"]
    cross = next(ln for ln in ax.lines if ln.get_marker() == "X")
    assert np.asarray(cross.get_xydata()).tolist() == [[1.0, 8.0]]


def test_plot_learning_rates_panel_titles(runs: dict[str, descend.Result], tmp_path: Path) -> None:
    results = [runs["small"], runs["right"], runs["large"]]
    fig = plots.plot_learning_rates(results, [0.005, 0.05, 0.105])
    assert len(fig.axes) == 3
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "α = 0.005 — not converged after 300 steps"
    assert titles[1] == f"α = 0.05 — converged in {runs['right'].nit} steps"
    assert titles[2] == f"α = 0.105 — diverged after {runs['large'].diverged_at - 1} steps"
    assert all(ax.get_xlabel() == "step" for ax in fig.axes)
    assert fig.get_suptitle()
    check_png(fig, tmp_path / "lrs.png")
    with pytest.raises(descend.ShapeError, match="one each"):
        plots.plot_learning_rates(results, [0.1])


# --- 1-D curve ----------------------------------------------------------------------------------


def test_plot_curve_1d_iterates_arrows_and_tangents(tmp_path: Path) -> None:
    r = descend.minimize(lambda x: x[0] ** 2, [4.0], grad=lambda x: 2 * x, lr=0.9, max_iter=30)
    fig = plots.plot_curve_1d(lambda x: x**2, r, grad=lambda x: 2 * x)
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "f(x)")
    assert ax.get_title()
    assert legend_texts(ax)[:2] == ["f(x)", "iterates"]
    assert {"start", "end"} <= set(legend_texts(ax))
    assert len(ax.texts) >= 5  # the arrows between iterates
    (tangents,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    for seg in tangents.get_segments():  # each segment has the slope f'(x) = 2x at its middle
        (x0, y0), (x1, y1) = np.asarray(seg)
        assert (y1 - y0) / (x1 - x0) == pytest.approx(2 * (x0 + x1) / 2, rel=1e-9, abs=1e-9)
    check_png(fig, tmp_path / "curve.png")


def test_plot_curve_1d_finite_difference_slopes_match_grad() -> None:
    path = np.array([3.0, 1.5, 0.5])

    def slopes(fig: Figure) -> np.ndarray:
        (lc,) = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)]
        segments = np.asarray(lc.get_segments())
        return np.diff(segments[:, :, 1], axis=1)[:, 0] / np.diff(segments[:, :, 0], axis=1)[:, 0]

    fd = slopes(plots.plot_curve_1d(np.sin, path))
    exact = slopes(plots.plot_curve_1d(np.sin, path, grad=np.cos))
    np.testing.assert_allclose(fd, exact, rtol=1e-6)


# --- contours and surface -----------------------------------------------------------------------


def test_plot_contour_paths_markers_legend_and_log_levels(
    runs: dict[str, descend.Result], tmp_path: Path
) -> None:
    labels = ["sgd", "momentum"]
    fig = plots.plot_contour(
        bowl_batch,
        [runs["right"], runs["momentum"].history],
        labels=labels,
        minima=[(0.0, 0.0)],
        title="The bowl",
    )
    ax = fig.axes[0]
    assert ax.get_title() == "The bowl"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("θ₀", "θ₁")
    assert legend_texts(ax) == [*labels, "start", "end", "minimum"]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for r in (runs["right"], runs["momentum"]):
        xs, ys = r.history.x.T
        assert x0 < xs.min() and xs.max() < x1 and y0 < ys.min() and ys.max() < y1
    stars = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(stars) == 1 and np.asarray(stars[0].get_offsets()).tolist() == [[0.0, 0.0]]
    assert [ln.get_marker() for ln in ax.lines].count("o") >= 2  # the starts
    assert [ln.get_marker() for ln in ax.lines].count("s") == 2  # the ends
    gaps = np.diff(contour_levels(ax))[1:]
    np.testing.assert_allclose(gaps[1:] / gaps[:-1], gaps[1] / gaps[0], rtol=1e-6)  # geometric
    check_png(fig, tmp_path / "contour.png")


def test_plot_contour_saddle_falls_back_to_linear_levels() -> None:
    path = np.column_stack([1.5 * 0.8 ** np.arange(15), 0.01 * 1.3 ** np.arange(15)])
    fig = plots.plot_contour(lambda p: p[:, 0] ** 2 - p[:, 1] ** 2, path)
    levels = contour_levels(fig.axes[0])
    assert levels.min() < 0
    np.testing.assert_allclose(np.diff(levels), np.diff(levels)[0], rtol=1e-6)
    assert legend_texts(fig.axes[0])[0] == "path"


def test_plot_contour_callable_conventions_agree(runs: dict[str, descend.Result]) -> None:
    """A point-wise callable, a batched one and an Objective draw the same map."""
    path = runs["right"]
    objective = descend.Objective(fun=bowl, grad=bowl_grad)
    maps = [plots.plot_contour(f, path, grid=40) for f in (bowl, bowl_batch, objective)]
    levels = [contour_levels(fig.axes[0]) for fig in maps]
    np.testing.assert_allclose(levels[0], levels[1])
    np.testing.assert_allclose(levels[0], levels[2])


def test_plot_contour_reads_a_builtin_like_function(tmp_path: Path) -> None:
    """Anything with ``fun``, ``domain``, ``minima``, ``title`` and ``variables`` is drawn
    with its domain, its minima starred and its names (as descend's built-ins have)."""

    def himmelblau(p: np.ndarray) -> np.ndarray:
        return (p[:, 0] ** 2 + p[:, 1] - 11) ** 2 + (p[:, 0] + p[:, 1] ** 2 - 7) ** 2

    builtin = SimpleNamespace(
        name="himmelblau",
        title="Himmelblau's function",
        n=2,
        domain=((-5.0, 5.0), (-4.0, 4.0)),
        variables=("x", "y"),
        minima=(np.array([3.0, 2.0]), np.array([-2.805118, 3.131312])),
        fun=himmelblau,
    )
    fig = plots.plot_contour(builtin)
    ax = fig.axes[0]
    assert ax.get_title() == "Himmelblau's function"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")
    assert (ax.get_xlim(), ax.get_ylim()) == ((-5.0, 5.0), (-4.0, 4.0))
    assert legend_texts(ax) == ["minimum"]
    (stars,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert np.asarray(stars.get_offsets()).shape == (2, 2)
    check_png(fig, tmp_path / "himmelblau.png")
    with_path = plots.plot_contour(builtin, np.array([[0.0, 0.0], [1.0, 1.0], [3.0, 2.0]]))
    assert with_path.axes[0].get_title() == "Gradient descent on Himmelblau's function"


def test_plot_contour_diverged_path_keeps_sensible_limits(runs: dict[str, descend.Result]) -> None:
    fig = plots.plot_contour(bowl_batch, runs["large"], labels=["α = 0.105"])
    ax = fig.axes[0]
    assert legend_texts(ax)[0] == "α = 0.105 (diverged)"
    assert ax.get_xlim()[1] - ax.get_xlim()[0] < 1000  # not stretched to θ ≈ 1e6
    assert any(ln.get_marker() == "X" for ln in ax.lines)


def test_plot_paths_on_cost_styles(runs: dict[str, descend.Result], tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    batch = runs["right"].history.x
    stochastic = batch + rng.normal(scale=0.2, size=batch.shape)
    labels = ["batch", "stochastic", "mini-batch"]
    fig = plots.plot_paths_on_cost(bowl_batch, [batch, stochastic, batch * 1.02], labels=labels)
    ax = fig.axes[0]
    assert legend_texts(ax)[:3] == labels
    widths = {ln.get_label(): ln.get_linewidth() for ln in ax.lines if ln.get_label() in labels}
    assert widths["stochastic"] < widths["mini-batch"] < widths["batch"]
    check_png(fig, tmp_path / "cost.png")


def test_plot_surface(runs: dict[str, descend.Result], tmp_path: Path) -> None:
    fig = plots.plot_surface(bowl_batch, runs["right"], xlim=(-9, 9), ylim=(-3, 3))
    ax: Any = fig.axes[0]
    assert ax.name == "3d"
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_zlabel()) == ("θ₀", "θ₁", "J")
    assert ax.get_title()
    assert legend_texts(ax) == ["path", "start", "end"]
    check_png(fig, tmp_path / "surface.png")


def test_figures_build_in_threads(runs: dict[str, descend.Result]) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            plots.plot_contour(bowl_batch, runs["right"], grid=60).savefig(
                io.BytesIO(), format="png", dpi=30
            )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_unicode_labels_render_with_dejavu_sans(tmp_path: Path) -> None:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    font = FT2Font(font_manager.findfont("DejaVu Sans"))
    text = "θ₀θ₁α²∇‖×—′"
    assert all(font.get_char_index(ord(c)) != 0 for c in text)
    fig = plots.plot_loss([1.0, 0.5], title=text, xlabel="∇J(θ)", ylabel="α²")
    check_png(fig, tmp_path / "glyphs.png")  # a missing glyph would warn, and warnings fail


# --- files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_save_figure_formats_atomic_and_creates_folders(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / "deep" / "folder" / f"loss{suffix}"
    assert plots.save_figure(plots.plot_loss([3.0, 1.0]), out) == out
    assert out.stat().st_size > 0
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask  # as open(path, "w") makes it


def test_save_figure_rejects_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(DescendError, match=r"\.png, \.svg or \.pdf"):
        plots.save_figure(plots.plot_loss([1.0]), tmp_path / "x.jpg")
    assert list(tmp_path.iterdir()) == []


def test_animate_race_gif_frames(runs: dict[str, descend.Result], tmp_path: Path) -> None:
    out = tmp_path / "race" / "race.gif"
    written = plots.animate_race(
        bowl_batch,
        [runs["right"], runs["momentum"]],
        ["sgd", "momentum"],
        out,
        minima=[(0, 0)],
        fps=10,
        frames=24,
        figsize=(4, 4),
        dpi=60,
    )
    assert written == out and out.stat().st_size > 0
    with Image.open(out) as image:
        im: Any = image
        assert im.size == (240, 240)
        assert im.is_animated
        frames = [
            np.asarray(f.convert("RGB"), dtype=np.float64) for f in ImageSequence.Iterator(im)
        ]
    assert len(frames) == 24
    assert frames[0].std() > 20
    assert np.abs(frames[-1] - frames[0]).max() > 0  # the paths grow
    assert [p.name for p in out.parent.iterdir()] == ["race.gif"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask


def test_animate_race_frames_capped_by_steps(tmp_path: Path) -> None:
    path = np.array([[2.0, 1.0], [1.0, 0.5], [0.5, 0.2], [0.1, 0.0]])
    out = plots.animate_race(
        bowl_batch, [path], ["sgd"], tmp_path / "short.gif", figsize=(3, 3), dpi=40
    )
    with Image.open(out) as im:
        assert sum(1 for _ in ImageSequence.Iterator(im)) == 4


def test_animate_race_mp4_without_ffmpeg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(_plot_animation.shutil, "which", lambda name: None)
    path = np.array([[1.0, 1.0], [0.0, 0.0]])
    with pytest.raises(DescendError, match=re.compile(r"ffmpeg.*missing.*\.gif", re.S)):
        plots.animate_race(bowl_batch, [path], ["sgd"], tmp_path / "race.mp4")
    with pytest.raises(DescendError, match=r"\.gif or \.mp4"):
        plots.animate_race(bowl_batch, [path], ["sgd"], tmp_path / "race.avi")
    assert list(tmp_path.iterdir()) == []
