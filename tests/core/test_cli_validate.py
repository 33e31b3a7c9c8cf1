"""`nodeloom validate` through the real command: exit codes, one line per problem, never running a node."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from cli_runner import run_nodeloom
from fnd_helpers import doc, write
from nodeloom.core.cli.main import main

EXAMPLES = sorted(
    p
    for p in resources.files("nodeloom.core.resources").joinpath("examples").iterdir()
    if p.name.endswith(".json")
)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(example)]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.startswith(f"{example}: ok (")


def test_problems_one_line_each_and_exit_2(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        doc([{"id": "a", "type": "math.add", "params": {"c": 1}}], [{"from": "a.result", "to": "a.a"}]),
    )
    done = run_nodeloom("validate", str(path))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"{path}: node 'a': param 'c': no such input (has: a, b)",
        f"{path}: node 'a': cycle: a -> a",
    ]
    assert done.stdout == f"{path}: 2 problems\n"


def test_validate_never_runs_a_node(tmp_path: Path) -> None:
    """A py: function beside the pipeline would write a file if called; validating imports it but calls nothing."""
    marker = tmp_path / "CALLED"
    (tmp_path / "fnd_trap_steps.py").write_text(
        "from pathlib import Path\n\n"
        "def trap(value: int = 1) -> int:\n"
        f"    Path({str(marker)!r}).write_text('the node ran')\n"
        "    return value\n"
    )
    path = write(
        tmp_path,
        doc(
            [
                {"id": "t", "type": "py:fnd_trap_steps:trap", "params": {"value": 2}},
                {"id": "u", "type": "py:fnd_trap_steps:trap"},
            ],
            [{"from": "t.result", "to": "u.value"}],
        ),
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run_nodeloom(
        "validate", "--trust", str(path), cwd=elsewhere
    )  # the module is found beside the file, not in the cwd
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == f"{path}: ok (2 nodes, 1 edges)\n"
    assert not marker.exists()
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "a.json", "b.json"],
        ["validate", "--bogus", "x.json"],
        ["nosuchcommand"],
        ["--bogus"],
    ],
)
def test_usage_errors_exit_2_with_usage(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "usage: nodeloom" in err and "Traceback" not in err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--help"]) == 0
    assert "pipeline JSON file" in capsys.readouterr().out
    assert main(["--version"]) == 0


def test_an_unexpected_bug_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from nodeloom.core.cli import validate_cmd

    def broken(path: str, **options: object) -> None:
        raise KeyError("oops\nsecond line")

    monkeypatch.delenv("NODELOOM_DEBUG", raising=False)
    monkeypatch.setattr(validate_cmd, "check_file", broken)
    assert main(["validate", "x.json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nodeloom: internal error: KeyError:")
    monkeypatch.setenv("NODELOOM_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["validate", "x.json"])


def test_printing_stops_after_a_thousand_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nodes = [{"id": f"n{i}", "type": "zz.unknown"} for i in range(1500)]
    path = write(tmp_path, doc(nodes))
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1001 and lines[-1] == f"{path}: ... and 500 more problems"
    assert out == f"{path}: 1500 problems\n"


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "nodeloom"
    if not script.exists():
        pytest.skip("no console script next to this interpreter")
    done = subprocess.run(
        [str(script), "validate", str(EXAMPLES[0])], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
