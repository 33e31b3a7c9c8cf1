"""What a run returns: per-node results (with the real output values, for previews) and the run's status.

`RunResult.to_json()` is the `--results` document of the design: run status, pipeline, run id and
duration, and per node its status, attempts, duration, one-line error and outputs (JSON values as
themselves, anything else as a short summary). `duration_s` of a node is the wall time from its first
attempt's start to its end, retry delays included; a cached node reports the time to load it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..events import NodeStatus, RunStatus
from .summaries import json_or_summary


@dataclass
class NodeResult:
    status: NodeStatus
    attempts: int = 0
    duration_s: float = 0.0
    error: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)  # the real values, in memory
    started: float | None = None
    finished: float | None = None
    reason: str | None = None  # why cached, skipped or executed ("param 'epochs' changed")

    def to_json(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "attempts": self.attempts,
            "duration_s": round(self.duration_s, 6),
            "error": self.error,
            "outputs": {port: json_or_summary(v) for port, v in self.outputs.items()},
        }


@dataclass
class RunResult:
    run_id: str
    status: RunStatus
    duration_s: float
    nodes: dict[str, NodeResult]
    pipeline: str = ""
    started: float | None = None
    finished: float | None = None

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for result in self.nodes.values():
            counts[str(result.status)] = counts.get(str(result.status), 0) + 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "pipeline": self.pipeline,
            "run_id": self.run_id,
            "duration_s": round(self.duration_s, 6),
            "nodes": {node_id: result.to_json() for node_id, result in self.nodes.items()},
        }
