"""The Logs dock: every log line of the shown run, filtered by node, level and text, copyable.

Lines arrive in batches from the bridge tick (one `beginInsertRows` per batch, not per line). A row
click emits `node_activated(node_id)` so the controller selects that node on the canvas. Ctrl+C or
the Copy button copies the selected lines (all shown lines when none is selected) as tab-separated
text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableView,
    QWidget,
)

from .dock_body import set_dock_body
from .palette import LEVEL_COLORS
from .run_state import LogLine

LEVEL_RANK = {"debug": 0, "info": 1, "warning": 2, "error": 3}
HEADERS = ("time", "node", "level", "message")
Index = QModelIndex | QPersistentModelIndex


class LogModel(QAbstractTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[LogLine] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        line = self.lines[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return format_cell(line, col)
        if role == Qt.ItemDataRole.ForegroundRole and LEVEL_COLORS.get(line.level):
            return QBrush(QColor(LEVEL_COLORS[line.level]))
        if role == Qt.ItemDataRole.ToolTipRole and col == 3 and len(line.message) > 80:
            return line.message
        return None

    def set_lines(self, lines: list[LogLine]) -> None:
        self.beginResetModel()
        self.lines = list(lines)
        self.endResetModel()

    def append(self, lines: list[LogLine]) -> None:
        if not lines:
            return
        first = len(self.lines)
        self.beginInsertRows(QModelIndex(), first, first + len(lines) - 1)
        self.lines.extend(lines)
        self.endInsertRows()


def format_cell(line: LogLine, column: int) -> str:
    if column == 0:
        return dt.datetime.fromtimestamp(line.time).strftime("%H:%M:%S.%f")[:-3]
    if column == 1:
        return line.node_id
    if column == 2:
        return line.level
    return line.message


class LogFilter(QSortFilterProxyModel):
    def __init__(self) -> None:
        super().__init__()
        self.node: str | None = None
        self.min_level = 0
        self.text = ""

    def set_filter(self, node: str | None, min_level: int, text: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9; invalidateFilter() is deprecated there
            self.beginFilterChange()
            self.node, self.min_level, self.text = node, min_level, text.lower()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.node, self.min_level, self.text = node, min_level, text.lower()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        line = self.sourceModel().lines[row]  # type: ignore[attr-defined]
        if self.node is not None and line.node_id != self.node:
            return False
        if LEVEL_RANK.get(line.level, 1) < self.min_level:
            return False
        return not self.text or self.text in line.message.lower()


class LogsDock(QDockWidget):
    node_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Logs", parent)
        self.setObjectName("logs_dock")
        self.model = LogModel()
        self.proxy = LogFilter()
        self.proxy.setSourceModel(self.model)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(20)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 96)
        header.resizeSection(1, 120)
        header.resizeSection(2, 64)
        self.view.clicked.connect(self._clicked)
        self.node_box = QComboBox()
        self.node_box.addItem("All nodes", None)
        self.level_box = QComboBox()
        for level in LEVEL_RANK:
            self.level_box.addItem(f"{level} and up" if level != "error" else "error", LEVEL_RANK[level])
        self.text_box = QLineEdit(placeholderText="Filter text")
        self.text_box.setClearButtonEnabled(True)
        copy_button = QPushButton("Copy")
        copy_button.setToolTip("Copy the selected lines (or all shown lines) as tab-separated text")
        copy_button.clicked.connect(self.copy)
        for box in (self.node_box, self.level_box):
            box.currentIndexChanged.connect(self._refilter)
        self.text_box.textChanged.connect(self._refilter)
        # PySide6 ignores a `context=` keyword here: set it explicitly, or Ctrl+C becomes window-wide and ambiguous
        copy_shortcut = QShortcut(QKeySequence.StandardKey.Copy, self.view)
        copy_shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        copy_shortcut.activated.connect(self.copy)
        bar = QHBoxLayout()
        bar.addWidget(self.node_box)
        bar.addWidget(self.level_box)
        bar.addWidget(self.text_box, 1)
        bar.addWidget(copy_button)
        set_dock_body(self, bar, self.view)
        self._nodes: set[str] = set()

    # -- data ------------------------------------------------------------------------------------------
    def set_lines(self, lines: list[LogLine]) -> None:
        self.model.set_lines(lines)
        self._nodes.clear()
        while self.node_box.count() > 1:
            self.node_box.removeItem(1)
        self._add_nodes(lines)

    def append(self, lines: list[LogLine]) -> None:
        if not lines:
            return
        bar = self.view.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        self.model.append(lines)
        self._add_nodes(lines)
        if at_end:
            self.view.scrollToBottom()

    def shown_lines(self) -> list[LogLine]:
        return [
            self.model.lines[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
            for r in range(self.proxy.rowCount())
        ]

    def set_node_filter(self, node_id: str | None) -> None:
        index = self.node_box.findData(node_id) if node_id is not None else 0
        self.node_box.setCurrentIndex(max(0, index))

    def set_min_level(self, level: str) -> None:
        self.level_box.setCurrentIndex(self.level_box.findData(LEVEL_RANK[level]))

    def copy(self) -> str:
        rows = sorted({self.proxy.mapToSource(i).row() for i in self.view.selectionModel().selectedRows()})
        lines = [self.model.lines[r] for r in rows] if rows else self.shown_lines()
        text = "\n".join("\t".join(format_cell(line, c) for c in range(len(HEADERS))) for line in lines)
        QGuiApplication.clipboard().setText(text)
        return text

    # -- internals ---------------------------------------------------------------------------------------
    def _add_nodes(self, lines: list[LogLine]) -> None:
        for line in lines:
            if line.node_id and line.node_id not in self._nodes:
                self._nodes.add(line.node_id)
                self.node_box.addItem(line.node_id, line.node_id)

    def _refilter(self) -> None:
        self.proxy.set_filter(
            self.node_box.currentData(), self.level_box.currentData() or 0, self.text_box.text()
        )

    def _clicked(self, index: QModelIndex) -> None:
        line = self.model.lines[self.proxy.mapToSource(index).row()]
        if line.node_id:
            self.node_activated.emit(line.node_id)
