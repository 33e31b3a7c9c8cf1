"""The dask backend: run each node attempt as a task on a Dask cluster (`dask.distributed`).

Without an address the run starts its own `distributed.LocalCluster` (real worker processes,
`workers` of them, default 2, one thread each, logs silenced) and closes it at the end, which also
ends any abandoned task. With `--scheduler ADDRESS` it connects a `Client` to a running cluster and
leaves the cluster alone; the workers there must be able to import the pipeline's `py:` modules.
Reaching the cluster (address checks, starting one) is `dask_cluster.py`.

Semantics are the engine's, as on the other backends: the scheduler (`scheduler.py`) decides what
runs, retries, deadlines and cancel; Dask only executes attempts, each exactly once: tasks are sent
with Dask `retries=0`, a cluster we start fails a task whose worker dies at once (allowed-failures 0),
and on any cluster a task re-run after its worker died reports the lost worker instead of running the
node again (the claim in `dask_task.py`). A task lost with a worker before it started (queued there)
is re-sent, invisibly: it never ran. Values pass through this client (inputs are sent with the task,
outputs come back pickled and are cached here, so a remote cluster writes nothing to its disks).

A timed-out attempt is abandoned: its future is cancelled, its `ctx.cancelled` turns true (a stop mark
in the scheduler's metadata, which the task polls) and the node fails at its deadline (a running Python
call cannot be interrupted; on a local cluster the workers are closed with the run). Cancel sets the
run's stop mark, then cancels the futures.

Events: see `dask_task.py`. NodeStarted is sent by the task itself when a worker picks it up, so its
`worker` is the Dask worker's address; an attempt that ends before any event of its arrived (timed out
or cancelled while queued on the cluster, lost with its worker) gets one from here, so every attempt
still has NodeStarted before its end. The client's done-callbacks and event handler run on Dask's
threads and report to the scheduler like the process backend's reader threads do.

Dask advises tasks of 10-100 ms or more (each costs about a millisecond of scheduling and transfer); the
first `SMALL_SAMPLE` attempts of a run tell whether its nodes are far smaller, and if so one warning
says so, once per run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import Any, Protocol

import psutil

from ..errors import PipelineError, Problem
from ..events import NodeLog, NodeStarted
from .backend import BaseBackend, Reporter
from .invoke import Outcome, Task, one_line_error, store_result

try:
    import distributed

    from . import dask_cluster
    from .dask_task import ALL, RunMarks, lost_worker_error, run_task
except ImportError:  # the optional extra `nodeloom[dask]` is not installed
    distributed = None  # type: ignore[assignment]

INSTALL_HINT = "the dask backend needs dask.distributed: pip install 'nodeloom[dask]'"
MAX_RESENDS = 3  # a task lost with its worker before it started is sent again this often
SMALL_SAMPLE = 10  # attempts measured before judging the nodes' size
SMALL_TASK_S = 0.005  # a median below this is "far smaller" than Dask's advised 10-100 ms
QUEUED = "dask (queued)"  # NodeStarted's worker for an attempt that ended before it reached one
_DASK_LOGGERS = ("distributed", "tornado", "bokeh")


def quiet_dask_logs_for_good() -> None:
    """For a process that exits after its run (the CLI): Dask's loop threads may still log a closed
    connection's traceback after the cluster closed, so its loggers stay quiet to the end."""
    _quiet_dask_logs()


def _quiet_dask_logs() -> Callable[[], None]:
    """Silence Dask's own loggers while a run uses it; returns what restores them.

    Everything a user needs from Dask during a run becomes a node's error or log line here (a lost
    worker, a lost scheduler); Dask's own messages about it are tracebacks from its reconnect loop and
    cluster shutdown, printed into the CLI's output. `NODELOOM_DEBUG=1` keeps them.
    """
    if os.environ.get("NODELOOM_DEBUG") == "1":
        return lambda: None
    # worker processes of a cluster started from here read this when they import distributed
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")
    names = [name for name in list(logging.root.manager.loggerDict) if name.split(".")[0] in _DASK_LOGGERS]
    loggers = [logging.getLogger(name) for name in {*names, *_DASK_LOGGERS}]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)

    def restore() -> None:
        for logger, level in saved:
            logger.setLevel(level)

    return restore


class Attempt(Protocol):
    stopped: bool


@dataclass
class _Running:
    slot: str
    future: Any  # distributed.Future
    attempt: Attempt
    task: Task
    key: str  # the Dask key (changes when a task lost before it started is re-sent)
    delivered: int = 0  # events of this attempt posted so far (they carry their sequence number)
    resent: int = 0


class DaskBackend(BaseBackend):
    """Slots `dask-1..N` (N = the cluster's threads). Call the public methods with the scheduler's lock held."""

    name = "dask"
    stores_accepted = True  # results are written here, on the client, after acceptance: the run waits
    deferred_start = True  # NodeStarted comes from the task, with the worker's address

    def __init__(
        self, workers: int | None, address: str | None, reporter: Reporter, run_id: str, file: str | None
    ) -> None:
        if distributed is None:
            raise PipelineError([Problem(INSTALL_HINT, file=file)])
        self._reporter = reporter
        self._restore_logs = _quiet_dask_logs()
        self._abandoned = False
        self._cluster: Any = None
        self.client: Any = None
        try:
            if address:
                self.client = dask_cluster.connect(address)
            else:
                self._cluster, self.client = dask_cluster.start_local(workers)
            threads = sum(self.client.nthreads().values())
        except Exception as exc:  # noqa: BLE001 - unreachable scheduler, bad address, cluster start failure
            self._close()
            where = f"the dask scheduler at {address}" if address else "a local dask cluster"
            reason = str(exc) if isinstance(exc, ConnectionError) else one_line_error(exc)
            raise PipelineError([Problem(f"cannot use {where}: {reason}", file=file)]) from None
        self.address = address or self.client.scheduler.address
        self.max_workers = max(1, threads)
        self._slots = [f"dask-{i + 1}" for i in range(self.max_workers)]
        self._idle = list(reversed(self._slots))
        self._topic = f"nodeloom-events-{run_id}"
        self._marks = RunMarks(run_id)
        self._lock = threading.Lock()
        self._running: dict[int, _Running] = {}
        self._by_slot: dict[str, int] = {}
        self._sys_path = list(sys.path)
        self._sizes: list[float] = []  # seconds of the first SMALL_SAMPLE successful attempts
        self.client.subscribe_topic(self._topic, self._on_live)

    # -- scheduler side (scheduler lock held) ----------------------------------------------------------
    def idle_worker(self) -> str | None:
        return self._idle.pop() if self._idle else None

    def submit(self, worker: str, task: Task, attempt: Attempt) -> str | None:
        """Send the attempt to the cluster; returns an error if it could not be sent."""
        key = f"nodeloom-{task.node_id}-{task.run_id}-{task.task_id}"
        try:
            future = self._send(task, key)
        except Exception as exc:  # noqa: BLE001 - unpicklable inputs or function, closed client
            return f"cannot send to dask: {one_line_error(exc)}"
        with self._lock:
            self._running[task.task_id] = _Running(worker, future, attempt, task, key)
            self._by_slot[worker] = task.task_id
        future.add_done_callback(lambda done, task_id=task.task_id: self._on_done(task_id, done))
        return None

    def _send(self, task: Task, key: str) -> Any:
        """Submit the attempt as Dask task `key` (no Dask retries: the node's own retries decide).

        The node's result is cached here, by this client, so the copy sent has no cache key. Its
        `ctx.map` items are cached by the workers only on a cluster we started (same machine, same
        home); a remote worker must not write into a path of this machine's home on its own disk.
        """
        local = self._cluster is not None
        sent = Task(
            task.task_id,
            task.run_id,
            task.node_id,
            task.attempt,
            task.node_type,
            task.kwargs,
            None,
            task.cache_root if local else None,
            task.map_scope if local else None,
            task.map_read,
        )
        return self.client.submit(
            run_task, sent, key, self._topic, self._sys_path, key=key, pure=False, retries=0
        )

    def release(self, worker: str) -> None:
        self._idle.append(worker)

    def abandon(self, worker: str) -> None:
        """Give up the slot's attempt (timeout or cancel): its future is cancelled, its events dropped."""
        with self._lock:
            task_id = self._by_slot.pop(worker, None)
            entry = self._running.pop(task_id, None) if task_id is not None else None
        if entry is not None:
            entry.attempt.stopped = True
            self._abandoned = True
            self._mark(self._marks.stop_path(entry.key), True)  # its ctx.cancelled turns true
            if entry.delivered == 0:  # still queued on the cluster (or its start is in flight)
                self._post_started(entry, QUEUED)
            with contextlib.suppress(Exception):
                entry.future.cancel()
        self._idle.append(worker)

    def signal_cancel(self) -> None:
        self._mark(self._marks.stop_path(ALL), True)

    def shutdown(self) -> None:
        with self._lock:
            entries = list(self._running.values())
            self._running.clear()
            self._by_slot.clear()
        for entry in entries:
            entry.attempt.stopped = True
            self._abandoned = True
        if entries:
            with contextlib.suppress(Exception):
                self.client.cancel([entry.future for entry in entries])
        with contextlib.suppress(Exception):
            self.client.unsubscribe_topic(self._topic)
        if self._cluster is None:  # someone else's cluster: drop this run's claims, keep it stopped
            with contextlib.suppress(Exception):
                self.client.sync(
                    self.client.scheduler.set_metadata,
                    keys=self._marks.run_path(),
                    value={"stop": {ALL: True}},
                    callback_timeout=dask_cluster.CHECK_TIMEOUT_S,
                )
        self._close()

    def _mark(self, path: list[str], value: object) -> None:
        """Set a mark in the scheduler's metadata without waiting (the scheduler's lock is held)."""
        client = self.client

        async def send() -> None:
            with contextlib.suppress(Exception):
                await client.scheduler.set_metadata(keys=path, value=value)

        with contextlib.suppress(Exception):
            client.loop.add_callback(send)

    def _close(self) -> None:
        try:
            if self.client is not None:
                with contextlib.suppress(Exception):
                    self.client.close()
            if self._cluster is not None:
                if self._abandoned:
                    self._kill_local_workers()
                with contextlib.suppress(Exception):
                    self._cluster.close()
        finally:
            self._restore_logs()

    def _kill_local_workers(self) -> None:
        """Our own cluster's worker processes, at once: a hanging task would hold up closing for seconds."""
        for nanny in list(getattr(self._cluster, "workers", {}).values()):
            pid = getattr(getattr(nanny, "process", None), "pid", None)
            if isinstance(pid, int):
                with contextlib.suppress(psutil.Error):
                    psutil.Process(pid).kill()

    def _post_started(self, entry: _Running, worker: str) -> None:
        task = entry.task
        self._reporter.post(NodeStarted(task.run_id, time.time(), task.node_id, task.attempt, worker))
        entry.delivered = max(entry.delivered, 1)

    # -- Dask's threads ---------------------------------------------------------------------------------
    def _on_live(self, event: tuple[float, Any]) -> None:
        """An event the task logged while it ran (Dask's event loop thread): post it if it is next."""
        try:
            task_id, seq, node_event = pickle.loads(event[1])
        except Exception:  # noqa: BLE001 - not ours, or a class this side cannot load
            return
        with self._lock:
            entry = self._running.get(task_id)
            if entry is None or entry.attempt.stopped or seq != entry.delivered:
                return  # finished, abandoned, or out of order: the returned list has it
            entry.delivered += 1
            self._reporter.post(node_event)

    def _on_done(self, task_id: int, future: Any) -> None:
        """The attempt's future finished (Dask's callback thread): post its missing events, then its end."""
        elapsed: float | None = None
        ran_on: str | None = None  # a lost task's worker, from its claim
        try:
            outcome, data, events, elapsed = future.result()
        except BaseException as exc:  # noqa: BLE001 - cancelled by us, the worker died, or it could not run
            with self._lock:
                entry = self._running.get(task_id)
                if entry is None or entry.attempt.stopped or future.key != entry.key:
                    return  # abandoned by us, or a re-sent task's old future
            error = self._describe(exc)
            if isinstance(exc, distributed.KilledWorker):
                ran_on = self._claimed_by(entry.key)
                if ran_on is None and entry.resent < MAX_RESENDS and self._resend(task_id):
                    return  # it never started: lost while queued on the dying worker
                last = getattr(getattr(exc, "last_worker", None), "address", None)
                error = lost_worker_error(ran_on or last)
            outcome, data, events = Outcome(task_id, False, None, error, time.time()), None, []
        with self._lock:
            entry = self._running.pop(task_id, None)
            if entry is None or entry.attempt.stopped or future.key != entry.key:
                return
            if self._by_slot.get(entry.slot) == task_id:
                del self._by_slot[entry.slot]
            if not events and entry.delivered == 0:
                self._post_started(entry, ran_on if ran_on not in (None, "unknown") else QUEUED)
            for node_event in events[entry.delivered :]:
                self._reporter.post(node_event)
            entry.delivered = max(entry.delivered, len(events))
        if outcome.ok and data is not None:
            try:
                outcome.outputs = pickle.loads(data)["outputs"]
            except Exception as exc:  # noqa: BLE001 - a class that does not load on this side
                outcome = Outcome(
                    task_id,
                    False,
                    None,
                    f"cannot receive the result: {one_line_error(exc)}",
                    outcome.finished,
                )
            else:
                if elapsed is not None:
                    self._measure(entry.task, elapsed)
        outcome.will_store = outcome.ok and data is not None and entry.task.cache_key is not None
        self._reporter.on_outcome(entry.slot, outcome)
        if outcome.ok:  # written only once the scheduler accepted it (never a late, given-up result)
            store_result(entry.task, outcome, data, self._reporter.post, self._reporter.stored)

    def _describe(self, exc: BaseException) -> str:
        """One line for a task that ended without a result (not a node's own failure)."""
        if isinstance(exc, CancelledError) and (
            "scheduler-connection-lost" in str(exc) or getattr(self.client, "status", "running") != "running"
        ):
            return f"lost the connection to the dask scheduler at {self.address}"
        return f"dask: {one_line_error(exc)}"

    def _claimed_by(self, key: str) -> str | None:
        """The worker that started `key`, from its claim (None: it never started, or the claim is unknown)."""
        try:
            claimed = self.client.get_metadata(self._marks.claim_path(key), default=None)
        except Exception:  # noqa: BLE001 - scheduler gone: assume it ran (never run a node twice)
            return "unknown"
        return str(claimed) if claimed is not None else None

    def _resend(self, task_id: int) -> bool:
        """Send an attempt that was lost before it started again, under a new key; False if it cannot be."""
        with self._lock:
            entry = self._running.get(task_id)
            if entry is None or entry.attempt.stopped:
                return True  # given up meanwhile: nothing to report
            entry.resent += 1
            key = f"{entry.key.rsplit('~', 1)[0]}~{entry.resent}"
            try:
                entry.future = self._send(entry.task, key)
            except Exception:  # noqa: BLE001 - the client is closing: report the lost worker instead
                entry.resent = MAX_RESENDS
                return False
            entry.key = key
        entry.future.add_done_callback(lambda done: self._on_done(task_id, done))
        return True

    def _measure(self, task: Task, seconds: float) -> None:
        """Warn once per run when the nodes are far smaller than a Dask task should be."""
        with self._lock:
            if len(self._sizes) >= SMALL_SAMPLE:
                return
            self._sizes.append(seconds)
            if len(self._sizes) < SMALL_SAMPLE:
                return
            median = statistics.median(self._sizes)
        if median < SMALL_TASK_S:
            message = (
                f"dask: these nodes take about {median * 1000:.1f} ms each, far below Dask's advised "
                "10-100 ms per task; each task costs about 1 ms of Dask scheduling and transfer, so this "
                "pipeline runs faster on the threads or processes backend (or give each node more work)"
            )
            self._reporter.post(NodeLog(task.run_id, time.time(), task.node_id, "warning", message))
