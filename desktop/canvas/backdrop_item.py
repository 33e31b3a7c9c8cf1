"""A backdrop: a titled, tinted rectangle behind a group of nodes (a comment that groups them).

Stored in the pipeline as `ui["backdrops"]`: a list of `{"title": str, "nodes": [ids], "color": "#rrggbb"}`
(color optional). Its rectangle is not stored: it is always the members' bounds plus a margin, so it
moves with its nodes by construction. Dragging the backdrop drags its members (one `move_nodes` step).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodeloom.core.vocabulary import counted
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneContextMenuEvent,
    QGraphicsSceneMouseEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from . import style
from .item_host import backdrop_host
from .node_paint import brush, pen, with_alpha

MARGIN = 24.0
TITLE_HEIGHT = 30.0
DEFAULT_COLOUR = "#6b8fd6"


class BackdropItem(QGraphicsItem):
    Type = QGraphicsItem.UserType + 3

    def __init__(self, index: int, data: dict[str, Any], theme: style.Theme) -> None:
        super().__init__()
        self.index = index  # position in ui["backdrops"]
        self.theme = theme
        self.title = str(data.get("title", "Group"))
        self.node_ids: list[str] = [n for n in data.get("nodes", []) if isinstance(n, str)]
        self.colour = QColor(str(data.get("color", DEFAULT_COLOUR)))
        if not self.colour.isValid():
            self.colour = QColor(DEFAULT_COLOUR)
        self._rect = QRectF()
        self._press: QPointF | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(-10.0)
        self.setToolTip(
            f"{self.title} ({counted(len(self.node_ids), 'node')}): drag the title to move the group"
        )

    def type(self) -> int:  # noqa: A003 - Qt override
        return self.Type

    def fit(self, member_rect: QRectF) -> None:
        """Place around the members' bounding rectangle (an empty one hides the backdrop)."""
        self.setVisible(not member_rect.isNull())
        rect = member_rect.adjusted(-MARGIN, -MARGIN - TITLE_HEIGHT, MARGIN, MARGIN)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect

    def fit_members(self, nodes: Mapping[str, QGraphicsItem]) -> None:
        rect = QRectF()
        for node_id in self.node_ids:
            item = nodes.get(node_id)
            if item is not None:
                rect = rect.united(item.sceneBoundingRect())
        self.fit(rect)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect

    def shape(self) -> QPainterPath:
        """Only the title bar is solid: presses on the body fall through to the canvas (rubber band)."""
        path = QPainterPath()
        path.addRect(self.title_rect())
        return path

    def title_rect(self) -> QRectF:
        return QRectF(self._rect.x(), self._rect.y(), self._rect.width(), TITLE_HEIGHT)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod >= style.LOD_SIMPLE)
        border = self.theme.selection if self.isSelected() else with_alpha(self.colour, 200)
        painter.setPen(pen(border, 2.0 if self.isSelected() else 1.2))
        painter.setBrush(brush(with_alpha(self.colour, 60 if self.theme.dark else 38)))
        painter.drawRoundedRect(self._rect, 10, 10)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(brush(with_alpha(self.colour, 90 if self.theme.dark else 70)))
        title = self.title_rect()
        painter.drawRoundedRect(title, 10, 10)
        painter.drawRect(QRectF(title.x(), title.y() + 12, title.width(), title.height() - 12))
        if lod >= style.LOD_SIMPLE * 0.5:
            painter.setPen(pen(self.theme.text))
            painter.setFont(self.theme.title_font)
            painter.drawText(
                title.adjusted(12, 0, -12, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                self.title,
            )

    def _left_on_title(self, event: QGraphicsSceneMouseEvent) -> bool:
        """A left-button press or double-click on the title bar: what grabs or renames the backdrop."""
        return event.button() == Qt.MouseButton.LeftButton and self.title_rect().contains(event.pos())

    # a press on the title starts a group drag; the scene moves the members and records one step
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 - Qt override
        host = backdrop_host(self)
        if host is not None and self._left_on_title(event):
            self._press = event.scenePos()
            self.scene().clearSelection()
            self.setSelected(True)
            host.begin_group_drag(self.node_ids)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 - Qt override
        host = backdrop_host(self)
        if self._press is not None and host is not None:
            host.group_drag_to(event.scenePos() - self._press)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 - Qt override
        host = backdrop_host(self)
        if self._press is not None and host is not None:
            self._press = None
            host.end_group_drag()
            return
        super().mouseReleaseEvent(event)

    # a double-click on the title or the context menu renames (the scene asks and records one step)
    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 - Qt override
        host = backdrop_host(self)
        if host is not None and self._left_on_title(event):
            self._press = None
            host.rename_backdrop_interactively(self.index)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event: QGraphicsSceneContextMenuEvent) -> None:  # noqa: N802 - Qt override
        host = backdrop_host(self)
        if host is None:
            super().contextMenuEvent(event)
            return
        host.show_backdrop_menu(self.index, event.screenPos())
        event.accept()
