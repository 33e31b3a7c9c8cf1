"""The History dock: past runs from the run store (the editor's and the CLI's), newest first.

Double-click or Open shows a run again (statuses on the canvas, timeline, metrics, logs); selecting
two runs and pressing Compare draws both runs' metrics on one chart. The store is read after each run,
on Refresh, when the dock is shown, and when the store's files change on disk (a `nodeloom run` in a
terminal): a timer looks at the files' size and time only while the dock is visible, so watching
costs a `stat`, not a query.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from nodeloom.core.engine import RunStore
from nodeloom.core.engine.run_store import default_path
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from .dock_body import set_dock_body
from .palette import STATUS_COLORS

HEADERS = ("started", "pipeline", "status", "duration", "nodes", "backend", "file")
RUN_ID_ROLE = Qt.ItemDataRole.UserRole + 1
HISTORY_LIMIT = 200
WATCH_INTERVAL_MS = 1500


class HistoryDock(QDockWidget):
    open_requested = Signal(str)  # run id
    compare_requested = Signal(list)  # two run ids

    def __init__(
        self, store_factory: Any = RunStore, parent: QWidget | None = None, store_path: Path | None = None
    ) -> None:
        super().__init__("Run history", parent)
        self.setObjectName("run_history_dock")
        self._store_factory = store_factory
        self._store_path = store_path  # None: the default store of NODELOOM_HOME, looked up when watched
        self._stamp: tuple[Any, ...] | None = None
        self.watch_timer = QTimer(self, interval=WATCH_INTERVAL_MS)
        self.watch_timer.timeout.connect(self._check_store)
        self.pipeline_name: str | None = None
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setSectionResizeMode(len(HEADERS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemDoubleClicked.connect(lambda item: self.open_requested.emit(item.data(RUN_ID_ROLE)))
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.only_this = QCheckBox("This pipeline only")
        self.only_this.setChecked(True)
        self.only_this.toggled.connect(lambda _checked: self.refresh())  # not the limit
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self._open_selected)
        self.compare_button = QPushButton("Compare metrics")
        self.compare_button.setToolTip("Select two runs to draw their metrics on one chart")
        self.compare_button.clicked.connect(self._compare_selected)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(lambda _checked=False: self.refresh())  # clicked(bool) is not the limit
        self.message = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(self.only_this)
        bar.addStretch(1)
        for button in (self.open_button, self.compare_button, refresh):
            bar.addWidget(button)
        set_dock_body(self, bar, self.table, self.message)
        self.records: list[Any] = []
        self._selection_changed()

    def set_pipeline_name(self, name: str | None) -> None:
        self.pipeline_name = name
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
        self.watch_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.watch_timer.stop()

    def store_stamp(self) -> tuple[Any, ...]:
        """Size and modification time of the store's files: changes whenever any process records a run."""
        path = self._store_path or default_path()
        stamp: list[Any] = []
        for candidate in (path, path.with_name(path.name + "-wal")):
            try:
                info = candidate.stat()
            except OSError:
                stamp.append(None)
            else:
                stamp.append((info.st_mtime_ns, info.st_size))
        return tuple(stamp)

    def _check_store(self) -> None:
        if self.store_stamp() != self._stamp:
            self.refresh()

    def refresh(self, limit: int = HISTORY_LIMIT) -> None:
        """Re-read the store; a store that cannot be read shows why instead of failing."""
        if isinstance(limit, bool) or limit < 1:
            limit = HISTORY_LIMIT  # a signal's bool must never become a row limit again
        self._stamp = self.store_stamp()
        try:
            with self._store_factory() as store:
                runs = store.list_runs(limit=limit)
        except Exception as exc:  # noqa: BLE001 - a locked or corrupt store must not break the editor
            self.message.setText(f"History unavailable: {exc}")
            return
        if self.only_this.isChecked() and self.pipeline_name:
            runs = [r for r in runs if r.pipeline == self.pipeline_name]
        kept = self.selected_run_ids()
        self.records = runs
        self.table.setRowCount(len(runs))
        for row, record in enumerate(runs):
            for col, text in enumerate(_row_texts(record)):
                item = QTableWidgetItem(text)
                item.setData(RUN_ID_ROLE, record.run_id)
                if col == 2:
                    item.setForeground(QColor(STATUS_COLORS.get(str(record.status), "#888888")))
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.message.setText(f"{len(runs)} run{'s' if len(runs) != 1 else ''}")
        if kept:
            self.select_runs(kept)
        self._selection_changed()

    def selected_run_ids(self) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.records[r].run_id for r in rows if r < len(self.records)]

    def select_runs(self, run_ids: list[str]) -> None:
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row, record in enumerate(self.records):
            if record.run_id in run_ids:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def _selection_changed(self) -> None:
        n = len(self.selected_run_ids())
        self.open_button.setEnabled(n == 1)
        self.compare_button.setEnabled(n == 2)

    def _open_selected(self) -> None:
        ids = self.selected_run_ids()
        if len(ids) == 1:
            self.open_requested.emit(ids[0])

    def _compare_selected(self) -> None:
        ids = self.selected_run_ids()
        if len(ids) == 2:
            self.compare_requested.emit(ids)


def _row_texts(record: Any) -> list[str]:
    started = (
        dt.datetime.fromtimestamp(record.started).strftime("%Y-%m-%d %H:%M:%S") if record.started else ""
    )
    duration = f"{record.duration_s:.2f} s" if record.duration_s is not None else ""
    counts = record.counts or {}
    nodes = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return [
        started,
        record.pipeline,
        str(record.status),
        duration,
        nodes,
        record.backend or "",
        record.file or "",
    ]
