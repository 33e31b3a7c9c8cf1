"""The node context: how a running node reports progress, metrics and logs, and learns of a cancel.

A function asks for it by annotating one parameter with `Context`. The engine builds one per attempt
with an `emit` callback (in a process worker, it sends events home through a queue) and a cancel flag.
Outside a run (a plain call, a test), `Context.detached()` gives one that records nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, Protocol

from .events import Event, NodeLog, NodeMetric, NodeProgress

LEVELS = ("debug", "info", "warning", "error")


class _Flag(Protocol):
    def is_set(self) -> bool: ...


class _NeverSet:
    def is_set(self) -> bool:
        return False


class Context:
    def __init__(
        self,
        node_id: str,
        run_id: str = "",
        attempt: int = 1,
        emit: Callable[[Event], None] | None = None,
        cancel_flag: _Flag | None = None,
    ) -> None:
        self.node_id = node_id
        self.run_id = run_id
        self.attempt = attempt
        self._emit = emit or (lambda event: None)
        self._cancel = cancel_flag or _NeverSet()
        self._steps: dict[str, int] = {}

    @classmethod
    def detached(cls, node_id: str = "detached") -> Context:
        return cls(node_id)

    @property
    def cancelled(self) -> bool:
        """True once the run is being cancelled or this attempt timed out; long loops should check it."""
        return self._cancel.is_set()

    def progress(self, fraction: float | None, message: str = "") -> None:
        """Report progress as a fraction 0..1 (None: indeterminate) with an optional message."""
        if fraction is not None:
            fraction = 0.0 if math.isnan(fraction) else min(1.0, max(0.0, float(fraction)))
        self._emit(NodeProgress(self.run_id, time.time(), self.node_id, fraction, str(message)))

    def metric(self, name: str, value: float, step: float | None = None) -> None:
        """Stream one point of a metric series (a loss per epoch, a score per trial)."""
        if step is None:
            step = self._steps.get(name, 0)
        self._steps[name] = int(step) + 1
        self._emit(NodeMetric(self.run_id, time.time(), self.node_id, str(name), float(step), float(value)))

    def log(self, message: Any, level: str = "info") -> None:
        level = level.lower()
        if level not in LEVELS:
            level = "info"
        self._emit(NodeLog(self.run_id, time.time(), self.node_id, level, str(message)))
