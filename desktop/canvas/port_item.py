"""A port on a node: its name, type, side and where it sits, plus the short text drawn beside it.

Ports are painted by their `NodeItem` and hit-tested through it (`NodeItem.port_at`), not separate
QGraphicsItems: a 3,000-node pipeline has ~9,000 ports, and one child item each would triple the
number of items the scene indexes and paints on every pan frame.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from nodeloom.core.model import UNSET
from nodeloom.core.node_types import NO_DEFAULT, PortSpec
from nodeloom.core.vocabulary import clip, param_ref
from PySide6.QtCore import QPointF, QRectF

from .style import HEADER_HEIGHT, NODE_WIDTH, PORT_RADIUS, ROW_HEIGHT

INPUT = "in"
OUTPUT = "out"
MAX_VALUE_CHARS = 18


@dataclass
class PortItem:
    name: str
    kind: str  # INPUT | OUTPUT
    type: str
    row: int
    many: bool = False
    description: str = ""
    connected: bool = False
    value_text: str = ""  # inline value of an unconnected input ("" when none or too long)
    value_is_default: bool = False
    spec: PortSpec | None = field(default=None, repr=False)

    @property
    def is_input(self) -> bool:
        return self.kind == INPUT

    def local_pos(self, width: float = NODE_WIDTH) -> QPointF:
        """The port's centre in its node's coordinates."""
        y = HEADER_HEIGHT + (self.row + 0.5) * ROW_HEIGHT
        return QPointF(0.0 if self.is_input else width, y)

    def hit_rect(self, width: float = NODE_WIDTH) -> QRectF:
        """Where a press grabs this port: the dot and a little of its label, generous for small zoom."""
        centre = self.local_pos(width)
        reach = PORT_RADIUS + 5
        if self.is_input:
            return QRectF(centre.x() - reach, centre.y() - ROW_HEIGHT / 2, reach + 22, ROW_HEIGHT)
        return QRectF(centre.x() - 22, centre.y() - ROW_HEIGHT / 2, reach + 22, ROW_HEIGHT)

    def tooltip(self) -> str:
        kind = "input" if self.is_input else "output"
        extra = " (takes many)" if self.many else ""
        text = f"{self.name}: {self.type} {kind}{extra}"
        return f"{text}\n{self.description}" if self.description else text


def inline_value(spec: PortSpec, params: dict[str, Any]) -> tuple[str, bool]:
    """The text shown beside an unconnected input: its param (`$name` for a reference) or its default.

    Returns (text, is_default); text is "" when there is nothing short enough to show.
    """
    value = params.get(spec.name, UNSET)
    is_default = False
    if value is UNSET:
        if spec.default is NO_DEFAULT:
            return "", False
        value, is_default = spec.default, True
    ref = param_ref(value)
    if ref is not None:
        return "$" + ref, False
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            text = repr(value)
    if len(text) > MAX_VALUE_CHARS:
        if isinstance(value, list):
            return f"[{len(value)} items]", is_default
        if isinstance(value, dict):
            return f"{{{len(value)} keys}}", is_default
        return clip(text, MAX_VALUE_CHARS), is_default
    return text, is_default
