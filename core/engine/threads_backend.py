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

import logging
import queue
import threading
import time
from collections.abc import Callable

from ..events import Event
from .backend import Attempt, BaseBackend, Reporter
from .capture import NodeSink, capture_state, install_thread_capture, uninstall_thread_capture
from .invoke import SubtaskSource, Task, execute, store_result
from .map_tasks import EitherFlag, Flag, Subtask, SubtaskReport, run_subtask
from .summaries import one_line_error

log = logging.getLogger("nodeloom.engine")


class ThreadWorker:
    def __init__(self, name: str, reporter: Reporter, subtasks: SubtaskSource) -> None:
        self.name = name
        self._reporter = reporter
        self._subtasks = subtasks
        self._inbox: queue.SimpleQueue[tuple[Task, Attempt] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=f"nodeloom-{name}", daemon=True)
        self._thread.start()

    def submit(self, task: Task, attempt: Attempt) -> None:
        self._inbox.put((task, attempt))

    def stop(self) -> None:
        self._inbox.put(None)

    def _loop(self) -> None:
        """Run attempts until told to stop; nothing may end this thread unseen (the run would hang)."""
        reporter, name, get = self._reporter, self.name, self._inbox.get
        post, on_outcome, stored = reporter.post, reporter.on_outcome, reporter.stored
        current: list[Attempt | None] = [None]  # the attempt this thread runs now
        runner = self._subtasks

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
            following: tuple[Task, Attempt] | bool = True
            try:
                sink.retarget(task.node_id, task.run_id)
                thread_state.sink = sink
                try:
                    outcome, data = execute(task, emit, attempt, subtasks=runner)
                finally:
                    thread_state.sink = None
                    sink.close()
                if attempt.stopped:
                    return  # abandoned: a replacement owns this slot now
                following = on_outcome(name, outcome)
                if following is False:
                    return  # given up meanwhile
                if outcome.will_store:
                    store_result(task, outcome, data, emit, stored)
            except BaseException as exc:  # noqa: BLE001 - an engine fault: fail the attempt, keep the run
                log.error("worker %s failed: %s", name, one_line_error(exc), exc_info=True)
                problem = f"internal error in worker {name}: {one_line_error(exc)}"
                reporter.on_worker_lost(name, task.task_id, problem)
                if isinstance(following, tuple):  # the node handed to this thread would never run
                    reporter.on_worker_lost(name, following[0].task_id, problem)
                return  # the scheduler gave this slot a fresh thread
            item = get() if following is True else following  # the next node, handed straight back


class ThreadSubtaskPool:
    """The run's threads for `ctx.map` items: at most `size` at once, shared by every map in the run.

    Daemon threads started as items arrive (never more than `size`), fed from one queue, so items of
    a map started later wait behind those of an earlier one. A map's runner bounds how many of its
    items it queues (`capacity`), and `stop` makes queued items be dropped when their turn comes.
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._jobs: queue.SimpleQueue[tuple[Subtask, ThreadMapRunner] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads = 0
        self._idle = 0

    def runner(self, flag: Flag, emit: Callable[[Event], None]) -> ThreadMapRunner:
        return ThreadMapRunner(self, flag, emit)

    def put(self, sub: Subtask, runner: ThreadMapRunner) -> None:
        with self._lock:
            if self._idle == 0 and self._threads < self.size:
                self._threads += 1
                self._idle += 1
                number = self._threads
                threading.Thread(target=self._loop, name=f"nodeloom-map-{number}", daemon=True).start()
            self._idle -= 1
        self._jobs.put((sub, runner))

    def shutdown(self) -> None:
        with self._lock:
            for _ in range(self._threads):
                self._jobs.put(None)
            self._threads = self._idle = 0

    def _loop(self) -> None:
        name = threading.current_thread().name.removeprefix("nodeloom-")
        state = capture_state()
        job = self._jobs.get()
        while job is not None:
            sub, runner = job
            if not runner.stopped.is_set():
                runner.report(SubtaskReport(sub.map_id, sub.index, "started", time.time(), name))
                sink = NodeSink(sub.node_id, sub.run_id, runner.emit, time.time)
                state.sink = sink
                try:
                    report = run_subtask(sub, runner.flag, runner.emit, name, False)
                except BaseException as exc:  # noqa: BLE001 - never lose the report (the map would wait)
                    report = SubtaskReport(
                        sub.map_id, sub.index, "done", time.time(), name, False, error=one_line_error(exc)
                    )
                finally:
                    state.sink = None
                    sink.close()
                runner.report(report)
            with self._lock:
                self._idle += 1
            job = self._jobs.get()


class ThreadMapRunner:
    """One map's view of the pool: its own report queue and stop flag (see `map_tasks.SubtaskRunner`)."""

    def __init__(self, pool: ThreadSubtaskPool, flag: Flag, emit: Callable[[Event], None]) -> None:
        self.capacity = pool.size
        self._pool = pool
        self._node_emit = emit
        self._reports: queue.SimpleQueue[SubtaskReport] = queue.SimpleQueue()
        self.stopped = threading.Event()
        self.flag = EitherFlag(flag, self.stopped)

    def emit(self, event: Event) -> None:
        if not self.stopped.is_set():
            self._node_emit(event)

    def report(self, report: SubtaskReport) -> None:
        self._reports.put(report)

    def start(self, sub: Subtask) -> None:
        self._pool.put(sub, self)

    def wait(self, timeout: float) -> list[SubtaskReport]:
        try:
            found = [self._reports.get(timeout=timeout)]
        except queue.Empty:
            return []
        while True:
            try:
                found.append(self._reports.get_nowait())
            except queue.Empty:
                return found

    def stop(self) -> None:
        self.stopped.set()


class ThreadBackend(BaseBackend):
    """Worker slots `thread-1..N`, started lazily. Call every method with the scheduler's lock held."""

    name = "threads"
    hands_back = True
    stores_accepted = True

    def __init__(self, workers: int, reporter: Reporter) -> None:
        self.max_workers = workers
        self._reporter = reporter
        self._idle: list[str] = []
        self._workers: dict[str, ThreadWorker] = {}
        self._attempts: dict[str, Attempt] = {}
        self._subtasks = ThreadSubtaskPool(workers)

    def begin_capture(self) -> None:
        install_thread_capture()

    def end_capture(self) -> None:
        uninstall_thread_capture()

    def subtask_runner(self, flag: Flag, emit: Callable[[Event], None]) -> ThreadMapRunner:
        """A node's `ctx.map` items run on the run's map threads (see `ThreadSubtaskPool`)."""
        return self._subtasks.runner(flag, emit)

    def idle_worker(self) -> str | None:
        if self._idle:
            return self._idle.pop()  # the most recently released first: usually the caller itself
        if len(self._workers) < self.max_workers:
            name = f"thread-{len(self._workers) + 1}"
            self._workers[name] = ThreadWorker(name, self._reporter, self.subtask_runner)
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
        self._workers[worker] = ThreadWorker(worker, self._reporter, self.subtask_runner)
        self._idle.append(worker)

    def signal_cancel(self) -> None:
        """Nothing to do: attempt flags already read the run's cancel event."""

    def shutdown(self) -> None:
        for name, worker in self._workers.items():
            if name in self._idle:
                worker.stop()
        self._workers.clear()
        self._idle.clear()
        self._subtasks.shutdown()
