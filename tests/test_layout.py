"""The package's shape: layers, no import cycles, what loads at start, extras named on failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "descend"
HEAVY = {"sympy", "scipy", "numba", "sklearn", "matplotlib", "pyarrow", "pandas", "polars"}
HEAVY_AND_CLI = HEAVY | {"typer", "rich", "starlette", "uvicorn", "dask", "torch"}


def _loaded_after(statement: str) -> set[str]:
    """Top-level packages in sys.modules after running ``statement`` in a fresh interpreter."""
    listing = "print(' '.join({m.split('.')[0] for m in sys.modules}))"
    code = f"import sys; {statement}; {listing}"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_descend_loads_no_heavy_dependency():
    assert _loaded_after("import descend") & HEAVY_AND_CLI == set()


def test_the_command_line_starts_without_the_maths_libraries():
    assert _loaded_after("import descend.main") & HEAVY == set()


def test_a_public_name_loads_its_module_on_first_use():
    loaded = _loaded_after("import descend; descend.sgd")
    assert loaded & HEAVY_AND_CLI == set()
    assert "sympy" in _loaded_after("import descend; descend.expression('x**2')")


def test_no_import_cycles_deferred_imports_included():
    graph = grimp.build_graph("descend", include_external_packages=False)
    modules = sorted(graph.modules)
    cycles = []
    for module in modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != module and graph.chain_exists(imported, module):
                cycles.append((module, imported))
    assert cycles == []


def test_no_folder_is_crowded_and_no_module_is_long():
    for folder in [SRC, *[p for p in SRC.rglob("*") if p.is_dir() and p.name != "__pycache__"]]:
        modules = [p for p in folder.glob("*.py")]
        assert len(modules) <= 16, (folder, len(modules))
    for module in SRC.rglob("*.py"):
        assert len(module.read_text().splitlines()) <= 600, module


@pytest.mark.parametrize(
    ("blocked", "statement", "extra"),
    [
        ("matplotlib", "import descend.plots", "plot"),
        ("sklearn", "from descend import GDRegressor", "sklearn"),
        ("pyarrow", "import descend; descend.load_dataset('house_prices')", "parquet"),
    ],
)
def test_a_missing_extra_is_named_in_one_line(blocked, statement, extra):
    code = f"import sys; sys.modules[{blocked!r}] = None\n{statement}"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("descend.base.errors.MissingDependencyError: ")
    assert f'pip install "descend[{extra}]"' in last


def test_the_command_line_without_its_extra_says_what_to_install():
    code = "import sys; sys.modules['typer'] = None\nfrom descend.__main__ import run\nrun()"
    out = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr == (
        "error: typer is needed for the command line but is not installed: "
        'pip install "descend[cli]"\n'
    )
