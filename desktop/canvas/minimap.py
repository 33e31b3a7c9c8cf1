"""The overview in the canvas's bottom-right corner: nodes in their state colours, the wires, and a frame
around the visible area; pressing or dragging in it centres the view there.

It stays out of the way: small, hidden on an empty canvas and whenever the whole pipeline already
fits in the view (then it would only cover nodes and tell nothing), faint while nodes lie under it
(opaque again when the mouse is over it), and toggled by
View > Minimap (remembered in the settings, `set_wanted`). It paints from a cached pixmap rebuilt
shortly after the document or a node's look changes (not on every frame: a second QGraphicsView of
the same scene would repaint 3,000 items on every edit); the viewport frame is drawn on top, at least
a few pixels wide so it stays visible on a huge graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QEvent, QLineF, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QEnterEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsView, QWidget

from ..settings import app_settings
from .node_paint import brush, fill_colour, with_alpha

if TYPE_CHECKING:
    from .scene import NodeGraphScene

SIZE = (180, 112)
MARGIN = 10
SETTING = "view/minimap"
MIN_FRAME_PX = 8.0
FAINT = 0.35  # opacity while it lies over nodes and the mouse is elsewhere


def _as_bool(value: object, default: bool) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return default if value is None else bool(value)


class Minimap(QWidget):
    def __init__(self, view: QGraphicsView, scene: NodeGraphScene) -> None:
        super().__init__(view)
        self.view = view
        self.scene = scene
        self.setFixedSize(*SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view (View > Minimap, Ctrl+M)")
        self.wanted = _as_bool(app_settings().value(SETTING), True)
        self.covering = False  # a node lies under the minimap: drawn faint until hovered
        self._hovered = False
        self._pixmap = QPixmap()
        self._world = QRectF()
        self._nodes_bounds = QRectF()
        self._stale = True  # the pixmap does not show the current pipeline yet
        self._timer = QTimer(self, singleShot=True, interval=200)
        self._timer.timeout.connect(self.rebuild)
        doc = scene.document
        for signal in (
            doc.node_added,
            doc.node_removed,
            doc.edge_added,
            doc.edge_removed,
            doc.reset,
            doc.ui_changed,
            doc.problems_changed,
            scene.node_look_changed,
            scene.selectionChanged,
        ):
            signal.connect(self.schedule)
        view.horizontalScrollBar().valueChanged.connect(self.follow_view)
        view.verticalScrollBar().valueChanged.connect(self.follow_view)
        self.rebuild()

    # -- showing --------------------------------------------------------------------------------------
    def set_wanted(self, on: bool) -> None:
        """The user's choice (View > Minimap); remembered for the next start."""
        self.wanted = bool(on)
        app_settings().setValue(SETTING, self.wanted)
        self.follow_view()

    def should_show(self) -> bool:
        """Wanted, something on the canvas, and not all of it already in view."""
        if not self.wanted or self._nodes_bounds.isNull():
            return False
        return not self.visible_scene_rect().contains(self._nodes_bounds)

    def follow_view(self, *_args: object) -> None:
        """The view moved or zoomed: show or hide, and redraw the frame."""
        if not shiboken6.isValid(self.scene) or not shiboken6.isValid(self.view):
            return  # called while the window is being torn down
        show = self.should_show()
        if show != self.isVisible():
            self.setVisible(show)
        if show:
            if self._stale:
                self._draw()
            under = self.view.mapToScene(self.geometry()).boundingRect()
            self.covering = any(hasattr(i, "node_id") for i in self.scene.items(under))
            self.update()

    def schedule(self, *_args: object) -> None:
        self._timer.start()

    # -- drawing --------------------------------------------------------------------------------------
    def _nodes_rect(self) -> QRectF:
        rect = QRectF()
        for item in self.scene.node_items():
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def rebuild(self) -> None:
        """Re-measure the pipeline; redraw the cached overview now if it is shown, else when it shows
        (a run changes node colours many times a second: a hidden minimap must not redraw for each)."""
        if not shiboken6.isValid(self.scene):
            return
        world = self._nodes_rect()
        self._nodes_bounds = world
        if world.isNull():
            world = QRectF(-400, -300, 800, 600)
        pad = max(world.width(), world.height()) * 0.04
        self._world = world.adjusted(-pad, -pad, pad, pad)
        self._stale = True
        if self.should_show():
            self._draw()
        self.follow_view()

    def _draw(self) -> None:
        """Wires as hairlines, nodes filled in their state colour, into the cached pixmap."""
        self._stale = False
        items = self.scene.node_items()
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(int(self.width() * ratio), int(self.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        theme = self.scene.theme
        pixmap.fill(with_alpha(theme.node_body if theme.dark else theme.background, 215))
        painter = QPainter(pixmap)
        painter.setTransform(self._transform_scale())
        wire = QPen(with_alpha(theme.text_dim, 150), 0)
        painter.setPen(wire)
        painter.drawLines([QLineF(e.line) for e in self.scene.edge_items()])
        painter.setPen(Qt.PenStyle.NoPen)
        for item in items:
            painter.setBrush(brush(fill_colour(item)))
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

    def frame_rect(self) -> QRectF:
        """The visible area in minimap pixels, never smaller than MIN_FRAME_PX (a huge graph at 100%
        would otherwise shrink it to an invisible dot)."""
        rect = self._transform_scale().mapRect(self.visible_scene_rect())
        rect = rect.intersected(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        centre = rect.center()
        w, h = max(rect.width(), MIN_FRAME_PX), max(rect.height(), MIN_FRAME_PX)
        return QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        if self.covering and not self._hovered:
            painter.setOpacity(FAINT)
        painter.drawPixmap(0, 0, self._pixmap)
        theme = self.scene.theme
        frame = QColor(theme.selection)
        painter.setPen(QPen(frame, 2))
        painter.setBrush(brush(with_alpha(frame, 40)))
        painter.drawRect(self.frame_rect())
        painter.setPen(QPen(with_alpha(theme.node_border, 200), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(0.5, 0.5, self.width() - 1, self.height() - 1))

    def _centre_on(self, pos: QPointF) -> None:
        inverted, ok = self._transform_scale().inverted()
        if ok:
            self.view.centerOn(inverted.map(pos))
            self.update()

    def enterEvent(self, event: QEnterEvent) -> None:  # noqa: N802 - Qt override
        self._hovered = True
        self.update()

    def leaveEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        self._hovered = False
        self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._centre_on(event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._centre_on(event.position())


def corner_position(view: QWidget, minimap: QWidget) -> tuple[int, int]:
    return view.width() - minimap.width() - MARGIN, view.height() - minimap.height() - MARGIN
