"""The open pipeline in the editor: the core model, its undo stack, its file, and its problems.

`Document` is the one path for edits: the canvas and panels call its intent methods (`add_node`,
`connect`, `move_nodes`, ...), each pushes QUndoCommands that change the core model, and the model's
events come back as Qt signals (this is the only listener on the model) for views to redraw from.
Validation re-runs shortly after each change, so problems follow edits without blocking typing.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from nodeloom.core.connections import ConnectionCheck, check_connection
from nodeloom.core.errors import NodeTypeError, PipelineError, Problem
from nodeloom.core.file_format import dumps, load_file, save_pipeline
from nodeloom.core.model import UNSET, Edge, ModelEvent, Node, Pipeline
from nodeloom.core.registry import Registry, default_registry
from nodeloom.core.validation import validate
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from .commands import (
    AddEdgeCommand,
    AddNodeCommand,
    MoveNodesCommand,
    RemoveEdgeCommand,
    RemoveNodeCommand,
    SetNodeFieldCommand,
    SetParamCommand,
    SetPipelineInfoCommand,
    SetUiCommand,
)

Point = tuple[float, float]


class Document(QObject):
    # model events, re-emitted on the GUI thread
    node_added = Signal(str)
    node_removed = Signal(str)
    node_changed = Signal(str, str)  # node id, field ("label", "params.epochs", ...)
    edge_added = Signal(object)  # Edge
    edge_removed = Signal(object)  # Edge
    pipeline_changed = Signal(str)  # field
    ui_changed = Signal(str, str)  # node id ("" for pipeline-level ui), field ("position", "backdrops", ...)
    reset = Signal()  # the whole pipeline was replaced (open, new): rebuild every view
    problems_changed = Signal(list)  # list[Problem]
    path_changed = Signal(object)  # Path | None

    def __init__(
        self, pipeline: Pipeline | None = None, path: Path | None = None, registry: Registry | None = None
    ):
        super().__init__()
        self.registry = registry or default_registry()
        self.undo_stack = QUndoStack(self)
        self.path: Path | None = path
        self.problems: list[Problem] = []
        self._validate_timer = QTimer(self, singleShot=True, interval=120)
        self._validate_timer.timeout.connect(self.validate_now)
        self._unsubscribe = lambda: None
        self.pipeline = Pipeline()
        self.set_pipeline(pipeline or Pipeline(), path)

    # -- whole-document operations ---------------------------------------------------------------
    def set_pipeline(self, pipeline: Pipeline, path: Path | None = None) -> None:
        self._unsubscribe()
        self.pipeline = pipeline
        self._unsubscribe = pipeline.subscribe(self._on_model_event)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.path = path
        if path is not None:
            self.registry.use_folder(path.resolve().parent)  # only when its trust policy allows
        self.reset.emit()
        self.path_changed.emit(path)
        self.validate_now()

    @classmethod
    def open(cls, path: Path, registry: Registry | None = None) -> Document:
        """Open a file; raises PipelineError when it cannot be read at all (semantic problems just show)."""
        doc = cls(registry=registry)
        doc.load(path)
        return doc

    def load(self, path: Path) -> None:
        path = Path(path)
        self.registry.use_folder(path.resolve().parent)
        result = load_file(path)
        if result.pipeline is None or any(p.node is None and p.field is None for p in result.problems):
            raise PipelineError(result.problems)
        self.set_pipeline(result.pipeline, path)
        self.problems = result.problems + self.problems
        self.problems_changed.emit(self.problems)

    def save(self, path: Path | None = None) -> None:
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("no file name: use save as")
        save_pipeline(self.pipeline, target)
        self.undo_stack.setClean()
        if target != self.path:
            self.path = target
            self.path_changed.emit(target)

    def to_text(self) -> str:
        return dumps(self.pipeline)

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    # -- model events -> Qt signals ---------------------------------------------------------------
    def _on_model_event(self, event: ModelEvent) -> None:
        kind = event.kind
        if kind == "node_added":
            self.node_added.emit(event.node_id)
        elif kind == "node_removed":
            self.node_removed.emit(event.node_id)
        elif kind == "node_changed":
            self.node_changed.emit(event.node_id, event.field or "")
        elif kind == "edge_added":
            self.edge_added.emit(event.edge)
        elif kind == "edge_removed":
            self.edge_removed.emit(event.edge)
        elif kind == "pipeline_changed":
            self.pipeline_changed.emit(event.field or "")
        elif kind == "ui_changed":
            self.ui_changed.emit(event.node_id or "", event.field or "")
        if kind != "ui_changed":
            self._validate_timer.start()

    def validate_now(self) -> None:
        self._validate_timer.stop()
        self.problems = validate(self.pipeline, self.registry, file=str(self.path) if self.path else None)
        self.problems_changed.emit(self.problems)

    def problems_of(self, node_id: str) -> list[Problem]:
        return [p for p in self.problems if p.node == node_id]

    # -- intents: each is one undo step ------------------------------------------------------------
    def add_node(
        self, type_name: str, pos: Point, params: dict[str, Any] | None = None, label: str | None = None
    ) -> str:
        """Add a node of a type at a scene position; returns its new id (derived from the type name)."""
        try:
            stem = self.registry.get(type_name).title.replace(" ", "_")
        except NodeTypeError:
            stem = type_name.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        node = Node(self.pipeline.unique_id(stem), type_name, dict(params or {}), label)
        self.undo_stack.push(AddNodeCommand(self.pipeline, node, pos))
        return node.id

    def delete(self, node_ids: list[str] = (), edges: list[Edge] = ()) -> None:  # type: ignore[assignment]
        node_set = set(node_ids)
        doomed = [e for e in self.pipeline.edges if e in set(edges) or e.src in node_set or e.dst in node_set]
        if not doomed and not node_set:
            return
        self.undo_stack.beginMacro(f"Delete {len(node_set)} nodes" if node_set else "Delete edges")
        for edge in doomed:
            self.undo_stack.push(RemoveEdgeCommand(self.pipeline, edge))
        for node_id in [n for n in self.pipeline.nodes if n in node_set]:
            self.undo_stack.push(RemoveNodeCommand(self.pipeline, node_id))
        self._remove_from_backdrops(node_set)
        self.undo_stack.endMacro()

    def move_nodes(self, moves: dict[str, tuple[Point, Point]]) -> None:
        """Record a finished drag (old and new positions); nothing happens for a zero-distance drag."""
        moves = {k: v for k, v in moves.items() if v[0] != v[1]}
        if moves:
            self.undo_stack.push(MoveNodesCommand(self.pipeline, moves))

    def check_connection(self, edge: Edge) -> ConnectionCheck:
        return check_connection(self.pipeline, self.registry, edge)

    def connect(self, edge: Edge) -> ConnectionCheck:
        """Connect if allowed (replacing the edge on an occupied single input); returns the check for its reason."""
        check = self.check_connection(edge)
        if not check.ok:
            return check
        self.undo_stack.beginMacro(f"Connect {edge.source} to {edge.target}")
        if check.replaces is not None:
            self.undo_stack.push(RemoveEdgeCommand(self.pipeline, check.replaces))
        if edge.dst_port in self.pipeline.node(edge.dst).params:
            self.undo_stack.push(SetParamCommand(self.pipeline, edge.dst, edge.dst_port, UNSET))
        self.undo_stack.push(AddEdgeCommand(self.pipeline, edge))
        self.undo_stack.endMacro()
        return check

    def disconnect(self, edges: list[Edge]) -> None:
        self.delete([], edges)

    def set_param(self, node_id: str, port: str, value: Any) -> None:
        """Set a param (or clear it with UNSET); repeated edits of one field merge into one undo step."""
        if self.pipeline.node(node_id).params.get(port, UNSET) == value:
            return
        self.undo_stack.push(SetParamCommand(self.pipeline, node_id, port, value))

    def set_node_field(self, node_id: str, field: str, value: Any) -> None:
        if getattr(self.pipeline.node(node_id), field) == value:
            return
        self.undo_stack.push(SetNodeFieldCommand(self.pipeline, node_id, field, value))

    def set_info(self, field: str, value: Any) -> None:
        if getattr(self.pipeline, field) == value:
            return
        self.undo_stack.push(SetPipelineInfoCommand(self.pipeline, field, value))

    def set_ui(self, key: str, value: Any, text: str) -> None:
        self.undo_stack.push(SetUiCommand(self.pipeline, key, value, text))

    def apply_layout(self, positions: dict[str, Point], text: str = "Auto layout") -> None:
        moves = {}
        for node_id, new in positions.items():
            old = self.pipeline.position(node_id) or (0.0, 0.0)
            moves[node_id] = (old, new)
        moves = {k: v for k, v in moves.items() if v[0] != v[1]}
        if moves:
            self.undo_stack.push(MoveNodesCommand(self.pipeline, moves, text))

    def insert_fragment(self, fragment: dict[str, Any], offset: Point = (40.0, 40.0)) -> list[str]:
        """Paste nodes and their inner edges (clipboard JSON: {"nodes": [...], "edges": [...], "ui": {...}}).

        Ids are renamed where they clash; returns the new ids in order. One undo step.
        """
        renames: dict[str, str] = {}
        nodes: list[tuple[Node, Point | None]] = []
        positions = fragment.get("ui", {}).get("nodes", {})
        taken: set[str] = set()  # ids given to earlier nodes of this paste
        for raw in fragment.get("nodes", []):
            node_id = raw["id"]
            new_id = self.pipeline.unique_id(node_id, taken)
            taken.add(new_id)
            renames[node_id] = new_id
            options = {
                k: copy.deepcopy(v) for k, v in raw.items() if k not in ("id", "type", "params", "label")
            }
            node = Node(
                new_id, raw["type"], copy.deepcopy(raw.get("params", {})), raw.get("label"), **options
            )
            pos = positions.get(node_id)
            nodes.append((node, (pos["x"] + offset[0], pos["y"] + offset[1]) if pos else None))
        if not nodes:
            return []
        self.undo_stack.beginMacro(f"Paste {len(nodes)} nodes")
        for node, pos in nodes:
            self.undo_stack.push(AddNodeCommand(self.pipeline, node, pos))
        for raw in fragment.get("edges", []):
            edge = Edge.parse(raw["from"], raw["to"])
            if edge.src in renames and edge.dst in renames:
                new_edge = Edge(renames[edge.src], edge.src_port, renames[edge.dst], edge.dst_port)
                self.undo_stack.push(AddEdgeCommand(self.pipeline, new_edge))
        self.undo_stack.endMacro()
        return [n.id for n, _ in nodes]

    def _remove_from_backdrops(self, node_ids: set[str]) -> None:
        backdrops = self.pipeline.ui.get("backdrops")
        if not isinstance(backdrops, list) or not node_ids:
            return
        changed = copy.deepcopy(backdrops)
        touched = False
        for backdrop in changed:
            members = backdrop.get("nodes")
            if isinstance(members, list) and node_ids & set(members):
                backdrop["nodes"] = [m for m in members if m not in node_ids]
                touched = True
        if touched:
            self.undo_stack.push(SetUiCommand(self.pipeline, "backdrops", changed, "Update backdrops"))
