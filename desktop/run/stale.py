"""Stale marking: an edit marks the node and everything downstream of it as needing a re-run.

A node is stale when the result the canvas shows for it no longer matches the pipeline: its params,
options, type or incoming edges changed, or something upstream did, or a pipeline parameter it uses.
Label edits and moves do not count (they never change a result). A run clears the mark of every node
that then succeeded or came from the cache. Shortly after an edit, the engine's own cache check
(`explain_cache`) refines the marks: a node whose result is in the cache again (an undo, a value set
back) is no longer stale. The next run re-executes exactly the stale nodes; the cache serves the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from nodeloom.core.engine import RunOptions, explain_cache
from nodeloom.core.graph import downstream
from nodeloom.core.vocabulary import looks_like_param_ref
from PySide6.QtCore import QObject, QTimer, Signal

from ..document import Document

REFINE_LIMIT = 400  # above this many nodes, marks are not refined (the cache check would cost too much)


class StaleTracker(QObject):
    changed = Signal()

    def __init__(self, document: Document, item_of: Callable[[str], Any | None]) -> None:
        super().__init__()
        self.document = document
        self.item_of = item_of
        self.stale: set[str] = set()
        self.enabled = False  # only after a run: before one, nothing on the canvas is a result yet
        self.overrides: dict[str, Any] = {}
        self._refine_timer = QTimer(self, singleShot=True, interval=400)
        self._refine_timer.timeout.connect(self.refine)
        document.node_changed.connect(self._node_changed)
        document.node_added.connect(lambda node_id: self.mark([node_id]))
        document.edge_added.connect(lambda edge: self.mark([edge.dst]))
        document.edge_removed.connect(lambda edge: self.mark([edge.dst]))
        document.pipeline_changed.connect(self._pipeline_changed)

    def reset(self) -> None:
        self.stale.clear()
        self.enabled = False
        self.changed.emit()

    def mark(self, node_ids: Iterable[str]) -> None:
        if not self.enabled:
            return
        pipeline = self.document.pipeline
        new = downstream(pipeline, [n for n in node_ids if n in pipeline.nodes]) - self.stale
        if not new:
            return
        self.stale |= new
        for node_id in new:
            item = self.item_of(node_id)
            if item is not None:
                item.set_stale(True)
        self._refine_timer.start()
        self.changed.emit()

    def ran(self, fresh: Iterable[str]) -> None:
        """A run ended: these nodes now show current results."""
        self.enabled = True
        for node_id in fresh:
            if node_id in self.stale:
                self.stale.discard(node_id)
                item = self.item_of(node_id)
                if item is not None:
                    item.set_stale(False)
        self.changed.emit()

    def refine(self, overrides: dict[str, Any] | None = None) -> None:
        """Clear marks of nodes the cache would serve as they stand (an undone edit)."""
        pipeline = self.document.pipeline
        if not self.stale or len(pipeline.nodes) > REFINE_LIMIT or self.document.problems:
            return
        try:
            reasons = explain_cache(
                pipeline.copy(),
                RunOptions(overrides=dict(overrides or self.overrides)),
                registry=self.document.registry,
            )
        except Exception:  # noqa: BLE001 - an unrunnable pipeline keeps its marks; validation says why
            return
        fresh = [n for n in list(self.stale) if n in reasons and reasons[n] is None]
        if fresh:
            self.ran(fresh)

    def _node_changed(self, node_id: str, field: str) -> None:
        if field != "label":
            self.mark([node_id])

    def _pipeline_changed(self, field: str) -> None:
        if not field.startswith("parameters"):
            return
        users = [
            n.id
            for n in self.document.pipeline.nodes.values()
            if any(looks_like_param_ref(v) for v in n.params.values())
        ]
        self.mark(users)
