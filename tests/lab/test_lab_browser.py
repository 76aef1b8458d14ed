"""The lab in a real browser: Playwright driving Debian's chromium against a live server.

Skipped, with the reason, where playwright or chromium is missing (``make test`` installs
both where it can).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import descend

pytest.importorskip("starlette", reason="the lab needs starlette: pip install 'descend[lab]'")
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="browser tests need playwright: pip install playwright"
)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip(
        "browser tests need Debian's chromium: apt-get install chromium", allow_module_level=True
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def url():
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(descend.__file__).parents[1])}
    cmd = [sys.executable, "-m", "descend", "lab", "--no-browser", "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def _race(page, function: str, x0: str) -> None:
    page.fill("#fn", function)
    page.fill("#x0", x0)
    page.fill("#steps", "50")
    for _ in range(page.locator("#opts .remove").count()):
        page.locator("#opts .remove").first.click()
    for name, lr in (("sgd", "0.1"), ("adam", "0.05")):
        page.click("#add")
        page.locator("#opts .name").last.select_option(name)
        page.locator("#opts .lr").last.fill(lr)
    page.click("#run")
    page.wait_for_function("document.querySelector('#frame').textContent === 'step 50 / 50'")


def _paths(page) -> list:
    return page.evaluate(
        "document.getElementById('contour').data.filter(t => t.mode === 'lines+markers')"
        ".map(t => [t.x, t.y])"
    )


def test_race_draws_paths_and_the_first_step_by_hand(url, browser):
    page = browser.new_page()
    page.goto(url + "/")
    _race(page, "x^2 + y^2", "3, 4")
    paths = _paths(page)
    assert len(paths) == 2 and all(len(p[0]) == 51 for p in paths)
    first = page.locator("#table tbody tr").first.locator("td").all_inner_texts()
    # θ₁ = (3, 4) − 0.1·(6, 8) = (2.4, 3.2)
    assert first[:4] == ["1", "(3, 4)", "25", "(6, 8)"] and first[-1] == "(2.4, 3.2)"
    shared = page.url
    again = browser.new_page()
    again.goto(shared)
    again.wait_for_function("document.querySelector('#frame').textContent === 'step 50 / 50'")
    assert _paths(again) == paths
    assert again.inner_text("#table") == page.inner_text("#table")


def test_a_bad_expression_shows_its_error(url, browser):
    page = browser.new_page()
    page.goto(url + "/")
    page.wait_for_function("document.querySelector('#frame').textContent.startsWith('step')")
    page.fill("#fn", "x**2 + (y")
    page.click("#run")
    page.wait_for_function("document.querySelector('#error').textContent.length > 0")
    text = page.inner_text("#error")
    assert "position 7" in text and text.rstrip().endswith("^")
