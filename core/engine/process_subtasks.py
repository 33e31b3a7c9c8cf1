"""`ctx.map` on the processes backend: the parent runs a node's items on worker processes of their own.

A node runs in a worker process; when it maps, its worker sends each item (pickled once, by the node's
process) to the parent, which passes the bytes unopened to a free map worker (`process-map-1..N`, N the
run's worker count, shared by every map of the run, started as items arrive and kept for the run) and
sends the item's reports ("started", then "done" with the result pickled) back to the node's process.
The mapping node waits without using a core, so N items run in parallel even on a run of N workers.

Stopping a map (its first failure, the node's cancel) drops its queued items and turns on
`ctx.cancelled` for its running ones; a node whose worker is killed (timeout, hurried cancel) takes its
items' workers down with it. Map workers are ordinary process workers (`process_child.worker_main`):
they die with the parent, and the run's cancel reaches them like any worker.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from ..events import Event
from .map_tasks import SubtaskReport

if TYPE_CHECKING:
    from .process_backend import ProcessWorker


class Owner(Protocol):
    """The node's worker, as the pool sees it: where an item's reports go."""

    task_id: int | None

    def send(self, message: Any) -> bool: ...


class Poster(Protocol):
    def post(self, event: Event) -> None: ...


class _Job:
    __slots__ = ("owner", "map_id", "index", "payload", "owner_task")

    def __init__(self, owner: Owner, map_id: str, index: int, payload: bytes) -> None:
        self.owner, self.map_id, self.index, self.payload = owner, map_id, index, payload
        self.owner_task = owner.task_id


class ProcessSubtaskPool:
    """Map workers of one run. Every method may be called from any thread.

    State changes under the pool's lock; sends happen after it is released (`_flush`). A send may block
    (a pipe is full while its reader is busy), and the node's process may itself be blocked sending the
    next item to a reader thread that needs this lock: sending under the lock could deadlock the two.
    """

    def __init__(self, size: int, spawn: Any, reporter: Poster) -> None:
        self.size = max(1, size)
        self._spawn = spawn  # (name, on_message, on_exit) -> ProcessWorker
        self._reporter = reporter
        self._lock = threading.Lock()
        self._workers: dict[str, ProcessWorker] = {}
        self._idle: list[str] = []
        self._busy: dict[str, _Job] = {}
        self._queue: deque[_Job] = deque()
        self._stopped: set[str] = set()
        self._closed = False
        self._outbox: list[tuple[Any, Any]] = []  # (owner, message) or (map worker, payload bytes)

    # -- from the node's side (its worker's reader thread) ------------------------------------------------
    def start(self, owner: Owner, map_id: str, index: int, payload: bytes) -> None:
        with self._lock:
            if self._closed or map_id in self._stopped:
                return
            self._queue.append(_Job(owner, map_id, index, payload))
            self._dispatch()
            out = self._take()
        self._flush(out)

    def stop_map(self, map_id: str) -> None:
        with self._lock:
            self._stopped.add(map_id)
            self._queue = deque(job for job in self._queue if job.map_id != map_id)
            for name, job in self._busy.items():
                if job.map_id == map_id:
                    self._workers[name].cancel_event.set()

    def drop_owner(self, owner: Owner) -> None:
        """The node's worker was killed: its items are of no use any more; kill their workers now."""
        doomed: list[ProcessWorker] = []
        with self._lock:
            self._queue = deque(job for job in self._queue if job.owner is not owner)
            for name, job in list(self._busy.items()):
                if job.owner is owner:
                    self._stopped.add(job.map_id)
                    del self._busy[name]
                    doomed.append(self._workers.pop(name))
            for worker in doomed:
                worker.killed = True  # its reader must not report it as lost
            self._dispatch()
            out = self._take()
        for worker in doomed:
            worker.kill()
        self._flush(out)

    def signal_cancel(self) -> None:
        with self._lock:
            for name in self._busy:
                self._workers[name].cancel_event.set()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._workers.values())
            self._workers.clear()
            self._idle.clear()
            self._busy.clear()
            self._queue.clear()
            self._outbox.clear()
        for worker in workers:
            worker.close()
        deadline = time.monotonic() + 1.0
        for worker in workers:
            worker.kill(join=max(0.0, deadline - time.monotonic()))

    # -- from a map worker's reader thread ---------------------------------------------------------------
    def on_message(self, worker: ProcessWorker, message: Any) -> None:
        if isinstance(message, tuple) and message and message[0] in ("subdone", "loadfail"):
            with self._lock:
                job = self._busy.pop(worker.name, None)
                if job is None:
                    return
                if message[0] == "subdone":
                    report: SubtaskReport = message[1]
                else:
                    error = f"the item cannot be loaded in a worker process: {message[1]}"
                    report = SubtaskReport(
                        job.map_id, job.index, "done", time.time(), worker.name, False, error=error
                    )
                self._tell(job, report)
                self._idle.append(worker.name)
                self._dispatch()
                out = self._take()
            self._flush(out)
        elif isinstance(message, Event):
            with self._lock:
                job = self._busy.get(worker.name)
                live = job is not None and self._live(job)
            if live:
                self._reporter.post(message)

    def on_exit(self, worker: ProcessWorker, message: str) -> None:
        with self._lock:
            if self._workers.get(worker.name) is not worker:
                return
            del self._workers[worker.name]
            with contextlib.suppress(ValueError):
                self._idle.remove(worker.name)
            job = self._busy.pop(worker.name, None)
            if job is not None:
                report = SubtaskReport(
                    job.map_id, job.index, "done", time.time(), worker.name, False, error=message
                )
                self._tell(job, report)
            self._dispatch()
            out = self._take()
        self._flush(out)

    # -- lock held ---------------------------------------------------------------------------------------
    def _live(self, job: _Job) -> bool:
        """The job's map still waits for it (not stopped, its node still on the same attempt)."""
        return job.map_id not in self._stopped and job.owner.task_id == job.owner_task

    def _tell(self, job: _Job, report: SubtaskReport) -> None:
        if self._live(job):
            self._outbox.append((job.owner, ("subreport", report)))

    def _dispatch(self) -> None:
        while self._queue and not self._closed:
            if self._idle:
                name = self._idle.pop()
            elif len(self._workers) < self.size:
                name = self._free_name()
                self._workers[name] = self._spawn(name, self.on_message, self.on_exit)
            else:
                return
            worker = self._workers[name]
            job = self._queue.popleft()
            worker.cancel_event.clear()
            self._busy[name] = job
            self._outbox.append((worker, job.payload))
            self._tell(job, SubtaskReport(job.map_id, job.index, "started", time.time(), name))

    def _take(self) -> list[tuple[Any, Any]]:
        out, self._outbox = self._outbox, []
        return out

    def _free_name(self) -> str:
        number = 1
        while f"process-map-{number}" in self._workers:
            number += 1
        return f"process-map-{number}"

    # -- no lock ------------------------------------------------------------------------------------------
    @staticmethod
    def _flush(out: list[tuple[Any, Any]]) -> None:
        """Send what the locked part decided. A map worker that cannot take its item has died: its
        reader's `on_exit` reports the item failed. An owner that is gone needs no report."""
        for target, message in out:
            if isinstance(message, bytes):
                target.send_bytes(message)
            else:
                target.send(message)
