"""Dragging a wire: from an output, from a free input, or picking an existing edge off an input.

The drag shows a preview curve (the port's colour when the port under the cursor would accept it, red
when not). On release it becomes exactly one document intent: connect (Document replaces the edge on an
occupied single input), reconnect a picked-up edge (disconnect + connect in one undo step), disconnect
(a picked-up edge dropped on nothing), or, for a new wire dropped on empty canvas, a request to the view
to open the quick-add popup filtered to the types that fit. A refusal is reported with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nodeloom.core.connections import ConnectionCheck, check_connection
from nodeloom.core.model import Edge
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem

from . import style
from .edge_item import wire_path
from .node_item import NodeItem
from .port_item import INPUT, OUTPUT, PortItem

if TYPE_CHECKING:
    from .scene import NodeGraphScene


@dataclass(frozen=True)
class WireEnd:
    """The end of a wire that stays put while the other follows the cursor."""

    node_id: str
    port: str
    kind: str  # OUTPUT: the wire goes to an input; INPUT: it goes back to an output
    port_type: str


class WireDrag:
    def __init__(self, scene: NodeGraphScene, fixed: WireEnd, anchor: QPointF, picked: Edge | None) -> None:
        self.scene = scene
        self.fixed = fixed
        self.anchor = anchor
        self.picked = picked
        self.target: tuple[NodeItem, PortItem] | None = None
        self.preview = QGraphicsPathItem()
        self.preview.setZValue(5.0)
        self._ok_pen = QPen(
            style.port_colour(fixed.port_type), 2.4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap
        )
        self._bad_pen = QPen(scene.theme.error, 2.0, Qt.PenStyle.DashLine)
        self.preview.setPen(self._ok_pen)
        scene.addItem(self.preview)

    def edge_to(self, item: NodeItem, port: PortItem) -> Edge | None:
        if port.kind == self.fixed.kind:
            return None
        if self.fixed.kind == OUTPUT:
            return Edge(self.fixed.node_id, self.fixed.port, item.node_id, port.name)
        return Edge(item.node_id, port.name, self.fixed.node_id, self.fixed.port)

    def check(self, edge: Edge) -> ConnectionCheck:
        document = self.scene.document
        if self.picked is None:
            return document.check_connection(edge)
        if edge == self.picked:
            return ConnectionCheck(True)
        trial = document.pipeline.copy()
        trial.remove_edge(self.picked)
        return check_connection(trial, document.registry, edge)

    def best_port(self, item: NodeItem) -> tuple[PortItem | None, str]:
        """A wire released on a node's body: its first free port that accepts it, else a used one."""
        candidates = item.inputs if self.fixed.kind == OUTPUT else item.outputs
        reason = f"'{item.node_id}' has no {'inputs' if self.fixed.kind == OUTPUT else 'outputs'}"
        fallback = None
        for port in candidates:
            edge = self.edge_to(item, port)
            if edge is None:
                continue
            result = self.check(edge)
            if result.ok and result.replaces is None and not port.connected:
                return port, ""
            if result.ok and fallback is None:
                fallback = port
            elif not result.ok:
                reason = result.reason
        return fallback, reason

    def move_to(self, pos: QPointF, hit: tuple[NodeItem, PortItem] | None) -> None:
        self.target = hit
        end = pos
        ok = True
        if hit is not None:
            edge = self.edge_to(*hit)
            ok = edge is not None and self.check(edge).ok
            if ok:
                end = hit[0].port_scene_pos(hit[1].name, hit[1].kind)
        start, stop = (self.anchor, end) if self.fixed.kind == OUTPUT else (end, self.anchor)
        self.preview.setPath(wire_path(start, stop))
        self.preview.setPen(self._ok_pen if ok else self._bad_pen)

    def finish(self) -> None:
        scene = self.scene
        scene.removeItem(self.preview)


def begin_wire(scene: NodeGraphScene, item: NodeItem, port: PortItem) -> WireDrag:
    """Start a drag at a port: an input that has an edge picks its (last) edge up."""
    picked = None
    if port.kind == INPUT:
        existing = scene.document.pipeline.edges_into(item.node_id, port.name)
        picked = existing[-1] if existing else None
    if picked is not None:
        src = scene.node_item(picked.src)
        edge_item = scene.edge_item(picked)
        assert src is not None and edge_item is not None
        out = src.port(picked.src_port, OUTPUT)
        fixed = WireEnd(picked.src, picked.src_port, OUTPUT, out.type if out else "any")
        anchor = src.port_scene_pos(picked.src_port, OUTPUT)
        edge_item.setVisible(False)
    else:
        fixed = WireEnd(item.node_id, port.name, port.kind, port.type)
        anchor = item.port_scene_pos(port.name, port.kind)
    return WireDrag(scene, fixed, anchor, picked)


def end_wire(scene: NodeGraphScene, drag: WireDrag, pos: QPointF) -> None:
    """Turn a released wire into one document intent, or show why not."""
    drag.finish()
    picked = drag.picked
    picked_item = scene.edge_item(picked) if picked is not None else None
    if picked_item is not None:
        picked_item.setVisible(not scene.far)
    hit = scene.port_hit(pos)
    if hit is None:
        node_item = scene.node_at(pos)
        if node_item is None:
            if picked is not None:
                scene.document.disconnect([picked])
            else:
                scene.wire_released.emit(drag.fixed, pos)
            return
        if node_item.node_id == drag.fixed.node_id:
            return
        port, reason = drag.best_port(node_item)
        if port is None:
            scene.show_refusal(reason, pos)
            return
        hit = (node_item, port)
    edge = drag.edge_to(*hit)
    if edge is None:
        scene.show_refusal("connect an output to an input", pos)
        return
    if edge == picked:
        return
    result = drag.check(edge)
    if not result.ok:
        scene.show_refusal(result.reason, pos)
        return
    if picked is not None:
        scene.document.reconnect(picked, edge)
    else:
        scene.document.connect(edge)
