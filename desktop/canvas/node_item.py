"""One pipeline node on the canvas: header (icon, label, type), ports with inline values, run state.

The item holds view state only (run status, problems, stale marker, hover); what it shows about the
node is re-read from the model by `refresh()`, which the scene calls on the document's signals. A drag
moves the item live; the scene records one `Document.move_nodes` on release. Painting has three levels
of detail (plain rectangle / header only / everything) chosen from the painter's transform, and every
font, pen and pixmap comes from the shared `Theme`.
"""

from __future__ import annotations

from typing import Any

from nodeloom.core.errors import Problem
from nodeloom.core.events import NodeStatus
from nodeloom.core.model import Node
from nodeloom.core.node_types import NodeType
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from . import style
from .node_paint import duration_text, paint_detail, paint_simple, status_colour
from .port_item import INPUT, OUTPUT, PortItem, inline_value

RUN_STATUSES = tuple(NodeStatus)


class NodeItem(QGraphicsRectItem):
    """A rect item only so that Qt's C++ boundingRect() answers the per-frame visibility test (no Python call)."""

    Type = QGraphicsItem.UserType + 1

    def __init__(self, node: Node, node_type: NodeType | None, theme: style.Theme) -> None:
        super().__init__()
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.node_id = node.id
        self.theme = theme
        self.node_type = node_type
        self.inputs: list[PortItem] = []
        self.outputs: list[PortItem] = []
        self.width, self.height = style.NODE_WIDTH, style.HEADER_HEIGHT
        self.body = QRectF()
        self.label = ""
        self.type_text = ""
        self.category = "python"
        self.disabled = False
        self.problems: list[Problem] = []
        self.run_status: str | None = None
        self.run_progress: float | None = None
        self.run_message = ""
        self.run_duration_s: float | None = None
        self.run_error: str | None = None
        self.stale = False
        self.timing_visible = False
        self.timing_fraction = 0.0
        self.hover_port: PortItem | None = None
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1.0)
        self.refresh(node, node_type, set(), set())

    def type(self) -> int:  # noqa: A003 - Qt override
        return self.Type

    # -- model -> item -----------------------------------------------------------------------------
    def refresh(
        self, node: Node, node_type: NodeType | None, connected_in: set[str], connected_out: set[str]
    ) -> None:
        """Re-read label, ports, inline values and the disabled flag from the model."""
        self.node_type = node_type
        self.label = node.display_name
        self.disabled = node.disabled
        self.category = node_type.category if node_type else "python"
        self.type_text = node.type if node_type else f"{node.type} (unknown type)"
        old_size = (self.width, self.height)
        self.inputs, self.outputs = [], []
        if node_type is not None:
            for row, spec in enumerate(node_type.inputs):
                port = PortItem(spec.name, INPUT, spec.type, row, spec.many, spec.description, spec=spec)
                port.connected = spec.name in connected_in
                if not port.connected:
                    port.value_text, port.value_is_default = inline_value(spec, node.params)
                self.inputs.append(port)
            for row, spec in enumerate(node_type.outputs):
                port = PortItem(spec.name, OUTPUT, spec.type, row, description=spec.description, spec=spec)
                port.connected = spec.name in connected_out
                self.outputs.append(port)
        self.width, self.height = style.node_size(len(self.inputs), len(self.outputs))
        if (self.width, self.height) != old_size or self.body.isNull():
            self.body = QRectF(0, 0, self.width, self.height)
            pad = style.PORT_RADIUS + 2
            self.setRect(QRectF(-pad, -4, self.width + 2 * pad, self.height + 18))
        self.setOpacity(0.5 if self.disabled else 1.0)
        self._update_tooltip()
        self.update()

    def set_problems(self, problems: list[Problem]) -> None:
        if problems == self.problems:
            return
        self.problems = list(problems)
        self._update_tooltip()
        self.update()
        self._look_changed()

    def _look_changed(self) -> None:
        signal = getattr(self.scene(), "node_look_changed", None)
        if signal is not None:
            signal.emit()

    def problem_colour(self) -> QColor | None:
        if not self.problems:
            return None
        if any(getattr(p, "severity", "error") == "error" for p in self.problems):
            return self.theme.error
        return self.theme.warning

    # -- run hooks (the run helper calls these) ---------------------------------------------------
    def set_run_state(
        self,
        status: str | None,
        progress: float | None = None,
        message: str = "",
        duration_s: float | None = None,
        error: str | None = None,
    ) -> None:
        """Show a run state: running draws a progress bar and the message, failed is red with the error
        as tooltip, a finished node shows its duration as a badge; None clears everything."""
        if status is not None and status not in RUN_STATUSES:
            raise ValueError(f"unknown run status {status!r}")
        self.run_status = status
        self.run_progress = None if progress is None else max(0.0, min(1.0, float(progress)))
        self.run_message = message
        self.run_duration_s = duration_s
        self.run_error = error
        self._update_tooltip()
        self.update()
        self._look_changed()

    def set_stale(self, stale: bool) -> None:
        if stale != self.stale:
            self.stale = stale
            self._update_tooltip()
            self.update()
            self._look_changed()

    def set_timing_overlay(self, visible: bool, fraction_of_max: float = 0.0) -> None:
        self.timing_visible = visible
        self.timing_fraction = max(0.0, min(1.0, fraction_of_max))
        self.update()

    # -- geometry ---------------------------------------------------------------------------------
    def port(self, name: str, kind: str) -> PortItem | None:
        for port in self.inputs if kind == INPUT else self.outputs:
            if port.name == name:
                return port
        return None

    def port_scene_pos(self, name: str, kind: str) -> QPointF:
        """Where a wire attaches to a port, in scene coordinates (the node's centre-left/right if unknown)."""
        port = self.port(name, kind)
        if port is None:
            return self.mapToScene(QPointF(0.0 if kind == INPUT else self.width, self.height / 2))
        return self.mapToScene(port.local_pos(self.width))

    def port_at(self, scene_pos: QPointF) -> PortItem | None:
        local = self.mapFromScene(scene_pos)
        for port in self.inputs + self.outputs:
            if port.hit_rect(self.width).contains(local):
                return port
        return None

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        scene = self.scene()
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and scene is not None:
            if getattr(scene, "snap_to_grid", False) and getattr(scene, "dragging", False):
                grid = style.GRID
                return QPointF(round(value.x() / grid) * grid, round(value.y() / grid) * grid)
        elif change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged and scene is not None:
            notify = getattr(scene, "node_item_moved", None)
            if notify is not None:
                notify(self)
        return super().itemChange(change, value)

    # -- interaction --------------------------------------------------------------------------------
    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802 - Qt override
        port = self.port_at(event.scenePos())
        if port is not self.hover_port:
            self.hover_port = port
            self.setToolTip(port.tooltip() if port else self._tooltip)
            self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802 - Qt override
        if self.hover_port is not None:
            self.hover_port = None
            self.setToolTip(self._tooltip)
            self.update()

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:  # noqa: N802 - Qt override
        scene = self.scene()
        show = getattr(scene, "show_node_menu", None)
        if show is not None:
            show(self.node_id, event.screenPos())
            event.accept()

    def _update_tooltip(self) -> None:
        lines = [f"{self.label}  ({self.type_text})"]
        if self.node_type is not None and self.node_type.description:
            lines.append(self.node_type.description)
        lines += [
            ("⚠ " if getattr(p, "severity", "error") != "error" else "✖ ") + p.message for p in self.problems
        ]
        if self.run_status == "failed" and self.run_error:
            lines.append(f"failed: {self.run_error}")
        elif self.run_status == "cached":
            lines.append("cached: the result of an earlier run was reused")
        elif self.run_status:
            took = f" in {duration_text(self.run_duration_s)}" if self.run_duration_s is not None else ""
            lines.append(self.run_status + took)
        if self.stale and self.run_status:
            lines.append("stale: its inputs or parameters changed since this result")
        self._tooltip = "\n".join(lines)
        self.setToolTip(self._tooltip)

    # -- painting ---------------------------------------------------------------------------------
    def border_pen_colour(self) -> QColor:
        if self.isSelected():
            return self.theme.selection
        problem = self.problem_colour()
        if problem is not None:
            return problem
        if self.run_status == "failed":
            return QColor(style.STATUS_COLOURS["failed"])
        if self.run_status is not None:
            return status_colour(self)
        return self.theme.node_border

    def paint(  # noqa: D102 - Qt override
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod < style.LOD_SIMPLE:
            paint_simple(self, painter)
        else:
            paint_detail(self, painter, lod)
