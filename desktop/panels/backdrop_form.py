"""The inspector's form for one selected backdrop: its title (renamed through the Document) and members.

Shown instead of the node form when a backdrop alone is selected; follows undo and canvas renames by
re-reading the model on every backdrop change.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ..document import Document
from .signals import signals_blocked


class BackdropForm(QWidget):
    gone = Signal()  # the shown backdrop was deleted (or the document replaced)

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.index: int | None = None
        box = QGroupBox("Backdrop")
        form = QFormLayout(box)
        self.title_edit = QLineEdit()
        self.title_edit.setObjectName("backdropTitle")
        self.title_edit.setPlaceholderText("Group")
        self.members = QLabel()
        self.members.setWordWrap(True)
        self.members.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow("Title", self.title_edit)
        form.addRow("Nodes", self.members)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addStretch(1)
        self.title_edit.editingFinished.connect(self._title_edited)
        document.ui_changed.connect(self._on_ui_changed)
        document.reset.connect(lambda: self.show_backdrop(None))

    def show_backdrop(self, index: int | None) -> None:
        if index is not None and not 0 <= index < len(self.document.pipeline.backdrops()):
            index = None
        was, self.index = self.index, index
        self.refresh()
        if index is None and was is not None:
            self.gone.emit()

    def refresh(self) -> None:
        if self.index is None:
            return
        backdrop = self.document.pipeline.backdrop(self.index)
        with signals_blocked(self.title_edit):
            if self.title_edit.text() != backdrop.title:
                self.title_edit.setText(backdrop.title)
            self.title_edit.setModified(False)
        self.members.setText(", ".join(backdrop.nodes) or "(none)")

    def _on_ui_changed(self, _node_id: str, field: str) -> None:
        if field == "backdrops":
            self.show_backdrop(self.index)

    def _title_edited(self) -> None:
        if self.index is None or not self.title_edit.isModified():
            return
        self.title_edit.setModified(False)
        if not self.document.rename_backdrop(self.index, self.title_edit.text()):
            self.refresh()  # a blank title is refused: show the kept one
