"""The editor asks once per folder before running a pipeline's own code, and remembers "trust".

The dialog is answered by clicking its real buttons; `render` and `edit` are driven through the CLI.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
from cli_runner import run_nodeloom
from nodeloom.core import trusted_folders
from nodeloom.core.engine.options import RunOptions
from nodeloom.core.engine.plan import build_plan
from nodeloom.core.errors import PipelineError
from nodeloom.desktop import trust_prompt
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QPushButton


def write_stranger(folder: Path, marker: Path, exit_at_import: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tp_steps.py").write_text(
        f"import os\nwith open({str(marker)!r}, 'a') as f:\n    f.write('imported ')\n"
        + ("os._exit(0)\n" if exit_at_import else "")
        + "def twice(x: int) -> int:\n    return 2 * x\n"
    )
    path = folder / "p.json"
    path.write_text(
        json.dumps(
            {
                "format": "nodeloom.pipeline",
                "version": 1,
                "name": "p",
                "nodes": [{"id": "t", "type": "py:tp_steps:twice", "params": {"x": 2}}],
                "edges": [],
            }
        )
    )
    return path


def answer_prompt(qtbot, button: str) -> list[str]:  # noqa: ANN001
    """Click `button` on the trust prompt as soon as it is shown; returns the texts it showed."""
    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if box is None or box.objectName() != trust_prompt.OBJECT_NAME:
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        qtbot.mouseClick(box.findChild(QPushButton, button), Qt.MouseButton.LeftButton)

    QTimer.singleShot(0, click)
    return seen


@pytest.fixture(autouse=True)
def fresh_session():  # noqa: ANN201
    """Each test starts a new editor session: nothing trusted, no trusted folder left on sys.path."""
    saved = list(sys.path)
    trust_prompt.forget_session()
    sys.modules.pop("tp_steps", None)
    yield
    trust_prompt.forget_session()
    sys.modules.pop("tp_steps", None)
    sys.path[:] = saved


def warnings_of(window) -> list[str]:  # noqa: ANN001
    return [p.message for p in window.document.problems if p.severity == "warning"]


def test_refusing_opens_the_file_without_running_its_code_and_reopening_asks_again(
    main_window, qtbot, tmp_path: Path
) -> None:
    marker = tmp_path / "IMPORTED"
    path = write_stranger(tmp_path / "download", marker)
    seen = answer_prompt(qtbot, "refuse_button")
    assert main_window.files.open_path(path)
    assert seen == [f"This pipeline uses Python code from {path.parent.resolve()}."]
    assert not marker.exists()
    assert main_window.document.pipeline.nodes["t"].params == {"x": 2}
    (message,) = warnings_of(main_window)
    assert message.startswith("partly checked: py:tp_steps:twice is in the untrusted folder")
    assert trusted_folders.trusted_folders() == []
    assert "open the file again and choose Trust Folder" in message
    with pytest.raises(PipelineError, match="partly checked: py:tp_steps:twice"):  # a run is refused
        build_plan(main_window.document.pipeline, RunOptions(file=str(path)), main_window.document.registry)
    assert str(path.parent) not in sys.path and str(path.parent.resolve()) not in sys.path
    second = answer_prompt(qtbot, "trust_button")  # changing one's mind: reopen, trust
    assert main_window.files.open_path(path)
    assert len(second) == 1 and marker.read_text() == "imported "
    assert warnings_of(main_window) == []


def test_trusting_imports_the_code_and_is_remembered_0600(
    main_window, qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nodeloom_home: Path
) -> None:
    marker = tmp_path / "IMPORTED"
    path = write_stranger(tmp_path / "mine", marker)
    answer_prompt(qtbot, "trust_button")
    assert main_window.files.open_path(path)
    assert marker.read_text() == "imported "
    assert warnings_of(main_window) == [] and main_window.document.problems == []
    store = nodeloom_home / trusted_folders.FILE_NAME
    assert json.loads(store.read_text()) == [str(path.parent.resolve())]
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    trust_prompt.forget_session()  # a new editor session: the file, not memory, says "trusted"
    monkeypatch.setattr(trust_prompt, "ask", lambda *a: pytest.fail("asked twice"))
    assert main_window.files.open_path(path)
    assert main_window.document.problems == []


def test_a_file_needing_no_folder_code_opens_without_a_question(
    main_window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trust_prompt, "ask", lambda *a: pytest.fail("asked"))
    path = tmp_path / "plain.json"
    path.write_text(
        json.dumps(
            {
                "format": "nodeloom.pipeline",
                "version": 1,
                "name": "plain",
                "nodes": [{"id": "v", "type": "data.value", "params": {"value": 1}}],
            }
        )
    )
    assert main_window.files.open_path(path)


@pytest.mark.slow
def test_render_runs_no_code_from_the_folder_unless_trusted(tmp_path: Path) -> None:
    marker = tmp_path / "IMPORTED"
    path = write_stranger(tmp_path / "download", marker, exit_at_import=True)
    out = tmp_path / "out.png"
    done = run_nodeloom("render", str(path), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0 and not marker.exists()
    assert done.stderr.splitlines() == [
        f"{path}: node 't': partly checked: py:tp_steps:twice is in the untrusted folder "
        f"{path.parent.resolve()}; its ports were read from the source without running it (use --trust)"
    ]
    trusted = run_nodeloom("render", "--trust", str(path), "-o", str(tmp_path / "t.png"), cwd=tmp_path)
    assert marker.read_text() == "imported "  # --trust imports (and this module then exits at once)
    assert trusted.returncode == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("command", ["edit", "render"])
def test_edit_and_render_refuse_a_fifo_at_once(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "p.json"
    os.mkfifo(fifo)
    extra = ["-o", str(tmp_path / "o.png")] if command == "render" else []
    done = run_nodeloom(command, str(fifo), *extra, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        f"nodeloom: {fifo}: is a FIFO (named pipe), not a regular file\n",
    )


@pytest.mark.slow
def test_edit_from_the_command_line_runs_nothing_until_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`nodeloom edit FILE` opens the window with the prompt pending (quit by the smoke-test timer);
    `edit --trust FILE` imports the folder's code without asking."""
    marker = tmp_path / "IMPORTED"
    path = write_stranger(tmp_path / "download", marker, exit_at_import=True)
    monkeypatch.setenv("NODELOOM_QUIT_AFTER_MS", "1500")
    done = run_nodeloom("edit", str(path), cwd=tmp_path)
    assert not marker.exists()
    assert done.returncode == 0 and "showed 1 nodes" in done.stdout, done.stderr
    run_nodeloom("edit", "--trust", str(path), cwd=tmp_path)
    assert marker.read_text() == "imported "  # trusted: imported at once (this module then exits)
