"""What a run's scheduler talks to: the backend protocol, one attempt's record, and opening a backend.

`Backend` is what `ThreadBackend`, `ProcessBackend` and `dask_backend.DaskBackend` provide; the scheduler
calls every method with its lock held. `open_backend` builds the one the options ask for; the dask
module is imported only then (dask.distributed is an optional extra and slow to import).
"""

from __future__ import annotations

import importlib
import threading
from typing import Any, Protocol

from .invoke import Task
from .options import RunOptions
from .process_backend import ProcessBackend
from .threads_backend import ThreadBackend


class Backend(Protocol):
    """What runs attempts: `ThreadBackend`, `ProcessBackend`, `dask_backend.DaskBackend`.

    Every method is called with the scheduler's lock held; workers report back through `on_outcome`.
    """

    name: str
    max_workers: int

    def idle_worker(self) -> str | None: ...

    def submit(self, worker: str, task: Task, attempt: Attempt) -> str | None: ...

    def release(self, worker: str) -> None: ...

    def abandon(self, worker: str) -> None: ...

    def signal_cancel(self) -> None: ...

    def shutdown(self) -> None: ...


class Unopened:
    """The backend before `Scheduler.open` (explaining the cache never starts one)."""

    name = "unopened"
    max_workers = 0

    def idle_worker(self) -> str | None:
        return None

    def submit(self, worker: str, task: Task, attempt: Attempt) -> str | None:
        return "the run's backend is not open"

    def release(self, worker: str) -> None: ...

    def abandon(self, worker: str) -> None: ...

    def signal_cancel(self) -> None: ...

    def shutdown(self) -> None: ...


class Attempt:
    """One attempt of one node; also its `ctx.cancelled` flag (the run's cancel, or this attempt given up)."""

    __slots__ = ("node_id", "attempt", "worker", "started", "deadline", "stopped", "_run_cancel")

    def __init__(
        self,
        node_id: str,
        attempt: int,
        worker: str,
        started: float,
        deadline: float | None,
        run_cancel: threading.Event,
    ) -> None:
        self.node_id, self.attempt, self.worker = node_id, attempt, worker
        self.started, self.deadline = started, deadline
        self.stopped = False
        self._run_cancel = run_cancel

    def is_set(self) -> bool:
        return self.stopped or self._run_cancel.is_set()


def open_backend(options: RunOptions, workers: int, home: Any, run_id: str, file: str | None) -> Backend:
    """The backend for a run (dask: starts a local cluster or connects; PipelineError if it cannot)."""
    if options.backend == "processes":
        return ProcessBackend(workers, home)
    if options.backend == "dask":
        module = importlib.import_module(".dask_backend", __package__)
        backend: Backend = module.DaskBackend(options.workers, options.scheduler, home, run_id, file)
        return backend
    return ThreadBackend(workers, home)
