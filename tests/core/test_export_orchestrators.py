"""Exported Prefect flows and Airflow DAGs run under the real orchestrators and compute what `nodeloom run` does.

Each orchestrator lives in its own cached virtual environment (export_venvs.py) with this checkout's
nodeloom wheel and its non-GUI dependencies. For every example and the tricky pipelines, the outputs the
flow / DAG prints must equal the plain Python export's (printed in the same environment, the same way)
and, where they are JSON, the `--results` of `nodeloom run`. To keep the suite fast, one process per
orchestrator runs every exported file's `main()` in turn: Prefect starts its temporary server once,
Airflow migrates and serializes once (airflow db migrate, dags reserialize).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from export_cases import write_cases
from export_check import EXAMPLES, REPO, export, printed_outputs, run_results
from export_venvs import AIRFLOW, PREFECT, build_wheel, install_nodeloom, venv_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

GUI_DEPENDENCIES = ("pyside6", "qtawesome", "pyqtgraph")

DRIVER = """
import contextlib, io, runpy, sys, traceback
for path in sys.argv[1:]:
    print(f"=== {path}", flush=True)
    namespace = runpy.run_path(path, run_name="nodeloom_export_driver")
    try:
        namespace["main"]([])
        print("=== ok", flush=True)
    except BaseException as exc:  # a failed run is reported, and the next file still runs
        print(f"=== failed {type(exc).__name__}: {exc}", flush=True)
"""


def runtime_requirements() -> tuple[str, ...]:
    """nodeloom's own dependencies minus the GUI ones (exported code imports only nodeloom.core)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return tuple(d for d in project["dependencies"] if not d.lower().startswith(GUI_DEPENDENCIES))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))[0]


@pytest.fixture(scope="module")
def pipelines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    cases = write_cases(tmp_path_factory.mktemp("cases"))
    return {**{p.stem: p for p in EXAMPLES}, **cases}


def orchestrator_python(requirements: tuple[str, ...], wheel: Path) -> Path:
    venv = venv_for((*requirements, *runtime_requirements()))
    install_nodeloom(venv, wheel)
    return venv / "bin" / "python"


def run_driver(python: Path, files: list[Path], cwd: Path, env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """file stem -> (status line, everything printed while it ran)."""
    proc = subprocess.run(
        [str(python), "-c", DRIVER, *map(str, files)],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=1500,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    found: dict[str, tuple[str, str]] = {}
    current, lines = None, []
    for line in proc.stdout.splitlines():
        if line.startswith("=== ") and not line.startswith(("=== ok", "=== failed")):
            current, lines = Path(line[4:]).stem, []
        elif line.startswith(("=== ok", "=== failed")) and current:
            found[current] = (line[4:], "\n".join(lines))
        else:
            lines.append(line)
    return found


def python_baseline(python: Path, pipelines: dict[str, Path], tmp: Path) -> dict[str, dict[str, str]]:
    """The plain Python exports' printed outputs, run with the orchestrator's interpreter."""
    out = {}
    for name, pipeline in pipelines.items():
        script = export(pipeline, "python", tmp / "python" / f"{name}.py", tmp, tmp / "home")
        work = tmp / "python-run" / name
        work.mkdir(parents=True)
        proc = subprocess.run(
            [str(python), str(script)], cwd=work, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, (name, proc.stderr[-3000:])
        out[name] = printed_outputs(proc.stdout)
        assert out[name] or name == "empty", name
    return out


def check_against_run(
    name: str, printed: dict[str, str], baseline: dict[str, str], results: dict[str, Any]
) -> None:
    assert printed == baseline, name
    for key, text in printed.items():
        node, port = key.split(".")
        expected = results["nodes"][node]["outputs"][port]
        try:
            value = json.loads(text)
        except ValueError:
            continue  # not JSON: the run shows a summary; equality with the Python export covers it
        assert value == expected, (name, key)


def test_prefect_flows_match_nodeloom_run(wheel: Path, pipelines: dict[str, Path], tmp_path: Path) -> None:
    python = orchestrator_python(PREFECT, wheel)
    baseline = python_baseline(python, pipelines, tmp_path)
    files = [
        export(pipeline, "prefect", tmp_path / "flows" / f"{name}.py", tmp_path, tmp_path / "home")
        for name, pipeline in pipelines.items()
    ]
    code = files[0].read_text()
    assert "@flow(" in code and ".submit(" in code and "retries=" in code
    work = tmp_path / "prefect-run"
    work.mkdir()
    # a loaded CI machine can take longer than Prefect's 20 s to start its temporary server
    prefect_env = {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300",
    }
    runs = run_driver(python, files, work, prefect_env)
    for name, pipeline in pipelines.items():
        status, printed = runs[name]
        assert status == "ok", (name, printed[-3000:])
        results = run_results(pipeline, fresh_dir(tmp_path / "run" / name), tmp_path / "home")
        check_against_run(name, printed_outputs(printed), baseline[name], results)
    tricky = (tmp_path / "flows" / "tricky.py").read_text()
    assert "retries=2, retry_delay_seconds=0.5, timeout_seconds=30" in tricky


def test_airflow_dags_match_nodeloom_run(wheel: Path, pipelines: dict[str, Path], tmp_path: Path) -> None:
    python = orchestrator_python(AIRFLOW, wheel)
    baseline = python_baseline(python, pipelines, tmp_path)
    home = tmp_path / "airflow-home"
    dags = home / "dags"
    files = [
        export(pipeline, "airflow", dags / f"{name}.py", tmp_path, tmp_path / "home")
        for name, pipeline in pipelines.items()
    ]
    env = {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    airflow = str(python.with_name("airflow"))
    for step in (["db", "migrate"], ["dags", "reserialize"]):
        proc = subprocess.run(
            [airflow, *step], env={**os.environ, **env}, capture_output=True, text=True, timeout=600
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    work = tmp_path / "airflow-run"
    work.mkdir()
    runs = run_driver(python, files, work, env)
    for name, pipeline in pipelines.items():
        status, printed = runs[name]
        results = run_results(pipeline, fresh_dir(tmp_path / "run" / name), tmp_path / "home")
        if status.startswith("failed"):  # only allowed for a value no pickle-free channel carries, said so
            check_unpassable(name, printed, results)
            continue
        assert status == "ok", (name, printed[-5000:])
        check_against_run(name, printed_outputs(printed), baseline[name], results)
    assert runs["thing"][0].startswith("failed")
    tricky = (dags / "tricky.py").read_text()
    assert "retries=2, retry_delay=timedelta(seconds=0.5), execution_timeout=timedelta(seconds=30)" in tricky
    assert "pickle" not in tricky.replace("never pickles", "").replace("without pickle", "").replace(
        "never pickled", ""
    )


UNPASSABLE = re.compile(
    r"node '([\w-]+)', output '(\w+)'\S*: an? ([\w.]+) cannot be passed between Airflow tasks"
)


def check_unpassable(name: str, printed: str, results: dict[str, Any]) -> None:
    """The DAG stopped at a value XCom cannot carry without pickle: the node and port named, and the
    run agrees that this output is not a JSON value (its `--results` show a summary of that type)."""
    found = UNPASSABLE.search(printed)
    assert found, (name, printed[-5000:])
    node, port, kind = found.groups()
    shown = results["nodes"][node]["outputs"][port]
    if isinstance(shown, dict) and set(shown) == {"figure"}:  # the run saved it as a PNG beside the results
        assert kind.endswith("Figure"), (name, node, port, kind)
        return
    assert isinstance(shown, str) and shown.startswith(kind.rsplit(".", 1)[-1]), (name, node, port, shown)


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
