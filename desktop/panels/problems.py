"""The Problems dock: every problem of the open pipeline, one line each, re-listed as validation re-runs.

Clicking a problem that names a node emits `node_activated(id)`; the window selects and frames that
node. The panel reads `document.problems` only, so it shows exactly what `nodeloom validate` reports.
"""

from __future__ import annotations

from pathlib import Path

import qtawesome as qta
from nodeloom.core.errors import Problem
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from ..document import Document

NODE_ROLE = Qt.ItemDataRole.UserRole + 1


class ProblemsPanel(QWidget):
    node_activated = Signal(str)
    count_changed = Signal(int)

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setUniformItemSizes(True)
        self.list.setWordWrap(False)
        self.empty = QLabel("No problems.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        self.list.itemClicked.connect(self._on_clicked)
        self.list.itemActivated.connect(self._on_clicked)
        document.problems_changed.connect(self.show_problems)
        self.show_problems(document.problems)

    def show_problems(self, problems: list[Problem]) -> None:
        self.list.clear()
        file = Path(self.document.path).name if self.document.path else None
        error_icon = qta.icon("fa5s.exclamation-circle", color="#d9534f")
        warning_icon = qta.icon("fa5s.exclamation-triangle", color="#e0a800")
        for problem in problems:
            text = problem.format(file).removeprefix(f"{file or '<pipeline>'}: ")
            item = QListWidgetItem(error_icon if problem.severity == "error" else warning_icon, text)
            item.setToolTip(problem.format(str(self.document.path) if self.document.path else None))
            item.setData(NODE_ROLE, problem.node)
            self.list.addItem(item)
        self.list.setVisible(bool(problems))
        self.empty.setVisible(not problems)
        self.count_changed.emit(len(problems))

    def lines(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _on_clicked(self, item: QListWidgetItem) -> None:
        node_id = item.data(NODE_ROLE)
        if node_id and node_id in self.document.pipeline.nodes:
            self.node_activated.emit(node_id)
