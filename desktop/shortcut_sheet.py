"""Help > Keyboard Shortcuts: one table of every key binding, read from the window's live actions (so it
never drifts from what the keys really do), plus the canvas gestures that are not actions.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

GESTURES: list[tuple[str, str]] = [
    ("Tab / double-click empty canvas", "Search node types and add one"),
    ("Drag from a port", "Connect; drop on empty canvas to add a fitting node"),
    ("Wheel", "Zoom around the cursor"),
    ("Middle drag / Space + drag", "Pan"),
    ("Right-click a node", "Copy, duplicate, rename, delete, enable/disable"),
]


def _typeable(seq: QKeySequence) -> bool:
    """Keys on an ordinary keyboard: not the media/Sun keys (Open, Copy, F14...) Qt's standard bindings add."""
    key = seq[0].key()
    return key < Qt.Key.Key_Back and not (Qt.Key.Key_F13 <= key <= Qt.Key.Key_F35)


def shortcut_rows(window: QWidget) -> list[tuple[str, str]]:
    """(keys, what) for every action with a shortcut, in menu order, then the canvas gestures."""
    rows: list[tuple[str, str]] = []
    seen: set[int] = set()
    for action in window.findChildren(QAction):
        if id(action) in seen or not action.shortcuts() or not action.associatedObjects():
            continue
        seen.add(id(action))
        typed = [seq for seq in action.shortcuts() if _typeable(seq)]
        if not typed:
            continue
        keys = ", ".join(seq.toString(QKeySequence.SequenceFormat.NativeText) for seq in typed[:2])
        text = action.text().replace("&", "").split("\t")[0]
        rows.append(
            (keys, "Undo" if text.startswith("Undo") else "Redo" if text.startswith("Redo") else text)
        )
    return rows + GESTURES


def show_shortcut_sheet(window: QWidget) -> QDialog:
    dialog = QDialog(window)
    dialog.setObjectName("shortcutSheet")
    dialog.setWindowTitle("Keyboard shortcuts")
    rows = shortcut_rows(window)
    table = QTableWidget(len(rows), 2, dialog)
    table.setHorizontalHeaderLabels(["Keys", "Action"])
    for r, (keys, what) in enumerate(rows):
        table.setItem(r, 0, QTableWidgetItem(keys))
        table.setItem(r, 1, QTableWidgetItem(what))
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    layout.addWidget(buttons)
    dialog.resize(520, 560)
    dialog.setModal(False)
    dialog.show()
    return dialog
