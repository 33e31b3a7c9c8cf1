"""`nodeloom export --to python`: the script runs standalone and computes what `nodeloom run` computes.

Every example in resources/examples (whatever exists when the suite runs) and the tricky pipelines of
export_cases.py are run both ways in subprocesses; the outputs no node consumes must be equal. The
generated code must pass ruff with the project's rules and with ruff's defaults.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cli_runner import run_nodeloom
from export_cases import write_cases
from export_check import (
    EXAMPLES,
    REPO,
    export,
    exported_outputs,
    printed_outputs,
    run_results,
    same_outputs,
)
from nodeloom.core.decorator import node
from nodeloom.core.export import ExportError, export_file, export_pipeline
from nodeloom.core.file_format import loads
from nodeloom.core.registry import Registry

RUFF = Path(sys.executable).with_name("ruff")


def ruff_clean(*files: Path) -> None:
    for rules in (["--select", "E,F,W,I,UP,B,SIM", "--ignore", "E501"], []):
        proc = subprocess.run(
            [str(RUFF), "check", "--isolated", *rules, *map(str, files)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stdout


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_cases(tmp_path_factory.mktemp("cases"))


def check_python_export(
    pipeline: Path,
    tmp_path: Path,
    sets: tuple[str, ...] = (),
    argv: tuple[str, ...] = (),
    as_program: bool = False,
) -> None:
    """`nodeloom run` and the exported script agree; `as_program` also runs the script as a user would
    (`python OUT.py`: the same names printed, exit 0) and exports through the CLI rather than the API."""
    home = tmp_path / "home"
    run_dir, export_dir = tmp_path / "run", tmp_path / "exported"
    run_dir.mkdir()
    export_dir.mkdir()
    results = run_results(pipeline, run_dir, home, *sets)
    script = tmp_path / "out" / "pipeline_export.py"
    if as_program:
        export(pipeline, "python", script, tmp_path, home)
    else:
        script.parent.mkdir()
        script.write_text(export_file(str(pipeline), "python", str(script)), encoding="utf-8")
    ruff_clean(script)
    outputs = exported_outputs(script, export_dir, *argv)
    same_outputs(outputs, results)
    if as_program:
        proc = subprocess.run(
            [sys.executable, str(script), *argv], cwd=export_dir, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert set(printed_outputs(proc.stdout)) == set(outputs)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_exports_to_python_with_the_run_outputs(example: Path, tmp_path: Path) -> None:
    check_python_export(example, tmp_path, as_program=example.stem == "regression_demo")


def test_examples_exist() -> None:
    assert EXAMPLES, "resources/examples holds no pipeline"


def test_tricky_pipeline_with_overrides(cases: dict[str, Path], tmp_path: Path) -> None:
    check_python_export(
        cases["tricky"],
        tmp_path,
        sets=("n=4", "learning rate=2", "label=plain text"),
        argv=("--n", "4", "--learning rate", "2", "--label", "plain text"),
        as_program=True,
    )
    note = (tmp_path / "exported" / "note.txt").read_text(encoding="utf-8")
    assert note == (tmp_path / "run" / "note.txt").read_text(encoding="utf-8") == "total=8"


def test_tricky_pipeline_shape(cases: dict[str, Path], tmp_path: Path) -> None:
    """What the export leaves out and how it spells `many`, `$param` and multi-output nodes."""
    script = export(cases["tricky"], "python", tmp_path / "tricky.py", tmp_path, tmp_path / "home")
    code = script.read_text(encoding="utf-8")
    assert "after-off" not in code.split('"""', 2)[2]  # only in the docstring's left-out list
    assert "Left out (disabled, or downstream of a disabled node): off, after-off." in code
    assert "values=[b, a]" in code  # a `many` input: a list in the file's edge order
    assert "outputs_of(class_, " in code and 'class_["low"]' in code  # multi-output, keyword id renamed
    assert 'params["learning rate"]' in code and '"learning rate": 0.1' in code
    assert "Context.detached(" in code and "nodeloom.core.engine" not in code
    help_text = subprocess.run(
        [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60, cwd=tmp_path
    ).stdout
    assert "--learning rate VALUE" in help_text and "default: 0.1" in help_text


def test_py_modules_found_beside_the_pipeline_from_anywhere(cases: dict[str, Path], tmp_path: Path) -> None:
    """The script finds the pipeline folder relative to itself, from any working directory."""
    script = export(cases["tricky"], "python", tmp_path / "deep" / "er" / "t.py", tmp_path, tmp_path / "home")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    moved = (tmp_path / "t.py").resolve()
    script.rename(moved)  # the script moves without the pipeline folder: its relative path leads nowhere
    proc = subprocess.run(
        [sys.executable, str(moved)], cwd=elsewhere, capture_output=True, text=True, timeout=120
    )
    assert "ModuleNotFoundError" in proc.stderr and "nl_export_helpers" in proc.stderr
    moved.rename(script)
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=elsewhere, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert (elsewhere / "note.txt").read_text(encoding="utf-8") == "total=6.1"


def test_stdout_export_and_errors(cases: dict[str, Path], tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = run_nodeloom("export", str(cases["thing"]), "--to", "python", cwd=tmp_path, home=home, timeout=300)
    assert proc.returncode == 0 and "def run_pipeline" in proc.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "format": "nodeloom.pipeline",
                "version": 1,
                "name": "b",
                "nodes": [{"id": "x", "type": "math.nope"}],
            }
        )
    )
    proc = run_nodeloom(
        "export",
        str(bad),
        "--to",
        "prefect",
        "-o",
        str(tmp_path / "o.py"),
        cwd=tmp_path,
        home=home,
        timeout=300,
    )
    assert proc.returncode == 2 and "math.nope" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o.py").exists()
    proc = run_nodeloom("export", str(cases["thing"]), "--to", "cobol", cwd=tmp_path, home=home, timeout=300)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    proc = run_nodeloom(
        "export",
        str(cases["thing"]),
        "--to",
        "python",
        "-o",
        str(tmp_path),
        cwd=tmp_path,
        home=home,
        timeout=300,
    )
    assert proc.returncode == 2 and "cannot write" in proc.stderr


def test_a_function_no_code_can_import_is_named() -> None:
    def make() -> object:
        @node(name="local.inner")
        def inner(x: int = 1) -> int:
            return x

        return inner

    registry = Registry()
    registry.register(make())
    pipeline = loads(
        json.dumps(
            {
                "format": "nodeloom.pipeline",
                "version": 1,
                "name": "l",
                "nodes": [{"id": "loc", "type": "local.inner"}],
            }
        )
    )
    for target in ("python", "prefect", "airflow"):
        with pytest.raises(ExportError, match=r"node 'loc' \(type 'local.inner'\): its function is local"):
            export_pipeline(pipeline, target, registry=registry)


def test_empty_pipeline_exports_to_valid_code(tmp_path: Path) -> None:
    pipeline = loads(json.dumps({"format": "nodeloom.pipeline", "version": 1, "name": "empty", "nodes": []}))
    for target in ("python", "prefect", "airflow"):
        out = tmp_path / f"{target}.py"
        out.write_text(export_pipeline(pipeline, target), encoding="utf-8")
        ruff_clean(out)
    proc = subprocess.run(
        [sys.executable, str(tmp_path / "python.py")], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and proc.stdout == ""


def test_exported_sources_are_in_the_repo_layout() -> None:
    assert (REPO / "core" / "export" / "python_target.py").is_file()
