"""`ctx.map` on the dask backend: a node's items run as Dask tasks of their own, on the whole cluster.

The node itself is a Dask task (`dask_task.run_task`); when it calls `ctx.map`, `run_map` (in the node's
thread, on its worker) hands the items to `DaskSubtaskRunner`, which submits each through the worker's
own client (`distributed.get_client`). The node's task first *secedes* from its worker's thread pool,
so a node waiting for its items never holds a thread they need (two mapping nodes on a two-thread
cluster would otherwise wait for each other forever). At most `capacity` items (the cluster's threads)
are on the cluster at once; the rest wait in `run_map`, which keeps the item order.

Each item (`run_item`) claims its key like a node attempt does, so an item is never run twice when a
worker dies; it records when and where it started in the run's metadata (the runner polls that, so the
item's timeline bar begins when it really starts) and returns its report, its events (logs, `print`)
and its start. `ctx.cancelled` in an item follows the run's cancel, the node's attempt being given up
(timeout) and the map being stopped (an item failed). Items are cached by the worker only when the
node's task says so (clusters started by Nodeloom, on this machine; see `DaskBackend._send`).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import distributed
from distributed.utils import sync

from ..events import Event
from .capture import NodeSink, install_thread_capture, set_thread_sink, uninstall_thread_capture
from .dask_task import ALL, RunMarks, StopFlag, lost_worker_error
from .map_tasks import Flag, Subtask, SubtaskReport, run_subtask
from .summaries import one_line_error

_seceded = threading.local()  # a node's task leaves its worker's thread pool once, at its first map
_maps = itertools.count(1)


def run_item(
    sub: Subtask, key: str, stop_keys: tuple[str, ...], started_path: list[str]
) -> tuple[SubtaskReport, list[Event], float, str]:
    """One item on a worker: (its report, its events, when it started, which worker ran it)."""
    worker = distributed.get_worker()
    marks = RunMarks(sub.run_id)
    begun = time.time()
    before = marks.claim(worker, key)
    if before is not None:  # Dask re-ran an item whose worker died: that was its one execution
        report = SubtaskReport(sub.map_id, sub.index, "done", time.time(), before, False)
        report.error = lost_worker_error(before)
        return report, [], begun, before
    with contextlib.suppress(Exception):  # the start is for the timeline only
        sync(worker.loop, worker.scheduler.set_metadata, keys=started_path, value=[begun, worker.address])
    events: list[Event] = []
    sink = NodeSink(sub.node_id, sub.run_id, events.append, time.time)
    install_thread_capture()
    set_thread_sink(sink)
    try:
        flag = StopFlag(worker, marks, *stop_keys)
        report = run_subtask(sub, flag, events.append, worker.address, True)
    finally:
        sink.close()
        set_thread_sink(None)
        uninstall_thread_capture()
    return report, events, begun, worker.address


class DaskSubtaskRunner:
    """A `map_tasks.SubtaskRunner` that runs items on the Dask cluster (made in the node's task)."""

    def __init__(self, flag: Flag, emit: Callable[[Event], None], marks: RunMarks, parent_key: str) -> None:
        self._flag, self._emit, self._marks = flag, emit, marks
        self._client = distributed.get_client()
        if getattr(_seceded, "key", None) != parent_key:  # once per node task (a thread may be reused)
            distributed.secede()
            _seceded.key = parent_key
        self.capacity = max(1, sum(self._client.nthreads().values()))
        self._key = f"{parent_key}-map{next(_maps)}"
        self._stop_keys = (ALL, parent_key, self._key)
        self._started_root = [*marks.run_path(), "items", self._key]
        self._futures: dict[int, Any] = {}
        self._maps: dict[int, str] = {}
        self._started: set[int] = set()

    def start(self, sub: Subtask) -> None:
        key = f"{self._key}-{sub.index}"
        started = [*self._started_root, str(sub.index)]
        self._futures[sub.index] = self._client.submit(
            run_item, sub, key, self._stop_keys, started, key=key, pure=False, retries=0
        )
        self._maps[sub.index] = sub.map_id

    def wait(self, timeout: float) -> list[SubtaskReport]:
        if not self._futures:
            time.sleep(timeout)
            return []
        with contextlib.suppress(TimeoutError, distributed.TimeoutError):
            distributed.wait(list(self._futures.values()), timeout=timeout, return_when="FIRST_COMPLETED")
        reports = self._newly_started()
        for index, future in list(self._futures.items()):
            if future.done():
                del self._futures[index]
                reports.extend(self._finished(index, future))
        return reports

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._client.set_metadata([*self._marks.run_path(), "stop", self._key], True)
        futures = list(self._futures.values())
        self._futures.clear()
        with contextlib.suppress(Exception):
            self._client.cancel(futures)

    def _newly_started(self) -> list[SubtaskReport]:
        """Items that began since the last look (their start, from the run's metadata)."""
        waiting = [index for index in self._futures if index not in self._started]
        if not waiting:
            return []
        try:
            starts = self._client.get_metadata(self._started_root, default=None) or {}
        except Exception:  # noqa: BLE001 - the start shows with the item's end instead
            return []
        reports = []
        for index in waiting:
            start = starts.get(str(index)) if isinstance(starts, dict) else None
            if start is not None:
                self._started.add(index)
                reports.append(SubtaskReport(self._maps[index], index, "started", start[0], start[1]))
        return reports

    def _finished(self, index: int, future: Any) -> list[SubtaskReport]:
        map_id = self._maps.pop(index)
        try:
            report, events, begun, worker = future.result()
        except BaseException as exc:  # noqa: BLE001 - a lost worker or a task that could not run
            last = getattr(getattr(exc, "last_worker", None), "address", None)
            error = (
                lost_worker_error(last) if isinstance(exc, distributed.KilledWorker) else one_line_error(exc)
            )
            now = time.time()
            reports = [] if index in self._started else [SubtaskReport(map_id, index, "started", now, "dask")]
            return [*reports, SubtaskReport(map_id, index, "done", now, "dask", False, error=error)]
        for event in events:
            self._emit(event)
        reports = [] if index in self._started else [SubtaskReport(map_id, index, "started", begun, worker)]
        self._started.discard(index)
        return [*reports, report]
