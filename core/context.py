"""The node context: how a running node reports progress, metrics and logs, learns of a cancel, and maps.

A function asks for it by annotating one parameter with `Context`. The engine builds one per attempt
with an `emit` callback (in a process worker, it sends events home through its pipe) and a cancel flag.
Outside a run (a plain call, a test), `Context.detached()` gives one that records nothing and whose
`map` runs the items one after another in the calling thread.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .events import Event, NodeLog, NodeMetric, NodeProgress

if TYPE_CHECKING:
    from .engine.map_tasks import MapSupport

LEVELS = ("debug", "info", "warning", "error")
T = TypeVar("T")
R = TypeVar("R")


class Cancelled(Exception):  # noqa: N818 - the word users read in "raise Cancelled"
    """`ctx.map` stopped because the run is being cancelled or the node's attempt timed out."""


class MapItemError(Exception):
    """An item of `ctx.map` raised: names the item (index and label) and the original error, one line."""

    def __init__(self, index: int, label: str, error: str) -> None:
        self.index, self.label, self.error = index, label, error
        named = f"item {index}" + (f" ({label})" if label else "")
        super().__init__(f"{named} failed: {error}")


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
        subtasks: MapSupport | None = None,
    ) -> None:
        self.node_id = node_id
        self.run_id = run_id
        self.attempt = attempt
        self._emit = emit or (lambda event: None)
        self._cancel = cancel_flag or _NeverSet()
        self._subtasks = subtasks
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

    def map(
        self,
        function: Callable[..., R],
        items: Iterable[T],
        *,
        label: str | Callable[[T], str] | None = None,
        on_result: Callable[[int, R], None] | None = None,
        cache: bool = True,
    ) -> list[R]:
        """Call `function(item)` for every item, in parallel on the run's backend; results in item order.

        Why a context method rather than a pool of your own: the items run where the run runs (the run's
        worker threads, worker processes or Dask cluster), bounded by the run's worker count, each one a
        bar on the run's timeline (`SubtaskStarted`/`SubtaskFinished` events), cached on its own, and
        stopped by the run's cancel or the node's timeout.

        - `function` must be a module-level function (worker processes receive it pickled) taking one
          item; it may take a second parameter annotated `Context` to read `ctx.cancelled`.
        - `label`: the item's name on the timeline (a format string with `{}`, a callable, or None for
          "item N").
        - `on_result(index, value)` is called in this thread as each item finishes, in completion order:
          stream metrics from there (`ctx.metric`).
        - `cache`: an item whose function (its module file's content and name), pickled item and node
          are unchanged is taken from the cache instead of running (reported `cached`).
        - The first item that raises makes `map` raise `MapItemError` (items not yet started are
          dropped); catch inside `function` instead to keep going. On cancel or timeout no new item
          starts, running ones see `ctx.cancelled`, and `map` raises `Cancelled`.
        - Calling `map` inside an item (nested) is refused with a RuntimeError.
        """
        from .engine.map_tasks import run_map

        return run_map(self, function, items, label=label, on_result=on_result, cache=cache)
