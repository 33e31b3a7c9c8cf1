"""Files in the editor: open errors, the unsaved-changes prompt, autosave and recovery, recent files,
and the `nodeloom edit` / `nodeloom render` commands in real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest
from cli_runner import NO_DISPLAY, run_nodeloom
from nodeloom.core.file_format import dumps, load_pipeline
from nodeloom.desktop.autosave import autosave_path, recovery_for
from nodeloom.desktop.main_window import MainWindow
from nodeloom.desktop.recent_files import add_recent, last_file, recent_files
from PySide6.QtWidgets import QFileDialog, QMessageBox

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "regression_demo.json"
Button = QMessageBox.StandardButton


class Answers:
    """Stands in for QMessageBox's static dialogs: records what was asked, answers from a queue."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: list[tuple[str, str, str]] = []
        self.queue: list[Button] = []
        for kind in ("warning", "question", "critical"):
            monkeypatch.setattr(QMessageBox, kind, self._make(kind))

    def _make(self, kind: str):
        def ask(_parent, title: str, text: str, *_args, **_kwargs) -> Button:
            self.asked.append((kind, title, text))
            if kind == "critical":
                return Button.Ok
            return self.queue.pop(0) if self.queue else Button.Discard

        return ask


@pytest.fixture
def answers(monkeypatch) -> Answers:
    return Answers(monkeypatch)


@pytest.fixture
def window(qtbot, answers) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    return win


def copy_example(tmp_path: Path) -> Path:
    target = tmp_path / "demo.json"
    target.write_bytes(EXAMPLE.read_bytes())
    return target


def test_unreadable_file_shows_one_line_problems_and_keeps_the_document(window, answers, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "nodeloom.pipeline", "version": 1, "name": "x", "nodes": [}', encoding="utf-8")
    assert window.files.open_path(EXAMPLE)
    assert not window.files.open_path(bad)
    kind, title, text = answers.asked[-1]
    assert (kind, title) == ("critical", "Cannot open bad.json")
    assert text.startswith(f"{bad}: invalid JSON at line 1 column")
    assert "Traceback" not in text and len(text.splitlines()) == 1
    assert window.document.path == EXAMPLE and len(window.document.pipeline.nodes) == 7


def test_semantic_problems_still_open(window, tmp_path) -> None:
    path = tmp_path / "unknown.json"
    path.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace('"ml.evaluate"', '"ml.nope"'), encoding="utf-8"
    )
    assert window.files.open_path(path)
    assert any(
        line.startswith("node 'evaluate': unknown node type 'ml.nope'")
        for line in window.problems_panel.lines()
    )


def test_unsaved_changes_prompt_cancel_discard_save(window, answers, tmp_path) -> None:
    path = copy_example(tmp_path)
    assert window.files.open_path(path)
    window.document.delete(["export"])
    assert window.isWindowModified()
    answers.queue = [Button.Cancel]
    assert not window.close()
    assert answers.asked[-1][:2] == ("warning", "Unsaved changes") and "demo.json" in answers.asked[-1][2]
    answers.queue = [Button.Cancel]
    assert not window.files.new()
    assert "export" not in window.document.pipeline.nodes
    answers.queue = [Button.Save]
    assert window.close()
    assert "export" not in load_pipeline(path).nodes


def test_discard_on_new_and_save_as(qtbot, window, answers, tmp_path, monkeypatch) -> None:
    assert window.files.open_path(copy_example(tmp_path))
    window.document.delete(["export"])
    answers.queue = [Button.Discard]
    assert window.files.new()
    assert window.document.path is None and not window.document.pipeline.nodes
    assert not window.isWindowModified() and window.windowTitle().startswith("untitled")
    window.add_node_at_centre("math.add")
    target = tmp_path / "fresh"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    assert window.files.save()
    saved = target.with_suffix(".json")
    assert window.document.path == saved and saved.read_text(encoding="utf-8") == window.document.to_text()
    assert last_file() == saved.resolve()


def test_save_is_deterministic_and_atomic(window, tmp_path) -> None:
    path = copy_example(tmp_path)
    assert window.files.open_path(path)
    window.document.set_param("train", "learning_rate", 0.1)
    assert window.files.save()
    text = path.read_text(encoding="utf-8")
    assert text == dumps(load_pipeline(path))
    assert text.replace('"learning_rate": 0.1', '"learning_rate": 0.05') == EXAMPLE.read_text(
        encoding="utf-8"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["demo.json"]  # no temporary file left behind


def test_save_failure_is_a_message_not_a_crash(window, answers, tmp_path) -> None:
    window.add_node_at_centre("math.add")
    blocked = tmp_path / "is_a_dir.json"
    blocked.mkdir()
    assert not window.files._save_to(blocked)
    assert answers.asked[-1][:2] == ("critical", "Cannot save is_a_dir.json")
    assert window.isWindowModified()


def test_autosave_write_and_recovery(qtbot, window, answers, tmp_path) -> None:
    path = copy_example(tmp_path)
    assert window.files.open_path(path)
    autosaver = window.files.autosaver
    assert autosaver.save_now() is None  # clean: nothing to write
    window.document.set_param("train", "learning_rate", 0.25)
    written = autosaver.save_now()
    assert written == autosave_path(path) and written.parent.name == "autosave"
    assert written.read_text(encoding="utf-8") == window.document.to_text()
    edited = window.document.to_text()
    os.utime(path, (1_000_000, 1_000_000))  # the file is older than its autosave
    assert recovery_for(path) == written

    other = MainWindow()  # a crash: the first window never closed; a new editor opens the file
    qtbot.addWidget(other)
    answers.queue = [Button.Yes]
    assert other.files.open_path(path)
    assert answers.asked[-1][:2] == ("question", "Recover unsaved changes")
    assert other.document.to_text() == edited
    assert other.isWindowModified() and other.document.path == path
    other.document.undo_stack.undo()
    assert other.document.to_text() == path.read_text(encoding="utf-8")
    other.document.undo_stack.redo()
    assert other.files.save()
    assert not autosave_path(path).exists()
    assert path.read_text(encoding="utf-8") == edited


def test_declined_recovery_removes_the_autosave(window, answers, tmp_path) -> None:
    path = copy_example(tmp_path)
    stale = autosave_path(path)
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text(EXAMPLE.read_text(encoding="utf-8").replace("Train", "Recovered"), encoding="utf-8")
    os.utime(path, (1_000_000, 1_000_000))
    answers.queue = [Button.No]
    assert window.files.open_path(path)
    assert not stale.exists() and not window.isWindowModified()
    assert window.document.pipeline.node("train").label == "Train"


def test_autosave_timer_writes_while_dirty(qtbot, tmp_path) -> None:
    from nodeloom.desktop.autosave import Autosaver
    from nodeloom.desktop.document import Document

    document = Document()
    saver = Autosaver(document, interval_ms=20)
    document.add_node("math.add", (0, 0))
    qtbot.waitUntil(lambda: autosave_path(None).exists(), timeout=2000)
    assert autosave_path(None).read_text(encoding="utf-8") == document.to_text()
    document.undo_stack.undo()  # back to clean: the autosave goes
    assert not autosave_path(None).exists()
    saver.stop()


def test_clean_close_removes_autosave(window, tmp_path) -> None:
    path = copy_example(tmp_path)
    assert window.files.open_path(path)
    window.document.delete(["export"])
    window.files.autosaver.save_now()
    assert autosave_path(path).exists()
    assert window.close()  # answered Discard
    assert not autosave_path(path).exists()


def test_recent_files(window, tmp_path) -> None:
    first, second = copy_example(tmp_path), tmp_path / "second.json"
    second.write_bytes(EXAMPLE.read_bytes())
    assert window.files.open_path(first)
    assert window.files.open_path(second)
    assert recent_files() == [second.resolve(), first.resolve()]
    add_recent(tmp_path / "gone.json")
    assert recent_files() == [second.resolve(), first.resolve()]
    menu = window.menus["recent"]
    menu.aboutToShow.emit()
    labels = [a.text() for a in menu.actions() if a.text()]
    assert labels[:2] == ["&1 second.json", "&2 demo.json"]
    next(a for a in menu.actions() if a.text() == "&2 demo.json").trigger()
    assert window.document.path == first.resolve()


# -- the command line --------------------------------------------------------------------------------
# the editor must come up offscreen with no display variables at all
run_cli = partial(run_nodeloom, drop=NO_DISPLAY, timeout=60)


def test_edit_smoke_in_a_subprocess(tmp_path) -> None:
    path = copy_example(tmp_path)
    done = run_cli("edit", str(path), env_extra={"NODELOOM_QUIT_AFTER_MS": "300"})
    assert done.returncode == 0, done.stderr
    assert "window 'demo.json[*] (regression-demo) — Nodeloom' showed 7 nodes" in done.stdout
    assert "Traceback" not in done.stderr
    # with no file, the editor reopens the last one
    again = run_cli(env_extra={"NODELOOM_QUIT_AFTER_MS": "300"})
    assert again.returncode == 0 and "showed 7 nodes" in again.stdout, again.stderr


def test_edit_a_new_file_and_a_broken_file(tmp_path) -> None:
    new = run_cli("edit", str(tmp_path / "new.json"), env_extra={"NODELOOM_QUIT_AFTER_MS": "200"})
    assert new.returncode == 0 and "window 'new.json[*] — Nodeloom' showed 0 nodes" in new.stdout, new.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    done = run_cli("edit", str(broken))
    assert done.returncode == 2
    assert done.stderr.strip().startswith(f"{broken}: invalid JSON")
    assert len(done.stderr.strip().splitlines()) == 1


def test_render_in_a_subprocess(tmp_path) -> None:
    out = tmp_path / "demo.png"
    done = run_cli("render", str(EXAMPLE), "-o", str(out), "--width", "800")
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    missing = run_cli("render", str(tmp_path / "nope.json"), "-o", str(out))
    assert (
        missing.returncode == 2
        and missing.stderr.strip() == f"nodeloom: {tmp_path / 'nope.json'}: no such file"
    )


def test_edit_without_a_display_says_so(tmp_path) -> None:
    done = run_nodeloom("edit", str(EXAMPLE), drop=(*NO_DISPLAY, "QT_QPA_PLATFORM"), timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("nodeloom: no display to open the editor on")
    assert len(done.stderr.strip().splitlines()) == 1


def test_close_guard_also_protects_new_and_open(window, answers) -> None:
    assert window.files.open_path(EXAMPLE)
    window.close_guards.append(lambda: False)
    assert not window.files.new()
    assert not window.files.open(EXAMPLE)
    assert window.document.path == EXAMPLE
    window.close_guards.clear()


# -- autosave soon after each edit -------------------------------------------------------------------
def test_autosave_follows_each_edit_within_seconds_privately(qtbot, window, tmp_path) -> None:
    path = copy_example(tmp_path)
    assert window.files.open_path(path)
    assert window.files.autosaver.timer.interval() >= 30_000  # not the periodic net: the debounce
    window.scene.select_nodes(["train"])
    window.view.setFocus()
    from PySide6.QtCore import Qt

    qtbot.keyClick(window.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # Duplicate
    assert "train_2" in window.document.pipeline.nodes
    saved = autosave_path(path)
    qtbot.waitUntil(saved.exists, timeout=4000)
    assert saved.read_text(encoding="utf-8") == window.document.to_text()
    if os.name == "posix":
        assert saved.stat().st_mode & 0o777 == 0o600
        assert saved.parent.stat().st_mode & 0o777 == 0o700


EDITOR_THEN_EDIT = """
import sys
from pathlib import Path
from nodeloom.desktop.app import create_app, open_window
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest

app = create_app()
window = open_window(Path(sys.argv[1]))
window.show()

def edit():
    window.scene.select_nodes(["train"])
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    print("edited" if "train_2" in window.document.pipeline.nodes else "no edit", flush=True)

QTimer.singleShot(300, edit)
app.exec()
"""


@pytest.mark.slow
def test_an_edit_2_s_before_kill_9_is_recovered(qtbot, answers, tmp_path) -> None:
    path = copy_example(tmp_path)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("DISPLAY", None)
    editor = subprocess.Popen(
        [sys.executable, "-c", EDITOR_THEN_EDIT, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert editor.stdout is not None
        assert editor.stdout.readline().strip() == "edited"
        import time

        time.sleep(2.0)
        editor.kill()  # SIGKILL: no close event, no clean-up
    finally:
        if editor.poll() is None:
            editor.kill()
        _out, err = editor.communicate(timeout=10)  # reaps it and closes the pipes
    assert "Traceback" not in err
    saved = autosave_path(path)
    assert saved.exists()
    os.utime(path, (1_000_000, 1_000_000))  # the file predates the crash
    fresh = MainWindow()
    qtbot.addWidget(fresh)
    answers.queue = [Button.Yes]
    assert fresh.files.open_path(path)
    kind, title, text = answers.asked[-1]
    assert (kind, title) == ("question", "Recover unsaved changes")
    assert "closed" not in text and "crashed" in text
    assert "train_2" in fresh.document.pipeline.nodes
