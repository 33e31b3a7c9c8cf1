"""One colour per run status, shared by the canvas (node dots, borders, badges) and the run charts.

They disagreed once ("succeeded" was two greens), so both read this table. Keys are the engine's
`NodeStatus` and `RunStatus` values (plain strings, so Qt-free callers and stored records index it too);
"retried" colours an attempt that failed and was retried on the timeline.
"""

from __future__ import annotations

from nodeloom.core.events import NodeStatus, RunStatus

NODE_STATUS_COLOURS: dict[str, str] = {
    NodeStatus.PENDING: "#9aa5b1",
    NodeStatus.QUEUED: "#8aa0c0",
    NodeStatus.RUNNING: "#3b82f6",
    NodeStatus.SUCCEEDED: "#22a06b",
    NodeStatus.CACHED: "#3aa79a",
    NodeStatus.FAILED: "#e5484d",
    NodeStatus.SKIPPED: "#a0a8b4",
    NodeStatus.CANCELLED: "#f59e0b",
}

STATUS_COLOURS: dict[str, str] = {
    **{str(k): v for k, v in NODE_STATUS_COLOURS.items()},
    RunStatus.CRASHED: "#b4232a",
    "retried": "#eab308",
}
UNKNOWN_COLOUR = "#9aa5b1"


def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(str(status), UNKNOWN_COLOUR)
