"""One attempt of one node on a Dask worker (the function `DaskBackend` submits; runs on the worker).

It runs the node with `invoke.execute`, like the other backends, and reports its events two ways:
live, as they happen, through the Dask scheduler's event log (`Worker.log_event` on a per-run topic the
client subscribes to, so progress shows while the node runs), and complete, in order, in the task's
return value with the outcome. The client posts each event once, whichever way it arrives first (events
carry a per-attempt sequence number), so nothing is lost if the live channel lags and the node's events
always precede its end. The first event is NodeStarted naming the Dask worker's address.

The outputs come back pickled (`data`), never written to disk here: the client stores them in its own
result cache, so a remote cluster works the same as a local one. `print` and `logging` in the node are
captured into its log (per thread, as on the threads backend). `ctx.cancelled` reads the run's
`distributed.Event`, polled at most every `CANCEL_POLL_S`.
"""

from __future__ import annotations

import contextlib
import pickle
import sys
import time

import distributed

from ..events import Event, NodeStarted
from .capture import NodeSink, install_thread_capture, set_thread_sink, uninstall_thread_capture
from .invoke import Outcome, Task, execute

CANCEL_POLL_S = 0.1


class RunCancelFlag:
    """`ctx.cancelled` on a Dask worker: the run's distributed Event, asked at most every CANCEL_POLL_S."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._event: distributed.Event | None = None
        self._checked = float("-inf")
        self._set = False

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self._set and now - self._checked >= CANCEL_POLL_S:
            self._checked = now
            try:
                if self._event is None:
                    self._event = distributed.Event(self._name)
                self._set = bool(self._event.is_set())
            except Exception:  # noqa: BLE001 - scheduler unreachable: keep going, the client decides
                return False
        return self._set


def run_task(
    task: Task, topic: str, cancel_name: str, sys_path: list[str]
) -> tuple[Outcome, bytes | None, list[Event]]:
    """Run the attempt; returns (outcome without outputs, pickled cache entry or None, all its events)."""
    for entry in sys_path:
        if entry not in sys.path:
            sys.path.append(entry)
    worker = distributed.get_worker()
    events: list[Event] = []

    def emit(event: Event) -> None:
        events.append(event)
        with contextlib.suppress(Exception):  # the live copy is best effort; the returned list is complete
            worker.log_event(topic, pickle.dumps((task.task_id, len(events) - 1, event)))

    emit(NodeStarted(task.run_id, time.time(), task.node_id, task.attempt, worker.address))
    sink = NodeSink(task.node_id, task.run_id, emit, time.time)
    install_thread_capture()
    set_thread_sink(sink)
    try:
        outcome, data = execute(task, emit, RunCancelFlag(cancel_name), pickled=True)
    finally:
        sink.close()
        set_thread_sink(None)
        uninstall_thread_capture()
    outcome.outputs = None  # the client unpickles `data` instead
    return outcome, data, events
