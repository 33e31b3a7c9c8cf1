"""Icons from qtawesome drawn in the current theme's text colour.

qtawesome caches icons by name and options, so an icon asked for without a colour keeps the colour
of the theme it was first drawn in; passing the palette's colour explicitly makes a theme switch
(followed by re-asking for the icons) give icons that stay visible on the new background.
"""

from __future__ import annotations

import qtawesome as qta
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication


def text_colour() -> QColor:
    return QApplication.palette().color(QPalette.ColorRole.WindowText)


def themed_icon(name: str, color: str | QColor | None = None) -> QIcon:
    """The qtawesome icon `name` in `color`, by default the theme's text colour."""
    return qta.icon(name, color=color if color is not None else text_colour())
