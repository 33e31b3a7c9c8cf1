"""What the run feature needs from the editor window, as small Protocols instead of `window: Any`.

The run views are installed into a window they do not import (the main window imports them, lazily),
and they must not reach into canvas internals (an import-linter contract): so they name the few
methods they call on the window, the scene and the canvas items here. Any object with these members
works, which is also how the tests drive parts of the run feature without a whole window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from nodeloom.core.model import Edge
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMenu, QStatusBar, QToolBar, QWidget

from ..document import Document


class RunNodeItem(Protocol):
    """A node on the canvas, as far as run state is concerned."""

    def set_run_state(
        self,
        status: str | None,
        progress: float | None = None,
        message: str = "",
        duration_s: float | None = None,
        error: str | None = None,
    ) -> None: ...

    def set_timing_overlay(self, visible: bool, fraction_of_max: float = 0.0) -> None: ...


class RunEdgeItem(Protocol):
    def set_value_preview(self, text: str | None) -> None: ...


class RunScene(Protocol):
    """The canvas scene: lookups, selection and the node context menu hook list."""

    node_context_menu_hooks: list[Callable[[str, QMenu], None]]

    def node_item(self, node_id: str) -> Any: ...  # RunNodeItem | None (Any: the scene returns its own type)

    def edge_item(self, edge: Edge) -> Any: ...  # RunEdgeItem | None

    def selected_node_ids(self) -> list[str]: ...

    def select_nodes(self, node_ids: Iterable[str]) -> None: ...


class InspectorTabs(Protocol):
    node_shown: Any  # Signal(object): node id or None

    def add_tab(self, widget: QWidget, title: str) -> int: ...


class RunHost(Protocol):
    """The editor window the run feature is installed into (see `controller.install`)."""

    document: Document
    scene: RunScene
    inspector: InspectorTabs
    menus: dict[str, QMenu]
    toolbar: QToolBar
    docks: dict[str, QDockWidget]
    close_guards: list[Callable[[], bool]]

    def add_dock(self, dock: QDockWidget, area: Qt.DockWidgetArea) -> None: ...

    def tabifyDockWidget(self, first: QDockWidget, second: QDockWidget) -> None: ...  # noqa: N802 - Qt

    def resizeDocks(
        self, docks: list[QDockWidget], sizes: list[int], orientation: Qt.Orientation
    ) -> None: ...  # noqa: N802

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt

    def reveal_node(self, node_id: str) -> None: ...
