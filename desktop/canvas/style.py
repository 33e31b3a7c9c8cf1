"""The canvas look: light and dark palettes, port-type colours, category icons, fonts and node geometry.

Everything a paint() needs is built once here and shared (fonts, pens, brushes, icon pixmaps), because
constructing QFont/QPen per paint is what makes a 3,000-node canvas stutter. The theme follows the
application palette / `QGuiApplication.styleHints().colorScheme()`; `current_theme()` re-reads it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

import qtawesome as qta
from nodeloom.core.node_types import NodeType
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QGuiApplication, QPalette, QPixmap

from ..status_palette import NODE_STATUS_COLOURS

# geometry shared by items, layout and render (scene units)
NODE_WIDTH = 200.0
HEADER_HEIGHT = 42.0  # icon + label, type below
ROW_HEIGHT = 20.0
NODE_PADDING = 8.0
PORT_RADIUS = 5.5
CORNER = 6.0
GRID = 20.0
LOD_SIMPLE = 0.42  # below this zoom level nodes are plain rectangles
LOD_TEXT = 0.6  # below this zoom port names and inline values are hidden

CATEGORY_ICONS: dict[str, str] = {
    "data": "fa5s.database",
    "ml": "fa5s.brain",
    "math": "fa5s.calculator",
    "text": "fa5s.font",
    "util": "fa5s.tools",
    "python": "fa5b.python",
}
FALLBACK_ICON = "fa5s.cube"

PORT_COLOURS: dict[str, str] = {
    "int": "#4e8fe6",
    "float": "#2fb3c4",
    "bool": "#e69a3c",
    "str": "#5fb85b",
    "path": "#3e9e79",
    "list": "#9b6ad6",
    "dict": "#d462a6",
    "bytes": "#8c7a5b",
    "any": "#8a94a6",
    "numpy.ndarray": "#e0634f",
    # the AI node library's values (core/port_types.py)
    "table": "#2f8fc9",
    "series": "#7c8fd8",
    "model": "#8e5cd0",
    "transformer": "#b07cd8",
    "figure": "#d9883a",
}

CATEGORY_COLOURS: dict[str, str] = {
    "data": "#3b82c4",
    "ml": "#8e5cd0",
    "math": "#2e9e8f",
    "text": "#4f9c45",
    "util": "#c98a2b",
    "python": "#3a73a8",
    "features": "#2b9bb3",
    "models": "#8e5cd0",
    "tuning": "#b5527a",
    "evaluation": "#c0563f",
}

STATUS_COLOURS: dict[str, str] = {str(k): v for k, v in NODE_STATUS_COLOURS.items()}  # shared with the charts


def node_size(n_inputs: int, n_outputs: int) -> tuple[float, float]:
    """A node's width and height in scene units from its port counts (also the auto-layout's input)."""
    rows = max(n_inputs, n_outputs, 1)
    return NODE_WIDTH, HEADER_HEIGHT + rows * ROW_HEIGHT + NODE_PADDING


@lru_cache(maxsize=256)
def port_colour(port_type: str) -> QColor:
    known = PORT_COLOURS.get(port_type)
    if known:
        return QColor(known)
    hue = int(hashlib.md5(port_type.encode()).hexdigest()[:4], 16) % 360
    return QColor.fromHsl(hue, 150, 120)


def category_colour(category: str) -> QColor:
    return QColor(CATEGORY_COLOURS.get(category, CATEGORY_COLOURS["python"]))


def icon_name(node_type: NodeType | None) -> str:
    if node_type is None:
        return "fa5s.question-circle"
    return node_type.icon or CATEGORY_ICONS.get(node_type.category, FALLBACK_ICON)


@lru_cache(maxsize=256)
def icon_pixmap(name: str, colour: str, size: int = 32) -> QPixmap:
    """A qtawesome icon rendered once (at twice the painted size, for crisp zoom-in)."""
    try:
        icon = qta.icon(name, color=colour)
    except Exception:  # noqa: BLE001 - an unknown icon name on a plug-in type must not break the canvas
        icon = qta.icon(FALLBACK_ICON, color=colour)
    return icon.pixmap(QSize(size, size))


@dataclass
class Theme:
    dark: bool
    background: QColor
    grid_minor: QColor
    grid_major: QColor
    node_body: QColor
    node_header: QColor
    node_border: QColor
    text: QColor
    text_dim: QColor
    value_text: QColor
    selection: QColor
    error: QColor = field(default_factory=lambda: QColor("#e5484d"))
    warning: QColor = field(default_factory=lambda: QColor("#f0a030"))
    edge_alpha: int = 200
    title_font: QFont = field(default_factory=QFont)
    small_font: QFont = field(default_factory=QFont)
    port_font: QFont = field(default_factory=QFont)
    badge_font: QFont = field(default_factory=QFont)
    port_metrics: QFontMetricsF = field(init=False)
    title_metrics: QFontMetricsF = field(init=False)

    def __post_init__(self) -> None:
        self.title_font.setPointSizeF(9.5)
        self.title_font.setBold(True)
        self.small_font.setPointSizeF(7.5)
        self.port_font.setPointSizeF(8.0)
        self.badge_font.setPointSizeF(7.0)
        self.badge_font.setBold(True)
        self.port_metrics = QFontMetricsF(self.port_font)
        self.title_metrics = QFontMetricsF(self.title_font)


def light_theme() -> Theme:
    return Theme(
        dark=False,
        background=QColor("#f4f5f7"),
        grid_minor=QColor("#e8eaee"),
        grid_major=QColor("#dadde3"),
        node_body=QColor("#ffffff"),
        node_header=QColor("#f0f2f5"),
        node_border=QColor("#b9bfc9"),
        text=QColor("#1f2430"),
        text_dim=QColor("#6b7280"),
        value_text=QColor("#2d5fa0"),
        selection=QColor("#f59e0b"),
    )


def dark_theme() -> Theme:
    return Theme(
        dark=True,
        background=QColor("#1e2127"),
        grid_minor=QColor("#252931"),
        grid_major=QColor("#2e333c"),
        node_body=QColor("#2b2f37"),
        node_header=QColor("#343944"),
        node_border=QColor("#4a505c"),
        text=QColor("#e6e8ec"),
        text_dim=QColor("#9aa1ad"),
        value_text=QColor("#8cc4ff"),
        selection=QColor("#fbbf24"),
    )


def system_is_dark() -> bool:
    app = QGuiApplication.instance()
    if app is None:
        return False
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128


def current_theme(dark: bool | None = None) -> Theme:
    """The theme for `dark`, or the one matching the system when None."""
    return dark_theme() if (system_is_dark() if dark is None else dark) else light_theme()
