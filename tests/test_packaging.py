"""The wheel and the PyInstaller bundle work for a user who has neither this checkout nor a display.

Slow tests: the wheel is built (no setuptools deprecation or packaging warnings), checked to contain
every module folder and every file under resources/, installed with its dependencies into a fresh
venv, and its `nodeloom` run from a folder outside the checkout (`validate`, `run` and `render` an
example, `export` it). The bundle is built with `packaging/nodeloom.spec` (as `make bundle` does, with
no display) and its binary is run headless: `run` (threads and processes backends), `render`, `export`,
and the editor opened offscreen and quit. A built bundle is reused while nothing it is made of changed
(keyed by a hash of the sources and the venv's packages), so reruns stay fast.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = {
    "core": "nodeloom/core",
    "desktop": "nodeloom/desktop",
    "resources": "nodeloom/core/resources",
}
WARNING_MARKERS = (
    "SetuptoolsDeprecationWarning",
    "BuildBackendWarning",
    "_DeprecatedConfig",
    "is absent from the",
)


def source_files() -> list[Path]:
    found = []
    for root in SOURCE_ROOTS:
        for path in sorted((REPO / root).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and not path.name.endswith(".pyc"):
                found.append(path)
    return found


def wheel_name(path: Path) -> str:
    root = path.relative_to(REPO).parts[0]
    if root == "core" and path.relative_to(REPO).parts[1:2] == ("resources",):
        raise AssertionError(path)
    return f"{SOURCE_ROOTS[root]}/{'/'.join(path.relative_to(REPO / root).parts)}"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything pointing into this checkout or at a display."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    return {**env, **extra}


def run_installed(
    executable: Path, args: tuple[str, ...], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """The installed `nodeloom` (a venv's script or the bundle), as a user in another folder starts it."""
    return subprocess.run(
        [str(executable), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def each_succeeds(executable: Path, cwd: Path, env: dict[str, str], *commands: list[str]) -> None:
    """Every command exits 0 without a traceback (the first failure is reported with its output)."""
    for args in commands:
        proc = run_installed(executable, tuple(args), cwd, env)
        assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
        assert "Traceback" not in proc.stderr, proc.stderr


def ml_example_run(example: Path) -> list[list[str]]:
    """A run of the scikit-learn example beside `example`, if this build has it: the estimators its
    nodes import by class path at run time must be installed (wheel) or bundled (PyInstaller)."""
    ml_example = example.with_name("diabetes_ridge.json")
    return [["run", str(ml_example), "--no-cache"]] if ml_example.is_file() else []


def test_setup_lists_every_package_folder() -> None:
    """setup.py computes the package list: every folder under core/, desktop/, resources/ is in it."""
    proc = subprocess.run(
        [sys.executable, "-c", "import runpy, sys; sys.argv=['setup.py', '--name']; "
         "import setuptools; setuptools.setup = lambda **kw: print(kw['packages']); runpy.run_path('setup.py')"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    listed = set(eval(proc.stdout))  # noqa: S307 - our own setup.py printing a list
    for root, package in SOURCE_ROOTS.items():
        for folder in [REPO / root, *(p for p in (REPO / root).rglob("*") if p.is_dir())]:
            if "__pycache__" in folder.parts or (root == "core" and "resources" in folder.parts):
                continue
            rel = folder.relative_to(REPO / root).parts
            assert ".".join((package.replace("/", "."), *rel)) in listed, folder


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = out.glob("nodeloom-*.whl")
    return wheel, proc.stdout + proc.stderr


@pytest.mark.slow
def test_wheel_builds_without_warnings_and_holds_everything(built_wheel: tuple[Path, str]) -> None:
    wheel, log = built_wheel
    for marker in WARNING_MARKERS:
        assert marker not in log, next(line for line in log.splitlines() if marker in line)
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in source_files():
        assert wheel_name(path) in names, path
    assert "nodeloom/core/resources/pipeline.schema.json" in names
    assert "nodeloom/core/resources/icons/nodeloom.svg" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_installed_wheel_works_outside_the_checkout(built_wheel: tuple[Path, str], tmp_path: Path) -> None:
    wheel, _log = built_wheel
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python, nodeloom = venv / "bin" / "python", venv / "bin" / "nodeloom"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = clean_env(NODELOOM_HOME=str(tmp_path / "home"))
    where = subprocess.run(
        [str(python), "-c", "import nodeloom.core.resources as r; print(r.__path__[0])"],
        cwd=work, env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout.strip()  # fmt: skip
    assert where.startswith(str(venv)), where
    example = Path(where) / "examples" / "regression_demo.json"

    each_succeeds(
        nodeloom,
        work,
        env,
        ["validate", str(example)],
        ["run", str(example)],
        ["render", str(example), "-o", "demo.png"],
        *ml_example_run(example),
        ["export", str(example), "--to", "python", "-o", "demo.py"],
    )
    assert (work / "demo.png").stat().st_size > 1000
    assert (work / "build" / "model.json").is_file()  # the example's export node wrote its file
    proc = subprocess.run(
        [str(python), "demo.py"], cwd=work, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0 and "export.result" in proc.stdout, proc.stderr[-2000:]


def bundle_key() -> str:
    digest = hashlib.sha256()
    for path in [
        *source_files(),
        *sorted((REPO / "packaging").iterdir()),
        REPO / "pyproject.toml",
        REPO / "setup.py",
    ]:
        if path.is_file():
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    freeze = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    digest.update(freeze.encode())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/nodeloom built from packaging/nodeloom.spec (reused from the cache when nothing changed)."""
    cache = Path(os.environ.get("NODELOOM_TEST_BUNDLES") or Path.home() / ".cache" / "nodeloom-test-bundles")
    dist = cache / bundle_key()
    binary = dist / "nodeloom" / "nodeloom"
    if binary.is_file():
        return binary
    pyinstaller = Path(sys.executable).with_name("pyinstaller")
    if not pyinstaller.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "pyinstaller>=6"], check=True, timeout=600
        )
    work = tmp_path_factory.mktemp("pyinstaller")
    building = cache / f"{dist.name}.building"
    shutil.rmtree(building, ignore_errors=True)
    proc = subprocess.run(
        [
            str(pyinstaller),
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(building),
            "--workpath",
            str(work),
            str(REPO / "packaging" / "nodeloom.spec"),
        ],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=1200,
    )  # fmt: skip  (clean_env: no display, as on a build server)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    for old in cache.iterdir():  # one bundle kept: they are ~230 MB
        if old != building:
            shutil.rmtree(old, ignore_errors=True)
    building.rename(dist)
    return binary


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_bundle_runs_headless(bundle: Path, tmp_path: Path) -> None:
    example = next(bundle.parent.rglob("examples/regression_demo.json"))
    env = clean_env(NODELOOM_HOME=str(tmp_path / "home"))

    each_succeeds(
        bundle,
        tmp_path,
        env,
        ["--version"],
        ["validate", str(example)],
        ["run", str(example), "--no-cache"],
        ["run", str(example), "--no-cache", "--backend", "processes", "--workers", "2"],
        ["render", str(example), "-o", "demo.png"],
        *ml_example_run(example),
        ["export", str(example), "--to", "airflow", "-o", "dag.py"],
    )
    assert (tmp_path / "demo.png").stat().st_size > 1000
    editor = {**env, "QT_QPA_PLATFORM": "offscreen", "NODELOOM_QUIT_AFTER_MS": "1000"}
    proc = run_installed(bundle, ("edit", str(example)), tmp_path, editor)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "showed 7 nodes" in proc.stdout + proc.stderr
    assert (REPO / "packaging" / "nodeloom.desktop").read_text().count("Icon=nodeloom") == 1
