"""Run from the editor: the controller that owns the run lifecycle and coordinates the run views.

`install(window)` (called by the main window at the end of its set-up) adds the run feature and returns
the `RunController`. Its parts each have one job: `RunDocks` (the Run, Logs and History docks),
`PreviewTab` (the inspector's Run tab), `RunActions` (menu and toolbar), `StaleTracker` (stale marks),
`HistoryBrowser` (open and compare past runs), `DebugRerun` (one node in this process), `close_guard`
(leaving during a run), `CanvasSync` (run state onto the canvas). What stays here is the run itself:
a snapshot of the document's pipeline runs in a worker QThread (its nodes on the backend chosen in the
toolbar: worker processes by default, so the window never stalls); its events reach the views through
the coalescing `EventBridge` and a `RunState`. One run at a time per window. Opening or starting a new
file cancels a run of the old one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nodeloom.core.engine import RunOptions, RunResult
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from .actions import RunActions
from .canvas_sync import CanvasSync
from .close_guard import CLOSE_WAIT_MS, close_guard
from .debug_rerun import DebugRerun
from .docks import RunDocks
from .event_bridge import EventBridge
from .history_browser import HistoryBrowser
from .host import RunHost
from .last_run import LastRun
from .node_menu import add_run_entries
from .params_dialog import ParamsDialog
from .preview_tab import PreviewTab
from .run_state import DONE_OK, RunBatch, RunState, StateChange
from .stale import StaleTracker
from .switch_interval import LiveSwitchInterval
from .warm_up import warm_process_workers
from .worker import RunThread, RunWorker

WARM_UP_DELAY_MS = 300  # after the window has painted: the fork server starts while the user looks
UNPICKLABLE_MARK = "cannot be sent"  # the engine's words for a value that does not pickle
_abandoned: list[RunThread] = []  # runs whose node ignored the cancel when the window closed


class RunController(QObject):
    run_started = Signal(str)  # "" (the run id is known once the engine reports it)
    run_finished = Signal(object)  # RunResult, or None when the run could not start
    message = Signal(str)

    def __init__(self, host: RunHost) -> None:
        super().__init__(host)  # type: ignore[arg-type] - the host is the window (a QObject)
        self.window = host
        self.document = host.document
        self.scene = host.scene
        self.canvas = CanvasSync(self.scene)
        docks = RunDocks(host)
        self.run_dock, self.logs_dock, self.history_dock = docks.run, docks.logs, docks.history
        self.last = LastRun()
        self.state: RunState | None = None  # what the views show
        self.live: RunState | None = None  # the run going on now
        self.preview_tab = PreviewTab(host.inspector, lambda: self.state, self.last)
        self.preview = self.preview_tab.widget
        self.actions = RunActions(self, host)
        self.stale = StaleTracker(self.document, self.canvas.item)
        self.history = HistoryBrowser(self._show_history_run, self._show_comparison, self.message.emit)
        self.scene.node_context_menu_hooks.append(self._node_menu)
        host.close_guards.append(self.close_guard)
        self.logs_dock.node_activated.connect(self._select_node)
        self.history_dock.open_requested.connect(self.open_history_run)
        self.history_dock.compare_requested.connect(self.compare_runs)
        self.document.reset.connect(self._on_reset)
        self.message.connect(self._status_message)
        self.overrides: dict[str, Any] = {}
        self._thread: RunThread | None = None
        self._bridge: EventBridge | None = None
        self._debug: DebugRerun | None = None
        self._switch = LiveSwitchInterval()
        self.history_dock.set_pipeline_name(self.document.pipeline.name)
        if self.actions.backend_name == "processes":
            QTimer.singleShot(WARM_UP_DELAY_MS, warm_process_workers)

    # -- the last run (kept as attributes for callers that read them) ------------------------------------
    @property
    def last_result(self) -> RunResult | None:
        return self.last.result

    @property
    def last_state(self) -> RunState | None:
        return self.last.state

    # -- public API ------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None or self._debug is not None  # each cleared when its end is handled

    def run_all(self) -> bool:
        return self.run()

    def run_selected(self) -> bool:
        ids = list(self.scene.selected_node_ids())
        if not ids:
            self.message.emit("Select the nodes to run first")
            return False
        return self.run(targets=ids)

    def run_to(self, node_id: str) -> bool:
        return self.run(targets=[node_id])

    def run_from(self, node_id: str) -> bool:
        """Re-execute this node and everything downstream; upstream comes from the cache."""
        return self.run(rerun=[node_id])

    def run_with_params(self) -> bool:
        dialog = ParamsDialog(self.document.pipeline.parameters, self.overrides, self._parent_widget())
        if dialog.exec() != ParamsDialog.DialogCode.Accepted:
            return False
        self.overrides = dialog.overrides()
        return self.run(overrides=self.overrides)

    def run(
        self, targets: Sequence[str] = (), rerun: Sequence[str] = (), overrides: dict[str, Any] | None = None
    ) -> bool:
        """Start a run of the document's pipeline as it is now; False if one is going already."""
        if self.running:
            self.message.emit("A run is going: stop it first")
            return False
        path = self.document.path
        options = RunOptions(
            backend=self.actions.backend_name,
            scheduler=self.actions.scheduler.address if self.actions.backend_name == "dask" else None,
            use_cache=not self.actions.no_cache.isChecked(),
            targets=list(targets),
            rerun=list(rerun),
            overrides=dict(overrides or {}),
            file=str(path) if path is not None else None,
        )
        pipeline = self.document.pipeline.copy()
        self.live = RunState(pipeline=pipeline.name)
        self._show(self.live)
        self.canvas.clear(self.document.pipeline)
        bridge = self._open_bridge()
        worker = RunWorker(pipeline, options, bridge.push, registry=self.document.registry)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        self._thread = RunThread(worker)
        self._set_live(True)
        self.run_dock.resources.start(self.live.started)
        self.run_dock.title.setText(f"Starting {pipeline.name} on {options.backend}…")
        bridge.start()
        self._thread.start()
        self.run_started.emit("")
        return True

    def stop(self) -> None:
        """Cancel: running nodes see ctx.cancelled, nothing new starts, the run is recorded cancelled."""
        if self._thread is not None:
            hurrying = self._thread.worker.cancel.is_set()
            self._thread.cancel()  # a second Stop hurries: running workers are stopped at once
            self.actions.stop.setEnabled(not hurrying)
            self.run_dock.title.setText(
                "Stopping now…"
                if hurrying
                else "Cancelling… (waiting for running nodes to notice; Stop again to stop them now)"
            )
        if self._debug is not None and self._debug.running:
            self._debug.cancel.set()

    def wait(self, timeout_ms: int = CLOSE_WAIT_MS) -> bool:
        """Block until the run's thread ends (bounded); pending events are delivered. True if it ended."""
        thread = self._thread
        if thread is None:
            return True
        return thread.wait(timeout_ms)

    def debug_rerun(self, node_id: str) -> bool:
        """Call one node's function in this process with its cached inputs (see debug_rerun.py)."""
        if self.running:
            self.message.emit("A run is going: stop it first")
            return False
        if self.state is None or self.state is not self.last.state:
            self.state = self.live = RunState(pipeline=self.document.pipeline.name)
            self.last.state = self.state
            self._show(self.state)
        assert self.state is not None
        self.live = self.state
        bridge = self._open_bridge()
        self._debug = DebugRerun(bridge.push)
        self._debug.finished.connect(self._on_debug_finished)
        self.state.live = True
        why = self._debug.start(
            self.document.pipeline.copy(), node_id, self.document.registry, self.overrides
        )
        if why is not None:
            self.state.live = False
            self._debug, self._bridge = None, None
            self.message.emit(why)
            return False
        self._set_live(True)
        bridge.start()
        return True

    def open_history_run(self, run_id: str) -> bool:
        if self.running:
            self.message.emit("Wait for the run to end before opening another")
            return False
        return self.history.open(run_id)

    def compare_runs(self, run_ids: list[str]) -> bool:
        return self.history.compare(run_ids)

    def set_timing_overlay(self, visible: bool) -> None:
        self.canvas.set_timing(visible, self.state, self.document.pipeline)

    def close_guard(self) -> bool:
        """Closing during a run asks, then cancels and waits (bounded) for the run to end cleanly."""
        return close_guard(self)

    def confirm(self, question: str) -> bool:
        """Ask yes/no (tests replace this)."""
        answer = QMessageBox.question(self._parent_widget(), "Nodeloom", question)
        return answer == QMessageBox.StandardButton.Yes

    def ended(self) -> None:
        """The run stopped within the close guard's wait: tidy up before the window goes."""
        self._finish_thread()

    def abandon(self) -> None:
        """The run ignores the cancel: keep its QThread alive until the process ends, and let it go."""
        if self._thread is not None:
            _abandoned.append(self._thread)
            self._thread = None

    # -- live updates ------------------------------------------------------------------------------------
    def _open_bridge(self) -> EventBridge:
        self._bridge = EventBridge(parent=self)
        self._bridge.drained.connect(self._on_batch)
        return self._bridge

    def _on_batch(self, batch: RunBatch) -> None:
        state = self.live
        if state is None:
            return
        change = state.apply(batch)
        if state is not self.state:
            return
        if change.nodes:
            self.canvas.apply(state, change.nodes)
        self.run_dock.update_from(change)
        self.logs_dock.append(change.logs)
        self.preview_tab.refresh(change.nodes)

    def _on_finished(self, result: RunResult) -> None:
        state = self.live
        self._finish_thread()
        if state is None or state is not self.state:
            return  # the document was replaced during the run: its results belong to nothing shown
        self.last.finished(state, result)
        if state.finished is None:
            state.finish(str(result.status))
        state.run_id = result.run_id
        self.stale.ran(n for n, r in result.nodes.items() if r.status in DONE_OK)
        self.canvas.apply_all(state, self.document.pipeline)
        self.run_dock.update_from(StateChange(finished=True, spans=True))
        self.history_dock.refresh()
        self.preview_tab.refresh()
        self.message.emit(f"Run {RunThread.result_summary(result)}" + self._backend_hint(result, state))
        self.run_finished.emit(result)

    def _backend_hint(self, result: RunResult, state: RunState) -> str:
        """Worker processes need picklable values; say what to do when one was not (threads share memory)."""
        if state.backend != "processes":
            return ""
        unsent = [n for n, r in result.nodes.items() if r.error and UNPICKLABLE_MARK in r.error]
        if not unsent:
            return ""
        hint = f"{unsent[0]}'s value cannot cross to a worker process: choose Backend: threads to run it"
        self.run_dock.refresh_header(f"{self.run_dock.title.text()}  —  {hint}")
        return f". {hint}"

    def _on_failed(self, reason: str) -> None:
        self._finish_thread()
        if self.live is not None:
            self.live.finish("failed")
            self.canvas.clear(self.document.pipeline)
        self.run_dock.show_state(None, title=f"The run could not start: {reason}")
        self.message.emit(reason)
        self.run_finished.emit(None)

    def _on_debug_finished(self, node_id: str, outputs: dict[str, Any] | None, error: str | None) -> None:
        if self._bridge is not None:
            self._bridge.stop()
        self._bridge = None
        self._debug = None
        self._set_live(False)
        if self.state is not None:
            self.state.live = False
            if outputs is not None:
                self.last.record_debug(node_id, outputs)
            self.canvas.show_edge_values(self.state, self.document.pipeline)
            verdict = "failed" if error else "succeeded"
            self.run_dock.refresh_header(
                f"Debug re-run of {node_id} {verdict}" + (f": {error}" if error else "")
            )
        if self.preview_tab.node_id in (node_id, None):
            self.preview_tab.show(node_id, outputs)
        self.message.emit(f"Debug re-run of {node_id}: " + (error or "succeeded"))

    def _set_live(self, live: bool) -> None:
        self.actions.set_running(live)
        self._switch.set_live(live)

    def _finish_thread(self) -> None:
        if self._bridge is not None:
            self._bridge.stop()
        self.run_dock.resources.stop()
        thread, self._thread, self._bridge = self._thread, None, None
        if thread is not None:
            thread.wait(CLOSE_WAIT_MS)  # the worker has returned; the thread is only leaving its loop
        self._set_live(False)

    # -- views -------------------------------------------------------------------------------------------
    def _show(self, state: RunState | None, title: str | None = None) -> None:
        self.state = state
        self.run_dock.show_state(state, title)
        self.logs_dock.set_lines(state.logs if state is not None else [])
        self.canvas.set_timing(self.canvas.timing_visible, state, self.document.pipeline)
        self.preview_tab.refresh()

    def _show_history_run(self, state: RunState, title: str) -> None:
        self._show(state, title=title)
        self.canvas.apply_all(state, self.document.pipeline)

    def _show_comparison(self, sources: list[tuple[str, RunState]]) -> None:
        self.run_dock.compare(sources)
        self.run_dock.raise_()

    def _node_menu(self, node_id: str, menu: QMenu) -> None:
        add_run_entries(menu, node_id, self.running, self.run_to, self.run_from, self.debug_rerun)

    def _select_node(self, node_id: str) -> None:
        if node_id in self.document.pipeline.nodes:
            self.window.reveal_node(node_id)  # select, frame, show the inspector

    def _status_message(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    def _parent_widget(self) -> QWidget | None:
        return self.window if isinstance(self.window, QWidget) else None

    def _on_reset(self) -> None:
        if self._thread is not None:
            self.stop()
        self.stale.reset()
        self.last.clear()
        self.live = None
        self._show(None)
        self.preview_tab.clear()
        self.history_dock.set_pipeline_name(self.document.pipeline.name)


def install(window: RunHost) -> RunController:
    return RunController(window)
