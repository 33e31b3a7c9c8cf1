"""What the editor knows about one run, live or from history: statuses, spans, metric series, logs.

`RunState` is plain data (no Qt) that the charts, docks and canvas read. A live run feeds it coalesced
`RunBatch`es from the event bridge; a past run is rebuilt from the run store (`from_store`), so the
same views show both. Metric series are growable NumPy buffers (amortised O(1) appends, views handed
to the charts without copying). Times are seconds since the run started.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from nodeloom.core.events import (
    NodeFinished,
    NodeLog,
    NodeProgress,
    NodeStarted,
    NodeStatus,
    RunFinished,
    RunStarted,
    SubtaskFinished,
    SubtaskStarted,
)

SeriesKey = tuple[str, str]  # (node id, metric name)
CACHE_ROW = "cache"  # the timeline row of nodes served from the cache
TERMINAL = {s.value for s in NodeStatus if s.terminal}
DONE_OK = frozenset({NodeStatus.SUCCEEDED, NodeStatus.CACHED})  # a node whose outputs exist


class SeriesBuffer:
    """A growable (step, value) buffer: appends double the capacity when full."""

    def __init__(self, capacity: int = 256) -> None:
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def extend(self, steps: Iterable[float], values: Iterable[float]) -> None:
        xs = np.asarray(list(steps) if not isinstance(steps, np.ndarray) else steps, dtype=np.float64)
        ys = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype=np.float64)
        need = self._n + len(xs)
        if need > len(self._x):
            capacity = max(need, 2 * len(self._x))
            self._x = np.resize(self._x, capacity)
            self._y = np.resize(self._y, capacity)
        self._x[self._n : need] = xs
        self._y[self._n : need] = ys
        self._n = need

    @property
    def x(self) -> np.ndarray:
        return self._x[: self._n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self._n]


@dataclass(slots=True)
class Span:
    """One attempt of one node on one worker, or one `ctx.map` item of a node; `end` is None while it runs.

    `worker` is the timeline row: a sub-task's row is its node and worker ("fit · thread-2"), so the
    items of one map sit together under the node and never overlap on a row.
    """

    node_id: str
    worker: str
    start: float
    end: float | None = None
    status: str = "running"
    attempt: int = 1
    subtask: int | None = None  # the item's index in its node's ctx.map
    label: str = ""  # the item's label (what the map was given)

    @property
    def title(self) -> str:
        if self.subtask is not None:
            return self.label or f"{self.node_id}[{self.subtask}]"
        return self.node_id if self.attempt <= 1 else f"{self.node_id} #{self.attempt}"


@dataclass(frozen=True, slots=True)
class LogLine:
    time: float  # epoch seconds
    node_id: str
    level: str
    message: str


@dataclass(slots=True)
class RunBatch:
    """Events drained in one GUI tick, coalesced: only the latest progress per node survives."""

    started: RunStarted | None = None
    node_started: list[NodeStarted] = field(default_factory=list)
    progress: dict[str, NodeProgress] = field(default_factory=dict)
    metrics: dict[SeriesKey, tuple[list[float], list[float]]] = field(default_factory=dict)
    logs: list[NodeLog] = field(default_factory=list)
    node_finished: list[NodeFinished] = field(default_factory=list)
    subtasks: list[SubtaskStarted | SubtaskFinished] = field(default_factory=list)  # in order
    run_finished: RunFinished | None = None
    events: int = 0

    @property
    def empty(self) -> bool:
        return self.events == 0


@dataclass(slots=True)
class StateChange:
    """What one `apply` changed, so views redraw only that."""

    nodes: set[str] = field(default_factory=set)
    series: set[SeriesKey] = field(default_factory=set)
    logs: list[LogLine] = field(default_factory=list)
    spans: bool = False
    started: bool = False
    finished: bool = False


@dataclass(slots=True)
class NodeState:
    status: str = "queued"
    fraction: float | None = None
    message: str = ""
    duration_s: float | None = None
    attempts: int = 0
    error: str | None = None
    reason: str | None = None
    worker: str = ""
    outputs: dict[str, str] = field(default_factory=dict)  # short summaries per output port


class RunState:
    def __init__(self, run_id: str = "", pipeline: str = "", started: float | None = None) -> None:
        self.run_id = run_id
        self.pipeline = pipeline
        self.file: str | None = None
        self.backend = ""
        self.started = started if started is not None else time.time()
        self.finished: float | None = None
        self.status = "running"
        self.nodes: dict[str, NodeState] = {}
        self.spans: list[Span] = []
        self.series: dict[SeriesKey, SeriesBuffer] = {}
        self.logs: list[LogLine] = []
        self.live = False
        self._open_span: dict[str, Span] = {}
        self._open_subtask: dict[tuple[str, int], Span] = {}

    # -- queries -------------------------------------------------------------------------------------
    @property
    def done_count(self) -> int:
        return sum(1 for n in self.nodes.values() if n.status in TERMINAL)

    @property
    def fraction_done(self) -> float:
        """Finished nodes plus the progress of running ones, over all nodes of the run."""
        if not self.nodes:
            return 1.0 if self.finished else 0.0
        total = 0.0
        for n in self.nodes.values():
            if n.status in TERMINAL:
                total += 1.0
            elif n.status == "running" and n.fraction is not None:
                total += n.fraction
        return total / len(self.nodes)

    def elapsed(self, now: float | None = None) -> float:
        end = self.finished if self.finished is not None else (now or time.time())
        return max(0.0, end - self.started)

    def workers(self) -> list[str]:
        """Worker names in the order they first ran something."""
        seen: dict[str, None] = {}
        for span in self.spans:
            seen.setdefault(span.worker, None)
        return list(seen)

    def node_logs(self, node_id: str) -> list[LogLine]:
        return [line for line in self.logs if line.node_id == node_id]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.nodes.values():
            out[n.status] = out.get(n.status, 0) + 1
        return out

    # -- live updates ----------------------------------------------------------------------------------
    def apply(self, batch: RunBatch) -> StateChange:
        change = StateChange()
        if batch.started is not None:
            ev = batch.started
            self.run_id, self.pipeline, self.backend, self.file = ev.run_id, ev.pipeline, ev.backend, ev.file
            self.started = ev.time
            self.status = "running"
            self.live = True
            for node_id in ev.nodes:
                self.nodes.setdefault(node_id, NodeState())
            change.nodes.update(ev.nodes)
            change.started = True
        for ev in batch.node_started:
            state = self.nodes.setdefault(ev.node_id, NodeState())
            state.status, state.fraction, state.message = "running", None, ""
            state.attempts, state.worker = ev.attempt, ev.worker
            self._close_span(ev.node_id, ev.time, "retried")
            span = Span(ev.node_id, ev.worker or "worker", ev.time - self.started, attempt=ev.attempt)
            self.spans.append(span)
            self._open_span[ev.node_id] = span
            change.nodes.add(ev.node_id)
            change.spans = True
        for node_id, ev in batch.progress.items():
            state = self.nodes.setdefault(node_id, NodeState())
            if state.status in TERMINAL:
                continue  # a late progress report must not resurrect a finished node
            state.status = "running"
            state.fraction, state.message = ev.fraction, ev.message
            change.nodes.add(node_id)
        for key, (steps, values) in batch.metrics.items():
            self.series.setdefault(key, SeriesBuffer()).extend(steps, values)
            change.series.add(key)
        for ev in batch.logs:
            line = LogLine(ev.time, ev.node_id, ev.level, ev.message)
            self.logs.append(line)
            change.logs.append(line)
        for sub in batch.subtasks:
            if self._apply_subtask(sub):
                change.spans = True
        for ev in batch.node_finished:
            state = self.nodes.setdefault(ev.node_id, NodeState())
            state.status = str(ev.status)
            state.duration_s, state.attempts = ev.duration_s, ev.attempts or state.attempts
            state.error, state.reason, state.outputs = ev.error, ev.reason, dict(ev.outputs)
            state.fraction = 1.0 if state.status in DONE_OK else state.fraction
            if self._close_span(ev.node_id, ev.time, state.status):
                change.spans = True
            elif state.status == "cached":  # served from the cache: a short bar on the cache row
                start = ev.time - self.started - (ev.duration_s or 0.0)
                self.spans.append(Span(ev.node_id, CACHE_ROW, start, ev.time - self.started, "cached", 0))
                change.spans = True
            change.nodes.add(ev.node_id)
        if batch.run_finished is not None:
            self.finish(str(batch.run_finished.status), batch.run_finished.time)
            change.finished = True
            change.spans = True
        return change

    def _apply_subtask(self, ev: SubtaskStarted | SubtaskFinished) -> bool:
        key = (ev.node_id, ev.index)
        at = ev.time - self.started
        if isinstance(ev, SubtaskStarted):
            row = f"{ev.node_id} · {ev.worker or 'worker'}"
            span = Span(ev.node_id, row, at, subtask=ev.index, label=ev.label, attempt=0)
            self.spans.append(span)
            self._open_subtask[key] = span
            return True
        span = self._open_subtask.pop(key, None)
        if span is None:  # its start was never reported: a bar of the reported duration
            row = f"{ev.node_id} · {CACHE_ROW if ev.status == NodeStatus.CACHED else 'worker'}"
            span = Span(ev.node_id, row, at - ev.duration_s, subtask=ev.index, label=ev.label, attempt=0)
            self.spans.append(span)
        span.end = max(span.start, at)
        span.status = str(ev.status)
        return True

    def finish(self, status: str, at: float | None = None) -> None:
        """End the run: open spans close, nodes that never ended are left as the engine reported them."""
        at = at if at is not None else time.time()
        self.status = status
        self.finished = at
        self.live = False
        for node_id in list(self._open_span):
            self._close_span(node_id, at, "cancelled" if status == "cancelled" else "running")
        for span in self._open_subtask.values():
            span.end, span.status = max(span.start, at - self.started), "cancelled"
        self._open_subtask.clear()

    def _close_span(self, node_id: str, at: float, status: str) -> bool:
        span = self._open_span.pop(node_id, None)
        if span is None:
            return False
        span.end = max(span.start, at - self.started)
        span.status = status
        return True

    # -- from the run store ------------------------------------------------------------------------------
    @classmethod
    def from_store(cls, store: Any, run_id: str) -> RunState:
        """Rebuild a past run (also one the CLI made) from the run store's records."""
        record = store.get_run(run_id)
        if record is None:
            raise KeyError(f"no run '{run_id}' in the history")
        state = cls(record.run_id, record.pipeline, record.started or time.time())
        state.file, state.backend = record.file, record.backend or ""
        for nr in store.node_runs(run_id):
            status = str(nr.status)
            state.nodes[nr.node_id] = NodeState(
                status=status,
                fraction=1.0 if status in DONE_OK else None,
                duration_s=nr.duration_s,
                attempts=nr.attempts or 0,
                error=nr.error,
                reason=getattr(nr, "reason", None),
                worker=nr.worker or "",
            )
            if nr.started is not None:
                end = nr.finished if nr.finished is not None else record.finished
                start = nr.started - state.started
                state.spans.append(
                    Span(
                        nr.node_id,
                        nr.worker or (CACHE_ROW if status == "cached" else "worker"),
                        start,
                        None if end is None else max(start, end - state.started),
                        status,
                        nr.attempts or 1,
                    )
                )
        by_key: dict[SeriesKey, tuple[list[float], list[float]]] = {}
        for m in store.metrics(run_id):
            steps, values = by_key.setdefault((m.node_id, m.name), ([], []))
            steps.append(m.step)
            values.append(m.value)
        for key, (steps, values) in by_key.items():
            state.series.setdefault(key, SeriesBuffer(max(16, len(steps)))).extend(steps, values)
        state.logs = [LogLine(lg.time, lg.node_id or "", lg.level, lg.message) for lg in store.logs(run_id)]
        state.status = str(record.status)
        state.finished = record.finished
        if state.finished is None and record.duration_s is not None:
            state.finished = state.started + record.duration_s
        return state


def run_label(state: RunState) -> str:
    """How a run is named to a user: pipeline, start time and outcome (a run id names nothing)."""
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state.started))
    return f"{state.pipeline or 'untitled'} {started} ({state.status})"
