"""Backdrops through real gestures: select by its title, Delete, rename by double-click, F2, menu, inspector."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "regression_demo.json"


@pytest.fixture
def window(main_window):
    assert main_window.files.open_path(EXAMPLE)
    assert main_window.document.add_backdrop(["train", "evaluate"], "Model") == 0
    main_window.view.resetTransform()
    item = main_window.scene.backdrop_items()[0]
    main_window.view.centerOn(item.title_rect().center())
    QApplication.processEvents()
    return main_window


def _title_point(window) -> QPoint:
    item = window.scene.backdrop_items()[0]
    return window.view.mapFromScene(item.title_rect().center())


def _answer_next_dialog(qtbot, text: str) -> list[str]:
    """Type `text` into the next QInputDialog and press Enter, as a user would; returns the label seen."""
    seen: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, answer)
            return
        seen.append(dialog.labelText())
        dialog.setTextValue(text)
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    QTimer.singleShot(20, answer)
    return seen


def _click_title(qtbot, window) -> None:
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=_title_point(window))
    assert window.scene.selected_backdrops() == [0]


def test_delete_key_deletes_a_selected_backdrop_and_keeps_its_nodes(qtbot, window) -> None:
    nodes = list(window.document.pipeline.nodes)
    _click_title(qtbot, window)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert window.document.pipeline.backdrops() == []
    assert list(window.document.pipeline.nodes) == nodes
    window.actions["undo"].trigger()
    assert [b.title for b in window.document.pipeline.backdrops()] == ["Model"]


def test_double_click_on_the_title_renames(qtbot, window) -> None:
    seen = _answer_next_dialog(qtbot, "Training")
    qtbot.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=_title_point(window))
    assert seen == ["Title:"]
    assert window.document.pipeline.backdrop(0).title == "Training"
    assert not window.view.quick_add.isVisible()  # the title is not empty canvas


def test_f2_renames_the_selected_backdrop(qtbot, window) -> None:
    _click_title(qtbot, window)
    window.view.setFocus()
    _answer_next_dialog(qtbot, "Fit and score")
    qtbot.keyClick(window.view, Qt.Key.Key_F2)
    assert window.document.pipeline.backdrop(0).title == "Fit and score"
    assert window.document.undo_stack.undoText() == "Rename backdrop Model to Fit and score"


def test_context_menu_offers_rename_and_delete(qtbot, window) -> None:
    menu = window.scene.build_backdrop_menu(0)
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Rename…", "Select its nodes", "Delete backdrop (keep nodes)"]
    _answer_next_dialog(qtbot, "Renamed")
    menu.actions()[0].trigger()
    assert window.document.pipeline.backdrop(0).title == "Renamed"
    menu.actions()[1].trigger()
    assert window.scene.selected_node_ids() == ["train", "evaluate"]
    menu.actions()[2].trigger()
    assert window.document.pipeline.backdrops() == []


def test_inspector_title_field_renames_and_follows_undo(qtbot, window) -> None:
    _click_title(qtbot, window)
    form = window.inspector.backdrop_form
    assert window.inspector.pages.currentWidget() is form
    assert form.title_edit.text() == "Model"
    form.title_edit.selectAll()
    qtbot.keyClicks(form.title_edit, "Scoring")
    qtbot.keyClick(form.title_edit, Qt.Key.Key_Return)
    assert window.document.pipeline.backdrop(0).title == "Scoring"
    window.document.undo_stack.undo()
    assert form.title_edit.text() == "Model"
    form.title_edit.selectAll()
    qtbot.keyClick(form.title_edit, Qt.Key.Key_Delete)
    qtbot.keyClick(form.title_edit, Qt.Key.Key_Return)
    assert window.document.pipeline.backdrop(0).title == "Model"  # blank is refused and shown back
    assert form.title_edit.text() == "Model"


def test_inspector_leaves_a_deleted_backdrop_and_a_rename_keeps_it_selected(qtbot, window) -> None:
    _click_title(qtbot, window)
    assert window.inspector.pages.currentWidget() is window.inspector.backdrop_form
    assert window.document.rename_backdrop(0, "Kept")
    assert window.scene.selected_backdrops() == [0]
    assert window.inspector.pages.currentWidget() is window.inspector.backdrop_form
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert window.document.pipeline.backdrops() == []
    assert window.inspector.pages.currentWidget() is window.inspector.form
