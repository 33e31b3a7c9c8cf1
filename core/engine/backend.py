"""What a run's scheduler talks to: the backend protocol, one attempt's record, and opening a backend.

`Backend` is what `ThreadBackend`, `ProcessBackend` and `dask_backend.DaskBackend` provide, so the
scheduler and the driver never ask which backend they have. `BaseBackend` gives every optional hook
its do-nothing default. The scheduler calls every method with its lock held, except the capture hooks
(the driver's thread, around the run) and `subtask_runner` (a worker, when a node calls `ctx.map`).
Workers report back to the scheduler through `Reporter` (its `post`, `on_outcome`, `on_worker_lost`).
`open_backend` builds the one the options ask for; the dask module is imported only then
(dask.distributed is an optional extra and slow to import).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Protocol

from ..events import Event
from .invoke import Outcome, Task
from .map_tasks import Flag, SubtaskRunner
from .options import RunOptions


class Reporter(Protocol):
    """The scheduler as workers see it (any thread): events, outcomes, workers that died, and results
    written to the cache after their outcome was accepted (`stored`, once per `Outcome.will_store`)."""

    def post(self, event: Event) -> None: ...

    def on_outcome(self, worker: str, outcome: Outcome) -> tuple[Task, Attempt] | bool: ...

    def on_worker_lost(self, worker: str, task_id: int | None, message: str) -> None: ...

    def stored(self) -> None: ...


class Backend(Protocol):
    """What runs attempts. Flags and hooks, in the order a run meets them:

    - `deferred_start`: the backend posts NodeStarted itself when the attempt really starts (dask: with
      the worker's address); otherwise the scheduler posts it at submission.
    - `hands_back`: a worker that finishes an attempt runs the next ready node itself, taking it as the
      return value of `Reporter.on_outcome` (threads: no queue round trip per node); the scheduler then
      calls `hand_back(worker, attempt)` instead of `submit`.
    - `stores_accepted`: its workers write an accepted result to the cache after the outcome (see
      `invoke.store_result`) and report `Reporter.stored()`; the run waits for those writes. (A backend
      that writes before reporting, or never, leaves it False.)
    - `begin_capture()` / `end_capture()`: around the run, on the driver's thread (threads: route
      `print` and `logging` of node threads into node logs).
    - `prestart(count)`: start that many workers before the first nodes are submitted (processes).
    - `idle_worker()`, `submit(worker, task, attempt)` (an error string if it could not be sent),
      `release(worker)` (finished; may take another), `abandon(worker)` (give up its attempt: timeout,
      cancel, worker death; the slot gets a fresh worker), `signal_cancel()`, `shutdown()`.
    - `subtask_runner(flag, emit)`: where the `ctx.map` items of a node running in this process go
      (threads: the run's map threads; None: in the node's own thread, one at a time). A backend whose
      nodes run elsewhere gives `invoke.execute(..., subtasks=...)` a runner where the node runs: the
      process child's `PipeRunner` asks the parent's `ProcessSubtaskPool`; a Dask task may submit the
      items to its cluster. Any `map_tasks.SubtaskRunner` will do (see `map_tasks` for its rules).
    """

    name: str
    max_workers: int
    deferred_start: bool
    hands_back: bool
    stores_accepted: bool

    def begin_capture(self) -> None: ...

    def end_capture(self) -> None: ...

    def prestart(self, count: int) -> None: ...

    def idle_worker(self) -> str | None: ...

    def submit(self, worker: str, task: Task, attempt: Attempt) -> str | None: ...

    def hand_back(self, worker: str, attempt: Attempt) -> None: ...

    def release(self, worker: str) -> None: ...

    def abandon(self, worker: str) -> None: ...

    def signal_cancel(self) -> None: ...

    def shutdown(self) -> None: ...

    def subtask_runner(self, flag: Flag, emit: Callable[[Event], None]) -> SubtaskRunner | None: ...


class BaseBackend:
    """Defaults for the optional hooks of `Backend` (a backend overrides what it supports)."""

    name = "base"
    max_workers = 0
    deferred_start = False
    hands_back = False
    stores_accepted = False

    def begin_capture(self) -> None:
        """Nothing to route: output is captured where the node runs."""

    def end_capture(self) -> None: ...

    def prestart(self, count: int) -> None:
        """Workers start when first needed."""

    def hand_back(self, worker: str, attempt: Attempt) -> None:
        raise NotImplementedError(f"the {self.name} backend does not hand work back")

    def subtask_runner(self, flag: Flag, emit: Callable[[Event], None]) -> SubtaskRunner | None:
        return None  # ctx.map runs the items in the node's own thread


class Unopened(BaseBackend):
    """The backend before `Scheduler.open` (explaining the cache never starts one)."""

    name = "unopened"

    def idle_worker(self) -> str | None:
        return None

    def submit(self, worker: str, task: Task, attempt: Attempt) -> str | None:
        return "the run's backend is not open"

    def release(self, worker: str) -> None: ...

    def abandon(self, worker: str) -> None: ...

    def signal_cancel(self) -> None: ...

    def shutdown(self) -> None: ...


class Attempt:
    """One attempt of one node; also its `ctx.cancelled` flag (the run's cancel, or this attempt given up).

    `started` is wall-clock time (for events); `deadline` is on `time.monotonic()`, like every deadline
    in the engine, so a clock change never fires or hides a timeout.
    """

    __slots__ = ("node_id", "attempt", "worker", "started", "begun", "deadline", "stopped", "_run_cancel")

    def __init__(
        self,
        node_id: str,
        attempt: int,
        worker: str,
        started: float,
        begun: float,
        deadline: float | None,
        run_cancel: threading.Event,
    ) -> None:
        self.node_id, self.attempt, self.worker = node_id, attempt, worker
        self.started, self.begun, self.deadline = started, begun, deadline
        self.stopped = False
        self._run_cancel = run_cancel

    def is_set(self) -> bool:
        return self.stopped or self._run_cancel.is_set()


def open_backend(
    options: RunOptions, workers: int, reporter: Reporter, run_id: str, file: str | None
) -> Backend:
    """The backend for a run (dask: starts a local cluster or connects; PipelineError if it cannot)."""
    if options.backend == "processes":
        from .process_backend import ProcessBackend

        return ProcessBackend(workers, reporter)
    if options.backend == "dask":
        module = importlib.import_module(".dask_backend", __package__)
        backend: Backend = module.DaskBackend(options.workers, options.scheduler, reporter, run_id, file)
        return backend
    from .threads_backend import ThreadBackend

    return ThreadBackend(workers, reporter)
