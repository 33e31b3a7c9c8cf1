"""The dask backend's part of the run toolbar: the scheduler address and the cluster's dashboard link.

Shown only while the backend is `dask`. Empty means what `nodeloom run --backend dask` does: a local
cluster started for each run. An address (`tcp://host:8786`, as `--scheduler`) is remembered in the
editor's settings and checked when entered, off the GUI thread (`dask_cluster.check_scheduler`: at most
a few seconds for an address where nothing answers); the result shows next to it: a link to the
scheduler's dashboard, or one line saying why the address cannot be used. The check's thread holds no
Qt object (a GUI timer collects its plain result), so nothing of Qt is touched or freed off the GUI
thread. A run is not blocked on the check: the run itself reports an unusable address.
"""

from __future__ import annotations

import html
import threading
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QToolBar, QWidget

from ..settings import app_settings

SETTINGS_KEY = "run/dask_scheduler"
POLL_MS = 50


def _check(address: str, into: dict[str, Any]) -> None:
    """Runs in a plain thread: ask the scheduler, find its dashboard (plain data only)."""
    try:
        from nodeloom.core.engine.dask_cluster import check_scheduler, dashboard_url

        problem, identity = check_scheduler(address)
        into["problem"] = problem
        into["url"] = dashboard_url(address, identity) if problem is None else None
    except ImportError:
        into["problem"] = "the dask backend needs dask.distributed: pip install 'nodeloom[dask]'"
    except Exception as exc:  # noqa: BLE001 - shown as one line, never raised into the GUI
        into["problem"] = f"{type(exc).__name__}: {exc}"
    into["done"] = True


class SchedulerControl(QWidget):
    """Scheduler address (empty: a local cluster per run) and the dashboard link or the address's problem."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setObjectName("daskScheduler")
        self.edit.setPlaceholderText("local cluster, or tcp://host:8786")
        self.edit.setClearButtonEnabled(True)
        self.edit.setMinimumWidth(220)
        self.edit.setToolTip(
            "The Dask scheduler to run on (as `nodeloom run --scheduler`); empty starts a local cluster "
            "of 2 worker processes for each run. Its workers must be able to import the pipeline's modules."
        )
        self.status = QLabel()
        self.status.setObjectName("daskDashboard")
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setOpenExternalLinks(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(QLabel("Scheduler "))
        layout.addWidget(self.edit)
        layout.addWidget(self.status)
        self._pending: dict[str, Any] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._collect)
        self.dashboard_url: str | None = None
        self.problem: str | None = None
        saved = app_settings().value(SETTINGS_KEY, "")
        self.edit.setText(saved if isinstance(saved, str) else "")
        self._committed = self.edit.text().strip()
        self.edit.editingFinished.connect(self._commit)
        self._start_check()

    @property
    def address(self) -> str | None:
        """The scheduler address for a dask run, or None for a local cluster."""
        return self.edit.text().strip() or None

    def attach(self, toolbar: QToolBar, backend: QComboBox) -> None:
        """Put the control on the toolbar, shown only while `backend` says dask."""
        action = toolbar.addWidget(self)
        backend.currentTextChanged.connect(lambda name: action.setVisible(name == "dask"))
        action.setVisible(backend.currentText() == "dask")

    @property
    def checking(self) -> bool:
        return self._pending is not None

    def _commit(self) -> None:
        text = self.edit.text().strip()
        if text == self._committed:
            return
        self._committed = text
        settings = app_settings()
        settings.setValue(SETTINGS_KEY, text)
        settings.sync()
        self._start_check()

    def _start_check(self) -> None:
        self.dashboard_url = self.problem = None
        address = self.address
        if address is None:
            self._pending = None
            self._timer.stop()
            self._show("local cluster per run", "a LocalCluster is started for each run and closed after")
            return
        self._pending = {"address": address}
        self._show("checking…", f"asking {address}")
        threading.Thread(
            target=_check, args=(address, self._pending), name="nodeloom-dask-check", daemon=True
        ).start()
        self._timer.start()

    def _collect(self) -> None:
        pending = self._pending
        if pending is None or not pending.get("done"):
            return
        self._pending = None
        self._timer.stop()
        if pending["address"] != self.address:
            self._start_check()  # edited while it was being checked
            return
        self.problem, self.dashboard_url = pending.get("problem"), pending.get("url")
        if self.problem is not None:
            self._show(f'<span style="color:#e5484d">⚠ {html.escape(self.problem)}</span>', self.problem)
        elif self.dashboard_url is not None:
            url = html.escape(self.dashboard_url, quote=True)
            self._show(f'<a href="{url}">dashboard</a>', f"The cluster's dashboard: {self.dashboard_url}")
        else:
            self._show(
                "connected (no dashboard)", "The scheduler serves no dashboard (is bokeh installed there?)"
            )

    def _show(self, text: str, tip: str) -> None:
        self.status.setText(text if text.startswith("<") else html.escape(text))
        self.status.setToolTip(tip)
