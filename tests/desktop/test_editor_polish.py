"""Editor polish: one binding per key, Ctrl+D and Delete through the real key path, Help menu,
node context menu, tooltips with shortcuts, title and counts wording, the theme reaching every chart."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nodeloom.desktop import examples_menu
from nodeloom.desktop.main_window import MainWindow
from nodeloom.desktop.shortcut_check import shortcut_conflicts
from nodeloom.desktop.shortcut_sheet import shortcut_rows
from nodeloom.desktop.theme import theme_manager
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "regression_demo.json"


@pytest.fixture
def window(main_window: MainWindow) -> MainWindow:
    assert main_window.files.open_path(EXAMPLE)
    main_window.view.setFocus()
    return main_window


def test_no_key_sequence_is_bound_twice(window) -> None:
    assert shortcut_conflicts(window) == []


def test_a_second_binding_is_caught(window) -> None:
    from PySide6.QtGui import QAction, QKeySequence

    clash = QAction("Clash", window)
    clash.setShortcut(QKeySequence("Ctrl+D"))
    window.addAction(clash)
    assert any(line.startswith("Ctrl+D:") for line in shortcut_conflicts(window))


def test_ctrl_d_and_delete_work_from_the_keyboard(qtbot, window, qtlog) -> None:
    doc = window.document
    window.scene.select_nodes(["train"])
    qtbot.keyClick(window.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert "train_2" in doc.pipeline.nodes
    assert window.scene.selected_node_ids() == ["train_2"]
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert "train_2" not in doc.pipeline.nodes
    # a selected backdrop goes with Delete too (the canvas owns the key)
    window.scene.select_nodes(["data", "split"])
    window.scene.group_selection("Inputs")
    window.scene.clearSelection()
    window.scene.backdrop_items()[0].setSelected(True)
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert not doc.pipeline.ui.get("backdrops")
    assert "data" in doc.pipeline.nodes  # the group goes, its nodes stay
    assert not [r for r in qtlog.records if "Ambiguous" in r.message]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb: X11 adds its own standard keys")
def test_no_ambiguous_shortcut_under_x11(tmp_path) -> None:
    """X11's key bindings differ from offscreen (its Delete also means Ctrl+D): check a real xcb window."""
    display = ":" + str(300 + os.getpid() % 300)
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24"], stderr=subprocess.DEVNULL)
    try:
        code = (
            "from nodeloom.desktop.app import create_app; from nodeloom.desktop.main_window import MainWindow;"
            "from nodeloom.desktop.shortcut_check import shortcut_conflicts;"
            "app = create_app(); w = MainWindow(); w.show(); app.processEvents();"
            "print('CONFLICTS', shortcut_conflicts(w))"
        )
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "NODELOOM_HOME": str(tmp_path)}
        for _ in range(50):
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
            )
            if "could not connect to display" not in done.stderr:
                break
        assert "CONFLICTS []" in done.stdout, done.stdout + done.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_tooltips_name_their_shortcuts(window) -> None:
    for key in ("new", "open", "save", "undo", "redo", "auto_layout", "frame_all", "zoom_in", "delete"):
        action = window.actions[key]
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        assert keys and f"({keys})" in action.toolTip(), (key, action.toolTip())


def test_help_lists_the_examples_found_at_open_time(qtbot, window, tmp_path, monkeypatch) -> None:
    menu = window.menus["examples"]
    menu.aboutToShow.emit()
    shipped = [a.text() for a in menu.actions()]
    assert "Regression demo" in shipped and len(shipped) == len(examples_menu.example_files())
    extra = tmp_path / "examples"
    extra.mkdir()
    (extra / "first_steps.json").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    (extra / "broken.json").write_text("{", encoding="utf-8")
    monkeypatch.setattr(examples_menu, "examples_dir", lambda: extra)
    menu.aboutToShow.emit()  # a new example shows up without touching the editor
    assert [a.text() for a in menu.actions()] == ["Broken", "First steps"]
    next(a for a in menu.actions() if a.text() == "First steps").trigger()
    assert window.document.path == extra / "first_steps.json"


def test_shortcut_sheet_reads_the_live_actions(window) -> None:
    rows = {what: keys for keys, what in shortcut_rows(window)}
    assert rows["Duplicate"] == "Ctrl+D" and rows["Delete"].startswith("Del")
    assert rows["Minimap"] == "Ctrl+M" and "Tab / double-click empty canvas" in dict(shortcut_rows(window))
    window.view.setFocus()
    window.actions["shortcuts"].trigger()
    sheet = window.findChild(QDialog, "shortcutSheet")
    assert sheet is not None and sheet.isVisible()
    sheet.close()


def test_quick_add_is_in_the_edit_menu(window) -> None:
    assert window.actions["quick_add"] in window.menus["edit"].actions()
    window.actions["quick_add"].trigger()
    assert window.view.quick_add.isVisible()
    window.view.quick_add.hide()


def test_node_context_menu_copy_duplicate_rename_delete(qtbot, window) -> None:
    window.scene.select_nodes(["train"])
    menu = window.scene.build_node_menu("train")
    texts = [a.text().replace("&", "") for a in menu.actions() if a.text()]
    for wanted in ("Copy", "Duplicate", "Rename…", "Delete", "Disable"):
        assert wanted in texts
    by_text = {a.text().replace("&", ""): a for a in menu.actions()}
    assert by_text["Duplicate"].shortcut().toString() == "Ctrl+D"
    assert by_text["Rename…"].shortcut().toString() == "F2"
    by_text["Rename…"].trigger()  # a node's label is edited in the inspector
    label = window.inspector.form.label_edit
    qtbot.waitUntil(label.hasFocus)
    label.selectAll()
    qtbot.keyClicks(label, "Fit the model")
    qtbot.keyClick(label, Qt.Key.Key_Return)
    assert window.document.pipeline.node("train").label == "Fit the model"
    by_text["Duplicate"].trigger()
    assert "train_2" in window.document.pipeline.nodes


def test_title_after_save_as_and_counts_agree(qtbot, main_window, tmp_path, monkeypatch) -> None:
    window = main_window
    window.add_node_at_centre("math.add")
    qtbot.waitUntil(lambda: window.counts_label.text() == "1 node · 0 edges")
    target = tmp_path / "mine.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    assert window.files.save_as()
    assert window.windowTitle() == "mine.json[*] — Nodeloom"


def test_dark_theme_reaches_the_charts_and_the_minimap(qtbot, window) -> None:
    import pyqtgraph as pg

    manager = theme_manager()
    views = window.findChildren(pg.GraphicsView)
    assert len(views) >= 3, "timeline, metrics and resources charts are part of the editor"
    try:
        manager.set_mode("dark")
        base = QApplication.palette().color(QPalette.ColorRole.Base)
        for view in views:
            assert view.backgroundBrush().color() == base
            assert view.backgroundBrush().color().lightness() < 100
        window.view.set_zoom(1.5)
        window.view.minimap.rebuild()
        assert window.view.minimap._pixmap.toImage().pixelColor(2, 2).lightness() < 100
        manager.set_mode("light")
        for view in views:
            assert view.backgroundBrush().color().lightness() > 200
    finally:
        manager.set_mode("system")
