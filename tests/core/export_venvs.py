"""Virtual environments for running exported code under the real orchestrators, cached between test runs.

Each environment is keyed by its requirements and the Python version, under
`~/.cache/nodeloom-test-venvs` (or `$NODELOOM_TEST_VENVS`), so only the first run pays the install
(~40 s each). Nodeloom itself goes in without its GUI dependencies: the exported code imports only
`nodeloom.core`, which needs numpy, networkx, platformdirs and psutil.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

PREFECT = ("prefect>=3,<4", "fastapi<0.120")
AIRFLOW = ("apache-airflow>=3,<4",)
NODELOOM_CORE_DEPS = ("numpy>=1.26", "networkx>=3.2", "platformdirs>=4", "psutil>=5.9")
REPO = Path(__file__).resolve().parents[2]


def cache_root() -> Path:
    return Path(os.environ.get("NODELOOM_TEST_VENVS") or Path.home() / ".cache" / "nodeloom-test-venvs")


def venv_for(requirements: tuple[str, ...]) -> Path:
    """A venv with `requirements` (and nodeloom's core deps) installed; built once, then reused."""
    reqs = (*requirements, *NODELOOM_CORE_DEPS)
    key = hashlib.sha256(repr((reqs, sys.version_info[:2])).encode()).hexdigest()[:12]
    kind = requirements[0].split(">")[0].split("<")[0]
    venv = cache_root() / f"{kind}-{key}"
    stamp = venv / ".complete"
    if stamp.exists() and (venv / "bin" / "pip").exists():  # a half-deleted venv is built again
        return venv
    for old in cache_root().glob(f"{kind}-*"):  # an older set of requirements: ~0.5 GB each, not kept
        shutil.rmtree(old, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *reqs],
        check=True,
        timeout=900,
    )
    stamp.write_text("\n".join(reqs) + "\n")
    return venv


def install_nodeloom(venv: Path, wheel: Path) -> None:
    """This checkout's nodeloom (a freshly built wheel), without PySide6 and the other GUI dependencies."""
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )


def build_wheel(out_dir: Path) -> tuple[Path, str]:
    """Build nodeloom's wheel from this checkout; returns the wheel and the build's combined output."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out_dir), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = sorted(out_dir.glob("nodeloom-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], proc.stdout + proc.stderr


if __name__ == "__main__":  # warm the cache: python tests/core/export_venvs.py
    print(venv_for(PREFECT))
    print(venv_for(AIRFLOW))
