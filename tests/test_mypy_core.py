"""mypy checks core/ (config in pyproject.toml's [tool.mypy]) as part of the suite, so CI runs it: a type
error in the engine or the format fails the build, not only `make lint`."""

from __future__ import annotations

from pathlib import Path

from dev_tools import run_dev_tool


def test_core_type_checks(tmp_path: Path) -> None:
    done = run_dev_tool("mypy", "--cache-dir", str(tmp_path / "mypy-cache"))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout
