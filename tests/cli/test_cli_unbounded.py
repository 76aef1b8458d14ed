"""The command line reports an unbounded objective as a divergence (exit code 1)."""

from __future__ import annotations

from typer.testing import CliRunner

from descend.main import app


def test_the_command_line_reports_an_unbounded_ascent():
    out = CliRunner().invoke(app, ["minimize", "x**2", "--x0", "3", "--maximize", "--lr", "0.1"])
    assert out.exit_code == 1
    assert "the function looks unbounded above" in " ".join(out.output.split())
