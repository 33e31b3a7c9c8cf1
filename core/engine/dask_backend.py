"""The dask backend: run each node attempt as a task on a Dask cluster (`dask.distributed`).

Without an address the run starts its own `distributed.LocalCluster` (real worker processes,
`workers` of them, default 2, one thread each, logs silenced) and closes it at the end, which also
ends any abandoned task. With `--scheduler ADDRESS` it connects a `Client` to a running cluster and
leaves the cluster alone; the workers there must be able to import the pipeline's `py:` modules.

Semantics are the engine's, as on the other backends: the scheduler (`scheduler.py`) decides what
runs, retries, deadlines and cancel; Dask only executes attempts. Values pass through this client
(inputs are sent with the task, outputs come back pickled and are cached here, so a remote cluster
writes nothing to its disks). A timed-out attempt is abandoned: its future is cancelled and the node
fails at its deadline (a running Python call cannot be interrupted; on a local cluster the workers are
closed with the run). Cancel sets the run's `distributed.Event`, which `ctx.cancelled` reads on the
worker, then cancels the futures. A worker that dies fails the attempt with Dask's error.

Events: see `dask_task.py`. NodeStarted is sent by the task itself when a worker picks it up, so its
`worker` is the Dask worker's address, and a node still queued on the cluster has not started.
The client's done-callbacks and event handler run on Dask's threads and report to the scheduler like
the process backend's reader threads do.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import sys
import threading
import time
from concurrent.futures import CancelledError
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psutil

from ..errors import PipelineError, Problem
from ..events import Event, NodeLog
from .backend import BaseBackend
from .cache import ResultCache
from .invoke import Outcome, Task, one_line_error

try:
    import distributed

    from .dask_task import run_task
except ImportError:  # the optional extra `nodeloom[dask]` is not installed
    distributed = None

INSTALL_HINT = "the dask backend needs dask.distributed: pip install 'nodeloom[dask]'"
CONNECT_TIMEOUT_S = 10
DEFAULT_LOCAL_WORKERS = 2
_DASK_LOGGERS = ("distributed", "tornado", "bokeh")


class Home(Protocol):
    def post(self, event: Event) -> None: ...

    def on_outcome(self, worker: str, outcome: Outcome) -> object: ...


class Attempt(Protocol):
    stopped: bool


@dataclass
class _Running:
    slot: str
    future: Any  # distributed.Future
    attempt: Attempt
    task: Task
    delivered: int = 0  # events of this attempt posted so far (they carry their sequence number)


class DaskBackend(BaseBackend):
    """Slots `dask-1..N` (N = the cluster's threads). Call the public methods with the scheduler's lock held."""

    name = "dask"
    deferred_start = True  # NodeStarted comes from the task, with the worker's address

    def __init__(
        self, workers: int | None, address: str | None, home: Home, run_id: str, file: str | None
    ) -> None:
        if distributed is None:
            raise PipelineError([Problem(INSTALL_HINT, file=file)])
        self._home = home
        self._abandoned = False
        self._cluster: Any = None
        self.client: Any = None
        try:
            if address:
                self.client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
            else:
                self._cluster = distributed.LocalCluster(
                    n_workers=workers or DEFAULT_LOCAL_WORKERS,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    scheduler_kwargs={
                        "dashboard_address": "127.0.0.1:0"
                    },  # its health/metrics page: any free port
                    silence_logs=logging.ERROR,
                )
                self.client = distributed.Client(self._cluster, set_as_default=False)
            threads = sum(self.client.nthreads().values())
        except Exception as exc:  # noqa: BLE001 - unreachable scheduler, bad address, cluster start failure
            self._close()
            where = f"the dask scheduler at {address}" if address else "a local dask cluster"
            raise PipelineError([Problem(f"cannot use {where}: {one_line_error(exc)}", file=file)]) from None
        self.address = address or self.client.scheduler.address
        self.max_workers = max(1, threads)
        self._slots = [f"dask-{i + 1}" for i in range(self.max_workers)]
        self._idle = list(reversed(self._slots))
        self._topic = f"nodeloom-events-{run_id}"
        self._cancel_name = f"nodeloom-cancel-{run_id}"
        self._lock = threading.Lock()
        self._running: dict[int, _Running] = {}
        self._by_slot: dict[str, int] = {}
        self._sys_path = list(sys.path)
        self._abandoned = False  # an attempt may still be running on the cluster
        self.client.subscribe_topic(self._topic, self._on_live)

    # -- scheduler side (scheduler lock held) ----------------------------------------------------------
    def idle_worker(self) -> str | None:
        return self._idle.pop() if self._idle else None

    def submit(self, worker: str, task: Task, attempt: Attempt) -> str | None:
        """Send the attempt to the cluster; returns an error if it could not be sent."""
        sent = Task(task.task_id, task.run_id, task.node_id, task.attempt, task.node_type, task.kwargs)
        key = f"nodeloom-{task.node_id}-{task.run_id}-{task.task_id}"
        try:
            future = self.client.submit(
                run_task, sent, self._topic, self._cancel_name, self._sys_path, key=key, pure=False
            )
        except Exception as exc:  # noqa: BLE001 - unpicklable inputs or function, closed client
            return f"cannot send to dask: {one_line_error(exc)}"
        with self._lock:
            self._running[task.task_id] = _Running(worker, future, attempt, task)
            self._by_slot[worker] = task.task_id
        future.add_done_callback(lambda done, task_id=task.task_id: self._on_done(task_id, done))
        return None

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
            with contextlib.suppress(Exception):
                entry.future.cancel()
        self._idle.append(worker)

    def signal_cancel(self) -> None:
        with contextlib.suppress(Exception):
            distributed.Event(self._cancel_name, client=self.client).set()

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
        with contextlib.suppress(Exception):
            distributed.Event(self._cancel_name, client=self.client).clear()
        self._close()

    def _close(self) -> None:
        quiet = [logging.getLogger(name) for name in _DASK_LOGGERS]
        levels = [logger.level for logger in quiet]
        for logger in quiet:  # closing a cluster with tasks still running makes Dask complain
            logger.setLevel(logging.CRITICAL)
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
            for logger, level in zip(quiet, levels, strict=True):
                logger.setLevel(level)

    def _kill_local_workers(self) -> None:
        """Our own cluster's worker processes, at once: a hanging task would hold up closing for seconds."""
        for nanny in list(getattr(self._cluster, "workers", {}).values()):
            pid = getattr(getattr(nanny, "process", None), "pid", None)
            if isinstance(pid, int):
                with contextlib.suppress(psutil.Error):
                    psutil.Process(pid).kill()

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
            self._home.post(node_event)

    def _on_done(self, task_id: int, future: Any) -> None:
        """The attempt's future finished (Dask's callback thread): post its missing events, then its end."""
        try:
            outcome, data, events = future.result()
        except CancelledError:
            return  # abandoned by us
        except Exception as exc:  # noqa: BLE001 - the worker died, or the task could not run
            outcome, data, events = (
                Outcome(task_id, False, None, f"dask: {one_line_error(exc)}", time.time()),
                None,
                [],
            )
        with self._lock:
            entry = self._running.pop(task_id, None)
            if entry is None or entry.attempt.stopped:
                return
            if self._by_slot.get(entry.slot) == task_id:
                del self._by_slot[entry.slot]
            for node_event in events[entry.delivered :]:
                self._home.post(node_event)
            entry.delivered = len(events)
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
                self._store(entry.task, data)
        self._home.on_outcome(entry.slot, outcome)

    def _store(self, task: Task, data: bytes) -> None:
        if task.cache_key is None:
            return
        try:
            ResultCache(Path(task.cache_root) if task.cache_root else None).store_bytes(task.cache_key, data)
        except OSError as exc:
            message = f"result not cached: {one_line_error(exc)}"
            self._home.post(NodeLog(task.run_id, time.time(), task.node_id, "warning", message))
