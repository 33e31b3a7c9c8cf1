"""How a `NodeItem` is drawn, at two levels of detail, with pens, brushes and paths cached by value.

`paint_simple` (zoomed far out) is one filled rectangle: no text, ports or icons. `paint_detail` draws
the header (category icon, label, type or the running message), the ports coloured by type with inline
values, and the run decorations (status dot or progress ring, progress bar, duration badge, stale
hatching, timing bar). Below `LOD_TEXT` the port labels are skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen

from . import style

if TYPE_CHECKING:
    from .node_item import NodeItem

_pens: dict[tuple[int, float, bool], QPen] = {}
_brushes: dict[tuple[int, int], QBrush] = {}
_header_paths: dict[float, QPainterPath] = {}
NO_PEN = QPen(Qt.PenStyle.NoPen)
ALIGN_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
ALIGN_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ALIGN_CENTRE = Qt.AlignmentFlag.AlignCenter


def pen(colour: QColor, width: float = 1.0, dashed: bool = False) -> QPen:
    key = (colour.rgba(), width, dashed)
    found = _pens.get(key)
    if found is None:
        found = _pens[key] = QPen(colour, width)
        if dashed:
            found.setStyle(Qt.PenStyle.DashLine)
    return found


def brush(colour: QColor, pattern: Qt.BrushStyle = Qt.BrushStyle.SolidPattern) -> QBrush:
    key = (colour.rgba(), int(pattern.value))
    found = _brushes.get(key)
    if found is None:
        found = _brushes[key] = QBrush(colour, pattern)
    return found


def with_alpha(colour: QColor, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


def header_path(width: float) -> QPainterPath:
    path = _header_paths.get(width)
    if path is None:
        rounded = QPainterPath()
        rounded.addRoundedRect(
            QRectF(0, 0, width, style.HEADER_HEIGHT + style.CORNER), style.CORNER, style.CORNER
        )
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, width, style.HEADER_HEIGHT))
        path = _header_paths[width] = rounded.intersected(clip)
    return path


def fill_colour(item: NodeItem) -> QColor:
    """The one colour a node is drawn with when zoomed far out."""
    if item.isSelected():
        return item.theme.selection
    problem = item.problem_colour()
    if problem is not None:
        return problem
    if item.run_status is not None:
        return status_colour(item)
    return style.category_colour(item.category)


def paint_simple(item: NodeItem, painter: QPainter) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    painter.setPen(NO_PEN)
    painter.setBrush(brush(fill_colour(item)))
    painter.drawRect(item.body)
    if item.timing_visible:
        _paint_timing(item, painter)


def paint_detail(item: NodeItem, painter: QPainter, lod: float) -> None:
    theme = item.theme
    body, w, h = item.body, item.width, item.height
    emphasised = item.isSelected() or item.problems or item.run_status in ("failed", "running")
    border = pen(item.border_pen_colour(), 2.2 if emphasised else 1.2, dashed=item.disabled)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(border)
    body_colour = theme.node_body
    if item.run_status == "failed":
        body_colour = QColor(body_colour).darker(103) if theme.dark else QColor("#fff4f4")
    painter.setBrush(brush(body_colour))
    painter.drawRoundedRect(body, style.CORNER, style.CORNER)
    painter.setPen(NO_PEN)
    painter.setBrush(brush(theme.node_header))
    painter.drawPath(header_path(w))
    category = style.category_colour(item.category)
    painter.setBrush(brush(category))
    painter.drawRect(QRectF(0.6, 10, 3, style.HEADER_HEIGHT - 20))
    painter.setPen(pen(with_alpha(theme.node_border, 140), 1.0))
    painter.drawLine(QPointF(0.5, style.HEADER_HEIGHT), QPointF(w - 0.5, style.HEADER_HEIGHT))

    pixmap = style.icon_pixmap(style.icon_name(item.node_type), category.name())
    painter.drawPixmap(QRectF(11, 11, 18, 18), pixmap, QRectF(pixmap.rect()))
    _paint_status_dot(item, painter)
    painter.setFont(theme.title_font)
    painter.setPen(pen(theme.text))
    painter.drawText(QRectF(36, 5, title_room(item), 18), ALIGN_LEFT, title_text(item))
    # the duration badge sits on the second line, so a node that has run keeps its full title
    sub_width = w - 38 - 8 - _paint_badge(item, painter)
    painter.setFont(theme.small_font)
    if item.run_status == "running" and item.run_message:
        painter.setPen(pen(QColor(style.STATUS_COLOURS["running"])))
        sub = item.run_message
    else:
        painter.setPen(pen(theme.text_dim))
        sub = item.type_text
    painter.drawText(QRectF(36, 22, sub_width, 14), ALIGN_LEFT, _elide(theme, sub, sub_width))

    _paint_ports(item, painter, lod >= style.LOD_TEXT)
    if item.run_status == "running" and item.run_progress is not None:
        painter.setPen(NO_PEN)
        painter.setBrush(brush(with_alpha(QColor(style.STATUS_COLOURS["running"]), 60)))
        painter.drawRect(QRectF(2, h - 5, w - 4, 3))
        painter.setBrush(brush(QColor(style.STATUS_COLOURS["running"])))
        painter.drawRect(QRectF(2, h - 5, (w - 4) * item.run_progress, 3))
    if item.stale:
        painter.setPen(NO_PEN)
        painter.setBrush(brush(with_alpha(theme.text_dim, 70), Qt.BrushStyle.BDiagPattern))
        painter.drawRoundedRect(body, style.CORNER, style.CORNER)
    if item.timing_visible:
        _paint_timing(item, painter)


def title_room(item: NodeItem) -> float:
    """Width left for the title: the header minus the icon and the status dot (the badge is below)."""
    return item.width - 38 - (26.0 if item.run_status is not None else 0.0)


def title_text(item: NodeItem) -> str:
    """The title as painted (elided only when the label itself is too long for the node)."""
    return item.theme.title_metrics.elidedText(item.label, Qt.TextElideMode.ElideRight, title_room(item))


def _elide(theme: style.Theme, text: str, width: float) -> str:
    return theme.port_metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)


def _paint_ports(item: NodeItem, painter: QPainter, with_text: bool) -> None:
    theme = item.theme
    w = item.width
    r = style.PORT_RADIUS
    for port in item.inputs + item.outputs:
        centre = port.local_pos(w)
        colour = style.port_colour(port.type)
        hovered = port is item.hover_port
        painter.setPen(pen(colour.darker(130) if port.connected else colour, 1.8))
        painter.setBrush(brush(colour if port.connected else theme.node_body))
        radius = r + 1.5 if hovered else r
        if port.many:
            painter.drawRoundedRect(
                QRectF(centre.x() - radius, centre.y() - radius, 2 * radius, 2 * radius), 2, 2
            )
        else:
            painter.drawEllipse(centre, radius, radius)
    if not with_text:
        return
    painter.setFont(theme.port_font)
    metrics = theme.port_metrics
    output_width = {p.row: metrics.horizontalAdvance(p.name) for p in item.outputs}
    for port in item.inputs:
        y = style.HEADER_HEIGHT + port.row * style.ROW_HEIGHT
        room = w - 24 - (min(output_width[port.row], w / 2 - 14) + 10 if port.row in output_width else 0)
        name_width = min(metrics.horizontalAdvance(port.name), room)
        painter.setPen(pen(theme.text))
        painter.drawText(QRectF(12, y, room, style.ROW_HEIGHT), ALIGN_LEFT, _elide(theme, port.name, room))
        if port.value_text and room - name_width > 24:
            value_room = room - name_width - 8
            colour = theme.text_dim if port.value_is_default else theme.value_text
            painter.setPen(pen(colour))
            painter.drawText(
                QRectF(12 + name_width + 8, y, value_room, style.ROW_HEIGHT),
                ALIGN_LEFT,
                _elide(theme, port.value_text, value_room),
            )
    painter.setPen(pen(theme.text))
    for port in item.outputs:
        y = style.HEADER_HEIGHT + port.row * style.ROW_HEIGHT
        room = w / 2 - 14
        painter.drawText(
            QRectF(w - 12 - room, y, room, style.ROW_HEIGHT), ALIGN_RIGHT, _elide(theme, port.name, room)
        )


def status_colour(item: NodeItem) -> QColor:
    """The run status colour; a stale result (inputs changed since) is dimmed, never green."""
    if item.stale and item.run_status in ("succeeded", "cached"):
        return QColor(item.theme.text_dim)
    return QColor(style.STATUS_COLOURS[item.run_status or "pending"])


def _paint_status_dot(item: NodeItem, painter: QPainter) -> None:
    """Status dot or progress ring at the header's right (inside the room `title_room` leaves)."""
    status = item.run_status
    if status is None:
        return
    colour = status_colour(item)
    centre = QPointF(item.width - 15, 14)
    if status == "running":
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(pen(with_alpha(colour, 70), 2.6))
        painter.drawEllipse(centre, 6, 6)
        painter.setPen(pen(colour, 2.6))
        fraction = item.run_progress if item.run_progress is not None else 0.25
        painter.drawArc(
            QRectF(centre.x() - 6, centre.y() - 6, 12, 12), 90 * 16, int(-360 * 16 * max(fraction, 0.04))
        )
    else:
        painter.setPen(NO_PEN)
        painter.setBrush(brush(colour))
        painter.drawEllipse(centre, 5, 5)
        if status == "failed":
            painter.setPen(pen(QColor("white"), 1.6))
            painter.drawLine(
                QPointF(centre.x() - 2.2, centre.y() - 2.2), QPointF(centre.x() + 2.2, centre.y() + 2.2)
            )
            painter.drawLine(
                QPointF(centre.x() - 2.2, centre.y() + 2.2), QPointF(centre.x() + 2.2, centre.y() - 2.2)
            )


def badge_text(item: NodeItem) -> str | None:
    """What the badge says: "cached" for a cached result, the duration for a finished node, "stale"
    when its inputs changed since; None while running or before any run."""
    status = item.run_status
    if status is None or status == "running":
        return None
    if item.stale:
        return "stale"
    if status == "cached":
        return "cached"
    if item.run_duration_s is None:
        return None
    return duration_text(item.run_duration_s)


def _paint_badge(item: NodeItem, painter: QPainter) -> float:
    """The badge at the right of the second header line; returns the width used."""
    text = badge_text(item)
    if text is None:
        return 0.0
    colour = status_colour(item)
    painter.setFont(item.theme.badge_font)
    badge_w = item.theme.port_metrics.horizontalAdvance(text) + 10
    rect = QRectF(item.width - 8 - badge_w, 23, badge_w, 13)
    painter.setPen(NO_PEN)
    painter.setBrush(brush(with_alpha(colour, 45)))
    painter.drawRoundedRect(rect, 6.5, 6.5)
    painter.setPen(pen(colour.darker(125) if not item.theme.dark else colour.lighter(130)))
    painter.drawText(rect, ALIGN_CENTRE, text)
    return badge_w + 4


def duration_text(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def _paint_timing(item: NodeItem, painter: QPainter) -> None:
    track = QRectF(0, item.height + 5, item.width, 7)
    painter.setPen(NO_PEN)
    painter.setBrush(brush(with_alpha(item.theme.text_dim, 50)))
    painter.drawRoundedRect(track, 3, 3)
    painter.setBrush(brush(QColor("#f08c2e")))
    painter.drawRoundedRect(
        QRectF(track.x(), track.y(), max(3.0, track.width() * item.timing_fraction), 7), 3, 3
    )
