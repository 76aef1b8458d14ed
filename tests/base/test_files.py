"""Atomic file writing (descend.base.files): permissions, folders, no temporary files left."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from descend.base.files import atomic_path, atomic_write_bytes, atomic_write_text, default_file_mode
from descend.demo.report import Section, write_report
from descend.io.model_files import write_document


@pytest.fixture(params=[0o022, 0o077, 0o002])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under each umask, and restore the old one after it."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_file_mode_is_what_open_gives(tmp_path: Path, umask: int) -> None:
    plain = tmp_path / "plain.txt"
    with open(plain, "w") as f:
        f.write("x")
    assert default_file_mode() == 0o666 & ~umask == mode(plain)
    assert os.umask(umask) == umask  # reading the umask left it as it was


def test_bytes_and_text_get_normal_permissions(tmp_path: Path, umask: int) -> None:
    data = tmp_path / "data.bin"
    assert atomic_write_bytes(data, b"\x00\x01\x02") == data
    assert data.read_bytes() == b"\x00\x01\x02"
    text = tmp_path / "note.txt"
    assert atomic_write_text(str(text), "θ₀ = 1\nend\n") == text
    assert text.read_bytes() == "θ₀ = 1\nend\n".encode()
    assert mode(data) == mode(text) == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.bin", "note.txt"]


def test_parent_folders_are_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "c.txt"
    atomic_write_text(out, "hi")
    assert out.read_text() == "hi"
    assert [p.name for p in out.parent.iterdir()] == ["c.txt"]


@pytest.mark.parametrize("permissions", [0o600, 0o640, 0o755])
def test_overwrite_replaces_and_keeps_permissions(tmp_path: Path, permissions: int) -> None:
    out = tmp_path / "f.txt"
    out.write_text("old")
    out.chmod(permissions)
    atomic_write_text(out, "new")
    assert out.read_text() == "new"
    assert mode(out) == permissions


def test_a_symlink_is_written_through(tmp_path: Path) -> None:
    real = tmp_path / "data" / "real.csv"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new" and mode(real) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "link.csv"]
    assert [p.name for p in real.parent.iterdir()] == ["real.csv"]


def test_temporaries_of_killed_writers_are_removed(tmp_path: Path) -> None:
    import subprocess
    import sys

    # A writer killed by SIGKILL halfway leaves its temporary file behind.
    code = (
        "import os, signal, sys\n"
        "from descend.base.files import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_bytes(b'x' * 1000)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "preds.csv")], env=env)
    assert proc.returncode == -9
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".preds.") and left[0].endswith(".tmp.csv")
    # Someone else's file that merely looks similar, and a live writer's, are kept.
    (tmp_path / ".preds.notapid.tmp.csv").write_text("mine")
    live = tmp_path / f".other.{os.getpid()}.abcdefgh.tmp.csv"
    live.write_text("live")
    atomic_write_text(tmp_path / "other.csv", "next run")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".preds.notapid.tmp.csv", live.name, "other.csv"]
    )


def test_atomic_path_keeps_the_suffix_and_cleans_up(tmp_path: Path, umask: int) -> None:
    out = tmp_path / "fig.png"
    with atomic_path(out) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".png" and tmp.exists()
        assert not out.exists()  # nothing at the destination until the block succeeds
        tmp.write_bytes(b"png")
    assert out.read_bytes() == b"png" and mode(out) == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "keep.txt"
    out.write_text("old")
    with pytest.raises(RuntimeError, match="boom"), atomic_path(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert out.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_report_and_model_files_get_normal_permissions(tmp_path: Path, umask: int) -> None:
    report = write_report(tmp_path / "site", [Section("x", ["a paragraph"])])
    assert mode(report) == 0o666 & ~umask
    assert [p.name for p in report.parent.iterdir()] == ["index.html"]
    model = tmp_path / "model.json"
    write_document({"format": "descend-model"}, model)
    assert mode(model) == 0o666 & ~umask
