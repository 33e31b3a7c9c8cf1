"""The canvas background grid: minor lines every GRID units, major every five, faded out when zoomed out.

Drawn in two `drawLines` calls without antialiasing (one call per line costs more than all the nodes).
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter, QPen

from . import style


def draw_grid(painter: QPainter, rect: QRectF, pens: tuple[QPen, QPen]) -> None:
    scale = painter.worldTransform().m11()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    for step, pen, min_scale in ((style.GRID, pens[0], 0.7), (style.GRID * 5, pens[1], 0.25)):
        if scale < min_scale:
            continue
        painter.setPen(pen)
        left = int(rect.left() // step) * step
        top = int(rect.top() // step) * step
        columns = int((rect.right() - left) / step) + 1
        rows = int((rect.bottom() - top) / step) + 1
        lines = [QLineF(left + i * step, rect.top(), left + i * step, rect.bottom()) for i in range(columns)]
        lines += [QLineF(rect.left(), top + i * step, rect.right(), top + i * step) for i in range(rows)]
        painter.drawLines(lines)
