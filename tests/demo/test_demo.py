"""The demo tour end to end: run once into a temporary folder, then check what it wrote.

The run is shared by every test of this module (a module-scoped fixture): it is the slowest
test of the suite, about ten seconds. Its numbers are checked against closed forms and against
numpy's exact least squares; every figure is checked to exist, to be referenced by index.html,
to have a sensible size and not to be blank.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageSequence
from rich.console import Console

from descend import function
from descend.demo.tour import run_demo


@pytest.fixture(scope="module")
def tour(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo")
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, force_terminal=False, color_system=None)
    summary = run_demo(out, console=console)
    summary["printed"] = buffer.getvalue()
    summary["html"] = (out / "index.html").read_text(encoding="utf-8")
    return summary


def images(summary: dict[str, Any]) -> list[Path]:
    return [Path(p) for p in summary["figures"]]


def test_report_exists_and_references_every_figure(tour: dict[str, Any]) -> None:
    report = Path(tour["report"])
    assert report.name == "index.html" and report.parent == Path(tour["out_dir"])
    sources = set(re.findall(r'<img src="([^"]+)"', tour["html"]))
    on_disk = {p.name for p in Path(tour["out_dir"]).iterdir() if p.suffix in (".png", ".gif")}
    assert {p.name for p in images(tour)} == on_disk == sources
    assert len(on_disk) >= 12
    assert not [p for p in Path(tour["out_dir"]).iterdir() if p.name.startswith(".")]


def test_every_png_is_a_real_picture(tour: dict[str, Any]) -> None:
    for path in images(tour):
        assert path.stat().st_size > 10_000, path
        with Image.open(path) as im:
            width, height = im.size
            assert 500 <= width <= 2000 and 350 <= height <= 1200, (path, im.size)
            pixels = np.asarray(im.convert("L"), dtype=np.float64)
            assert pixels.std() > 20, f"{path.name} looks blank"
            if path.suffix == ".png":
                assert im.format == "PNG"


def test_the_race_is_an_animated_gif(tour: dict[str, Any]) -> None:
    gifs = [p for p in images(tour) if p.suffix == ".gif"]
    assert len(gifs) == 1
    with Image.open(gifs[0]) as im:
        assert im.format == "GIF" and im.is_animated and im.n_frames > 10
        frames = [np.asarray(f.convert("L"), dtype=np.float64) for f in ImageSequence.Iterator(im)]
    assert np.abs(frames[0] - frames[-1]).mean() > 0.1  # the paths move


def test_parabola_steps_are_exact(tour: dict[str, Any]) -> None:
    x = np.array(tour["parts"]["parabola"]["x"])
    np.testing.assert_allclose(x, 10 * 0.8 ** np.arange(11), rtol=1e-12)
    # 2·10·0.8^t < 2e-6 first at t = 73: the tolerance test on the gradient norm
    assert tour["parts"]["parabola"]["steps_to_1e-6"] == 73


def test_regression_reaches_least_squares(tour: dict[str, Any]) -> None:
    part = tour["parts"]["regression"]
    np.testing.assert_allclose(part["least_squares"], [2.2, 0.6], rtol=1e-12)
    for name in ("momentum", "nesterov", "adam"):
        np.testing.assert_allclose(part["optimizers"][name], [2.2, 0.6], atol=1e-3)
    exact = np.array(part["house_prices"]["least_squares"])
    np.testing.assert_allclose(part["house_prices"]["batch (line search)"], exact, rtol=1e-3)


def test_seed_printout_and_exact_numbers_are_both_shown(tour: dict[str, Any]) -> None:
    # the seeds' program: epoch 0 loss mean(y²) = 86/5 = 17.2, then m = 0.264, b = 0.08
    for text in (tour["printed"], html.unescape(tour["html"])):
        assert "17.2" in text and "0.264" in text and "0.08" in text
        assert "0.4714" in text  # the article's printed value, quoted next to the exact one
        assert "Found minimum!" in text


def test_learning_rates_too_small_right_too_large(tour: dict[str, Any]) -> None:
    part = tour["parts"]["learning_rates"]
    assert part["0.001"]["status"] == "max_iter"
    assert part["0.07"]["status"] == "converged"
    assert part["0.1"]["status"] == "diverged"
    # one step count: the table's steps, its message and the figure's title agree
    assert f"diverged after {part['0.1']['nit']} steps" in tour["printed"]
    assert "diverged at step" not in tour["printed"]


def test_one_cost_convention_stated_once(tour: dict[str, Any]) -> None:
    # least squares on x = 1..5, y = 2, 4, 5, 4, 5: y = 2.2 + 0.6x, residuals −0.8, 0.6, 1,
    # −0.6, −0.2, so (1/n)·Σr² = 2.4/5 = 0.48, and no other J(θ*) appears
    text = html.unescape(tour["html"])
    assert "J(θ) = (1/n)·Σᵢ(h(xᵢ) − yᵢ)² over the n rows" in text
    assert text.count("J(θ) = (1/n)·Σᵢ") == 1
    assert "1/(2m)" not in text and not re.search(r"(?<![\d.])0\.24(?!\d)", text)
    assert "least-squares minimum J(θ*) = 0.48" in text


def test_the_articles_are_described_not_named(tour: dict[str, Any]) -> None:
    text = html.unescape(tour["html"]).lower()
    assert "four introductory articles on gradient descent" in text
    for phrase in ("seed article", "the seed's", "the seeds'", "seed's printout"):
        assert phrase not in text


def test_strategies_find_the_global_minimum(tour: dict[str, Any]) -> None:
    dw = function("double_well")
    part = tour["parts"]["global_minimum"]
    assert part["descent"] == pytest.approx(dw.local_minima[0][0], abs=1e-5)
    assert part["restarts"] == pytest.approx(dw.minima[0][0], abs=1e-5)
    assert part["annealing"] == pytest.approx(dw.minima[0][0], abs=1e-3)


def test_race_saddle_ascent_schedule_clipping(tour: dict[str, Any]) -> None:
    race = tour["parts"]["race"]
    assert set(race["saddle"]) == {"sgd", "momentum", "rmsprop", "adam", "adagrad"}
    adam = next(v for k, v in race["rosenbrock"].items() if k.startswith("adam"))
    np.testing.assert_allclose(adam["x"], [1.0, 1.0], atol=1e-3)
    tools = tour["parts"]["tools"]
    np.testing.assert_allclose(tools["ascent"]["x"], [1.0, 2.0], atol=1e-6)
    clipping = tools["clipping"]
    assert clipping["plain"] == "diverged" and clipping["clipped"] == "max_iter"
    assert 0 < clipping["clipped_x"] < 1  # 300 capped steps bring x from 10 below 1
    const, decay = tools["schedule"].values()
    assert decay < const  # the decaying learning rate settles closer to θ*


def test_html_is_escaped_and_self_contained(tour: dict[str, Any]) -> None:
    text = tour["html"]
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "http://" not in text and "https://" not in text  # nothing fetched from outside
    body = re.sub(r"<[^>]+>", "", text.split("<body>", 1)[1])
    assert "<" not in body and ">" not in body  # every text escaped
    for section in ("parabola", "regression", "learning-rate", "race", "minima", "tools"):
        assert f'id="{section}"' in text


def test_deep_network_gradients_vanish_explode_and_are_fixed(tour: dict[str, Any]) -> None:
    part = tour["parts"]["deep"]
    runs = part["runs"]
    sigmoid, big, he, clipped, adam = runs.values()
    # σ′ ≤ ¼ per layer: the first layer's gradient is decades below the last's
    assert sigmoid["layer_grad_norms_0"][0] < 1e-4 * sigmoid["layer_grad_norms_0"][-1]
    assert sigmoid["loss"] == pytest.approx(np.log(2), abs=1e-3)  # a coin toss: nothing learnt
    assert min(big["layer_grad_norms_0"]) > 100 * max(he["layer_grad_norms_0"])
    assert big["status"] == "diverged" and clipped["status"] == "max_epochs"
    assert he["accuracy"] > 0.95 and clipped["accuracy"] > 0.9 and adam["accuracy"] > 0.8
    saddle = part["saddle"]
    assert saddle["full"]["status"] == "converged"
    np.testing.assert_allclose(saddle["full"]["x"], [0.0, 0.0], atol=1e-7)  # the saddle
    assert saddle["noisy"]["fun"] == pytest.approx(-0.25, abs=0.01)  # a minimum, f = −¼
    assert 'id="deep"' in tour["html"]
