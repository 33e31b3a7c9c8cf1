"""The main loop of a process worker (runs in the child process).

It receives one message at a time over its pipe: a node attempt (`Task`), run with `invoke.execute`,
whose events go to the parent as they happen and then the outcome with the outputs pickled once (the parent
writes those bytes to the cache once it accepted the outcome); or one `ctx.map` item (`Subtask`,
arriving as pickled bytes), run with `map_tasks.run_subtask`. SIGINT is ignored: a Ctrl-C reaches the
whole process group, and cancelling is the parent's decision (it sets the worker's cancel event, then
kills it). `print` and `logging` in the child belong to the running node.

A worker never outlives the run: on Linux the kernel kills it when its parent dies
(`PR_SET_PDEATHSIG`), and everywhere a thread watches a lifeline pipe whose other end only the parent
holds, and exits when it closes. Whatever happens to the parent, the worker exits quietly (no
BrokenPipe traceback on a terminal that the parent no longer owns).

`PipeRunner` is `ctx.map` in a worker: items go to the parent, which runs them on worker processes of
their own (`process_subtasks`) and sends back each item's reports over this same pipe.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from ..events import Event
from .capture import NodeSink, install_child_capture
from .invoke import Task, execute
from .map_tasks import Flag, Subtask, SubtaskReport, run_subtask
from .summaries import one_line_error

PR_SET_PDEATHSIG = 1
POLL_SLICE_S = 0.01  # how long one map's wait holds the pipe before another thread's map may read


def die_with_parent(lifeline: Connection) -> None:
    """Exit when the parent dies: the kernel's parent-death signal (Linux) and a lifeline watcher."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)

    def watch() -> None:
        with contextlib.suppress(BaseException):
            lifeline.recv_bytes()  # nothing is ever sent: this returns or raises only when the parent is gone
        os._exit(0)

    threading.Thread(target=watch, name="nodeloom-lifeline", daemon=True).start()


class Mailbox:
    """The child's end of the pipe while a node runs: one reader at a time, reports sorted per map, so
    two threads of one node may each run a `ctx.map` without taking each other's reports."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._boxes: dict[str, list[SubtaskReport]] = {}

    def take(self, map_id: str, timeout: float) -> list[SubtaskReport]:
        end = time.monotonic() + timeout
        while True:
            with self._lock:
                found = self._boxes.pop(map_id, None)
                if found:
                    return found
                if self._conn.poll(min(POLL_SLICE_S, max(0.0, end - time.monotonic()))):
                    self._drain()
                    found = self._boxes.pop(map_id, None)
                    if found:
                        return found
            if time.monotonic() >= end:
                return []

    def discard(self, map_id: str) -> None:
        with self._lock:
            self._boxes.pop(map_id, None)

    def _drain(self) -> None:
        conn = self._conn
        while conn.poll(0):
            try:
                message = conn.recv()
            except (EOFError, OSError):
                os._exit(0)  # the parent is gone
            if message is None:
                os._exit(0)  # the parent is shutting the run down
            if isinstance(message, tuple) and message[0] == "subreport":
                report: SubtaskReport = message[1]
                self._boxes.setdefault(report.map_id, []).append(report)


class PipeRunner:
    """A map's items, run by the parent on its own worker processes (see `map_tasks.SubtaskRunner`)."""

    def __init__(self, mailbox: Mailbox, send: Callable[[Any], None], capacity: int) -> None:
        self.capacity = capacity
        self._mailbox, self._send = mailbox, send
        self._map_id: str | None = None
        self._local: list[SubtaskReport] = []

    def start(self, sub: Subtask) -> None:
        self._map_id = sub.map_id
        try:
            payload = _dumps(sub)
        except Exception as exc:  # noqa: BLE001 - a lambda, a closure, an unpicklable item
            error = (
                "cannot send the item to a worker process (map a module-level function): "
                f"{one_line_error(exc)}"
            )
            self._local.append(
                SubtaskReport(sub.map_id, sub.index, "done", time.time(), "", False, error=error)
            )
            return
        self._send(("map", sub.map_id, sub.index, payload))

    def wait(self, timeout: float) -> list[SubtaskReport]:
        found, self._local = self._local, []
        if found or self._map_id is None:
            return found
        return self._mailbox.take(self._map_id, timeout)

    def stop(self) -> None:
        if self._map_id is not None:
            self._send(("mapstop", self._map_id))
            self._mailbox.discard(self._map_id)


def _dumps(value: Any) -> bytes:
    from multiprocessing.reduction import ForkingPickler

    return bytes(ForkingPickler.dumps(value))


def worker_main(
    conn: Connection, cancel_event: Any, sys_path: list[str], lifeline: Connection, capacity: int, name: str
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(lifeline)
    for entry in sys_path:
        if entry not in sys.path:
            sys.path.append(entry)
    send_lock = threading.Lock()
    current: list[NodeSink | None] = [None]

    def send(message: Any) -> None:
        try:
            with send_lock:
                conn.send(message)
        except (OSError, EOFError):
            os._exit(0)  # the parent is gone: leave quietly

    def emit(event: Event) -> None:
        send(event)

    mailbox = Mailbox(conn)

    def runner(flag: Flag, node_emit: Callable[[Event], None]) -> PipeRunner:
        return PipeRunner(mailbox, send, capacity)

    install_child_capture(lambda: current[0])
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        except BaseException as exc:  # noqa: BLE001 - a task or item that cannot be loaded here
            send(("loadfail", one_line_error(exc)))  # the parent fails what it sent last
            continue
        if message is None:
            return
        if isinstance(message, Task):
            sink = NodeSink(message.node_id, message.run_id, emit, time.time)
            current[0] = sink
            try:
                outcome, data = execute(message, emit, cancel_event, pickled=True, subtasks=runner)
            finally:
                sink.close()
                current[0] = None
            outcome.outputs = None  # the parent unpickles `data` instead
            send(("done", outcome, data))
        elif isinstance(message, Subtask):
            sink = NodeSink(message.node_id, message.run_id, emit, time.time)
            current[0] = sink
            try:
                report = run_subtask(message, cancel_event, emit, name, pickled=True)
            finally:
                sink.close()
                current[0] = None
            send(("subdone", report))
        # anything else is a late report of a map that already ended: ignore it
