"""mypy checks core/ (config in pyproject.toml's [tool.mypy]) as part of the suite, so CI runs it: a type
error in the engine or the format fails the build, not only `make lint`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_core_type_checks(tmp_path: Path) -> None:
    exe = shutil.which("mypy", path=str(Path(sys.executable).parent)) or shutil.which("mypy")
    assert exe is not None, "mypy is a dev dependency: pip install -e '.[dev]'"
    done = subprocess.run(
        [exe, "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1", "MYPY_FORCE_COLOR": "0"},
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout
