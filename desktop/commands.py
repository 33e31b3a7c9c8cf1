"""Undo commands: every edit of a pipeline in the editor is one of these on the document's QUndoStack.

Each command calls the core model API only (never graphics items); the canvas redraws from the model's
events. Compound edits (delete a selection, paste, connect-replacing) are macros of these, assembled only by
`Document`'s intents, so undo restores node order, edge order and positions exactly.
"""

from __future__ import annotations

import copy
from typing import Any

from nodeloom.core.model import UNSET, Backdrop, Edge, Node, Pipeline
from PySide6.QtGui import QUndoCommand


class AddNodeCommand(QUndoCommand):
    def __init__(
        self, pipeline: Pipeline, node: Node, pos: tuple[float, float] | None, index: int | None = None
    ):
        super().__init__(f"Add {node.display_name}")
        self.pipeline, self.node, self.pos, self.index = pipeline, node.clone(), pos, index

    def redo(self) -> None:
        self.pipeline.add_node(self.node.clone(), self.index, self.pos)

    def undo(self) -> None:
        self.pipeline.remove_node(self.node.id)


class RemoveNodeCommand(QUndoCommand):
    """Remove one node whose edges are already gone (the document removes edges first, in the same macro)."""

    def __init__(self, pipeline: Pipeline, node_id: str):
        node = pipeline.node(node_id)
        super().__init__(f"Delete {node.display_name}")
        self.pipeline, self.node_id = pipeline, node_id
        self.node: Node | None = None
        self.index = 0
        self.pos = pipeline.position(node_id)

    def redo(self) -> None:
        self.node, self.index = self.pipeline.remove_node(self.node_id)

    def undo(self) -> None:
        assert self.node is not None
        self.pipeline.add_node(self.node.clone(), self.index, self.pos)


class AddEdgeCommand(QUndoCommand):
    def __init__(self, pipeline: Pipeline, edge: Edge, index: int | None = None):
        super().__init__(f"Connect {edge.source} to {edge.target}")
        self.pipeline, self.edge, self.index = pipeline, edge, index

    def redo(self) -> None:
        self.pipeline.add_edge(self.edge, self.index)

    def undo(self) -> None:
        self.pipeline.remove_edge(self.edge)


class RemoveEdgeCommand(QUndoCommand):
    def __init__(self, pipeline: Pipeline, edge: Edge):
        super().__init__(f"Disconnect {edge.source} from {edge.target}")
        self.pipeline, self.edge = pipeline, edge
        self.index = 0

    def redo(self) -> None:
        self.index = self.pipeline.remove_edge(self.edge)

    def undo(self) -> None:
        self.pipeline.add_edge(self.edge, self.index)


class MoveNodesCommand(QUndoCommand):
    """One drag (of any number of nodes, backdrops included via their own ui entry) is one undo step."""

    def __init__(
        self,
        pipeline: Pipeline,
        moves: dict[str, tuple[tuple[float, float], tuple[float, float]]],
        text: str = "",
    ):
        super().__init__(
            text or (f"Move {next(iter(moves))}" if len(moves) == 1 else f"Move {len(moves)} nodes")
        )
        self.pipeline, self.moves = pipeline, dict(moves)

    def redo(self) -> None:
        for node_id, (_old, new) in self.moves.items():
            self.pipeline.set_position(node_id, *new)

    def undo(self) -> None:
        for node_id, (old, _new) in self.moves.items():
            self.pipeline.set_position(node_id, *old)


class SetParamCommand(QUndoCommand):
    """Set or clear (UNSET) one input's param; consecutive edits of the same field merge into one step."""

    MERGE_ID = 0x4E4C01

    def __init__(self, pipeline: Pipeline, node_id: str, port: str, value: Any):
        super().__init__(f"Set {node_id}.{port}")
        self.pipeline, self.node_id, self.port = pipeline, node_id, port
        self.new = copy.deepcopy(value)
        self.old = copy.deepcopy(pipeline.node(node_id).params.get(port, UNSET))

    def id(self) -> int:
        return self.MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt override
        if not isinstance(other, SetParamCommand) or (other.node_id, other.port) != (self.node_id, self.port):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.pipeline.set_param(self.node_id, self.port, copy.deepcopy(self.new))

    def undo(self) -> None:
        self.pipeline.set_param(self.node_id, self.port, copy.deepcopy(self.old))


class SetNodeFieldCommand(QUndoCommand):
    """Label, retries, retry delay, timeout, cache, disabled (and type, for a node re-pointed at another function)."""

    MERGE_ID = 0x4E4C02

    def __init__(self, pipeline: Pipeline, node_id: str, field: str, value: Any):
        verb = "Rename" if field == "label" else f"Set {field} of"
        super().__init__(f"{verb} {node_id}")
        self.pipeline, self.node_id, self.field = pipeline, node_id, field
        self.new, self.old = value, getattr(pipeline.node(node_id), field)

    def id(self) -> int:
        return self.MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt override
        if not isinstance(other, SetNodeFieldCommand) or (other.node_id, other.field) != (
            self.node_id,
            self.field,
        ):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.pipeline.set_node_field(self.node_id, self.field, self.new)

    def undo(self) -> None:
        self.pipeline.set_node_field(self.node_id, self.field, self.old)


class SetPipelineInfoCommand(QUndoCommand):
    """Name, description or the parameters mapping of the pipeline."""

    MERGE_ID = 0x4E4C03

    def __init__(self, pipeline: Pipeline, field: str, value: Any):
        super().__init__(f"Set pipeline {field}")
        self.pipeline, self.field = pipeline, field
        self.new, self.old = copy.deepcopy(value), copy.deepcopy(getattr(pipeline, field))

    def id(self) -> int:
        return self.MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt override
        if (
            not isinstance(other, SetPipelineInfoCommand)
            or other.field != self.field
            or self.field == "parameters"
        ):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.pipeline.set_info(self.field, self.new)

    def undo(self) -> None:
        self.pipeline.set_info(self.field, self.old)


class SetUiCommand(QUndoCommand):
    """Replace one top-level `ui` entry, e.g. the list of backdrops (comments that group nodes)."""

    def __init__(self, pipeline: Pipeline, key: str, value: Any, text: str):
        super().__init__(text)
        self.pipeline, self.key = pipeline, key
        self.new, self.old = copy.deepcopy(value), copy.deepcopy(pipeline.ui.get(key, UNSET))

    def redo(self) -> None:
        self.pipeline.set_ui(self.key, self.new)

    def undo(self) -> None:
        self.pipeline.set_ui(self.key, self.old)


class AddBackdropCommand(QUndoCommand):
    def __init__(self, pipeline: Pipeline, backdrop: Backdrop, index: int | None = None):
        super().__init__(f"Group {len(backdrop.nodes)} node{'s' * (len(backdrop.nodes) != 1)}")
        self.pipeline, self.backdrop, self.index = pipeline, copy.deepcopy(backdrop), index

    def redo(self) -> None:
        self.index = self.pipeline.add_backdrop(self.backdrop, self.index)

    def undo(self) -> None:
        assert self.index is not None
        self.pipeline.remove_backdrop(self.index)


class RemoveBackdropCommand(QUndoCommand):
    def __init__(self, pipeline: Pipeline, index: int):
        self.backdrop = pipeline.backdrop(index)
        super().__init__(f"Delete backdrop {self.backdrop.title}")
        self.pipeline, self.index = pipeline, index

    def redo(self) -> None:
        self.backdrop = self.pipeline.remove_backdrop(self.index)

    def undo(self) -> None:
        self.pipeline.add_backdrop(self.backdrop, self.index)


class UpdateBackdropCommand(QUndoCommand):
    """Rename, recolour or change the members of one backdrop."""

    def __init__(self, pipeline: Pipeline, index: int, text: str, **changes: Any):
        super().__init__(text)
        old = pipeline.backdrop(index)
        self.pipeline, self.index = pipeline, index
        self.new = copy.deepcopy(changes)
        self.old = {k: copy.deepcopy(getattr(old, k)) for k in changes}

    def redo(self) -> None:
        self.pipeline.update_backdrop(self.index, **copy.deepcopy(self.new))

    def undo(self) -> None:
        self.pipeline.update_backdrop(self.index, **copy.deepcopy(self.old))
