"""``python -m descend`` and the ``descend`` console script.

The command line needs the ``[cli]`` extra (typer, rich); without it, one line says so.
"""

import sys


def run() -> None:
    """Start the command line, or say in one line which extra it needs."""
    from descend.base.errors import MissingDependencyError
    from descend.base.extras import require

    try:
        require("typer", "cli", "the command line")
        require("rich", "cli", "the command line")
    except MissingDependencyError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise SystemExit(2) from None
    from descend.main import main

    main()


if __name__ == "__main__":
    run()
