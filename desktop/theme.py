"""Light and dark themes: Fusion style with a palette, following the system unless the user picks one.

`ThemeManager` reads the preference ("system", "light", "dark") from the settings, applies it, and
re-applies when the system scheme changes (`QStyleHints.colorSchemeChanged`). Everything else (the
canvas, the panels' status colours) takes its colours from the application palette, so a theme change
is one `setPalette` and `theme_changed` for views that cache colours.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

from .settings import app_settings

MODES = ("system", "light", "dark")
_KEY = "view/theme"


def _palette(dark: bool) -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    if dark:
        colors = {
            role.Window: "#2b2d31",
            role.WindowText: "#e6e6e6",
            role.Base: "#1f2023",
            role.AlternateBase: "#2f3136",
            role.ToolTipBase: "#37393f",
            role.ToolTipText: "#e6e6e6",
            role.PlaceholderText: "#8a8d93",
            role.Text: "#e6e6e6",
            role.Button: "#33353a",
            role.ButtonText: "#e6e6e6",
            role.BrightText: "#ff6b6b",
            role.Light: "#4a4d54",
            role.Midlight: "#3c3f45",
            role.Mid: "#2a2c30",
            role.Dark: "#18191b",
            role.Shadow: "#000000",
            role.Highlight: "#3d8fd6",
            role.HighlightedText: "#ffffff",
            role.Link: "#6cb4ff",
            role.LinkVisited: "#b48cff",
        }
        disabled = {role.WindowText: "#7a7d83", role.Text: "#7a7d83", role.ButtonText: "#7a7d83"}
    else:
        colors = {
            role.Window: "#f3f3f5",
            role.WindowText: "#1e1f22",
            role.Base: "#ffffff",
            role.AlternateBase: "#f0f1f4",
            role.ToolTipBase: "#ffffe1",
            role.ToolTipText: "#1e1f22",
            role.PlaceholderText: "#80848c",
            role.Text: "#1e1f22",
            role.Button: "#eceef1",
            role.ButtonText: "#1e1f22",
            role.BrightText: "#c62828",
            role.Light: "#ffffff",
            role.Midlight: "#e3e5e9",
            role.Mid: "#b8bcc4",
            role.Dark: "#9da1a9",
            role.Shadow: "#5f6368",
            role.Highlight: "#2f7ed8",
            role.HighlightedText: "#ffffff",
            role.Link: "#1a66c2",
            role.LinkVisited: "#7b3fc4",
        }
        disabled = {role.WindowText: "#a0a4ab", role.Text: "#a0a4ab", role.ButtonText: "#a0a4ab"}
    for r, color in colors.items():
        p.setColor(r, QColor(color))
    for r, color in disabled.items():
        p.setColor(group.Disabled, r, QColor(color))
    return p


def system_is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


class ThemeManager(QObject):
    """Applies the chosen theme to the application and keeps following the system when asked to."""

    theme_changed = Signal(bool)  # dark?

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app
        self.dark = False
        self._applying = False
        style = QStyleFactory.create("Fusion")
        if style is not None:
            app.setStyle(style)
        stored = app_settings().value(_KEY, "system")
        self.mode = stored if stored in MODES else "system"
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_system_changed)
        self.apply()

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"theme must be one of {', '.join(MODES)}")
        self.mode = mode
        app_settings().setValue(_KEY, mode)
        self.apply()

    def apply(self) -> None:
        hints = QGuiApplication.styleHints()
        self._applying = True
        try:
            # tell Qt too, so native dialogs and anything asking styleHints() agree with the choice
            if self.mode == "system":
                hints.unsetColorScheme()
            else:
                hints.setColorScheme(Qt.ColorScheme.Dark if self.mode == "dark" else Qt.ColorScheme.Light)
        finally:
            self._applying = False
        dark = system_is_dark() if self.mode == "system" else self.mode == "dark"
        self.dark = dark
        self.app.setPalette(_palette(dark))
        self.theme_changed.emit(dark)

    def _on_system_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self.mode == "system" and not self._applying:
            self.apply()


_manager: ThemeManager | None = None


def theme_manager() -> ThemeManager:
    """The application's theme manager (created on first use, once a QApplication exists)."""
    global _manager
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("create the QApplication first")
    if _manager is None or _manager.app is not app:
        _manager = ThemeManager(app)
    return _manager


class _ChartThemeHook(QObject):
    """Lives as a child of one chart, so the theme connection ends with the chart."""

    def __init__(self, view: QWidget, legend: Any = None) -> None:
        super().__init__(view)
        self.setObjectName(CHART_HOOK)
        self.view, self.legend = view, legend
        self.apply()
        if _manager is not None:  # the editor creates it first; a bare chart (tests) keeps the palette
            _manager.theme_changed.connect(self.apply)

    def apply(self, _dark: bool | None = None) -> None:
        import pyqtgraph as pg  # here: the theme module must not pull pyqtgraph into every import

        palette = QApplication.palette()
        background = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        axis = palette.color(QPalette.ColorRole.PlaceholderText)
        self.view.setBackground(background)
        scene = self.view.scene()
        items = scene.items() if scene is not None else []
        for plot in [i for i in items if isinstance(i, pg.PlotItem)]:  # also plots added since
            for name in ("left", "bottom", "right", "top"):
                item = plot.getAxis(name)
                item.setPen(pg.mkPen(axis))
                item.setTextPen(pg.mkPen(text))
            plot.titleLabel.setAttr("color", text.name())
            legend = plot.legend
            if legend is not None:
                legend.setLabelTextColor(text)
        if self.legend is not None:
            self.legend.setLabelTextColor(text)


CHART_HOOK = "nodeloomChartTheme"


def theme_chart(view: QWidget, legend: Any = None) -> None:
    """Colour a pyqtgraph chart (a GraphicsView: its background, every plot's axes and legends) from the
    application palette, now and after every theme change: run charts call this once when built, and
    `retheme_chart` after adding a plot."""
    _ChartThemeHook(view, legend)


def retheme_chart(view: QWidget) -> None:
    hook = view.findChild(_ChartThemeHook, CHART_HOOK)
    if hook is not None:
        hook.apply()
