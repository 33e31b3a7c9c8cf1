"""The Run dock: what the shown run is doing (overall progress, status line) and its charts in tabs.

It shows one `RunState` at a time: the live run, or a past run opened from the history. The
controller tells it when state changed (`update_from`); it never reads the engine or the document.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QDockWidget, QHBoxLayout, QProgressBar, QTabWidget, QWidget

from ..elided_label import ElidedLabel
from .dock_body import set_dock_body
from .metrics_chart import MetricsChart
from .palette import STATUS_COLORS
from .resources_chart import ResourcesChart
from .run_state import RunState, StateChange
from .timeline_chart import TimelineChart


class RunDock(QDockWidget):
    first_shown = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Run", parent)
        self.setObjectName("run_dock")
        # elided: a long reason (a crash message) must not widen the window to thousands of pixels
        self.title = ElidedLabel("No run yet. Run the pipeline with F5.", stretchy=True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.progress.setMinimumWidth(220)
        self.progress.setMaximumWidth(360)
        self.progress.setVisible(False)  # before any run an empty bar looks like a text field
        self.outcome = ""  # the status the bar is coloured for
        self.timeline = TimelineChart()
        self.metrics = MetricsChart()
        self.resources = ResourcesChart()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.timeline, "Timeline")
        self.tabs.addTab(self.metrics, "Metrics")
        self.tabs.addTab(self.resources, "Resources")
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.progress)
        set_dock_body(self, top, self.tabs)
        self.state: RunState | None = None
        self._last_header = 0.0
        self._shown_once = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.first_shown.emit()

    def show_state(self, state: RunState | None, title: str | None = None) -> None:
        self.state = state
        self.timeline.show_state(state)
        self.metrics.show_state(state)
        self._update_header(title)

    def compare(self, sources: list[tuple[str, RunState]]) -> None:
        """Show the metrics of several runs on one chart (the timeline keeps the first)."""
        self.state = sources[0][1] if sources else None
        self.timeline.show_state(self.state)
        self.metrics.show_sources(sources)
        self.title.setText("Comparing " + " and ".join(label for label, _ in sources))
        self.tabs.setCurrentWidget(self.metrics)

    def update_from(self, change: StateChange) -> None:
        """Apply a live change (called every bridge tick, also with an empty change: bars grow)."""
        if self.state is None:
            return
        if change.series:
            self.metrics.series_changed(change.series)
        self.metrics.tick(force=change.finished)
        self.timeline.tick(spans_changed=change.spans or change.finished)
        now = time.monotonic()
        if change.nodes or change.finished or now - self._last_header >= 0.2:
            self._last_header = now
            self._update_header()

    def refresh_header(self, title: str | None = None) -> None:
        """Re-read the shown state into the heading and bar (after a debug re-run ends, for instance)."""
        self._update_header(title)

    def _colour_progress(self, outcome: str) -> None:
        """The bar's chunk in the outcome's colour: a failed or cancelled run must not look like a success."""
        if outcome == self.outcome:
            return
        self.outcome = outcome
        colour = STATUS_COLORS.get(outcome, STATUS_COLORS["running"])
        self.progress.setStyleSheet(
            "QProgressBar { border: 1px solid palette(mid); border-radius: 3px; text-align: center;"
            " background: palette(window); }"
            f" QProgressBar::chunk {{ background-color: {colour}; border-radius: 2px; }}"
        )

    def _update_header(self, title: str | None = None) -> None:
        state = self.state
        if state is None:
            self.progress.setValue(0)
            self.progress.setFormat("")
            self.progress.setVisible(False)
            self.title.setText(title or "No run yet. Run the pipeline with F5.")
            return
        done, total = state.done_count, len(state.nodes)
        self.progress.setVisible(True)
        self.progress.setValue(int(round(state.fraction_done * 1000)))
        outcome = "running" if state.live else state.status
        self.progress.setFormat(f"{done}/{total} nodes · %p%" + ("" if state.live else f" · {outcome}"))
        self._colour_progress(outcome)
        running = [n for n, s in state.nodes.items() if s.status == "running"]
        when = f"{state.elapsed():.1f} s"
        if state.live:
            now = ", ".join(running[:4]) + ("…" if len(running) > 4 else "")
            text = f"Running {state.pipeline}  {when}" + (f"  —  {now}" if now else "")
        else:
            counts = ", ".join(f"{n} {s}" for s, n in sorted(state.counts().items()))
            text = f"{state.pipeline}: {state.status} in {when}" + (f"  ({counts})" if counts else "")
        self.title.setText(title or text)
