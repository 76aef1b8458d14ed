"""Writing files atomically: every file descend writes goes through here.

The data goes to a temporary file in the destination's folder, which is then renamed over the
destination (:func:`os.replace`, atomic on POSIX and Windows), so a reader never sees half a
file and a failed write leaves the old file (if any) in place and no temporary file behind.
The folder is created when missing. A new file gets the permissions a plain
``open(path, "w")`` would give it, ``0o666 & ~umask`` (:func:`tempfile.mkstemp`, which makes
the temporary file, gives it ``0o600``); a replaced file keeps its own. A symbolic link is
written through: the file it points to is replaced and the link stays a link.

Temporary files are named ``.<stem>.<pid>.<random>.tmp<suffix>``. A process killed while it
writes (``kill -9``) cannot remove its own; the next write to the same folder removes those
whose process is no longer running.

- :func:`atomic_write_bytes` and :func:`atomic_write_text` write data held in memory;
- :func:`atomic_path` yields a temporary path for writers that want a file name (matplotlib's
  ``savefig``, animation writers) and moves the file into place when the block succeeds.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = atomic_write_text(folder / "new" / "note.txt", "hello\\n")
>>> (folder / "new" / "note.txt").read_text()
'hello\\n'
>>> with atomic_path(folder / "data.bin") as tmp:
...     _ = tmp.write_bytes(b"\\x00\\x01")
>>> sorted(p.name for p in folder.iterdir())
['data.bin', 'new']
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "default_file_mode",
    "remove_stale_temporaries",
]


def default_file_mode() -> int:
    """The permissions ``open(path, "w")`` gives a new file: ``0o666`` less the umask.

    The umask can only be read by setting it, so it is set to 0 and straight back.
    """
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync(path: Path) -> None:
    """Flush ``path``'s data to disk, where the platform allows it (best effort)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_TEMP = re.compile(r"^\..*\.(\d+)\.[^.]+\.tmp(\.[^.]*)?$")


def _running(pid: int) -> bool:
    """Whether a process with this id exists (on this machine)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # it exists but belongs to someone else, or the id cannot be checked
    return True


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files of descend's writers killed in ``folder``; return them.

    Only names of descend's own pattern whose process id is no longer running are removed.
    """
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match is None or _running(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _destination(path: str | os.PathLike[str]) -> Path:
    """The file to replace: ``path``, or the file a symbolic link ``path`` points to."""
    out = Path(path)
    if out.is_symlink():
        return Path(os.path.realpath(out))
    return out


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block succeeds, move it to ``path``.

    The temporary file exists (empty) when the block starts and keeps ``path``'s suffix, so a
    writer that picks its format from the name still does. If the block raises, the temporary
    file is removed and ``path`` is left as it was. An existing file keeps its permissions;
    a symbolic link keeps pointing to the (replaced) file.

    Parameters
    ----------
    path : str or path-like
        The destination; its folder is created when missing.

    Yields
    ------
    Path
        The temporary file to write.
    """
    out = _destination(path)
    folder = out.parent
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)
    try:
        mode = stat.S_IMODE(out.stat().st_mode)
    except FileNotFoundError:
        mode = default_file_mode()
    prefix = f".{out.stem}.{os.getpid()}."
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=f".tmp{out.suffix}", dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync(tmp)
        os.chmod(tmp, mode)  # mkstemp makes 0600
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see the module docstring) and return the path."""
    out = Path(path)
    with atomic_path(out) as tmp:
        tmp.write_bytes(data)
    return out


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, encoded as ``encoding``; return the path.

    The text is written as is: no newline translation, so the file holds the same bytes on
    every platform.
    """
    return atomic_write_bytes(path, text.encode(encoding))
