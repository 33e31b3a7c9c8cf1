"""The threads backend: a small pool of daemon worker threads owned by one run.

Each worker has its own inbox and takes one task at a time, so the scheduler knows which worker runs
what (the `worker` of NodeStarted) and never queues work behind a hanging node. When a worker finishes
an attempt it reports to the scheduler itself (`Scheduler.on_outcome`, under the scheduler's lock),
which usually hands the next ready node straight back to the same, now idle, worker: a chain of nodes
runs without a thread switch per node. Node events go onto the scheduler's event queue.

A thread cannot be killed. On a timeout or cancel the scheduler *abandons* the worker: its attempt flag
turns on (`ctx.cancelled` is then true), whatever it still emits or returns is dropped, the thread exits
when the function returns, and a fresh thread takes over its slot (same name). The threads are daemon
threads created here rather than a ThreadPoolExecutor, whose exit hook would join a hanging thread and
keep the process alive at exit.
"""

from __future__ import annotations

import queue
import threading
import time
from typing import Protocol

from ..context import Context
from ..events import Event
from .capture import NodeSink, set_thread_sink
from .invoke import Outcome, Task, execute


class AttemptFlag:
    """`ctx.cancelled` of one attempt: the run's cancel event, or this attempt being stopped."""

    __slots__ = ("_run_cancel", "stopped")

    def __init__(self, run_cancel: threading.Event) -> None:
        self._run_cancel = run_cancel
        self.stopped = False

    def is_set(self) -> bool:
        return self.stopped or self._run_cancel.is_set()


class Home(Protocol):
    """What workers report to (the scheduler)."""

    def post(self, event: Event) -> None: ...

    def on_outcome(self, worker: str, outcome: Outcome) -> bool: ...


class ThreadWorker:
    def __init__(self, name: str, home: Home) -> None:
        self.name = name
        self._home = home
        self._inbox: queue.SimpleQueue[tuple[Task, AttemptFlag] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=f"nodeloom-{name}", daemon=True)
        self._thread.start()

    def submit(self, task: Task, flag: AttemptFlag) -> None:
        self._inbox.put((task, flag))

    def stop(self) -> None:
        self._inbox.put(None)

    def _loop(self) -> None:
        home = self._home
        post = home.post
        while True:
            item = self._inbox.get()
            if item is None:
                return
            task, flag = item

            def emit(event: Event, flag: AttemptFlag = flag) -> None:
                if not flag.stopped:
                    post(event)

            sink = NodeSink(task.node_id, task.run_id, emit, time.time)
            set_thread_sink(sink)
            try:
                outcome, _ = execute(task, Context(task.node_id, task.run_id, task.attempt, emit, flag))
            finally:
                sink.close()
                set_thread_sink(None)
            if flag.stopped or not home.on_outcome(self.name, outcome):
                return  # abandoned: a replacement owns this slot now


class ThreadBackend:
    """Worker slots `thread-1..N`, started lazily. Call every method with the scheduler's lock held."""

    name = "threads"

    def __init__(self, workers: int, home: Home) -> None:
        self.max_workers = workers
        self._home = home
        self._idle: list[str] = []
        self._workers: dict[str, ThreadWorker] = {}
        self._flags: dict[str, AttemptFlag] = {}

    def idle_worker(self) -> str | None:
        if self._idle:
            return self._idle.pop()  # the most recently released first: usually the caller itself
        if len(self._workers) < self.max_workers:
            name = f"thread-{len(self._workers) + 1}"
            self._workers[name] = ThreadWorker(name, self._home)
            return name
        return None

    def submit(self, worker: str, task: Task, flag: AttemptFlag) -> str | None:
        """Start the task; returns an error if it could not be started (never, for threads)."""
        self._flags[worker] = flag
        self._workers[worker].submit(task, flag)
        return None

    def release(self, worker: str) -> None:
        """The worker finished its task and may take another."""
        self._flags.pop(worker, None)
        self._idle.append(worker)

    def abandon(self, worker: str) -> None:
        """Give up on the worker's current attempt; a new thread takes the slot."""
        flag = self._flags.pop(worker, None)
        if flag is not None:
            flag.stopped = True
        self._workers[worker] = ThreadWorker(worker, self._home)
        self._idle.append(worker)

    def signal_cancel(self) -> None:
        """Nothing to do: attempt flags already read the run's cancel event."""

    def shutdown(self) -> None:
        for name, worker in self._workers.items():
            if name in self._idle:
                worker.stop()
        self._workers.clear()
        self._idle.clear()
