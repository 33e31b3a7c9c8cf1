"""Run from the editor: the controller that owns runs and wires the run views into the main window.

`install(window)` (called by the main window at the end of its set-up) adds the Run, Logs and History
docks, the inspector's "Run" tab, the run actions, the node context menu entries and a close guard,
and returns the `RunController`. A run works on a snapshot of the document's pipeline in a worker
QThread; its events reach the views through the coalescing `EventBridge` and a `RunState`. One run at
a time per window. Opening or starting a new file cancels a run of the old one.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from nodeloom.core.engine import RunOptions, RunResult, RunStore
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QMenu, QMessageBox

from ..settings import app_settings
from .actions import RunActions
from .canvas_sync import CanvasSync
from .debug_rerun import DebugRerun
from .event_bridge import EventBridge
from .history_dock import HistoryDock
from .logs_dock import LogsDock
from .output_preview import OutputPreview
from .params_dialog import ParamsDialog
from .run_dock import RunDock
from .run_state import DONE_OK, RunBatch, RunState, StateChange, run_label
from .stale import StaleTracker
from .worker import RunThread, RunWorker

CLOSE_WAIT_MS = 5000
# Every Qt -> Python callback (paint, boundingRect, slots) needs the GIL. While a pure-Python node computes
# on a thread of this process, each such callback can wait a whole switch interval (5 ms by default), and
# one frame of the charts makes hundreds of them: seconds of frozen window. 1 ms keeps frames short at a
# small cost in thread switching; it applies only while a run is live.
LIVE_SWITCH_INTERVAL_S = 0.001
_abandoned: list[RunThread] = []  # runs whose node ignored the cancel when the window closed


class RunController(QObject):
    run_started = Signal(str)  # "" (the run id is known once the engine reports it)
    run_finished = Signal(object)  # RunResult, or None when the run could not start
    message = Signal(str)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.scene = window.scene
        self.canvas = CanvasSync(self.scene)
        self.run_dock = RunDock(window)
        self.logs_dock = LogsDock(window)
        self.history_dock = HistoryDock(parent=window)
        for dock in (self.run_dock, self.logs_dock, self.history_dock):
            window.add_dock(dock, Qt.DockWidgetArea.BottomDockWidgetArea)
        first = getattr(window, "docks", {}).get("problems")
        chain = ([first] if first is not None else []) + [self.run_dock, self.logs_dock, self.history_dock]
        for left, right in zip(chain, chain[1:], strict=False):
            window.tabifyDockWidget(left, right)
        if app_settings().value("window/state") is None:  # first start: give the charts room once shown
            self.run_dock.first_shown.connect(
                lambda: QTimer.singleShot(
                    0, lambda: window.resizeDocks([self.run_dock], [300], Qt.Orientation.Vertical)
                )
            )
        self.run_dock.raise_()
        self.preview = OutputPreview()
        window.inspector.add_tab(self.preview, "Run")
        window.inspector.node_shown.connect(self._show_preview)
        self.actions = RunActions(self, window)
        self.stale = StaleTracker(self.document, self.canvas.item)
        self.scene.node_context_menu_hooks.append(self._node_menu)
        window.close_guards.append(self.close_guard)
        self.logs_dock.node_activated.connect(self._select_node)
        self.history_dock.open_requested.connect(self.open_history_run)
        self.history_dock.compare_requested.connect(self.compare_runs)
        self.document.reset.connect(self._on_reset)
        self.message.connect(self._status_message)
        self.state: RunState | None = None  # what the views show
        self.live: RunState | None = None  # the run going on now
        self.last_result: RunResult | None = None
        self.last_state: RunState | None = None  # the state that last_result belongs to
        self.overrides: dict[str, Any] = {}
        self._thread: RunThread | None = None
        self._bridge: EventBridge | None = None
        self._debug: DebugRerun | None = None
        self._debug_outputs: dict[str, dict[str, Any]] = {}
        self._saved_switch_interval: float | None = None
        self.history_dock.set_pipeline_name(self.document.pipeline.name)

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
        dialog = ParamsDialog(self.document.pipeline.parameters, self.overrides, self.window)
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
        self._bridge = EventBridge(parent=self)
        self._bridge.drained.connect(self._on_batch)
        worker = RunWorker(pipeline, options, self._bridge.push, registry=self.document.registry)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        self._thread = RunThread(worker)
        self.actions.set_running(True)
        self._live_switch_interval(True)
        self.run_dock.resources.start(self.live.started)
        self.run_dock.title.setText(f"Starting {pipeline.name} on {options.backend}…")
        self._bridge.start()
        self._thread.start()
        self.run_started.emit("")
        return True

    def stop(self) -> None:
        """Cancel: running nodes see ctx.cancelled, nothing new starts, the run is recorded cancelled."""
        if self._thread is not None:
            self._thread.cancel()
            self.actions.stop.setEnabled(False)
            self.run_dock.title.setText("Cancelling… (waiting for running nodes to notice)")
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
        if self.state is None or self.state is not self.last_state:
            self.last_state = self.state = self.live = RunState(pipeline=self.document.pipeline.name)
            self._show(self.state)
        self.live = self.state
        self._bridge = EventBridge(parent=self)
        self._bridge.drained.connect(self._on_batch)
        self._debug = DebugRerun(self._bridge.push)
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
        self.actions.set_running(True)
        self._live_switch_interval(True)
        self._bridge.start()
        return True

    def open_history_run(self, run_id: str) -> bool:
        if self.running:
            self.message.emit("Wait for the run to end before opening another")
            return False
        try:
            with RunStore() as store:
                state = RunState.from_store(store, run_id)
        except Exception as exc:  # noqa: BLE001 - a damaged record must not break the editor
            self.message.emit(f"Cannot open run {run_id}: {exc}")
            return False
        self._show(state, title=f"{run_label(state)} from the history")
        self.canvas.apply_all(state, self.document.pipeline)
        return True

    def compare_runs(self, run_ids: list[str]) -> bool:
        try:
            with RunStore() as store:
                states = [RunState.from_store(store, run_id) for run_id in run_ids]
        except Exception as exc:  # noqa: BLE001
            self.message.emit(f"Cannot compare: {exc}")
            return False
        sources = [(run_label(s), s) for s in states]
        self.run_dock.compare(sources)
        self.run_dock.raise_()
        return True

    def set_timing_overlay(self, visible: bool) -> None:
        self.canvas.set_timing(visible, self.state, self.document.pipeline)

    def close_guard(self) -> bool:
        """Closing during a run asks, then cancels and waits (bounded) for the run to end cleanly."""
        if not self.running:
            return True
        if not self.confirm("A run is going. Stop it and close?"):
            return False
        self.stop()
        if self.wait(CLOSE_WAIT_MS):
            self._finish_thread()
            return True
        if not self.confirm(
            "The run has not stopped yet (a node is not checking ctx.cancelled). Close anyway?"
        ):
            return False
        if self._thread is not None:
            _abandoned.append(self._thread)  # keep the QThread alive until the process ends
            self._thread = None
        return True

    def confirm(self, question: str) -> bool:
        """Ask yes/no (tests replace this)."""
        answer = QMessageBox.question(self.window, "Nodeloom", question)
        return answer == QMessageBox.StandardButton.Yes

    # -- live updates ------------------------------------------------------------------------------------
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
        if self.preview.node_id is not None and self.preview.node_id in change.nodes:
            self._show_preview(self.preview.node_id)

    def _on_finished(self, result: RunResult) -> None:
        state = self.live
        self._finish_thread()
        if state is None or state is not self.state:
            return  # the document was replaced during the run: its results belong to nothing shown
        self.last_result, self.last_state = result, state
        if state.finished is None:
            state.finish(str(result.status))
        state.run_id = result.run_id
        self.stale.ran(n for n, r in result.nodes.items() if r.status in DONE_OK)
        self.canvas.apply_all(state, self.document.pipeline)
        self.run_dock.update_from(StateChange(finished=True, spans=True))
        self.history_dock.refresh()
        if self.preview.node_id is not None:
            self._show_preview(self.preview.node_id)
        self.message.emit(f"Run {RunThread.result_summary(result)}")
        self.run_finished.emit(result)

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
        self.actions.set_running(False)
        self._live_switch_interval(False)
        if self.state is not None:
            self.state.live = False
            if self.last_result is not None and node_id in self.last_result.nodes and outputs is not None:
                self.last_result.nodes[node_id].outputs = outputs
            elif outputs is not None:
                self._debug_outputs = {node_id: outputs}
            self.canvas.show_edge_values(self.state, self.document.pipeline)
            verdict = "failed" if error else "succeeded"
            self.run_dock.refresh_header(
                f"Debug re-run of {node_id} {verdict}" + (f": {error}" if error else "")
            )
        if self.preview.node_id == node_id or self.preview.node_id is None:
            self._show_preview(node_id, outputs)
        self.message.emit(f"Debug re-run of {node_id}: " + (error or "succeeded"))

    def _live_switch_interval(self, live: bool) -> None:
        if live and self._saved_switch_interval is None:
            self._saved_switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._saved_switch_interval, LIVE_SWITCH_INTERVAL_S))
        elif not live and self._saved_switch_interval is not None:
            sys.setswitchinterval(self._saved_switch_interval)
            self._saved_switch_interval = None

    def _finish_thread(self) -> None:
        if self._bridge is not None:
            self._bridge.stop()
        self.run_dock.resources.stop()
        thread, self._thread, self._bridge = self._thread, None, None
        if thread is not None:
            thread.wait(CLOSE_WAIT_MS)  # the worker has returned; the thread is only leaving its loop
        self.actions.set_running(False)
        self._live_switch_interval(False)

    # -- views -------------------------------------------------------------------------------------------
    def _show(self, state: RunState | None, title: str | None = None) -> None:
        self.state = state
        self.run_dock.show_state(state, title)
        self.logs_dock.set_lines(state.logs if state is not None else [])
        self.canvas.set_timing(self.canvas.timing_visible, state, self.document.pipeline)
        if self.preview.node_id is not None:
            self._show_preview(self.preview.node_id)

    def _show_preview(self, node_id: object, outputs: dict[str, Any] | None = None) -> None:
        node_id = getattr(node_id, "id", node_id)
        if not isinstance(node_id, str) or self.state is None:
            self.preview.clear()
            return
        state = self.state
        if outputs is None and state is self.last_state:
            if self.last_result is not None and node_id in self.last_result.nodes:
                outputs = self.last_result.nodes[node_id].outputs
            else:
                outputs = self._debug_outputs.get(node_id)
        label = "" if state is self.last_state or state.live else run_label(state)
        self.preview.show_node(node_id, state.nodes.get(node_id), outputs, state.node_logs(node_id), label)

    def _node_menu(self, node_id: str, menu: QMenu) -> None:
        menu.addSeparator()
        for text, slot in (
            ("Run to here", self.run_to),
            ("Run from here", self.run_from),
            ("Debug: re-run in this process", self.debug_rerun),
        ):
            act = menu.addAction(text)
            act.setEnabled(not self.running)
            act.triggered.connect(lambda _checked=False, s=slot: s(node_id))

    def _select_node(self, node_id: str) -> None:
        if node_id not in self.document.pipeline.nodes:
            return
        reveal = getattr(self.window, "reveal_node", None)  # select, frame, show the inspector
        if callable(reveal):
            reveal(node_id)
        else:
            self.scene.select_nodes([node_id])

    def _status_message(self, text: str) -> None:
        bar = getattr(self.window, "statusBar", None)
        if callable(bar):
            bar().showMessage(text, 8000)

    def _on_reset(self) -> None:
        if self._thread is not None:
            self.stop()
        self.stale.reset()
        self.last_result, self.last_state, self.live = None, None, None
        self._debug_outputs = {}
        self._show(None)
        self.preview.clear()
        self.history_dock.set_pipeline_name(self.document.pipeline.name)


def install(window: Any) -> RunController:
    return RunController(window)
