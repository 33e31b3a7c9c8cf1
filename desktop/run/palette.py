"""Colours of run states in the run views: the shared status palette (the canvas uses it too) and log levels."""

from __future__ import annotations

from PySide6.QtGui import QColor

from ..status_palette import STATUS_COLOURS
from ..status_palette import status_colour as _status_colour

STATUS_COLORS: dict[str, str] = STATUS_COLOURS

LEVEL_COLORS: dict[str, str] = {
    "debug": "#8a94a6",
    "info": "",
    "warning": "#d97706",
    "error": "#e5484d",
}


def status_color(status: str) -> QColor:
    return QColor(_status_colour(status))
