"""Engine events: what a run reports, as frozen plain objects, in order, through one callback.

These are the whole contract between the engine and its listeners (the CLI's progress display, the
run store, the desktop's Qt bridge). They are picklable so a process worker can send them home.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class NodeStatus(enum.StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    CACHED = "cached"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset(
    {NodeStatus.SUCCEEDED, NodeStatus.CACHED, NodeStatus.FAILED, NodeStatus.SKIPPED, NodeStatus.CANCELLED}
)


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    CRASHED = "crashed"  # the process died before it could record an end


@dataclass(frozen=True, slots=True)
class Event:
    run_id: str
    time: float


@dataclass(frozen=True, slots=True)
class RunStarted(Event):
    pipeline: str
    nodes: tuple[str, ...]
    backend: str = "threads"
    workers: int = 1
    file: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunFinished(Event):
    status: RunStatus
    duration_s: float
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NodeStarted(Event):
    node_id: str
    attempt: int = 1
    worker: str = ""


@dataclass(frozen=True, slots=True)
class NodeProgress(Event):
    node_id: str
    fraction: float | None
    message: str = ""


@dataclass(frozen=True, slots=True)
class NodeMetric(Event):
    node_id: str
    name: str
    step: float
    value: float


@dataclass(frozen=True, slots=True)
class NodeLog(Event):
    node_id: str
    level: str
    message: str


@dataclass(frozen=True, slots=True)
class NodeFinished(Event):
    node_id: str
    status: NodeStatus
    duration_s: float = 0.0
    attempts: int = 0
    error: str | None = None
    reason: str | None = None  # why cached / skipped / not cached, in words
    outputs: dict[str, str] = field(default_factory=dict)  # short summaries, for display


@dataclass(frozen=True, slots=True)
class SubtaskStarted(Event):
    """One item of a node's `ctx.map` began (a bar of its own on the timeline, under its node)."""

    node_id: str
    index: int
    label: str = ""
    worker: str = ""


@dataclass(frozen=True, slots=True)
class SubtaskFinished(Event):
    """One item of a node's `ctx.map` ended: succeeded, cached, failed or cancelled."""

    node_id: str
    index: int
    label: str = ""
    status: NodeStatus = NodeStatus.SUCCEEDED
    duration_s: float = 0.0
    error: str | None = None
