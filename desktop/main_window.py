"""The editor window: canvas in the middle, palette left, inspector and pipeline right, problems and
history below, menus, toolbar and a status bar with zoom, counts and problems.

One `Document` lives as long as the window (opening a file loads into it), so the canvas, panels and
the run feature wire to it once. Extension points for other features: `menus` (by key, with an empty
"run"), `toolbar`, `add_dock`, `inspector.add_tab`/`node_shown`, `close_guards` (each must return True
to let the window close) and `document_replaced`. At the end of construction the run feature, when
installed, gets `install(window)`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import qtawesome as qta
import shiboken6
from nodeloom.core.model import Pipeline
from nodeloom.core.vocabulary import counted
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QShowEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QToolButton, QWidget

from .canvas import style as canvas_style
from .canvas.scene import NodeGraphScene
from .canvas.view import NodeGraphView
from .document import Document
from .edit_actions import EditActions
from .file_actions import FileActions
from .menus import build_menus, refresh_icons
from .panels.inspector import Inspector
from .panels.palette import Palette
from .panels.pipeline_panel import PipelinePanel
from .panels.problems import ProblemsPanel
from .panels.undo_view import HistoryView
from .settings import app_settings
from .theme import theme_manager

RUN_SUPPORT_MODULE = "nodeloom.desktop.run.controller"
DEFAULT_PIPELINE_NAME = Pipeline().name
PALETTE_WIDTH, RIGHT_WIDTH = 190, 360  # first-start dock widths: the canvas keeps the rest


def _dropped_files(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    mime = event.mimeData()
    if not mime.hasUrls():
        return []
    return [
        Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile() and u.toLocalFile().endswith(".json")
    ]


class MainWindow(QMainWindow):
    document_replaced = Signal(object)  # the Document, after New/Open changed its content wholesale

    def __init__(self, document: Document | None = None) -> None:
        super().__init__()
        self.setObjectName("nodeloomMainWindow")
        self.setWindowIcon(qta.icon("fa5s.project-diagram", color="#3d8fd6"))
        self.document = document or Document(Pipeline())
        self.close_guards: list[Callable[[], bool]] = []
        self.docks: dict[str, QDockWidget] = {}
        self.scene = NodeGraphScene(self.document)
        self.view = NodeGraphView(self.scene)
        self.setCentralWidget(self.view)

        self.palette_panel = Palette(self.document.registry)
        self.inspector = Inspector(self.document)
        self.pipeline_panel = PipelinePanel(self.document)
        self.problems_panel = ProblemsPanel(self.document)
        self.history = HistoryView(self.document)

        self.files = FileActions(self)
        self.edits = EditActions(self)
        self.menus, self.actions = build_menus(self)
        self.scene.node_menu_actions = [self.actions[k] for k in ("copy", "duplicate", "rename", "delete")]
        self._add_dock("palette", "Nodes", self.palette_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("inspector", "Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("pipeline", "Pipeline", self.pipeline_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("problems", "Problems", self.problems_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._add_dock("history", "Undo history", self.history, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.docks["inspector"], self.docks["pipeline"])
        self.tabifyDockWidget(self.docks["problems"], self.docks["history"])
        self.docks["inspector"].raise_()
        self.docks["problems"].raise_()
        self.resizeDocks(
            [self.docks["palette"], self.docks["inspector"]],
            [PALETTE_WIDTH, RIGHT_WIDTH],
            Qt.Orientation.Horizontal,
        )
        self.resizeDocks([self.docks["problems"]], [120], Qt.Orientation.Vertical)
        self._build_status_bar()
        self.setAcceptDrops(True)
        self.view.viewport().installEventFilter(self)

        doc = self.document
        if doc.parent() is None:
            doc.setParent(self)  # the window's document lives and dies with it
        doc.undo_stack.cleanChanged.connect(self._on_clean_changed)
        doc.path_changed.connect(self.update_title)
        doc.pipeline_changed.connect(self.update_title)
        doc.reset.connect(self.update_title)
        self.scene.selectionChanged.connect(self._on_selection_changed)
        self.problems_panel.node_activated.connect(self.reveal_node)
        self.palette_panel.type_activated.connect(self.add_node_at_centre)
        theme_manager().theme_changed.connect(self._on_theme_changed)
        self.resize(*default_window_size())
        self.update_title()
        self.run_support: object | None = None
        self.run_support_error: str | None = None
        if importlib.util.find_spec(RUN_SUPPORT_MODULE) is not None:
            self._install_run_support()
        self._restore_layout()  # last, so docks added by other features get their places back too

    def _install_run_support(self) -> None:
        """Install the run feature; if it fails to load, the editor still works and says why."""
        try:
            self.run_support = importlib.import_module(RUN_SUPPORT_MODULE).install(self)
        except Exception as exc:  # noqa: BLE001 - a broken optional feature must not take the editor down
            self.run_support_error = f"{type(exc).__name__}: {exc}"
            print(
                f"nodeloom: running from the editor is unavailable: {self.run_support_error}", file=sys.stderr
            )
            self.statusBar().showMessage(f"Running is unavailable: {self.run_support_error}", 15000)

    # -- docks -----------------------------------------------------------------------------------
    def _add_dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{key}")
        dock.setWidget(widget)
        self.docks[key] = dock
        self.add_dock(dock, area)
        return dock

    def add_dock(
        self, dock: QDockWidget, area: Qt.DockWidgetArea = Qt.DockWidgetArea.BottomDockWidgetArea
    ) -> None:
        """Add a dock (give it an objectName so its place is remembered) and its toggle in View > Panels."""
        if not dock.objectName():
            dock.setObjectName(f"dock_{dock.windowTitle().lower().replace(' ', '_')}")
        self.addDockWidget(area, dock)
        self.menus["panels"].addAction(dock.toggleViewAction())

    # -- status bar ------------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.counts_label = QLabel()
        self.problems_button = QToolButton()
        self.problems_button.setAutoRaise(True)
        self.problems_button.clicked.connect(self.show_problems_dock)
        self.zoom_label = QLabel("100%")
        self.zoom_label.setMinimumWidth(48)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        bar.addPermanentWidget(self.counts_label)
        bar.addPermanentWidget(self.problems_button)
        bar.addPermanentWidget(self.zoom_label)
        self._counts_timer = QTimer(self, singleShot=True, interval=0)
        self._counts_timer.timeout.connect(self.update_counts)
        doc = self.document
        for signal in (doc.node_added, doc.node_removed, doc.edge_added, doc.edge_removed, doc.reset):
            signal.connect(self._schedule_counts)
        doc.problems_changed.connect(self._show_problem_count)
        self.view.zoom_changed.connect(self._show_zoom)
        self.update_counts()
        self._show_problem_count(doc.problems)
        self._show_zoom(self.view.zoom())

    def _schedule_counts(self, *_args: object) -> None:
        self._counts_timer.start()

    def show_problems_dock(self) -> None:
        self.docks["problems"].show()
        self.docks["problems"].raise_()

    def update_counts(self) -> None:
        p = self.document.pipeline
        self.counts_label.setText(f"{counted(len(p.nodes), 'node')} · {counted(len(p.edges), 'edge')}")

    def _show_problem_count(self, problems: list) -> None:
        count = len(problems)
        self.problems_button.setText("no problems" if not count else f"{count} problem{'s' * (count != 1)}")
        color = "#3fa34d" if not count else "#d9534f"
        icon = "fa5s.check-circle" if not count else "fa5s.exclamation-circle"
        self.problems_button.setIcon(qta.icon(icon, color=color))
        self.problems_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.docks["problems"].setWindowTitle(f"Problems ({count})" if count else "Problems")

    def _show_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f}%")

    # -- view ------------------------------------------------------------------------------------
    def frame_all(self) -> None:
        """After open or auto-layout: readable framing (View > Frame All fits everything instead)."""
        self.view.frame_readable()

    def zoom_by(self, factor: float) -> None:
        self.view.set_zoom(self.view.zoom() * factor)

    def reset_zoom(self) -> None:
        self.view.set_zoom(1.0)

    def set_snap_to_grid(self, on: bool) -> None:
        self.scene.snap_to_grid = bool(on)

    def _on_clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)

    def _on_theme_changed(self, dark: bool) -> None:
        refresh_icons(self)
        self.scene.set_theme(canvas_style.current_theme(dark))
        self.view.minimap.rebuild()
        if self.inspector.node_id is not None:
            self.inspector.show_node(
                self.inspector.node_id, rebuild=True
            )  # its icons are drawn in the theme's colours

    def update_title(self, *_args: object) -> None:
        path = self.document.path
        name = path.name if path else "untitled"
        pipeline = self.document.pipeline.name
        # the pipeline's own name only when it says something the file name does not ("untitled" is the
        # default name of a new pipeline, not a name: "mine.json (untitled)" after Save As read as a bug)
        named = pipeline and pipeline != DEFAULT_PIPELINE_NAME
        suffix = f" ({pipeline})" if named and path and pipeline != path.stem else ""
        self.setWindowTitle(f"{name}[*]{suffix} — Nodeloom")
        self.setWindowFilePath(str(path) if path else "")
        self.setWindowModified(self.document.dirty)

    # -- selection -------------------------------------------------------------------------------
    def _on_selection_changed(self) -> None:
        if not shiboken6.isValid(self.scene) or not shiboken6.isValid(self.inspector):
            return  # the scene clears its selection while being destroyed at exit
        ids = self.scene.selected_node_ids()
        self.inspector.show_node(ids[0] if len(ids) == 1 else None)
        backdrops = self.scene.selected_backdrops()
        if not ids and len(backdrops) == 1:
            self.inspector.show_backdrop(backdrops[0])
        if len(ids) > 1:
            self.inspector.form.empty.setText(f"{len(ids)} nodes selected. Select one node to edit it.")
        else:
            self.inspector.form.empty.setText("Select one node to edit it.")

    def reveal_node(self, node_id: str) -> None:
        """Select a node and frame it (clicking a problem, for instance)."""
        self.scene.select_nodes([node_id])
        self.view.frame_selection()
        self.docks["inspector"].show()
        self.docks["inspector"].raise_()

    def add_node_at_centre(self, type_name: str) -> str:
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        node_id = self.document.add_node(type_name, (centre.x(), centre.y()))
        self.scene.select_nodes([node_id])
        return node_id

    # -- files dropped on the window -------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if _dropped_files(event):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        files = _dropped_files(event)
        if files:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.files.open(files[0]))
        else:
            super().dropEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Files dropped on the canvas open (the canvas itself handles node types dropped from the palette)."""
        drag_types = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)
        if event.type() in drag_types and _dropped_files(event):  # type: ignore[arg-type]
            if event.type() == QEvent.Type.Drop:
                self.dropEvent(event)  # type: ignore[arg-type]
            else:
                event.acceptProposedAction()  # type: ignore[attr-defined]
            return True
        return super().eventFilter(watched, event)

    # -- closing ---------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.files.may_replace():
            event.ignore()
            return
        self.files.autosaver.discard()
        self.files.autosaver.stop()
        settings = app_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        event.accept()

    def _restore_layout(self) -> None:
        settings = app_settings()
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        else:  # first start: once shown, give the canvas most of the window (docks added later ask for more)
            self._size_docks_on_show = True

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if getattr(self, "_size_docks_on_show", False):
            self._size_docks_on_show = False
            QTimer.singleShot(0, self._default_dock_sizes)  # after the first layout pass, or it is undone

    def _default_dock_sizes(self) -> None:
        """First start: the canvas gets most of the window. Side docks narrow, the bottom docks (tabified:
        Problems, Run, Logs, ...) about a fifth of the height; the canvas re-frames itself after."""
        width = self.width()
        palette_w = max(150, min(PALETTE_WIDTH, int(width * 0.13)))
        right_w = max(240, min(RIGHT_WIDTH, int(width * 0.25)))
        for area, size, orientation in (
            (Qt.DockWidgetArea.LeftDockWidgetArea, palette_w, Qt.Orientation.Horizontal),
            (Qt.DockWidgetArea.RightDockWidgetArea, right_w, Qt.Orientation.Horizontal),
            (Qt.DockWidgetArea.BottomDockWidgetArea, max(170, self.height() // 5), Qt.Orientation.Vertical),
        ):
            docks = [
                d
                for d in self.findChildren(QDockWidget)
                if self.dockWidgetArea(d) == area and d.isVisible() and not d.isFloating()
            ]
            if docks:  # one per area: the others are tabified with it or share its size
                self.resizeDocks(docks[:1], [size], orientation)


def default_window_size() -> tuple[int, int]:
    """90% of the screen, at most 1600x1000 (a fixed 1280x800 left a small canvas on big screens)."""
    screen = QGuiApplication.primaryScreen()
    if screen is None or QGuiApplication.platformName() == "offscreen":
        return 1280, 800  # the offscreen screen is a fictional 800x800: keep a desktop-sized window
    available = screen.availableGeometry()
    return min(1600, int(available.width() * 0.9)), min(1000, int(available.height() * 0.9))
