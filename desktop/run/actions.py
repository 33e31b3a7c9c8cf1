"""The run actions in the Run menu and the toolbar: run, run selected, run with parameters, stop,
the backend choice, ignore-cache and the node timing overlay. Enabled state follows whether a run is going.

The editor's default backend is "processes": a pure-Python CPU-bound node holds the GIL of whatever
process it runs in, and on the threads backend that process is the editor's, whose event loop then
stalls for hundreds of milliseconds. In worker processes the window stays fluid (see
the README, "Why the editor runs nodes in worker processes"). The choice is remembered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import qtawesome as qta
from nodeloom.core.engine.options import BACKENDS
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel

from ..settings import app_settings
from .dask_scheduler import SchedulerControl
from .host import RunHost

DEFAULT_BACKEND = "processes"
BACKEND_SETTING = "run/backend"


def _icon(name: str, color: str) -> Any:
    try:
        return qta.icon(name, color=color)
    except Exception:  # noqa: BLE001 - a missing icon font must not stop the editor
        return None


class RunCommands(Protocol):
    """What the actions trigger (the run controller)."""

    def run_all(self) -> bool: ...

    def run_selected(self) -> bool: ...

    def run_with_params(self) -> bool: ...

    def stop(self) -> None: ...

    def set_timing_overlay(self, visible: bool) -> None: ...


class RunActions:
    def __init__(self, controller: RunCommands, window: RunHost) -> None:
        self.controller = controller

        def action(
            text: str,
            shortcut: str,
            tip: str,
            slot: Callable[[], object],
            icon: tuple[str, str] | None = None,
        ) -> QAction:
            act = QAction(text, window)  # type: ignore[call-overload] - the host is the window (a QObject)
            if icon is not None:
                qicon = _icon(*icon)
                if qicon is not None:
                    act.setIcon(qicon)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            act.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
            act.setStatusTip(tip)
            act.triggered.connect(lambda _checked=False: slot())
            return act

        self.run = action("Run", "F5", "Run the whole pipeline", controller.run_all, ("fa5s.play", "#22a06b"))
        self.run_selected = action(
            "Run selected",
            "Ctrl+F5",
            "Run the selected nodes and what they need",
            controller.run_selected,
            ("fa5s.step-forward", "#22a06b"),
        )
        self.run_with_params = action(
            "Run with parameters…",
            "Ctrl+Shift+F5",
            "Set pipeline parameters for one run",
            controller.run_with_params,
        )
        self.stop = action(
            "Stop",
            "Shift+F5",
            "Cancel the run: running nodes see ctx.cancelled",
            controller.stop,
            ("fa5s.stop", "#e5484d"),
        )
        self.no_cache = QAction("Ignore cache", window, checkable=True)
        self.no_cache.setStatusTip("Execute every node, as `nodeloom run --no-cache`")
        self.timing = QAction("Show node timings", window, checkable=True)
        self.timing.setStatusTip(
            "A bar on each node: its duration relative to the slowest node of the shown run"
        )
        self.timing.toggled.connect(controller.set_timing_overlay)
        self.backend = QComboBox()
        self.backend.addItems(list(BACKENDS))
        self.backend.setToolTip(
            "Backend: processes (the default: isolation, true CPU parallelism, the window never stalls), "
            "threads (shared memory, values need not pickle; a CPU-bound Python node can make the "
            "window stutter) or dask (a cluster)"
        )
        remembered = str(app_settings().value(BACKEND_SETTING, DEFAULT_BACKEND))
        self.backend.setCurrentText(remembered if remembered in BACKENDS else DEFAULT_BACKEND)
        self.backend.currentTextChanged.connect(lambda name: app_settings().setValue(BACKEND_SETTING, name))
        self.all = [self.run, self.run_selected, self.run_with_params, self.stop]

        menu = window.menus["run"]
        for act in self.all:
            menu.addAction(act)
        menu.addSeparator()
        menu.addAction(self.no_cache)
        menu.addAction(self.timing)
        toolbar = window.toolbar
        toolbar.addSeparator()
        toolbar.addAction(self.run)
        toolbar.addAction(self.stop)
        label = QLabel(" Backend ")
        toolbar.addWidget(label)
        toolbar.addWidget(self.backend)
        self.scheduler = SchedulerControl(window)  # shown while the backend is dask
        self.scheduler.attach(toolbar, self.backend)
        self.set_running(False)

    @property
    def backend_name(self) -> str:
        return self.backend.currentText()

    def set_backend(self, name: str) -> None:
        self.backend.setCurrentText(name)

    def set_running(self, running: bool) -> None:
        for act in (self.run, self.run_selected, self.run_with_params):
            act.setEnabled(not running)
        self.stop.setEnabled(running)
        self.backend.setEnabled(not running)
        self.scheduler.setEnabled(not running)
