"""The History dock: the document's undo stack as a list; clicking an entry jumps there (Qt's QUndoView)."""

from __future__ import annotations

from PySide6.QtWidgets import QUndoView

from ..document import Document


class HistoryView(QUndoView):
    def __init__(self, document: Document) -> None:
        super().__init__(document.undo_stack)
        self.setEmptyLabel("<opened>")
        self.setCleanIcon(self.style().standardIcon(self.style().StandardPixmap.SP_DialogSaveButton))
