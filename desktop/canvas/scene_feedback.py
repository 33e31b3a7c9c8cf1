"""Transient feedback drawn in the scene: the reason a connection was refused, next to the cursor.

A small rounded label that ignores the view's zoom (always readable) and hides itself after a few
seconds; one instance per scene, reused.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFontMetricsF, QPainter
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QStyleOptionGraphicsItem, QWidget

from .node_paint import brush, pen

SHOW_MS = 2600


class RefusalLabel(QGraphicsItem):
    def __init__(self, scene: QGraphicsScene) -> None:
        super().__init__()
        self.theme = scene.theme  # type: ignore[attr-defined]
        self.text = ""
        self._rect = QRectF()
        self._metrics = QFontMetricsF(self.theme.port_font)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setZValue(100.0)
        self.setVisible(False)
        self._timer = QTimer(scene, singleShot=True, interval=SHOW_MS)
        self._timer.timeout.connect(lambda: self.setVisible(False))
        scene.addItem(self)

    def show_at(self, text: str, scene_pos: QPointF) -> None:
        self.prepareGeometryChange()
        self.text = f"✖  {text}"
        width = self._metrics.horizontalAdvance(self.text) + 20
        self._rect = QRectF(0, 0, width, self._metrics.height() + 10)
        self.setPos(scene_pos + QPointF(14, 10))
        self.setVisible(True)
        self.update()
        self._timer.start()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pen(self.theme.error, 1.2))
        painter.setBrush(brush(QColor("#3a1f22") if self.theme.dark else QColor("#fff1f1")))
        painter.drawRoundedRect(self._rect, 6, 6)
        painter.setFont(self.theme.port_font)
        painter.setPen(pen(QColor("#ffb4b4") if self.theme.dark else QColor("#a4161a")))
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self.text)
