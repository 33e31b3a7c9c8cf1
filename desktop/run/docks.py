"""The run feature's docks (Run, Logs, Run history), added to the window and tabbed with its Problems dock.

One job: create and place them. On a first start (no saved window layout) the Run dock gets room for
its charts once it is first shown.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer

from ..settings import app_settings
from .history_dock import HistoryDock
from .host import RunHost
from .logs_dock import LogsDock
from .run_dock import RunDock

FIRST_RUN_DOCK_HEIGHT = 300


class RunDocks:
    def __init__(self, host: RunHost) -> None:
        self.run = RunDock(host)  # type: ignore[arg-type] - the host is the window (a QWidget)
        self.logs = LogsDock(host)  # type: ignore[arg-type]
        self.history = HistoryDock(parent=host)  # type: ignore[arg-type]
        for dock in (self.run, self.logs, self.history):
            host.add_dock(dock, Qt.DockWidgetArea.BottomDockWidgetArea)
        first = host.docks.get("problems")
        chain = ([first] if first is not None else []) + [self.run, self.logs, self.history]
        for left, right in zip(chain, chain[1:], strict=False):
            host.tabifyDockWidget(left, right)
        if app_settings().value("window/state") is None:  # first start: give the charts room once shown
            self.run.first_shown.connect(
                lambda: QTimer.singleShot(
                    0,
                    lambda: host.resizeDocks([self.run], [FIRST_RUN_DOCK_HEIGHT], Qt.Orientation.Vertical),
                )
            )
        self.run.raise_()
