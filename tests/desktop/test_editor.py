"""The editor window end to end, driven the way a user drives it: palette double-clicks and drops,
inspector typing, menu actions; then undo all, redo all, save, reload and compare bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from nodeloom.core.file_format import dumps, load_pipeline
from nodeloom.core.model import Edge
from nodeloom.desktop.main_window import MainWindow
from nodeloom.desktop.panels.palette import NODE_TYPE_MIME
from nodeloom.desktop.theme import theme_manager
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QPalette
from PySide6.QtWidgets import QApplication
from window_helpers import type_into

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "regression_demo.json"


@pytest.fixture
def window(main_window: MainWindow) -> MainWindow:
    return main_window


def drop_type(window: MainWindow, type_name: str, view_pos: QPoint) -> None:
    """Drop a palette item on the canvas exactly as a drag from the palette delivers it."""
    item = window.palette_panel.item_for(type_name)
    mime = window.palette_panel.tree.mimeData([item])
    viewport = window.view.viewport()
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(
        view_pos, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(view_pos), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(viewport, drop)


def test_build_undo_all_redo_all_save_reload(qtbot, window: MainWindow, tmp_path: Path) -> None:
    doc = window.document
    empty_text = doc.to_text()
    palette = window.palette_panel
    palette.tree.itemDoubleClicked.emit(palette.item_for("ml.make_regression"), 0)
    data = window.inspector.node_id
    assert data == "make_regression" and doc.pipeline.node(data).type == "ml.make_regression"
    drop_type(window, "ml.train_test_split", QPoint(300, 200))
    split = next(n for n in doc.pipeline.nodes if n != data)
    assert doc.pipeline.position(split) is not None
    assert doc.connect(Edge(data, "X", split, "X")).ok
    assert doc.connect(Edge(data, "y", split, "y")).ok
    window.scene.select_nodes([data])
    form = window.inspector.form
    type_into(qtbot, form.rows["n_samples"].typed.spin.lineEdit(), "640")
    type_into(qtbot, form.label_edit, "Make data")
    window.scene.select_nodes([split])
    type_into(qtbot, form.rows["test_size"].typed.spin.lineEdit(), "0.2")
    form.rows["seed"].bind_to("seed")
    built = doc.to_text()
    assert '"n_samples": 640' in built and '"test_size": 0.2' in built and '"$param": "seed"' in built
    assert window.isWindowModified()

    while doc.undo_stack.canUndo():
        window.actions["undo"].trigger()
    assert doc.to_text() == empty_text
    assert not window.isWindowModified()
    while doc.undo_stack.canRedo():
        window.actions["redo"].trigger()
    assert doc.to_text() == built

    target = tmp_path / "built.json"
    doc.save(target)
    assert target.read_text(encoding="utf-8") == built
    assert not window.isWindowModified() and window.windowTitle().startswith("built.json")
    assert dumps(load_pipeline(target)) == built
    assert window.files.open(target)
    assert doc.to_text() == built


def test_selection_drives_the_inspector_and_undo_updates_it(qtbot, window: MainWindow) -> None:
    assert window.files.open_path(EXAMPLE)
    window.scene.select_nodes(["train"])
    assert window.inspector.node_id == "train"
    spin = window.inspector.form.rows["learning_rate"].typed.spin
    type_into(qtbot, spin.lineEdit(), "0.5")
    assert window.document.pipeline.node("train").params["learning_rate"] == 0.5
    window.actions["undo"].trigger()
    assert spin.value() == pytest.approx(0.05)
    window.scene.select_nodes(["train", "data"])
    assert window.inspector.node_id is None
    assert "2 nodes selected" in window.inspector.form.empty.text()


def test_problems_dock_click_selects_and_frames(qtbot, window: MainWindow) -> None:
    assert window.files.open_path(EXAMPLE)
    doc = window.document
    doc.set_param("data", "noise", "loud")
    doc.validate_now()
    panel = window.problems_panel
    assert panel.lines() == ["node 'data': param 'noise': expected float, got a string"]
    assert window.problems_button.text() == "1 problem"
    window.view.set_zoom(3.0)
    panel.list.itemClicked.emit(panel.list.item(0))
    assert window.scene.selected_node_ids() == ["data"]
    assert window.inspector.node_id == "data"
    item = window.scene.node_item("data")
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert visible.contains(item.sceneBoundingRect().center())


def test_edit_menu_delete_select_all_duplicate(window: MainWindow) -> None:
    assert window.files.open_path(EXAMPLE)
    doc = window.document
    original = doc.to_text()
    window.actions["select_all"].trigger()
    assert sorted(window.scene.selected_node_ids()) == sorted(doc.pipeline.nodes)
    window.scene.select_nodes(["evaluate", "export"])
    new_ids = window.edits.duplicate()
    assert new_ids == ["evaluate_2", "export_2"]
    assert Edge("evaluate_2", "result", "export_2", "metrics") in doc.pipeline.edges
    assert sorted(window.scene.selected_node_ids()) == new_ids
    window.actions["delete"].trigger()
    assert doc.to_text() == original
    window.scene.select_nodes(["train"])
    window.actions["delete"].trigger()
    assert "train" not in doc.pipeline.nodes
    assert not any("train" in (e.src, e.dst) for e in doc.pipeline.edges)
    window.actions["undo"].trigger()
    assert doc.to_text() == original


def test_auto_layout_is_one_undo_step(window: MainWindow) -> None:
    assert window.files.open_path(EXAMPLE)
    doc = window.document
    before = doc.to_text()
    window.actions["auto_layout"].trigger()
    assert doc.undo_stack.count() == 1
    window.actions["undo"].trigger()
    assert doc.to_text() == before


def test_status_bar_counts_zoom_and_title(qtbot, window: MainWindow) -> None:
    assert window.windowTitle().startswith("untitled")
    assert window.files.open_path(EXAMPLE)
    qtbot.waitUntil(lambda: window.counts_label.text() == "7 nodes · 16 edges")
    assert window.windowTitle() == "regression_demo.json[*] (regression-demo) — Nodeloom"
    window.reset_zoom()
    assert window.zoom_label.text() == "100%"
    window.zoom_by(0.5)
    assert window.zoom_label.text() == "50%"
    window.document.delete(["export"])
    qtbot.waitUntil(lambda: window.counts_label.text() == "6 nodes · 14 edges")
    assert window.isWindowModified()


def test_add_dock_menus_and_close_guards(qtbot, window: MainWindow, monkeypatch) -> None:
    from PySide6.QtWidgets import QDockWidget, QLabel

    assert set(window.menus) >= {"file", "edit", "view", "run", "help"}
    dock = QDockWidget("Extra")
    dock.setWidget(QLabel("extra"))
    window.add_dock(dock)
    assert dock.toggleViewAction() in window.menus["panels"].actions()
    assert dock.objectName() == "dock_extra"
    answers = [False]
    window.close_guards.append(lambda: answers[0])
    assert not window.close()
    answers[0] = True
    assert window.close()


def test_file_dropped_on_the_canvas_opens(qtbot, window: MainWindow) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(EXAMPLE))])
    viewport = window.view.viewport()
    enter = QDragEnterEvent(
        QPoint(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(50, 50),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, drop)
    qtbot.waitUntil(lambda: window.document.path == EXAMPLE)
    assert len(window.document.pipeline.nodes) == 7


def test_node_type_drop_is_the_canvas_not_a_file(window: MainWindow) -> None:
    mime = QMimeData()
    mime.setData(NODE_TYPE_MIME, b"math.add")
    drop_type(window, "math.add", QPoint(120, 120))
    assert [n.type for n in window.document.pipeline.nodes.values()] == ["math.add"]


def test_theme_follows_choice(window: MainWindow) -> None:
    manager = theme_manager()
    try:
        window.actions["theme_dark"].trigger()
        assert manager.dark
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 100
        window.actions["theme_light"].trigger()
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 200
    finally:
        manager.set_mode("system")


def test_group_snap_history_and_theme_switch_keep_the_selection(window: MainWindow, monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog

    assert window.files.open_path(EXAMPLE)
    window.scene.select_nodes(["train", "evaluate"])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Model", True))
    window.actions["group"].trigger()
    backdrops = window.document.pipeline.ui["backdrops"]
    assert len(backdrops) == 1 and backdrops[0]["title"] == "Model"
    assert sorted(backdrops[0]["nodes"]) == ["evaluate", "train"]
    assert window.history.stack() is window.document.undo_stack
    assert window.document.undo_stack.count() == 1
    window.actions["snap"].setChecked(True)
    assert window.scene.snap_to_grid
    manager = theme_manager()
    try:
        window.scene.select_nodes(["sweep"])
        window.actions["theme_dark"].trigger()
        assert window.scene.selected_node_ids() == ["sweep"] and window.inspector.node_id == "sweep"
        assert window.scene.theme.dark
    finally:
        manager.set_mode("system")
