"""Run state onto the canvas: node states and progress, edge value previews, the timing overlay.

The only code that writes run information into canvas items, through the items' run hooks
(`set_run_state`, `set_timing_overlay`, `EdgeItem.set_value_preview`). Node ids the scene does not
have (a run of an older version of the pipeline, a history run of another file) are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable

from nodeloom.core.events import NodeStatus
from nodeloom.core.model import Edge, Pipeline

from .host import RunEdgeItem, RunNodeItem, RunScene
from .run_state import TERMINAL, RunState

CANVAS_STATUSES = frozenset(NodeStatus)


class CanvasSync:
    def __init__(self, scene: RunScene) -> None:
        self.scene = scene
        self.timing_visible = False

    def item(self, node_id: str) -> RunNodeItem | None:
        try:
            return self.scene.node_item(node_id)
        except (KeyError, LookupError):
            return None

    def edge(self, edge: Edge) -> RunEdgeItem | None:
        try:
            return self.scene.edge_item(edge)
        except (KeyError, LookupError):
            return None

    def clear(self, pipeline: Pipeline) -> None:
        """Forget every run state on the canvas (before a run, or when no run is shown)."""
        for node_id in pipeline.nodes:
            item = self.item(node_id)
            if item is not None:
                item.set_run_state(None)
                item.set_timing_overlay(False)
        for edge in pipeline.edges:
            edge_item = self.edge(edge)
            if edge_item is not None:
                edge_item.set_value_preview(None)

    def apply(self, state: RunState, node_ids: Iterable[str]) -> None:
        for node_id in node_ids:
            item = self.item(node_id)
            ns = state.nodes.get(node_id)
            if item is None or ns is None:
                continue
            status = ns.status if ns.status in CANVAS_STATUSES else None
            item.set_run_state(
                status,
                progress=ns.fraction if status == "running" else None,
                message=ns.message if status == "running" else "",
                duration_s=ns.duration_s if ns.status in TERMINAL else None,
                error=ns.error,
            )

    def apply_all(self, state: RunState, pipeline: Pipeline) -> None:
        self.clear(pipeline)
        self.apply(state, state.nodes)
        self.show_edge_values(state, pipeline)
        self.set_timing(self.timing_visible, state, pipeline)

    def show_edge_values(self, state: RunState, pipeline: Pipeline) -> None:
        """Each edge's hover tells the value that last passed along it (the source port's summary)."""
        for edge in pipeline.edges:
            edge_item = self.edge(edge)
            if edge_item is None:
                continue
            ns = state.nodes.get(edge.src)
            summary = ns.outputs.get(edge.src_port) if ns is not None else None
            edge_item.set_value_preview(f"last value: {summary}" if summary is not None else None)

    def set_timing(self, visible: bool, state: RunState | None, pipeline: Pipeline) -> None:
        """A bar per node proportional to its duration relative to the slowest node of the run."""
        self.timing_visible = visible
        durations = {}
        if state is not None:
            durations = {n: s.duration_s for n, s in state.nodes.items() if s.duration_s is not None}
        longest = max(durations.values(), default=0.0) or 1.0
        for node_id in pipeline.nodes:
            item = self.item(node_id)
            if item is None:
                continue
            duration = durations.get(node_id)
            item.set_timing_overlay(visible and duration is not None, (duration or 0.0) / longest)
