"""Optional dependencies: each face's libraries come with an extra, loaded on first use.

``pip install descend`` brings what the engine needs (NumPy, SymPy, Numba). The rest comes with
an extra: ``[cli]`` (typer, rich, and pydantic for model files), ``[plot]`` (matplotlib),
``[sklearn]`` (scikit-learn), ``[parquet]`` (pyarrow, for CSV and Parquet tables), ``[lab]``,
``[dask]``, or ``[all]``.
Code that needs one calls :func:`require`, which imports it or raises one line naming the
``pip install`` to run.

>>> require("math", "cli").sqrt(4.0)
2.0
>>> try:
...     require("nosuchmod", "plot", "figures")
... except ImportError as error:
...     print(error)
nosuchmod is needed for figures but is not installed: pip install "descend[plot]"
"""

from __future__ import annotations

import importlib
from types import ModuleType

from descend.base.errors import MissingDependencyError

#: The distribution that provides each importable module, where the names differ.
_DISTRIBUTIONS = {"sklearn": "scikit-learn", "PIL": "pillow"}


def require(module: str, extra: str, what: str | None = None) -> ModuleType:
    """Import ``module`` (e.g. ``"pyarrow.parquet"``), or raise :class:`MissingDependencyError`
    saying which extra of descend brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        if exc.name is not None and exc.name.split(".")[0] != top:
            raise  # the module is there but one of its own imports failed: show that
        package = _DISTRIBUTIONS.get(top, top)
        use = f"needed for {what}" if what else "needed here"
        raise MissingDependencyError(
            f'{package} is {use} but is not installed: pip install "descend[{extra}]"'
        ) from exc
