"""The open pipeline in the editor: the core model, its undo stack, its file, and its problems.

`Document` is the one path for edits: the canvas and panels call its intent methods (`add_node`,
`connect`, `move_nodes`, ...), each pushes QUndoCommands that change the core model, and the model's
events come back as Qt signals (this is the only listener on the model) for views to redraw from.
Every composite edit (delete a selection with its backdrops, rename a parameter with its `$param`
references, bind/unbind, add-and-connect, reconnect, replace the content) is an intent here, one undo
step: undo macros are assembled in this module only (a test enforces it), so a rule lives in one place.
Validation re-runs shortly after each change, so problems follow edits without blocking typing.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from nodeloom.core.connections import ConnectionCheck, check_connection
from nodeloom.core.errors import NodeTypeError, PipelineError, Problem
from nodeloom.core.file_format import dumps, load_file, save_pipeline
from nodeloom.core.model import (
    DEFAULT_BACKDROP_TITLE,
    UNSET,
    Backdrop,
    Edge,
    ModelEvent,
    ModelEventKind,
    Node,
    Pipeline,
)
from nodeloom.core.registry import Registry, default_registry
from nodeloom.core.validation import validate
from nodeloom.core.vocabulary import make_param_ref, param_ref
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from .commands import (
    AddBackdropCommand,
    AddEdgeCommand,
    AddNodeCommand,
    MoveNodesCommand,
    RemoveBackdropCommand,
    RemoveEdgeCommand,
    RemoveNodeCommand,
    SetNodeFieldCommand,
    SetParamCommand,
    SetPipelineInfoCommand,
    SetUiCommand,
    UpdateBackdropCommand,
)

Point = tuple[float, float]
PARAM_NAME_HINT = "a parameter name must be non-empty, without spaces, and unique"
BACKDROP_KINDS = (
    ModelEventKind.BACKDROP_ADDED,
    ModelEventKind.BACKDROP_REMOVED,
    ModelEventKind.BACKDROP_CHANGED,
)


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
        self.set_pipeline(pipeline if pipeline is not None else Pipeline(), path)  # an empty one is falsy

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
        if kind is ModelEventKind.NODE_ADDED:
            self.node_added.emit(event.node_id)
        elif kind is ModelEventKind.NODE_REMOVED:
            self.node_removed.emit(event.node_id)
        elif kind is ModelEventKind.NODE_CHANGED:
            self.node_changed.emit(event.node_id, event.field or "")
        elif kind is ModelEventKind.EDGE_ADDED:
            self.edge_added.emit(event.edge)
        elif kind is ModelEventKind.EDGE_REMOVED:
            self.edge_removed.emit(event.edge)
        elif kind is ModelEventKind.PIPELINE_CHANGED:
            self.pipeline_changed.emit(event.field or "")
        elif kind is ModelEventKind.UI_CHANGED or kind in BACKDROP_KINDS:
            self.ui_changed.emit(event.node_id or "", event.field or "")
        if kind is not ModelEventKind.UI_CHANGED and kind not in BACKDROP_KINDS:
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

    def delete(
        self,
        node_ids: Iterable[str] = (),
        edges: Iterable[Edge] = (),
        backdrops: Iterable[int] = (),
        text: str | None = None,
    ) -> None:
        """Delete nodes (with their edges), edges and backdrops (by index) as one undo step.

        Deleted nodes also leave the member lists of the backdrops that remain.
        """
        node_set = set(node_ids)
        edge_set = set(edges)
        count = len(self.pipeline.backdrops())
        doomed_backdrops = sorted({i for i in backdrops if 0 <= i < count}, reverse=True)
        doomed = [e for e in self.pipeline.edges if e in edge_set or e.src in node_set or e.dst in node_set]
        if not (doomed or node_set or doomed_backdrops):
            return
        with self._macro(text or _delete_text(len(node_set), len(doomed), len(doomed_backdrops))):
            for index in doomed_backdrops:  # highest first, so the lower indices stay valid
                self.undo_stack.push(RemoveBackdropCommand(self.pipeline, index))
            for edge in doomed:
                self.undo_stack.push(RemoveEdgeCommand(self.pipeline, edge))
            for node_id in [n for n in self.pipeline.nodes if n in node_set]:
                self.undo_stack.push(RemoveNodeCommand(self.pipeline, node_id))
            self._remove_from_backdrops(node_set)

    def move_nodes(self, moves: dict[str, tuple[Point, Point]]) -> None:
        """Record a finished drag (old and new positions); nothing happens for a zero-distance drag."""
        moves = {k: v for k, v in moves.items() if v[0] != v[1]}
        if moves:
            self.undo_stack.push(MoveNodesCommand(self.pipeline, moves))

    def check_connection(self, edge: Edge) -> ConnectionCheck:
        return check_connection(self.pipeline, self.registry, edge)

    def connect(self, edge: Edge, text: str | None = None) -> ConnectionCheck:
        """Connect if allowed (replacing the edge on an occupied single input); returns the check for its reason."""
        check = self.check_connection(edge)
        if not check.ok:
            return check
        with self._macro(text or f"Connect {edge.source} to {edge.target}"):
            if check.replaces is not None:
                self.undo_stack.push(RemoveEdgeCommand(self.pipeline, check.replaces))
            if edge.dst_port in self.pipeline.node(edge.dst).params:
                self.undo_stack.push(SetParamCommand(self.pipeline, edge.dst, edge.dst_port, UNSET))
            self.undo_stack.push(AddEdgeCommand(self.pipeline, edge))
        return check

    def reconnect(self, old: Edge, new: Edge) -> ConnectionCheck:
        """Move a wire's end (drag it off one port onto another): one undo step, nothing if refused."""
        if old == new:
            return ConnectionCheck(True)
        check = self.check_connection(new)
        if not check.ok:
            return check
        with self._macro(f"Reconnect {new.source} to {new.target}"):
            if old in self.pipeline.edges:
                self.undo_stack.push(RemoveEdgeCommand(self.pipeline, old))
            self.connect(new)
        return check

    def add_and_connect(
        self, type_name: str, pos: Point, new_port: str, other: tuple[str, str], new_is_target: bool
    ) -> tuple[str, ConnectionCheck]:
        """Add a node and wire it to an existing port (a wire dropped on empty canvas): one undo step.

        `other` is (node id, port) of the wire's fixed end; the new node's `new_port` becomes the edge's
        target when `new_is_target`, else its source. The node stays if the connection is refused.
        """
        title = type_name
        with contextlib.suppress(NodeTypeError):
            title = self.registry.get(type_name).title
        with self._macro(f"Add {title} and connect"):
            node_id = self.add_node(type_name, pos)
            if new_is_target:
                edge = Edge(other[0], other[1], node_id, new_port)
            else:
                edge = Edge(node_id, new_port, other[0], other[1])
            check = self.connect(edge)
        return node_id, check

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

    # -- pipeline parameters ------------------------------------------------------------------------
    def rename_parameter(self, old: str, new: str) -> str | None:
        """Rename a pipeline parameter keeping its order; every `$param` reference follows. One undo step.

        Returns why the rename was refused (empty, spaces, taken, unknown), or None when done.
        """
        pipeline = self.pipeline
        if new == old:
            return None
        if old not in pipeline.parameters:
            return f"cannot rename '{old}': no such parameter"
        if not new or any(c.isspace() for c in new) or new in pipeline.parameters:
            return f"cannot rename '{old}' to '{new}': {PARAM_NAME_HINT}"
        parameters = {(new if k == old else k): v for k, v in pipeline.parameters.items()}
        with self._macro(f"Rename parameter {old} to {new}"):
            self.undo_stack.push(SetPipelineInfoCommand(pipeline, "parameters", parameters))
            for node in list(pipeline.nodes.values()):
                for port, value in list(node.params.items()):
                    if param_ref(value) == old:
                        self.undo_stack.push(SetParamCommand(pipeline, node.id, port, make_param_ref(new)))
        return None

    def bind_param(self, node_id: str, port: str, name: str, initial: Any = None) -> None:
        """Bind an input to pipeline parameter `name`, creating the parameter (with `initial`) if missing."""
        pipeline = self.pipeline
        with self._macro(f"Bind {node_id}.{port} to ${name}"):
            if name not in pipeline.parameters:
                parameters = dict(pipeline.parameters)
                parameters[name] = copy.deepcopy(initial)
                self.set_info("parameters", parameters)
            self.set_param(node_id, port, make_param_ref(name))

    def unbind_param(self, node_id: str, port: str) -> bool:
        """Replace a `$param` reference by the parameter's current value; False if the input was not bound."""
        name = param_ref(self.pipeline.node(node_id).params.get(port))
        if name is None:
            return False
        value = self.pipeline.parameters.get(name, UNSET)
        self.undo_stack.push(SetParamCommand(self.pipeline, node_id, port, copy.deepcopy(value)))
        return True

    # -- backdrops ----------------------------------------------------------------------------------
    def add_backdrop(self, node_ids: Iterable[str], title: str = DEFAULT_BACKDROP_TITLE) -> int | None:
        """Group nodes under a new titled backdrop; returns its index (None when no node was given)."""
        members = [n for n in node_ids if n in self.pipeline.nodes]
        if not members:
            return None
        command = AddBackdropCommand(self.pipeline, Backdrop(title=title, nodes=members))
        self.undo_stack.push(command)
        return command.index

    def rename_backdrop(self, index: int, title: str) -> bool:
        """Set a backdrop's title (blank titles are refused); False when nothing changed."""
        title = title.strip()
        if not title or not 0 <= index < len(self.pipeline.backdrops()):
            return False
        old = self.pipeline.backdrop(index).title
        if old == title:
            return False
        self.undo_stack.push(
            UpdateBackdropCommand(self.pipeline, index, f"Rename backdrop {old} to {title}", title=title)
        )
        return True

    # -- whole content --------------------------------------------------------------------------------
    def replace_content(self, new: Pipeline, text: str) -> None:
        """Make the pipeline equal to `new` as one undo step (revert, recover an autosave)."""
        from .clipboard import make_fragment  # here: the clipboard module is only a fragment builder

        with self._macro(text):
            self.delete(list(self.pipeline.nodes))
            for field in ("name", "description", "parameters"):
                self.set_info(field, getattr(new, field))
            if new.nodes:
                self.insert_fragment(make_fragment(new, list(new.nodes)), offset=(0.0, 0.0))
            for key in sorted(set(self.pipeline.ui) | set(new.ui)):
                if key != "nodes" and self.pipeline.ui.get(key, UNSET) != new.ui.get(key, UNSET):
                    self.set_ui(key, new.ui.get(key, UNSET), text)

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
        with self._macro(f"Paste {_count(len(nodes), 'node')}"):
            for node, pos in nodes:
                self.undo_stack.push(AddNodeCommand(self.pipeline, node, pos))
            for raw in fragment.get("edges", []):
                edge = Edge.parse(raw["from"], raw["to"])
                if edge.src in renames and edge.dst in renames:
                    new_edge = Edge(renames[edge.src], edge.src_port, renames[edge.dst], edge.dst_port)
                    self.undo_stack.push(AddEdgeCommand(self.pipeline, new_edge))
        return [n.id for n, _ in nodes]

    @contextlib.contextmanager
    def _macro(self, text: str) -> Iterator[None]:
        """Group the pushes inside into one undo step (the only place macros are assembled)."""
        self.undo_stack.beginMacro(text)
        try:
            yield
        finally:
            self.undo_stack.endMacro()

    def _remove_from_backdrops(self, node_ids: set[str]) -> None:
        if not node_ids:
            return
        for index, backdrop in enumerate(self.pipeline.backdrops()):
            if node_ids & set(backdrop.nodes):
                kept = [m for m in backdrop.nodes if m not in node_ids]
                self.undo_stack.push(
                    UpdateBackdropCommand(self.pipeline, index, "Update backdrop", nodes=kept)
                )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _delete_text(nodes: int, edges: int, backdrops: int) -> str:
    if nodes and not backdrops:
        return f"Delete {_count(nodes, 'node')}"
    if backdrops and not nodes and not edges:
        return f"Delete {_count(backdrops, 'backdrop')}"
    if edges and not nodes and not backdrops:
        return f"Delete {_count(edges, 'edge')}"
    return "Delete selection"
