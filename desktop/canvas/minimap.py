"""The overview in a corner of the canvas: every node as a small rectangle and the visible area.

It paints from a cached pixmap of the node rectangles (rebuilt shortly after the document changes, not
on every frame), plus the view's visible rectangle on top; pressing or dragging in it centres the view
there. A second QGraphicsView of the same scene would repaint all 3,000 items on every edit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsView, QWidget

from . import style
from .node_paint import brush, pen, with_alpha

if TYPE_CHECKING:
    from .scene import NodeGraphScene

SIZE = (220, 140)


class Minimap(QWidget):
    def __init__(self, view: QGraphicsView, scene: NodeGraphScene) -> None:
        super().__init__(view)
        self.view = view
        self.scene = scene
        self.setFixedSize(*SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self._pixmap = QPixmap()
        self._world = QRectF()
        self._timer = QTimer(self, singleShot=True, interval=200)
        self._timer.timeout.connect(self.rebuild)
        doc = scene.document
        for signal in (doc.node_added, doc.node_removed, doc.reset, doc.ui_changed):
            signal.connect(self.schedule)
        view.horizontalScrollBar().valueChanged.connect(self.update)
        view.verticalScrollBar().valueChanged.connect(self.update)
        self.rebuild()

    def schedule(self, *_args: object) -> None:
        self._timer.start()

    def _nodes_rect(self) -> QRectF:
        rect = QRectF()
        for item in self.scene.node_items():
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def rebuild(self) -> None:
        """Redraw the cached overview of node rectangles."""
        items = self.scene.node_items()
        world = self._nodes_rect()
        if world.isNull():
            world = QRectF(-400, -300, 800, 600)
        pad = max(world.width(), world.height()) * 0.04
        self._world = world.adjusted(-pad, -pad, pad, pad)
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(int(self.width() * ratio), int(self.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        theme = self.scene.theme
        pixmap.fill(with_alpha(theme.node_body if theme.dark else theme.background, 235))
        painter = QPainter(pixmap)
        painter.setTransform(self._transform_scale())
        painter.setPen(Qt.PenStyle.NoPen)
        for item in items:
            painter.setBrush(brush(style.category_colour(item.category)))
            painter.drawRect(item.sceneBoundingRect())
        painter.end()
        self._pixmap = pixmap
        self.update()

    def _transform_scale(self) -> QTransform:
        world = self._world
        scale = min(self.width() / world.width(), self.height() / world.height())
        dx = (self.width() - world.width() * scale) / 2 - world.x() * scale
        dy = (self.height() - world.height() * scale) / 2 - world.y() * scale
        return QTransform(scale, 0, 0, scale, dx, dy)

    def visible_scene_rect(self) -> QRectF:
        return self.view.mapToScene(self.view.viewport().rect()).boundingRect()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._pixmap)
        painter.setTransform(self._transform_scale())
        visible = self.visible_scene_rect()
        painter.setPen(pen(self.scene.theme.text_dim, 0))
        painter.setBrush(brush(with_alpha(self.scene.theme.text_dim, 28)))
        painter.drawRect(visible)
        painter.resetTransform()
        painter.setPen(pen(QColor(self.scene.theme.node_border), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(0.5, 0.5, self.width() - 1, self.height() - 1))

    def _centre_on(self, pos: QPointF) -> None:
        inverted, ok = self._transform_scale().inverted()
        if ok:
            self.view.centerOn(inverted.map(pos))
            self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._centre_on(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._centre_on(event.position())
