"""The lab: a local web app where a learner types a function and watches descent happen.

``descend lab`` (or :func:`serve`) starts it on http://127.0.0.1:8765/. Four pages: the race
(optimizers side by side on a typed or built-in function, every step's numbers), the learning
rate (too small, right, too large), many starts (random restarts and simulated annealing), and
training a linear model live (batch, stochastic and mini-batch descent). All the mathematics
runs on the server in descend's engine; the pages draw. :func:`create_app` gives the ASGI app,
whose JSON API the pages and the tests use (see :mod:`descend.lab.app`).

Starlette and uvicorn come with the ``lab`` extra: ``pip install "descend[lab]"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from descend.lab.app import create_app
    from descend.lab.server import serve


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from descend.lab.app import create_app

        return create_app
    if name == "serve":
        from descend.lab.server import serve

        return serve
    raise AttributeError(f"module 'descend.lab' has no attribute {name!r}")


__all__ = ["create_app", "serve"]
