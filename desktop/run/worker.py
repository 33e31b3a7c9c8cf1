"""The run's worker: a QObject moved to its own QThread that calls the engine and reports the end.

The engine's events go straight from this thread into the event bridge's queue (no Qt signal per
event); only the start and the end cross threads as queued signals. Cancel is a `RunCancel` (an Event) the
engine hands to running nodes as `ctx.cancelled`. The worker never touches widgets or the document:
it runs on a snapshot of the pipeline taken on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nodeloom.core.engine import RunOptions, run_pipeline
from nodeloom.core.engine.cancel import RunCancel
from nodeloom.core.errors import NodeloomError, PipelineError, one_line
from nodeloom.core.events import Event
from nodeloom.core.model import Pipeline
from nodeloom.core.registry import Registry
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot


class RunWorker(QObject):
    finished = Signal(object)  # RunResult
    failed = Signal(str)  # one-line reason the run could not start or crashed

    def __init__(
        self,
        pipeline: Pipeline,
        options: RunOptions,
        on_event: Callable[[Event], None],
        registry: Registry | None = None,
    ) -> None:
        super().__init__()
        self.pipeline = pipeline
        self.options = options
        self.on_event = on_event
        self.registry = registry
        self.cancel = RunCancel()  # a second Stop hurries: running workers are stopped at once

    @Slot()
    def run(self) -> None:
        try:
            result = run_pipeline(
                self.pipeline,
                self.options,
                on_event=self.on_event,
                cancel=self.cancel,
                registry=self.registry,
            )
        except PipelineError as exc:
            lines = [p.format(self.options.file) for p in exc.problems[:5]]
            self.failed.emit("; ".join(lines) or str(exc))
        except NodeloomError as exc:
            self.failed.emit(one_line(str(exc)))
        except Exception as exc:  # noqa: BLE001 - an engine bug must end the run, not the editor
            self.failed.emit(one_line(f"the run crashed: {type(exc).__name__}: {exc}"))
        else:
            self.finished.emit(result)


class RunThread:
    """A QThread with one RunWorker: start, cancel, and wait with a bound (never forever)."""

    def __init__(self, worker: RunWorker) -> None:
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName("nodeloom-run")
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.run)
        # direct: quit from the worker thread itself, so a GUI thread blocked in wait() still sees it end
        worker.finished.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        worker.failed.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self.thread.start()

    def cancel(self) -> None:
        """The first call cancels (running nodes get a grace period); a second one hurries."""
        self.worker.cancel.request(hurry=self.worker.cancel.is_set())

    @property
    def running(self) -> bool:
        return self.thread.isRunning()

    def wait(self, timeout_ms: int) -> bool:
        """Block up to `timeout_ms` for the thread to end; True if it did."""
        return bool(self.thread.wait(timeout_ms))

    @staticmethod
    def result_summary(result: Any) -> str:
        counts = getattr(result, "counts", {}) or {}
        parts = [f"{n} {status}" for status, n in sorted(counts.items())]
        return f"{result.status} in {result.duration_s:.2f} s" + (f" ({', '.join(parts)})" if parts else "")
