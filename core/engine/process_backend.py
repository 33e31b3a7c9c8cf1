"""The processes backend: one child process per worker slot, each running `process_child.worker_main`.

Real isolation and true CPU parallelism: inputs and outputs are pickled across a pipe; a node that
segfaults or calls `os._exit` takes down only its worker, and that attempt fails with the exit cause.
On a timeout or cancel the worker is killed and its slot gets a fresh process when next needed.
A reader thread per worker receives the node's events and outcome from the pipe and reports them to
the scheduler (which then sends that worker its next task). Children start with `forkserver` where
available (cheap to fork, and safe in a multi-threaded parent, unlike `fork`), else `spawn`; the fork
server preloads the engine and what the main script imports (see `main_imports`), and children get the
parent's sys.path so `py:` modules beside the pipeline file import. Node modules are not preloaded:
each worker imports them from disk, so an edited function runs its new code.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import ModuleType
from typing import Any

from ..events import Event
from .backend import BaseBackend, Reporter
from .invoke import Outcome, Task, store_result
from .process_child import worker_main
from .process_subtasks import ProcessSubtaskPool
from .summaries import one_line_error

log = logging.getLogger("nodeloom.engine")

CHILD_MODULE = "nodeloom.core.engine.process_child"
QT_MODULES = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "pyqtgraph", "qtawesome", "qtpy")  # never in a worker


def main_imports() -> list[str]:
    """The modules the main script imported (and those of the functions it imported), Qt excepted.

    A new worker re-runs the parent's main script (multiprocessing does that so functions defined there
    unpickle). Its imports are what make that slow (0.1-0.3 s per worker), so the fork server imports
    them once and every worker forks with them loaded: a worker starts in about 10 ms. (Preloading
    "__main__" itself does nothing on Python 3.11: the fork server never receives the main path.)
    """
    main = sys.modules.get("__main__")
    names: set[str] = set()
    for value in vars(main).values() if main is not None else ():
        name = value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", None)
        if isinstance(name, str) and name in sys.modules and name not in ("__main__", "__mp_main__"):
            names.add(name)
    return sorted(n for n in names if not n.startswith(QT_MODULES))


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([CHILD_MODULE, *main_imports()])  # used when the server first starts
        return ctx
    return multiprocessing.get_context("spawn")


def describe_exit(code: int | None) -> str:
    if code is None:
        return "worker process died"
    if code < 0:
        try:
            return f"worker process died (signal {signal.Signals(-code).name})"
        except ValueError:
            return f"worker process died (signal {-code})"
    return f"worker process exited with code {code}"


class ProcessWorker:
    """One worker process, its pipe, and a reader thread that hands every message to `on_message`.

    `on_exit(worker, message)` is called when the process ends by itself (not when we kill it).
    """

    def __init__(
        self,
        name: str,
        mp: Any,
        capacity: int,
        on_message: Callable[[ProcessWorker, Any], None],
        on_exit: Callable[[ProcessWorker, str], None],
    ) -> None:
        self.name = name
        self.cancel_event = mp.Event()
        self.conn, child_conn = mp.Pipe(duplex=True)
        lifeline, self._lifeline = mp.Pipe(duplex=False)  # the child watches its end for EOF
        self.process = mp.Process(
            target=worker_main,
            args=(child_conn, self.cancel_event, list(sys.path), lifeline, capacity, name),
            name=f"nodeloom-{name}",
            daemon=True,
        )
        self.process.start()
        child_conn.close()
        lifeline.close()
        self.task_id: int | None = None
        self.task: Task | None = None
        self.killed = False
        self.send_lock = threading.Lock()
        self._on_message, self._on_exit = on_message, on_exit
        self._reader = threading.Thread(target=self._read, name=f"nodeloom-{name}-reader", daemon=True)
        self._reader.start()

    def send(self, message: Any) -> bool:
        """Send to the child; False if it is gone. Raises if the message cannot be pickled."""
        try:
            with self.send_lock:
                self.conn.send(message)
        except (OSError, EOFError, ValueError):  # ValueError: the connection is already closed
            return False
        return True

    def send_bytes(self, data: bytes) -> bool:
        try:
            with self.send_lock:
                self.conn.send_bytes(data)
        except (OSError, EOFError, ValueError):
            return False
        return True

    def _read(self) -> None:
        conn: Connection = self.conn
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            except BaseException as exc:  # noqa: BLE001 - a value that cannot be unpickled here
                message = ("unreadable", one_line_error(exc))
            try:
                self._on_message(self, message)
            except BaseException:  # noqa: BLE001 - never let the reader die: the run would wait forever
                log.exception("worker %s: a message could not be handled", self.name)
        self.process.join(timeout=5)
        if not self.killed:
            self._on_exit(self, describe_exit(self.process.exitcode))

    def close(self) -> None:
        """Ask the child to exit after its current message (shutdown)."""
        self.killed = True
        self.send(None)

    def kill(self, join: float = 5.0) -> None:
        self.killed = True
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=join)
        for conn in (self.conn, self._lifeline):
            with contextlib.suppress(OSError):
                conn.close()


class ProcessBackend(BaseBackend):
    """Worker slots `process-1..N` (plus map workers, see `process_subtasks`). Call every method with
    the scheduler's lock held; the reader threads report through `Reporter`."""

    name = "processes"
    stores_accepted = True

    def __init__(self, workers: int, reporter: Reporter) -> None:
        self.max_workers = workers
        self._reporter = reporter
        self._mp = _context()
        self._slots: dict[str, ProcessWorker | None] = {f"process-{i + 1}": None for i in range(workers)}
        self._idle = list(reversed(self._slots))
        self._subtasks = ProcessSubtaskPool(workers, self._spawn_map_worker, reporter)

    def _spawn(self, name: str) -> ProcessWorker:
        return ProcessWorker(name, self._mp, self.max_workers, self._on_message, self._on_exit)

    def _spawn_map_worker(self, name: str, on_message: Any, on_exit: Any) -> ProcessWorker:
        return ProcessWorker(name, self._mp, 1, on_message, on_exit)

    def prestart(self, count: int) -> None:
        """Start up to `count` workers now, in parallel, so the first nodes do not wait for them."""
        for name in list(reversed(self._idle))[:count]:
            if self._slots[name] is None:
                self._slots[name] = self._spawn(name)

    def idle_worker(self) -> str | None:
        return self._idle.pop() if self._idle else None

    def submit(self, worker: str, task: Task, attempt: Any) -> str | None:
        """Send the task; returns an error if it could not be sent."""
        proc = self._slots[worker]
        if proc is None or not proc.process.is_alive():
            if proc is not None:
                proc.kill()
            proc = self._slots[worker] = self._spawn(worker)
        proc.task_id, proc.task = task.task_id, task
        try:
            sent = proc.send(task)
        except Exception as exc:  # noqa: BLE001 - unpicklable inputs or function
            sent = False
            problem = f"cannot send to a process worker: {one_line_error(exc)}"
        else:
            problem = "cannot send to a process worker: it exited"
        if not sent:
            proc.task_id = proc.task = None
            return problem
        return None

    def release(self, worker: str) -> None:
        proc = self._slots[worker]
        if proc is not None:
            proc.task_id = proc.task = None
        self._idle.append(worker)

    def abandon(self, worker: str) -> None:
        """Kill the slot's worker (timeout, cancel, death); a fresh one starts when the slot is next used."""
        proc = self._slots[worker]
        if proc is not None:
            proc.task_id = proc.task = None
            self._subtasks.drop_owner(proc)
            proc.kill()
        self._slots[worker] = None
        self._idle.append(worker)

    def signal_cancel(self) -> None:
        for proc in self._slots.values():
            if proc is not None:
                proc.cancel_event.set()
        self._subtasks.signal_cancel()

    def shutdown(self) -> None:
        """Stop every worker: ask them to exit, wait briefly, kill what is left (none outlives the run)."""
        procs = [proc for proc in self._slots.values() if proc is not None]
        for proc in procs:
            proc.close()
        self._subtasks.shutdown()
        deadline = time.monotonic() + 1.0
        for proc in procs:
            proc.kill(join=max(0.0, deadline - time.monotonic()))
        self._slots = dict.fromkeys(self._slots)

    # -- reader threads -------------------------------------------------------------------------------------
    def _on_message(self, proc: ProcessWorker, message: Any) -> None:
        kind = message[0] if isinstance(message, tuple) and message else None
        if kind == "done":
            self._finished(proc, message[1], message[2])
        elif kind == "map":
            self._subtasks.start(proc, message[1], message[2], message[3])
        elif kind == "mapstop":
            self._subtasks.stop_map(message[1])
        elif kind in ("unreadable", "loadfail"):
            if proc.task_id is not None:
                what = (
                    "receive the result" if kind == "unreadable" else "load the node's inputs in the worker"
                )
                self._reporter.on_worker_lost(proc.name, proc.task_id, f"cannot {what}: {message[1]}")
        elif isinstance(message, Event):
            self._reporter.post(message)

    def _finished(self, proc: ProcessWorker, outcome: Outcome, data: bytes | None) -> None:
        task = proc.task
        if outcome.ok:
            try:
                outcome.outputs = pickle.loads(data)["outputs"]  # type: ignore[arg-type]
            except BaseException as exc:  # noqa: BLE001 - even a __setstate__ raising SystemExit
                message = f"cannot receive the result: {one_line_error(exc)}"
                outcome = Outcome(outcome.task_id, False, None, message, outcome.finished)
        self._reporter.on_outcome(proc.name, outcome)
        if task is not None and task.task_id == outcome.task_id:
            store_result(task, outcome, data, self._reporter.post, self._reporter.stored)

    def _on_exit(self, proc: ProcessWorker, message: str) -> None:
        self._subtasks.drop_owner(proc)
        self._reporter.on_worker_lost(proc.name, proc.task_id, message)
