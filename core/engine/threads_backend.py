"""The threads backend: a small pool of daemon worker threads owned by one run.

Each worker has its own inbox and takes one task at a time, so the scheduler knows which worker runs
what (the `worker` of NodeStarted) and never queues work behind a hanging node. When a worker finishes
an attempt it reports to the scheduler itself (`Scheduler.on_outcome`, under the scheduler's lock),
which usually returns the next ready node to the same worker: a chain of nodes runs without a queue
round trip or a thread switch per node. Node events go onto the scheduler's event queue.

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

from ..events import Event
from .capture import NodeSink, capture_state
from .invoke import Outcome, Task, execute


class Attempt(Protocol):
    """The scheduler's record of one attempt, as a worker sees it: `ctx.cancelled` reads `is_set`, and
    `stopped` turns on when the scheduler gives the attempt up (its events are dropped from then on)."""

    stopped: bool

    def is_set(self) -> bool: ...


class Home(Protocol):
    """What workers report to (the scheduler)."""

    def post(self, event: Event) -> None: ...

    def on_outcome(self, worker: str, outcome: Outcome) -> tuple[Task, Attempt] | bool: ...


class ThreadWorker:
    def __init__(self, name: str, home: Home) -> None:
        self.name = name
        self._home = home
        self._inbox: queue.SimpleQueue[tuple[Task, Attempt] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=f"nodeloom-{name}", daemon=True)
        self._thread.start()

    def submit(self, task: Task, attempt: Attempt) -> None:
        self._inbox.put((task, attempt))

    def stop(self) -> None:
        self._inbox.put(None)

    def _loop(self) -> None:
        home, name, get = self._home, self.name, self._inbox.get
        post, on_outcome = home.post, home.on_outcome
        current: list[Attempt | None] = [None]  # the attempt this thread runs now

        def emit(event: Event) -> None:
            attempt = current[0]
            if attempt is not None and not attempt.stopped:
                post(event)

        sink = NodeSink("", "", emit, time.time)  # one per thread, retargeted per attempt
        thread_state = capture_state()
        item = get()
        while item is not None:
            task, attempt = item
            current[0] = attempt
            sink.retarget(task.node_id, task.run_id)
            thread_state.sink = sink
            try:
                outcome, _ = execute(task, emit, attempt)
            finally:
                thread_state.sink = None
                sink.close()
            if attempt.stopped:
                return  # abandoned: a replacement owns this slot now
            following = on_outcome(name, outcome)
            if following is False:
                return  # given up meanwhile
            item = get() if following is True else following  # the next node, handed straight back


class ThreadBackend:
    """Worker slots `thread-1..N`, started lazily. Call every method with the scheduler's lock held."""

    name = "threads"

    def __init__(self, workers: int, home: Home) -> None:
        self.max_workers = workers
        self._home = home
        self._idle: list[str] = []
        self._workers: dict[str, ThreadWorker] = {}
        self._attempts: dict[str, Attempt] = {}

    def idle_worker(self) -> str | None:
        if self._idle:
            return self._idle.pop()  # the most recently released first: usually the caller itself
        if len(self._workers) < self.max_workers:
            name = f"thread-{len(self._workers) + 1}"
            self._workers[name] = ThreadWorker(name, self._home)
            return name
        return None

    def submit(self, worker: str, task: Task, attempt: Attempt) -> str | None:
        """Start the task; returns an error if it could not be started (never, for threads)."""
        self._attempts[worker] = attempt
        self._workers[worker].submit(task, attempt)
        return None

    def hand_back(self, worker: str, attempt: Attempt) -> None:
        """The worker that just finished takes this attempt itself (the task travels as a return value)."""
        self._attempts[worker] = attempt

    def release(self, worker: str) -> None:
        """The worker finished its task and may take another."""
        self._attempts.pop(worker, None)
        self._idle.append(worker)

    def abandon(self, worker: str) -> None:
        """Give up on the worker's current attempt; a new thread takes the slot."""
        attempt = self._attempts.pop(worker, None)
        if attempt is not None:
            attempt.stopped = True
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
