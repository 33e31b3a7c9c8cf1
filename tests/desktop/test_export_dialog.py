"""File > Export…: the shortcut opens the dialog, the user picks a target and a file, Export writes it.

Driven through real gestures: the window's shortcut, the combo box by keyboard, typing the path,
clicking Export. The written Python export then runs in a subprocess; a file that cannot be written
leaves the dialog open with the reason shown.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "resources" / "examples" / "regression_demo.json"


def open_dialog(qtbot, window, tmp_path: Path):
    pipeline = tmp_path / "demo.json"
    shutil.copy(EXAMPLE, pipeline)
    assert window.files.open_path(pipeline)
    window.activateWindow()
    qtbot.keyClick(
        window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(
        lambda: getattr(window, "export_dialog", None) is not None and window.export_dialog.isVisible()
    )
    return window.export_dialog


def test_export_from_the_file_menu_writes_a_runnable_script(qtbot, main_window, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, main_window, tmp_path)
    assert dialog.path.text() == str(tmp_path / "demo.py")  # suggested beside the pipeline
    out = tmp_path / "out" / "demo_export.py"
    dialog.path.clear()
    qtbot.keyClicks(dialog.path, str(out))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.written == out
    proc = subprocess.run(
        [sys.executable, str(out)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "export.result = " in proc.stdout


def test_choosing_a_target_suggests_its_file_and_writes_it(qtbot, main_window, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, main_window, tmp_path)
    dialog.target.setFocus()
    qtbot.keyClick(dialog.target, Qt.Key.Key_Down)  # Python -> Prefect
    assert dialog.target.currentData() == "prefect"
    assert dialog.path.text() == str(tmp_path / "demo_flow.py")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    code = (tmp_path / "demo_flow.py").read_text()
    assert "@flow(" in code and '@task(name="train", retries=1' in code
    compile(code, "demo_flow.py", "exec")


def test_an_unwritable_file_keeps_the_dialog_open_with_the_reason(qtbot, main_window, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, main_window, tmp_path)
    dialog.path.setText(str(tmp_path))  # a folder, not a file
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.problems.isVisible())
    assert "cannot write" in dialog.problems.text()
    assert dialog.isVisible() and dialog.written is None
    dialog.reject()
