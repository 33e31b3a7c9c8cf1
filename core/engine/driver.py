"""The caller's side of a run: start it, deliver events in order, keep time, and build the result.

`run_pipeline`'s thread drives the scheduler: it wakes every `POLL_S` (or when the run ends or is being
cancelled), lets the scheduler enforce deadlines, retry delays and cancel (`Scheduler.tick`), and hands
every queued event to the run store and to the listener, so the listener only ever runs on this thread,
in order. Nodes themselves are scheduled by the workers as they finish (see `scheduler.py`).

A KeyboardInterrupt raised in this thread (Python's default Ctrl-C handler, when the caller installed
no handler of its own) hurries the cancel: the run still ends `cancelled` with every node final and its
record written, and then the KeyboardInterrupt is raised again to the caller. Callers that handle
signals themselves (the CLI) pass a `RunCancel` and call `request(hurry=...)` instead.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable

from ..events import Event, NodeStatus, RunFinished, RunStarted, RunStatus
from .results import RunResult
from .run_writer import RunRecorder
from .scheduler import Scheduler

log = logging.getLogger("nodeloom.engine")


class Driver:
    def __init__(
        self, scheduler: Scheduler, on_event: Callable[[Event], None] | None, recorder: RunRecorder | None
    ) -> None:
        self.scheduler = scheduler
        self._on_event = on_event
        self._recorder = recorder
        self._listener_failed = False

    def deliver_pending(self) -> None:
        events, recorder, on_event = self.scheduler.events, self._recorder, self._on_event
        while events:
            event = events[0]  # recorded before it leaves the queue: an interrupt here never loses it
            if recorder is not None:
                recorder.add(event)
            events.popleft()
            if on_event is not None:
                try:
                    on_event(event)
                except Exception as exc:  # noqa: BLE001 - a broken listener must not break the run
                    if not self._listener_failed:
                        self._listener_failed = True
                        log.error(
                            "the run's event listener failed (%s: %s); further errors are not shown",
                            type(exc).__name__,
                            str(exc).splitlines()[0] if str(exc) else "",
                            exc_info=os.environ.get("NODELOOM_DEBUG") == "1",
                        )

    def run(self) -> RunResult:
        s = self.scheduler
        plan = s.plan
        s.open()  # may raise PipelineError (dask: no cluster), before anything is recorded
        started = time.time()
        event = RunStarted(
            s.run_id,
            started,
            plan.pipeline.name,
            tuple(plan.nodes),
            s.backend.name,
            s.workers,
            plan.file,
            dict(plan.parameters),
        )
        if self._recorder is not None:
            self._recorder.start(event)
        s.events.append(event)
        s.backend.begin_capture()
        interrupted: KeyboardInterrupt | None = None
        try:
            s.start()
            self.deliver_pending()
            while True:
                try:
                    s.wake.wait(s.wait_time())
                    s.wake.clear()
                    finished = s.tick()
                    self.deliver_pending()
                except KeyboardInterrupt as exc:  # Python's default Ctrl-C: end the run cleanly, re-raise
                    interrupted = exc
                    s.hurry()
                    continue
                if finished:
                    break
        finally:
            try:
                s.shutdown()
            except KeyboardInterrupt as exc:  # again, while stopping: stop without waiting
                interrupted = exc
                s.hurry()
                s.shutdown()
            s.backend.end_capture()
        finished_at = time.time()
        nodes = {nid: s.done[nid] for nid in plan.pipeline.nodes if nid in s.done}  # file order
        if s.cancelling is not None:
            status = RunStatus.CANCELLED
        elif any(r.status is NodeStatus.FAILED for r in nodes.values()):
            status = RunStatus.FAILED
        else:
            status = RunStatus.SUCCEEDED
        result = RunResult(
            s.run_id, status, finished_at - started, nodes, plan.pipeline.name, started, finished_at
        )
        s.events.append(RunFinished(s.run_id, finished_at, status, result.duration_s, result.counts))
        self.deliver_pending()
        if interrupted is not None:
            raise interrupted
        return result
