"""Engine events to the GUI thread, coalesced, so thousands of events a second never flood Qt.

The engine calls `push(event)` on the run's worker thread (any thread is fine: a `deque` append is
atomic). A GUI-thread QTimer drains the queue every `interval_ms` and emits one `drained(RunBatch)`:
the latest progress per node, every metric point grouped by series, log lines in a list. One signal per
tick instead of one queued signal per event keeps the event loop free at 10,000 events a second.
A tick drains at most `max_per_tick` events, so a backlog spreads over ticks instead of stalling one.
"""

from __future__ import annotations

from collections import deque

from nodeloom.core.events import (
    Event,
    NodeFinished,
    NodeLog,
    NodeMetric,
    NodeProgress,
    NodeStarted,
    RunFinished,
    RunStarted,
    SubtaskFinished,
    SubtaskStarted,
)
from PySide6.QtCore import QObject, QTimer, Signal

from .run_state import RunBatch


def coalesce(events: list[Event]) -> RunBatch:
    """Group a run's events into one batch, keeping their order where order matters."""
    batch = RunBatch(events=len(events))
    for ev in events:
        kind = type(ev)
        if kind is NodeMetric:
            steps, values = batch.metrics.setdefault((ev.node_id, ev.name), ([], []))  # type: ignore[attr-defined]
            steps.append(ev.step)  # type: ignore[attr-defined]
            values.append(ev.value)  # type: ignore[attr-defined]
        elif kind is NodeProgress:
            batch.progress[ev.node_id] = ev  # type: ignore[attr-defined]
        elif kind is NodeLog:
            batch.logs.append(ev)  # type: ignore[arg-type]
        elif kind is NodeStarted:
            batch.progress.pop(ev.node_id, None)  # type: ignore[attr-defined]  # a retry starts afresh
            batch.node_started.append(ev)  # type: ignore[arg-type]
        elif kind is NodeFinished:
            batch.node_finished.append(ev)  # type: ignore[arg-type]
        elif kind is RunStarted:
            batch.started = ev  # type: ignore[assignment]
        elif kind is SubtaskStarted or kind is SubtaskFinished:
            batch.subtasks.append(ev)  # type: ignore[arg-type]
        elif kind is RunFinished:
            batch.run_finished = ev  # type: ignore[assignment]
    return batch


class EventBridge(QObject):
    drained = Signal(object)  # RunBatch, possibly empty (a tick: running bars advance)

    def __init__(self, interval_ms: int = 33, max_per_tick: int = 200_000, parent: QObject | None = None):
        super().__init__(parent)
        self._queue: deque[Event] = deque()
        self.max_per_tick = max_per_tick
        self.delivered = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.drain)

    # any thread
    def push(self, event: Event) -> None:
        self._queue.append(event)

    # GUI thread
    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        """Stop ticking and deliver whatever is left, in order."""
        self._timer.stop()
        while self._queue:
            self.drain()

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def drain(self) -> None:
        queue = self._queue
        take = min(len(queue), self.max_per_tick)
        popleft = queue.popleft
        events = [popleft() for _ in range(take)]
        # split at a RunStarted so two runs' events never mix in one batch if a bridge is reused
        start = 0
        for i, ev in enumerate(events):
            if type(ev) is RunStarted and i > start:
                self._deliver(events[start:i])
                start = i
        self._deliver(events[start:])

    def _deliver(self, events: list[Event]) -> None:
        batch = coalesce(events)
        self.delivered += len(events)
        self.drained.emit(batch)
