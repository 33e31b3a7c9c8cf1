"""One attempt of one node on a Dask worker (the function `DaskBackend` submits; runs on the worker).

It runs the node with `invoke.execute`, like the other backends, and reports its events two ways:
live, as they happen, through the Dask scheduler's event log (`Worker.log_event` on a per-run topic the
client subscribes to, so progress shows while the node runs), and complete, in order, in the task's
return value with the outcome. The client posts each event once, whichever way it arrives first (events
carry a per-attempt sequence number), so nothing is lost if the live channel lags and the node's events
always precede its end. The first event is NodeStarted naming the Dask worker's address.

Executions equal attempts. Before it calls the node, the task *claims* its Dask key in the scheduler's
metadata (`RunMarks.claim`, one round trip, ~0.5 ms). When a worker dies mid-task, Dask re-runs the key
elsewhere (up to `distributed.scheduler.allowed-failures` times, 3 by default on a cluster we did not
start); the re-run finds the claim, does not call the node again and reports the lost worker as the
attempt's failure, so the node's own `retries` decide what happens next. The same holds when a worker
dies holding a finished result not yet collected (another node crashed it): Dask would recompute it,
the claim refuses, and the node's retries decide. The claim also tells the client whether a task lost
with its worker had started at all (a task only queued there is re-sent).

The outputs come back pickled (`data`), never written to disk here: the client stores them in its own
result cache, so a remote cluster works the same as a local one. `print` and `logging` in the node are
captured into its log (per thread, as on the threads backend). `ctx.cancelled` reads the run's stop
marks (run cancelled, or this attempt timed out or given up), polled at most every `CANCEL_POLL_S`.
`ctx.map` items run on the cluster as tasks of their own (`dask_subtasks.py`).
"""

from __future__ import annotations

import contextlib
import pickle
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import distributed
from distributed.utils import sync

from ..events import Event, NodeLog, NodeStarted
from .capture import NodeSink, install_thread_capture, set_thread_sink, uninstall_thread_capture
from .invoke import Flag, Outcome, Task, execute, one_line_error
from .map_tasks import SubtaskRunner

CANCEL_POLL_S = 0.1
ALL = "*"  # the stop mark of the whole run (cancel); other stop marks are Dask keys


def lost_worker_error(address: str | None) -> str:
    where = f"the dask worker {address}" if address else "its dask worker"
    return (
        f"lost worker: {where} died while running this node or before its result was collected "
        "(os._exit, a crash, a kill or out of memory)"
    )


class RunMarks:
    """The run's state kept in the Dask scheduler's metadata: who claimed which key, what must stop.

    Layout: `["nodeloom", run_id, "claims", key] = worker address` and
    `["nodeloom", run_id, "stop"] = {"*": True (cancel), key: True (attempt given up)}`.
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id

    def claim_path(self, key: str) -> list[str]:
        return ["nodeloom", self.run_id, "claims", key]

    def stop_path(self, key: str = ALL) -> list[str]:
        return ["nodeloom", self.run_id, "stop", key]

    def run_path(self) -> list[str]:
        return ["nodeloom", self.run_id]

    def claim(self, worker: Any, key: str) -> str | None:
        """Record this worker as running `key`; returns the worker that claimed it before, if any."""
        path = self.claim_path(key)
        before = sync(worker.loop, worker.scheduler.get_metadata, keys=path, default=None)
        if before is not None:
            return str(before)
        sync(worker.loop, worker.scheduler.set_metadata, keys=path, value=worker.address)
        return None


class StopFlag:
    """`ctx.cancelled` on a Dask worker: the run's stop marks, asked at most every CANCEL_POLL_S."""

    def __init__(self, worker: Any, marks: RunMarks, *keys: str) -> None:
        self._worker, self._path, self._keys = worker, marks.stop_path()[:-1], keys or (ALL,)
        self._checked = float("-inf")
        self._set = False

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self._set and now - self._checked >= CANCEL_POLL_S:
            self._checked = now
            try:
                marks = sync(
                    self._worker.loop, self._worker.scheduler.get_metadata, keys=self._path, default=None
                )
            except Exception:  # noqa: BLE001 - scheduler unreachable: keep going, the client decides
                return False
            self._set = isinstance(marks, dict) and any(marks.get(key) for key in (ALL, *self._keys))
        return self._set


def run_task(
    task: Task, key: str, topic: str, sys_path: list[str]
) -> tuple[Outcome, bytes | None, list[Event], float]:
    """Run the attempt submitted as Dask `key`; returns (outcome without outputs, pickled cache entry or
    None, all its events, seconds the node itself took)."""
    for entry in sys_path:
        if entry not in sys.path:
            sys.path.append(entry)
    worker = distributed.get_worker()
    marks = RunMarks(task.run_id)
    events: list[Event] = []

    def emit(event: Event) -> None:
        events.append(event)
        with contextlib.suppress(Exception):  # the live copy is best effort; the returned list is complete
            worker.log_event(topic, pickle.dumps((task.task_id, len(events) - 1, event)))

    before = marks.claim(worker, key)
    if before is not None:  # Dask re-ran a task whose worker died: that execution was the attempt
        emit(NodeStarted(task.run_id, time.time(), task.node_id, task.attempt, before))
        return Outcome(task.task_id, False, None, lost_worker_error(before), time.time()), None, events, 0.0
    emit(NodeStarted(task.run_id, time.time(), task.node_id, task.attempt, worker.address))

    def subtasks(flag: Flag, emit_to: Callable[[Event], None]) -> SubtaskRunner:
        from .dask_subtasks import DaskSubtaskRunner  # ctx.map: its items run on the cluster too

        return DaskSubtaskRunner(flag, emit_to, marks, key)

    sink = NodeSink(task.node_id, task.run_id, emit, time.time)
    install_thread_capture()
    set_thread_sink(sink)
    begin = time.perf_counter()
    try:
        outcome, data = execute(task, emit, StopFlag(worker, marks, key), pickled=True, subtasks=subtasks)
    except BaseException as exc:  # noqa: BLE001 - CancelledError, GeneratorExit, a node's own BaseException
        text = "".join(traceback.format_exception(exc)).rstrip()
        emit(NodeLog(task.run_id, time.time(), task.node_id, "error", text))
        outcome, data = Outcome(task.task_id, False, None, one_line_error(exc), time.time()), None
    finally:
        elapsed = time.perf_counter() - begin
        sink.close()
        set_thread_sink(None)
        uninstall_thread_capture()
    outcome.outputs = None  # the client unpickles `data` instead
    return outcome, data, events, elapsed
