"""The editor's own last run: its state, its result (real output values) and debug re-run outputs.

Output values exist only in the process that ran (the run store keeps summaries), so previews of the
last run read them from here; a run opened from the history shows summaries instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nodeloom.core.engine import RunResult

from .run_state import RunState


@dataclass
class LastRun:
    state: RunState | None = None
    result: RunResult | None = None
    debug_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def clear(self) -> None:
        self.state, self.result, self.debug_outputs = None, None, {}

    def finished(self, state: RunState, result: RunResult) -> None:
        self.state, self.result = state, result

    def outputs(self, node_id: str) -> dict[str, Any] | None:
        if self.result is not None and node_id in self.result.nodes:
            return self.result.nodes[node_id].outputs
        return self.debug_outputs.get(node_id)

    def record_debug(self, node_id: str, outputs: dict[str, Any]) -> None:
        """A debug re-run's outputs replace the node's in the last result (or are kept beside it)."""
        if self.result is not None and node_id in self.result.nodes:
            self.result.nodes[node_id].outputs = outputs
        else:
            self.debug_outputs = {node_id: outputs}
