"""The main loop of a process worker (runs in the child process).

It receives one task at a time over its pipe, runs it with `invoke.execute`, and sends back the node's
events as they happen and then the outcome with the outputs pickled once (the same bytes go to the cache
and to the parent). SIGINT is ignored: a Ctrl-C reaches the whole process group, and cancelling is the
parent's decision (it sets the worker's cancel event, then kills it). `print` and `logging` in the child
belong to the running node.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from ..events import Event
from .capture import NodeSink, install_child_capture
from .invoke import Task, execute


def worker_main(conn: Connection, cancel_event: Any, sys_path: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for entry in sys_path:
        if entry not in sys.path:
            sys.path.append(entry)
    send_lock = threading.Lock()
    current: list[NodeSink | None] = [None]

    def send(message: Any) -> None:
        with send_lock:
            conn.send(message)

    install_child_capture(lambda: current[0])
    while True:
        try:
            task: Task | None = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return

        def emit(event: Event) -> None:
            send(event)

        sink = NodeSink(task.node_id, task.run_id, emit, time.time)
        current[0] = sink
        try:
            outcome, data = execute(task, emit, cancel_event, pickled=True)
        finally:
            sink.close()
            current[0] = None
        outcome.outputs = None  # the parent unpickles `data` instead
        send(("done", outcome, data))
