"""The inspector's "Run" tab: the selected node's status, outputs and logs in the shown run.

One job: decide what to preview for a node (real values of this window's last run, debug re-run
outputs, or the history's summaries) and show it; it follows the inspector's selection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .host import InspectorTabs
from .last_run import LastRun
from .output_preview import OutputPreview
from .run_state import RunState, run_label


class PreviewTab:
    def __init__(self, inspector: InspectorTabs, shown: Callable[[], RunState | None], last: LastRun) -> None:
        self.widget = OutputPreview()
        self._shown = shown
        self._last = last
        inspector.add_tab(self.widget, "Run")
        inspector.node_shown.connect(self.show)

    @property
    def node_id(self) -> str | None:
        return self.widget.node_id

    def refresh(self, changed: set[str] | None = None) -> None:
        """Re-show the previewed node (only if it is among `changed`, when given)."""
        node_id = self.widget.node_id
        if node_id is not None and (changed is None or node_id in changed):
            self.show(node_id)

    def clear(self) -> None:
        self.widget.clear()

    def show(self, node_id: object, outputs: dict[str, Any] | None = None) -> None:
        node_id = getattr(node_id, "id", node_id)
        state = self._shown()
        if not isinstance(node_id, str) or state is None:
            self.widget.clear()
            return
        if outputs is None and state is self._last.state:
            outputs = self._last.outputs(node_id)
        label = "" if state is self._last.state or state.live else run_label(state)
        self.widget.show_node(node_id, state.nodes.get(node_id), outputs, state.node_logs(node_id), label)
