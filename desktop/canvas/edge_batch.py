"""All edges as one item when zoomed far out: straight hairlines drawn in a few `drawLines` calls.

At fit-all zoom on a 3,000-node pipeline the cost of a frame is dominated by one Python `paint` call per
edge; below the simple level of detail the scene hides the individual `EdgeItem`s and shows this item
instead, which draws every edge as a line grouped by colour. Edges cannot be picked at that zoom (they
are a pixel wide); nodes still can.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from .edge_item import EdgeItem


class EdgeBatchItem(QGraphicsItem):
    def __init__(self, edges: Callable[[], Iterable[EdgeItem]]) -> None:
        super().__init__()
        self._edges = edges
        self._groups: list[tuple[QPen, list[QLineF]]] = []
        self._bounds = QRectF()
        self._dirty = True
        self.setZValue(0.0)
        self.setVisible(False)

    def mark_dirty(self) -> None:
        """Edges were added, removed or moved: regroup the lines before the next paint.

        Only flags the batch: the scene calls `flush()` once per gesture step or event-loop turn, so a
        move of N nodes regroups the lines once, not N times (that was quadratic: 12 s per mouse move
        with 2,000 nodes selected)."""
        self._dirty = True

    def flush(self) -> None:
        if self._dirty and self.isVisible():
            self._rebuild()
            self.update()

    def _rebuild(self) -> None:
        groups: dict[int, tuple[QPen, list[QLineF]]] = {}
        bounds = QRectF()
        for item in self._edges():
            pen = item.far_pen
            key = pen.color().rgba()
            groups.setdefault(key, (pen, []))[1].append(item.line)
            bounds = bounds.united(item.line_bounds())
        self._groups = list(groups.values())
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
        self._dirty = False

    def setVisible(self, visible: bool) -> None:  # noqa: N802 - Qt override
        if visible and self._dirty:
            self._rebuild()
        super().setVisible(visible)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        for pen, lines in self._groups:
            painter.setPen(pen)
            painter.drawLines(lines)
