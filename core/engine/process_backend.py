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
import multiprocessing
import pickle
import signal
import sys
import threading
from multiprocessing.connection import Connection
from types import ModuleType
from typing import Any, Protocol

from ..events import Event
from .invoke import Outcome, Task, one_line_error
from .process_child import worker_main

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


class Home(Protocol):
    """What workers report to (the scheduler)."""

    def post(self, event: Event) -> None: ...

    def on_outcome(self, worker: str, outcome: Outcome) -> bool: ...

    def on_died(self, proc: ProcessWorker, message: str) -> None: ...


class ProcessWorker:
    def __init__(self, name: str, mp: Any, home: Home) -> None:
        self.name = name
        self.home = home
        self.cancel_event = mp.Event()
        self.conn, child_conn = mp.Pipe(duplex=True)
        self.process = mp.Process(
            target=worker_main,
            args=(child_conn, self.cancel_event, list(sys.path)),
            name=f"nodeloom-{name}",
            daemon=True,
        )
        self.process.start()
        child_conn.close()
        self.task_id: int | None = None
        self.killed = False
        self._reader = threading.Thread(target=self._read, name=f"nodeloom-{name}-reader", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        conn: Connection = self.conn
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            except Exception as exc:  # noqa: BLE001 - a value that cannot be unpickled here
                if self.task_id is not None:
                    self.home.on_died(self, f"cannot receive the result: {one_line_error(exc)}")
                continue
            if isinstance(message, tuple) and message and message[0] == "done":
                _, outcome, data = message
                if outcome.ok:
                    try:
                        outcome.outputs = pickle.loads(data)["outputs"]
                    except Exception as exc:  # noqa: BLE001
                        outcome = Outcome(
                            outcome.task_id,
                            False,
                            None,
                            f"cannot receive the result: {one_line_error(exc)}",
                            outcome.finished,
                        )
                self.home.on_outcome(self.name, outcome)
            else:
                self.home.post(message)
        self.process.join(timeout=5)
        if not self.killed:
            self.home.on_died(self, describe_exit(self.process.exitcode))

    def kill(self) -> None:
        self.killed = True
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class ProcessBackend:
    """Worker slots `process-1..N`. Call every method with the scheduler's lock held."""

    name = "processes"

    def __init__(self, workers: int, home: Home) -> None:
        self.max_workers = workers
        self.home = home
        self._mp = _context()
        self._slots: dict[str, ProcessWorker | None] = {f"process-{i + 1}": None for i in range(workers)}
        self._idle = list(reversed(self._slots))

    def prestart(self, count: int) -> None:
        """Start up to `count` workers now, in parallel, so the first nodes do not wait for them."""
        for name in list(reversed(self._idle))[:count]:
            if self._slots[name] is None:
                self._slots[name] = ProcessWorker(name, self._mp, self.home)

    def idle_worker(self) -> str | None:
        return self._idle.pop() if self._idle else None

    def submit(self, worker: str, task: Task, flag: Any) -> str | None:
        """Send the task; returns an error if it could not be sent."""
        proc = self._slots[worker]
        if proc is None or not proc.process.is_alive():
            if proc is not None:
                proc.kill()
            proc = self._slots[worker] = ProcessWorker(worker, self._mp, self.home)
        proc.task_id = task.task_id
        try:
            proc.conn.send(task)
        except Exception as exc:  # noqa: BLE001 - unpicklable inputs or function
            proc.task_id = None
            return f"cannot send to a process worker: {one_line_error(exc)}"
        return None

    def worker_died(self, proc: ProcessWorker) -> tuple[str, int] | None:
        """Forget a dead worker; returns (slot, task id) if it died running a task of this run."""
        for name, current in self._slots.items():
            if current is proc:
                task_id = proc.task_id
                proc.kill()
                self._slots[name] = None
                return (name, task_id) if task_id is not None else None
        return None

    def release(self, worker: str) -> None:
        proc = self._slots[worker]
        if proc is not None:
            proc.task_id = None
        self._idle.append(worker)

    def abandon(self, worker: str) -> None:
        proc = self._slots[worker]
        if proc is not None:
            proc.kill()
        self._slots[worker] = None
        self._idle.append(worker)

    def signal_cancel(self) -> None:
        for proc in self._slots.values():
            if proc is not None:
                proc.cancel_event.set()

    def shutdown(self) -> None:
        for proc in self._slots.values():
            if proc is None:
                continue
            proc.killed = True
            with contextlib.suppress(OSError):
                proc.conn.send(None)
        for proc in self._slots.values():
            if proc is not None:
                proc.process.join(timeout=1)
                proc.kill()
        self._slots = dict.fromkeys(self._slots)
