"""The Pipeline panel: the pipeline's name, description and parameters (name -> default JSON value).

Every edit goes through the `Document` (one undo step each). Renaming a parameter also rewrites the
`{"$param": OLD}` references to it, in the same undo step, so bindings follow the rename. A value
is typed as JSON; text that does not parse is refused with the reason under the table (a bare word
is not silently turned into a string, so `1e` or `[1, 2` do not become strings by accident).
"""

from __future__ import annotations

import copy
from typing import Any

from nodeloom.core.file_format import parse_text
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..document import Document
from ..icons import themed_icon
from .param_widgets import json_text
from .signals import signals_blocked


class PipelinePanel(QWidget):
    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit()
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText("What this pipeline does")
        self.description.setMaximumHeight(80)
        form.addRow("Name", self.name)
        form.addRow("Description", self.description)
        layout.addLayout(form)
        header = QHBoxLayout()
        header.addWidget(QLabel("Parameters"))
        header.addStretch(1)
        self.add_button = QToolButton()
        self.add_button.setIcon(themed_icon("fa5s.plus"))
        self.add_button.setToolTip("Add a parameter")
        self.remove_button = QToolButton()
        self.remove_button.setIcon(themed_icon("fa5s.minus"))
        self.remove_button.setToolTip("Remove the selected parameter")
        header.addWidget(self.add_button)
        header.addWidget(self.remove_button)
        layout.addLayout(header)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Name", "Value (JSON)"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        layout.addWidget(self.table, 1)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #d9534f;")
        self.error.hide()
        layout.addWidget(self.error)
        self._description_timer = QTimer(self, singleShot=True, interval=600)
        self._description_timer.timeout.connect(self._commit_description)

        self.name.editingFinished.connect(self._commit_name)
        self.description.textChanged.connect(self._description_timer.start)
        self.table.itemChanged.connect(self._on_item_changed)
        self.add_button.clicked.connect(self.add_parameter)
        self.remove_button.clicked.connect(self.remove_selected)
        document.pipeline_changed.connect(self.refresh)
        document.reset.connect(self.refresh)
        self.refresh()

    # -- model -> widgets ------------------------------------------------------------------------
    def refresh(self, *_args: object) -> None:
        pipeline = self.document.pipeline
        with signals_blocked(self.name, self.description, self.table):
            if self.name.text() != pipeline.name:
                self.name.setText(pipeline.name)
            if self.description.toPlainText() != pipeline.description:
                self.description.setPlainText(pipeline.description)
            self.table.setRowCount(len(pipeline.parameters))
            for row, (name, value) in enumerate(pipeline.parameters.items()):
                self.table.setItem(row, 0, QTableWidgetItem(name))
                self.table.setItem(row, 1, QTableWidgetItem(json_text(value)))
        self._description_timer.stop()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    # -- widgets -> model ------------------------------------------------------------------------
    def _commit_name(self) -> None:
        name = self.name.text().strip()
        if not name:
            self._show_error("the pipeline needs a name")
            self.refresh()
            return
        self._show_error("")
        self.document.set_info("name", name)

    def _commit_description(self) -> None:
        self.document.set_info("description", self.description.toPlainText())

    def flush(self) -> None:
        """Write a pending description edit now (before saving, for instance)."""
        if self._description_timer.isActive():
            self._description_timer.stop()
            self._commit_description()

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        names = list(self.document.pipeline.parameters)
        row = item.row()
        if row >= len(names):
            return
        if item.column() == 0:
            self.rename_parameter(names[row], item.text().strip())
        else:
            try:
                value = parse_text(item.text())
            except ValueError as exc:
                self._show_error(f"parameter '{names[row]}': {exc} (strings need quotes)")
                self.refresh()
                return
            self.set_value(names[row], value)

    def set_value(self, name: str, value: Any) -> None:
        self._show_error("")
        parameters = copy.deepcopy(self.document.pipeline.parameters)
        parameters[name] = value
        self.document.set_info("parameters", parameters)

    def add_parameter(self) -> str:
        taken = self.document.pipeline.parameters
        name, i = "param", 2
        while name in taken:
            name, i = f"param_{i}", i + 1
        self.set_value(name, None)
        self.table.setCurrentCell(len(taken) - 1, 0)
        return name

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        names = list(self.document.pipeline.parameters)
        if 0 <= row < len(names):
            parameters = copy.deepcopy(self.document.pipeline.parameters)
            del parameters[names[row]]
            self.document.set_info("parameters", parameters)

    def rename_parameter(self, old: str, new: str) -> bool:
        """Rename keeping the table order; references to it follow, in one undo step."""
        refusal = self.document.rename_parameter(old, new)
        self._show_error(refusal or "")
        if refusal is not None:
            self.refresh()
        return refusal is None
