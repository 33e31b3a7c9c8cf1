"""The canvas widget: zoom and pan, framing, keyboard, palette drops and the quick-add popup.

Wheel zooms around the cursor; middle drag or space+drag pans; F frames the selection (or everything);
Del/Backspace deletes the selection (nodes, edges and backdrops); Tab or a double-click on empty canvas
opens quick add at the cursor; F and Del are QActions scoped to the canvas (`canvas_actions`) that the
menus reuse, so each key has exactly one binding in the window (a second one makes Qt drop the key as an
"ambiguous shortcut");
a palette drag (mime `application/x-nodeloom-node-type`, text = type name) adds the node where it is
dropped. A wire dropped on empty canvas opens quick add listing only the types that fit and connects the
new node in the same undo step. A minimap sits in the bottom-right corner.
"""

from __future__ import annotations

from collections.abc import Callable

from nodeloom.core.connections import accepting_inputs, providing_outputs
from nodeloom.core.node_types import NodeType, PortSpec
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QCursor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView

from . import style
from .minimap import Minimap, corner_position
from .node_item import NodeItem
from .port_item import OUTPUT
from .quick_add import QuickAddPopup
from .scene import NodeGraphScene
from .wire_drag import WireEnd

NODE_TYPE_MIME = "application/x-nodeloom-node-type"
MIN_ZOOM, MAX_ZOOM = 0.03, 4.0
READABLE_ZOOM = 0.75  # titles (9.5 pt) are about 9 px high here: the least an opened file is shown at
OVERVIEW_BELOW = READABLE_ZOOM / 4  # fits only below this (4+ screens across at 75%): opens as an overview
EMPTY_HINT = (
    "Drag a node from the Nodes panel onto the canvas",
    "or press Tab here to search node types",
    "or open an example: Help › Open Example",
)


class NodeGraphView(QGraphicsView):
    zoom_changed = Signal(float)

    def __init__(self, scene: NodeGraphScene) -> None:
        super().__init__(scene)
        self.graph_scene = scene
        self.document = scene.document
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlags(
            QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing
            | QGraphicsView.OptimizationFlag.DontSavePainterState
        )
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self._pan_from: QPoint | None = None
        self._auto_frame: Callable[[], None] | None = None  # re-run on resize until the user takes over
        self._space = False
        self.quick_add = QuickAddPopup(self)
        self.quick_add.chosen.connect(self._on_quick_add_chosen)
        self._quick_add_at = QPointF()
        self._quick_add_wire: WireEnd | None = None
        self.minimap = Minimap(self, scene)
        scene.wire_released.connect(self._on_wire_released)
        doc = scene.document
        for signal in (doc.node_added, doc.node_removed, doc.reset):
            signal.connect(self._on_node_count_changed)
        self.delete_action = self._canvas_action(
            "De&lete",
            ["Delete", "Backspace"],
            scene.delete_selection,
            "Delete the selected nodes, wires and groups",
        )
        self.frame_selection_action = self._canvas_action(
            "&Frame Selection", ["F"], self.frame_selection, "Frame the selection (everything when none)"
        )

    def _canvas_action(self, text: str, keys: list[str], slot: Callable[[], object], tip: str) -> QAction:
        """An action whose keys work while the canvas has focus, never in a text field elsewhere.

        Keys are spelled out, not `QKeySequence.StandardKey.Delete`: on X11 that also means Ctrl+D,
        which then collides with Duplicate."""
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    # -- zoom and framing -------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        self._auto_frame = None
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        self.scale(factor / self.zoom(), factor / self.zoom())
        self._zoomed()

    def _zoomed(self) -> None:
        self.graph_scene.set_far(self.zoom() < style.LOD_SIMPLE)
        self.zoom_changed.emit(self.zoom())
        self.minimap.follow_view()

    def setTransform(self, matrix: QTransform, combine: bool = False) -> None:  # noqa: N802 - Qt override
        super().setTransform(matrix, combine)
        self._zoomed()

    def resetTransform(self) -> None:  # noqa: N802 - Qt override
        super().resetTransform()
        self._zoomed()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            return
        self._auto_frame = None
        target = max(MIN_ZOOM, min(MAX_ZOOM, self.zoom() * 1.0015**delta))
        step = target / self.zoom()
        self.scale(step, step)
        self._zoomed()
        event.accept()

    def _frame(self, rect: QRectF, max_zoom: float = 1.5) -> None:
        if rect.isNull():
            return
        margin = max(40.0, 0.04 * max(rect.width(), rect.height()))
        self.fitInView(rect.adjusted(-margin, -margin, margin, margin), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > max_zoom:
            self.set_zoom(max_zoom)
        self._zoomed()

    def _content_rect(self) -> QRectF:
        rect = QRectF()
        for item in self.graph_scene.node_items() + self.graph_scene.backdrop_items():
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def frame_all(self) -> None:
        """Fit everything (View > Frame All, Home): the user asked for the whole picture."""
        self._auto_frame = None
        self._frame(self._content_rect())

    def fit_zoom(self, rect: QRectF) -> float:
        margin = max(40.0, 0.04 * max(rect.width(), rect.height()))
        port = self.viewport().rect()
        return min(port.width() / (rect.width() + 2 * margin), port.height() / (rect.height() + 2 * margin))

    def frame_readable(self) -> None:
        """How a pipeline is shown when it opens: all of it when that is readable (zoom >= 75%, at most
        100%); when it would fit only at an unreadable zoom, readable and aligned on its left (where the
        sources are) with the minimap showing the rest; a huge pipeline that fits only far out
        (< 19%: four screens or more across) opens as an overview. Re-applied when the window settles its size, until the user
        zooms, pans or clicks."""
        rect = self._content_rect()
        if rect.isNull():
            return
        fit = self.fit_zoom(rect)
        if fit >= READABLE_ZOOM or fit < OVERVIEW_BELOW:
            self._frame(rect, max_zoom=1.0)
        else:
            self.set_zoom(READABLE_ZOOM)
            port = self.viewport().rect()
            half_w, half_h = port.width() / 2 / READABLE_ZOOM, port.height() / 2 / READABLE_ZOOM
            margin = 40.0
            x = rect.left() - margin + half_w
            y = rect.center().y()
            if rect.height() + 2 * margin > 2 * half_h:  # too tall too: centre on the leftmost node
                first = min(self.graph_scene.node_items(), key=lambda i: i.sceneBoundingRect().left())
                low, high = rect.top() - margin + half_h, rect.bottom() + margin - half_h
                y = max(low, min(high, first.sceneBoundingRect().center().y()))
            self.centerOn(QPointF(x, y))
            self._zoomed()
        self._auto_frame = self.frame_readable

    def frame_selection(self) -> None:
        rect = QRectF()
        for item in self.graph_scene.selectedItems():
            rect = rect.united(item.sceneBoundingRect())
        if rect.isNull():
            self.frame_all()
        else:
            self._frame(rect)

    # -- keyboard ---------------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Tab
        ):
            self.open_quick_add()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
            self.setInteractive(False)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
            self.setInteractive(True)
        else:
            super().keyReleaseEvent(event)

    # -- mouse: middle-button pan, double-click quick add ------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._auto_frame = None
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._pan_from is not None:
            pos = event.position().toPoint()
            delta = pos - self._pan_from
            self._pan_from = pos
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.MiddleButton and self._pan_from is not None:
            self._pan_from = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        scene_pos = self.mapToScene(event.position().toPoint())
        if (
            event.button() == Qt.MouseButton.LeftButton
            and self.graph_scene.node_at(scene_pos) is None
            and self.graph_scene.backdrop_at(scene_pos) is None  # a backdrop title renames instead
        ):
            self.open_quick_add(scene_pos)
            return
        super().mouseDoubleClickEvent(event)

    # -- palette drops ----------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(NODE_TYPE_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasFormat(NODE_TYPE_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        mime = event.mimeData()
        if not mime.hasFormat(NODE_TYPE_MIME):
            event.ignore()
            return
        type_name = bytes(mime.data(NODE_TYPE_MIME).data()).decode("utf-8").strip() or mime.text().strip()
        scene_pos = self.mapToScene(event.position().toPoint())
        self.add_node_at(type_name, scene_pos)
        event.acceptProposedAction()

    def add_node_at(self, type_name: str, scene_pos: QPointF) -> str:
        """Add a node with its header centred under `scene_pos` (snapped when grid snap is on); select it."""
        x, y = scene_pos.x() - style.NODE_WIDTH / 2, scene_pos.y() - 14
        if self.graph_scene.snap_to_grid:
            x, y = round(x / style.GRID) * style.GRID, round(y / style.GRID) * style.GRID
        node_id = self.document.add_node(type_name, (x, y))
        self.graph_scene.select_nodes([node_id])
        return node_id

    # -- quick add --------------------------------------------------------------------------------
    def open_quick_add(self, scene_pos: QPointF | None = None) -> None:
        """Open the fuzzy-search popup of every node type at `scene_pos` (default: the cursor)."""
        if scene_pos is None:
            local = self.viewport().mapFromGlobal(QCursor.pos())
            if not self.viewport().rect().contains(local):
                local = self.viewport().rect().center()
            scene_pos = self.mapToScene(local)
        entries: list[tuple[NodeType, PortSpec | None]] = [(t, None) for t in self.document.registry.all()]
        self._show_quick_add(entries, scene_pos, None, "Add node")

    def _on_wire_released(self, fixed: WireEnd, scene_pos: QPointF) -> None:
        registry = self.document.registry
        if fixed.kind == OUTPUT:
            entries = accepting_inputs(registry, fixed.port_type)
            title = f"Add a node taking {fixed.node_id}.{fixed.port} ({fixed.port_type})"
        else:
            entries = providing_outputs(registry, fixed.port_type)
            title = f"Add a node feeding {fixed.node_id}.{fixed.port} ({fixed.port_type})"
        self._show_quick_add(list(entries), scene_pos, fixed, title)

    def _show_quick_add(
        self,
        entries: list[tuple[NodeType, PortSpec | None]],
        scene_pos: QPointF,
        wire: WireEnd | None,
        title: str,
    ) -> None:
        self._quick_add_at = scene_pos
        self._quick_add_wire = wire
        global_pos = self.viewport().mapToGlobal(self.mapFromScene(scene_pos))
        self.quick_add.open(entries, global_pos, title)

    def _on_quick_add_chosen(self, node_type: NodeType, port: PortSpec | None) -> None:
        wire, pos = self._quick_add_wire, self._quick_add_at
        self._quick_add_wire = None
        if wire is None or port is None:
            self.add_node_at(node_type.name, pos)
            return
        if wire.kind == OUTPUT:
            row = node_type.inputs.index(port)
            at = (pos.x() + 12, pos.y() - style.HEADER_HEIGHT - (row + 0.5) * style.ROW_HEIGHT)
        else:
            row = node_type.outputs.index(port)
            at = (
                pos.x() - style.NODE_WIDTH - 12,
                pos.y() - style.HEADER_HEIGHT - (row + 0.5) * style.ROW_HEIGHT,
            )
        node_id, _check = self.document.add_and_connect(
            node_type.name, at, port.name, (wire.node_id, wire.port), new_is_target=wire.kind == OUTPUT
        )
        self.graph_scene.select_nodes([node_id])

    # -- layout of the overlay ------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.minimap.move(*corner_position(self, self.minimap))
        if self._auto_frame is not None:
            self._auto_frame()
        self.minimap.follow_view()

    # -- empty canvas hint ----------------------------------------------------------------------------
    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802 - Qt override
        super().scrollContentsBy(dx, dy)
        if not self.document.pipeline.nodes:
            self.viewport().update()  # the hint is fixed on screen: scrolled pixels would smear it

    def _on_node_count_changed(self, *_args: object) -> None:
        self.viewport().update()  # the hint appears or goes

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt override
        """On an empty canvas: how to start (drag from the palette, Tab, an example)."""
        if self.document.pipeline.nodes:
            return
        theme = self.graph_scene.theme
        painter.save()
        painter.resetTransform()
        font = QFont(theme.title_font)
        font.setPointSizeF(12.0)
        font.setBold(False)
        painter.setFont(font)
        painter.setPen(theme.text_dim)
        port = self.viewport().rect()
        line_h = 28
        top = port.center().y() - line_h * len(EMPTY_HINT) / 2
        for i, line in enumerate(EMPTY_HINT):
            painter.drawText(
                QRectF(0, top + i * line_h, port.width(), line_h), Qt.AlignmentFlag.AlignCenter, line
            )
        painter.restore()

    def node_item_at(self, view_pos: QPoint) -> NodeItem | None:
        return self.graph_scene.node_at(self.mapToScene(view_pos))
