"""One edge: a smooth cubic curve from an output port to an input port, coloured by the output's type.

The scene recomputes the curve when either end moves (`set_ends`). Hovering thickens it and shows a
tooltip (the connection, or a preview of the value that flowed along it after a run). Selected edges
are drawn in the selection colour instead of Qt's dashed bounding box.
"""

from __future__ import annotations

from nodeloom.core.model import Edge
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from . import style


def blend(colour: QColor, background: QColor, amount: float) -> QColor:
    """`colour` drawn at `amount` opacity over `background`, as one opaque colour."""
    mix = [
        a * amount + b * (1 - amount)
        for a, b in zip(colour.getRgbF()[:3], background.getRgbF()[:3], strict=True)
    ]
    return QColor.fromRgbF(*mix)


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A horizontal-tangent cubic from start to end; loops back smoothly when end is left of start."""
    dx = end.x() - start.x()
    bend = max(40.0, abs(dx) * 0.5, min(abs(end.y() - start.y()) * 0.5, 160.0) if dx < 0 else 0.0)
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x() + bend, start.y()), QPointF(end.x() - bend, end.y()), end)
    return path


LONG_EDGE_PX = 1000.0  # on screen, beyond this an edge is drawn thinner
MIN_WIRE_PX = 1.6  # a wire is never thinner than this on screen (2 scene units are 0.9 px at 46%)


class EdgeItem(QGraphicsPathItem):
    Type = QGraphicsItem.UserType + 2

    def __init__(self, edge: Edge, port_type: str, theme: style.Theme) -> None:
        super().__init__()
        self.edge = edge
        self.theme = theme
        self.port_type = port_type
        self.hovered = False
        self.preview: str | None = None
        self.set_theme(theme)
        self._extent = 0.0
        self._path_stale = False
        self._shape: QPainterPath | None = None
        self.line = QLineF()
        self.setPen(self._pen)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0.0)
        self._update_tooltip()

    def set_theme(self, theme: style.Theme) -> None:
        """(Re)build the pens for `theme`'s background."""
        self.theme = theme
        port_type = self.port_type
        # opaque (blended with the background by hand): Qt's raster engine strokes translucent lines
        # that reach far outside the device up to 20x slower
        colour = blend(style.port_colour(port_type), theme.background, theme.edge_alpha / 255)
        self._pen = QPen(colour, 2.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        self._hover_pen = QPen(
            style.port_colour(port_type), 3.2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap
        )
        self._selected_pen = QPen(theme.selection, 3.2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        self.far_pen = QPen(colour, 0)  # cosmetic hairline when zoomed far out
        self._long_pen = QPen(colour, 1.2)
        self._long_pen.setCosmetic(True)
        self._thin_pen = QPen(colour, MIN_WIRE_PX, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        self._thin_pen.setCosmetic(True)
        self.setPen(self._pen)
        self.update()

    def type(self) -> int:  # noqa: A003 - Qt override
        return self.Type

    def set_ends(self, start: QPointF, end: QPointF) -> None:
        """Move the ends. A hidden edge (zoomed far out: the batch draws it) only keeps the line and
        builds its curve when shown again: dragging 2,000 nodes at fit-all zoom must not rebuild 2,000
        curves nobody sees."""
        self.line = QLineF(start, end)
        self._extent = abs(end.x() - start.x()) + abs(end.y() - start.y())
        if self.isVisible():
            self.setPath(wire_path(start, end))
            self._path_stale = False
        else:
            self._path_stale = True
        self._shape = None

    def ensure_path(self) -> None:
        """Build the curve if the ends moved while the edge was hidden."""
        if self._path_stale:
            self.setPath(wire_path(self.line.p1(), self.line.p2()))
            self._path_stale = False
            self._shape = None

    def line_bounds(self) -> QRectF:
        """The straight line's bounds (what the far-zoom batch draws)."""
        return QRectF(self.line.p1(), self.line.p2()).normalized()

    def shape(self) -> QPainterPath:
        if self._shape is None:  # built on first hit test only: most edges are never hovered
            stroker = QPainterPathStroker()
            stroker.setWidth(10.0)
            self._shape = stroker.createStroke(self.path())
        return self._shape

    def set_value_preview(self, text: str | None) -> None:
        """After a run: a short text of the value that flowed here, shown as the hover tooltip."""
        self.preview = text
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        base = f"{self.edge.source} → {self.edge.target}  ({self.port_type})"
        self.setToolTip(f"{base}\n{self.preview}" if self.preview else base)

    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802 - Qt override
        self.hovered = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802 - Qt override
        self.hovered = False
        self.update()

    def pen_for(self, lod: float) -> QPen:
        """The pen at zoom `lod` (near and middle zoom; far out the batch or a hairline draws it)."""
        if self.isSelected():
            return self._selected_pen
        if self.hovered:
            return self._hover_pen
        if lod * self._extent > LONG_EDGE_PX:  # a wide stroke of a long curve costs 40 us; a hairline 6
            return self._long_pen
        if lod * self._pen.widthF() < MIN_WIRE_PX:
            return self._thin_pen
        return self._pen

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod < style.LOD_SIMPLE:  # far out: a straight hairline is indistinguishable and 10x cheaper
            painter.setPen(self._selected_pen if self.isSelected() else self.far_pen)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.drawLine(self.line)
            return
        painter.setPen(self.pen_for(lod))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
