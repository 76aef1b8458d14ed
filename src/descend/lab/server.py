"""Serving the lab on a local port: :func:`serve` runs uvicorn until Ctrl-C."""

from __future__ import annotations

import socket
import sys
import threading
import webbrowser

from descend.base.errors import DescendError

#: Where ``descend lab`` listens unless told otherwise: this machine only.
HOST, PORT = "127.0.0.1", 8765


def url_of(host: str, port: int) -> str:
    """The address a browser opens for ``host:port`` (an IPv6 host in brackets)."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve(
    host: str = HOST,
    port: int = PORT,
    open_browser: bool = True,
    *,
    workers: int | None = None,
) -> None:
    """Serve the lab at ``http://host:port/`` until interrupted (Ctrl-C stops it cleanly).

    Parameters
    ----------
    host : str, default="127.0.0.1"
        The interface to bind; the default serves this machine only.
    port : int, default=8765
        The TCP port.
    open_browser : bool, default=True
        Open the page in the default browser once the server is up.
    workers : int, optional
        Worker processes for the computations (see :func:`descend.lab.create_app`).
    """
    import uvicorn

    from descend.lab.app import create_app

    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise DescendError(f"port={port!r} must be a whole number from 0 to 65535")
    sock = _listen(host, port)
    port = sock.getsockname()[1]  # the one the system chose for port=0
    url = url_of(host, port)
    config = uvicorn.Config(
        create_app(workers=workers), host=host, port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    sys.stdout.write(f"descend lab: serving {url} (Ctrl-C to stop)\n")
    sys.stdout.flush()
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    sys.stdout.write("descend lab: stopped\n")


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, or a DescendError that says why it cannot be."""
    sock = None
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        if sock is not None:
            sock.close()
        raise DescendError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "choose another --port or --host"
        ) from None
    sock.set_inheritable(True)
    return sock
