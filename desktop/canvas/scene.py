"""The node-graph scene: graphics items mirroring one `Document`, redrawn from its signals only.

Items are built from `document.pipeline` and updated on node/edge/ui/problem signals; gestures become
Document intents (a node drag is recorded on press and sent as one `move_nodes` on release; wires are
`wire_drag.WireDrag`s). Nodes without a stored position are shown where the auto-layout would put them
(view state) until they are moved. The scene uses no item index (measured faster than BSP for pan and
build at 3,000 nodes) and sets its scene rect itself, so bulk building never recomputes it per item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from nodeloom.core.errors import NodeTypeError
from nodeloom.core.layout import layout
from nodeloom.core.model import Edge
from nodeloom.core.node_types import NodeType
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent, QInputDialog, QMenu

from ..document import Document
from . import style
from .backdrop_item import BackdropItem
from .edge_batch import EdgeBatchItem
from .edge_item import EdgeItem
from .grid import draw_grid
from .node_item import NodeItem
from .port_item import INPUT, OUTPUT, PortItem
from .scene_feedback import RefusalLabel
from .wire_drag import WireDrag, begin_wire, end_wire

NodeMenuHook = Callable[[str, QMenu], None]


class NodeGraphScene(QGraphicsScene):
    wire_released = Signal(object, QPointF)  # WireEnd, scene pos: a new wire dropped on empty canvas
    connection_refused = Signal(str)  # the reason, also shown at the cursor
    node_look_changed = Signal()  # a node's run state, stale mark or problems changed (minimap follows)

    def __init__(self, document: Document, theme: style.Theme | None = None) -> None:
        super().__init__()
        self.document = document
        self.theme = theme or style.current_theme()
        self.node_context_menu_hooks: list[NodeMenuHook] = []
        self.node_menu_actions: list[QAction] = []  # set by the window: copy, duplicate, rename, delete
        self.snap_to_grid = False
        self.show_grid = True
        self.dragging = False
        self.last_refusal = ""
        self._nodes: dict[str, NodeItem] = {}
        self._edges: dict[Edge, EdgeItem] = {}
        self._edges_of: dict[str, list[EdgeItem]] = {}
        self._backdrops: list[BackdropItem] = []
        self._backdrops_of: dict[str, set[int]] = {}  # node id -> indexes of the backdrops holding it
        self._pending_backdrops: set[int] = set()
        self._pending_edges: set[EdgeItem] = set()
        self._flush_timer = QTimer(self, singleShot=True, interval=0)
        self._flush_timer.timeout.connect(self.flush_geometry)
        self._press_positions: dict[str, QPointF] = {}
        self._wire: WireDrag | None = None
        self._refusal = RefusalLabel(self)
        self.far = False  # zoomed far out: edges drawn by one batch item (set by the view)
        self._edge_batch = EdgeBatchItem(self._edges.values)
        self.addItem(self._edge_batch)
        self._grid_pens = (QPen(self.theme.grid_minor, 0), QPen(self.theme.grid_major, 0))
        self._rect_timer = QTimer(self, singleShot=True, interval=150)
        self._rect_timer.timeout.connect(self.update_scene_rect)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setBackgroundBrush(self.theme.background)
        document.node_added.connect(self._on_node_added)
        document.node_removed.connect(self._on_node_removed)
        document.node_changed.connect(lambda node_id, _field: self._refresh_node(node_id))
        document.edge_added.connect(self._on_edge_added)
        document.edge_removed.connect(self._on_edge_removed)
        document.ui_changed.connect(self._on_ui_changed)
        document.reset.connect(self.rebuild)
        document.problems_changed.connect(self._on_problems)
        self.rebuild()

    # -- lookups (public API) ---------------------------------------------------------------------
    def node_item(self, node_id: str) -> NodeItem | None:
        return self._nodes.get(node_id)

    def edge_item(self, edge: Edge) -> EdgeItem | None:
        return self._edges.get(edge)

    def node_items(self) -> list[NodeItem]:
        return list(self._nodes.values())

    def edge_items(self) -> list[EdgeItem]:
        return list(self._edges.values())

    def backdrop_items(self) -> list[BackdropItem]:
        return list(self._backdrops)

    def selected_node_ids(self) -> list[str]:
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [n for n in self.document.pipeline.nodes if n in chosen]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, node_ids: Iterable[str]) -> None:
        self.clearSelection()
        for node_id in node_ids:
            item = self._nodes.get(node_id)
            if item is not None:
                item.setSelected(True)

    def node_type_of(self, type_name: str) -> NodeType | None:
        try:
            return self.document.registry.get(type_name)
        except NodeTypeError:
            return None

    # -- building ---------------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Drop every item and build them again from the pipeline (open, new, reset)."""
        self._wire = None
        for item in self.items():
            if item.parentItem() is None and item not in (self._refusal, self._edge_batch):
                self.removeItem(item)
        self._nodes.clear()
        self._edges.clear()
        self._edges_of.clear()
        self._backdrops.clear()
        pipeline = self.document.pipeline
        connected_in: dict[str, set[str]] = {}
        connected_out: dict[str, set[str]] = {}
        for e in pipeline.edges:
            connected_out.setdefault(e.src, set()).add(e.src_port)
            connected_in.setdefault(e.dst, set()).add(e.dst_port)
        for node in pipeline:
            item = NodeItem(node, self.node_type_of(node.type), self.theme)
            item.refresh(
                node, item.node_type, connected_in.get(node.id, set()), connected_out.get(node.id, set())
            )
            self._nodes[node.id] = item
            self._edges_of[node.id] = []
        missing = [n for n in pipeline.nodes if pipeline.position(n) is None]
        guessed = self.layout_positions() if missing else {}
        for node_id, item in self._nodes.items():
            pos = pipeline.position(node_id) or guessed.get(node_id, (0.0, 0.0))
            item.setPos(*pos)
            self.addItem(item)
        for edge in pipeline.edges:
            self._add_edge_item(edge)
        self._rebuild_backdrops()
        self._on_problems(self.document.problems)
        self._edge_batch.mark_dirty()
        self.flush_geometry()
        self.update_scene_rect()

    def set_theme(self, theme: style.Theme) -> None:
        """Switch light/dark in place: run states, selection and previews stay."""
        self.theme = theme
        self.setBackgroundBrush(theme.background)
        self._grid_pens = (QPen(theme.grid_minor, 0), QPen(theme.grid_major, 0))
        for item in self._nodes.values():
            item.theme = theme
            item.update()
        for edge in self._edges.values():
            edge.set_theme(theme)
        for backdrop in self._backdrops:
            backdrop.theme = theme
            backdrop.update()
        self._refusal.theme = theme
        self._edge_batch.mark_dirty()
        self.flush_geometry()
        self.update()
        self.node_look_changed.emit()

    def set_far(self, far: bool) -> None:
        """Switch between one item per edge and the batched hairlines (the view calls this on zoom)."""
        if far == self.far:
            return
        self.far = far
        for item in self._edges.values():
            item.setVisible(not far)
            if not far:
                item.ensure_path()
        self._edge_batch.setVisible(far)

    def update_scene_rect(self) -> None:
        bounds = self.itemsBoundingRect()
        if bounds.isNull():
            bounds = QRectF(-400, -300, 800, 600)
        margin = max(800.0, 0.25 * max(bounds.width(), bounds.height()))
        self.setSceneRect(bounds.adjusted(-margin, -margin, margin, margin))

    def _add_edge_item(self, edge: Edge) -> None:
        src, dst = self._nodes.get(edge.src), self._nodes.get(edge.dst)
        if src is None or dst is None:
            return
        port = src.port(edge.src_port, OUTPUT)
        item = EdgeItem(edge, port.type if port else "any", self.theme)
        item.set_ends(src.port_scene_pos(edge.src_port, OUTPUT), dst.port_scene_pos(edge.dst_port, INPUT))
        self._edges[edge] = item
        self._edges_of[edge.src].append(item)
        self._edges_of[edge.dst].append(item)
        item.setVisible(not self.far)
        self.addItem(item)
        self._edge_batch.mark_dirty()
        self._schedule_flush()

    def _refresh_node(self, node_id: str) -> None:
        item = self._nodes.get(node_id)
        node = self.document.pipeline.nodes.get(node_id)
        if item is None or node is None:
            return
        edges = self._edges_of.get(node_id, [])
        connected_in = {i.edge.dst_port for i in edges if i.edge.dst == node_id}
        connected_out = {i.edge.src_port for i in edges if i.edge.src == node_id}
        item.refresh(node, self.node_type_of(node.type), connected_in, connected_out)
        self.node_item_moved(item)  # ports may have moved when the type changed

    # -- document signals -------------------------------------------------------------------------
    def _on_node_added(self, node_id: str) -> None:
        node = self.document.pipeline.node(node_id)
        item = NodeItem(node, self.node_type_of(node.type), self.theme)
        item.setPos(*(self.document.pipeline.position(node_id) or (0.0, 0.0)))
        self._nodes[node_id] = item
        self._edges_of[node_id] = []
        self.addItem(item)
        self._rect_timer.start()

    def _on_node_removed(self, node_id: str) -> None:
        item = self._nodes.pop(node_id, None)
        for edge_item in self._edges_of.pop(node_id, []):
            self._on_edge_removed(edge_item.edge)
        if item is not None:
            self.removeItem(item)
        self._fit_backdrops()

    def _on_edge_added(self, edge: Edge) -> None:
        self._add_edge_item(edge)
        self._refresh_node(edge.src)
        self._refresh_node(edge.dst)

    def _on_edge_removed(self, edge: Edge) -> None:
        item = self._edges.pop(edge, None)
        if item is None:
            return
        for end in (edge.src, edge.dst):
            if item in self._edges_of.get(end, []):
                self._edges_of[end].remove(item)
        self.removeItem(item)
        self._edge_batch.mark_dirty()
        self._schedule_flush()
        self._refresh_node(edge.src)
        self._refresh_node(edge.dst)

    def _on_ui_changed(self, node_id: str, field: str) -> None:
        if node_id and field == "position":
            item, pos = self._nodes.get(node_id), self.document.pipeline.position(node_id)
            if item is not None and pos is not None and item.pos() != QPointF(*pos):
                item.setPos(*pos)
            self._rect_timer.start()
        elif field == "backdrops":
            self._rebuild_backdrops()

    def _on_problems(self, problems: list) -> None:
        by_node: dict[str, list] = {}
        for p in (p for p in problems if p.node is not None):
            by_node.setdefault(p.node, []).append(p)
        for node_id, item in self._nodes.items():
            item.set_problems(by_node.get(node_id, []))

    # -- geometry follow-ups ----------------------------------------------------------------------
    def node_item_moved(self, item: NodeItem) -> None:
        """Called by a NodeItem whenever it moves: its edges, the far-zoom edge batch and the backdrops
        around it follow. During a drag everything is collected and refitted once per mouse move
        (`flush_geometry`), so moving N nodes costs one update per touched edge, not N full passes
        over every edge (that was quadratic: 12 s per mouse move with 2,000 nodes selected)."""
        node_id = item.node_id
        edges = self._edges_of.get(node_id, ())
        if edges:
            if self.dragging:
                self._pending_edges.update(edges)
            else:
                self._update_edges(edges)
            self._edge_batch.mark_dirty()
        self._pending_backdrops.update(self._backdrops_of.get(node_id, ()))
        self._schedule_flush()

    def _update_edges(self, edges: Iterable[EdgeItem]) -> None:
        nodes = self._nodes
        for edge_item in edges:
            e = edge_item.edge
            src, dst = nodes.get(e.src), nodes.get(e.dst)
            if src is not None and dst is not None:
                edge_item.set_ends(
                    src.port_scene_pos(e.src_port, OUTPUT), dst.port_scene_pos(e.dst_port, INPUT)
                )

    def _schedule_flush(self) -> None:
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush_geometry(self) -> None:
        """Regroup the far-zoom edge lines and refit the backdrops whose members moved (once)."""
        self._flush_timer.stop()
        edges, self._pending_edges = self._pending_edges, set()
        self._update_edges(e for e in edges if self._edges.get(e.edge) is e)
        self._edge_batch.flush()
        pending, self._pending_backdrops = self._pending_backdrops, set()
        for backdrop in self._backdrops:
            if backdrop.index in pending:
                backdrop.fit_members(self._nodes)

    def _rebuild_backdrops(self) -> None:
        kept = {b.index for b in self._backdrops if b.isSelected()}  # a rename keeps its backdrop selected
        old, self._backdrops = self._backdrops, []  # emptied first: selection signals see the new state
        for backdrop in old:
            self.removeItem(backdrop)
        self._backdrops_of = {}
        entries = self.document.pipeline.ui.get("backdrops")
        for index, data in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(data, dict):
                backdrop = BackdropItem(index, data, self.theme)
                self._backdrops.append(backdrop)
                for member in backdrop.node_ids:
                    self._backdrops_of.setdefault(member, set()).add(index)
                self.addItem(backdrop)
                backdrop.setSelected(index in kept)
        self._fit_backdrops()

    def _fit_backdrops(self) -> None:
        for backdrop in self._backdrops:
            backdrop.fit_members(self._nodes)

    # -- intents ----------------------------------------------------------------------------------
    def layout_positions(self) -> dict[str, tuple[float, float]]:
        pipeline = self.document.pipeline
        sizes = {n: (item.width, item.height) for n, item in self._nodes.items()}
        return layout(pipeline.nodes, [(e.src, e.dst) for e in pipeline.edges], sizes)

    def auto_layout(self) -> None:
        """Lay the whole pipeline out left to right: one undo step."""
        self.document.apply_layout(self.layout_positions())

    def group_selection(self, title: str = "Group") -> None:
        self.document.add_backdrop(self.selected_node_ids(), title)

    def delete_selection(self) -> None:
        """Delete the selected nodes, edges and backdrops as one undo step."""
        self.document.delete(self.selected_node_ids(), self.selected_edges(), self.selected_backdrops())

    def selected_backdrops(self) -> list[int]:
        return [b.index for b in self._backdrops if b.isSelected()]

    def backdrop_at(self, pos: QPointF) -> BackdropItem | None:
        """The backdrop whose title bar is under `pos` (its body lets presses through)."""
        for item in self.items(pos):
            if isinstance(item, BackdropItem):
                return item
        return None

    def rename_backdrop_interactively(self, index: int) -> bool:
        """Ask for a new title (double-click on the title, F2, the context menu)."""
        if not 0 <= index < len(self.document.pipeline.backdrops()):
            return False
        current = self.document.pipeline.backdrop(index).title
        views = self.views()
        title, ok = QInputDialog.getText(
            views[0] if views else None, "Rename backdrop", "Title:", text=current
        )
        return bool(ok) and self.document.rename_backdrop(index, title)

    def show_backdrop_menu(self, index: int, screen_pos: QPoint) -> None:
        self.clearSelection()
        for backdrop in self._backdrops:
            backdrop.setSelected(backdrop.index == index)
        self.build_backdrop_menu(index).exec(screen_pos)

    def build_backdrop_menu(self, index: int) -> QMenu:
        menu = QMenu()
        menu.addAction("Rename…", lambda: self.rename_backdrop_interactively(index))
        menu.addAction(
            "Select its nodes", lambda: self.select_nodes(self.document.pipeline.backdrop(index).nodes)
        )
        menu.addAction("Delete backdrop (keep nodes)", lambda: self.document.delete(backdrops=[index]))
        return menu

    def show_node_menu(self, node_id: str, screen_pos: QPoint) -> None:
        if node_id not in self.selected_node_ids():
            self.select_nodes([node_id])
        self.build_node_menu(node_id).exec(screen_pos)

    def build_node_menu(self, node_id: str) -> QMenu:
        """The window's node actions (copy, duplicate, rename, delete: the same QActions as the Edit menu,
        so their shortcuts show), enable/disable, group, then whatever `node_context_menu_hooks` add."""
        menu = QMenu()
        disabled = self.document.pipeline.node(node_id).disabled
        if self.node_menu_actions:
            menu.addActions(self.node_menu_actions)
        else:
            menu.addAction("Delete", self.delete_selection)
        menu.addAction(
            "Enable" if disabled else "Disable",
            lambda: self.document.set_node_field(node_id, "disabled", not disabled),
        )
        menu.addAction("Group selection", self.group_selection)
        menu.addSeparator()
        for hook in self.node_context_menu_hooks:
            hook(node_id, menu)
        return menu

    def show_refusal(self, reason: str, scene_pos: QPointF) -> None:
        self.last_refusal = reason
        self._refusal.show_at(reason, scene_pos)
        self.connection_refused.emit(reason)

    # -- drags ------------------------------------------------------------------------------------
    def begin_group_drag(self, node_ids: list[str]) -> None:
        self._press_positions = {n: self._nodes[n].pos() for n in node_ids if n in self._nodes}
        self.dragging = True

    def group_drag_to(self, delta: QPointF) -> None:
        for node_id, start in self._press_positions.items():
            self._nodes[node_id].setPos(start + delta)
        self.flush_geometry()

    def end_group_drag(self) -> None:
        self.dragging = False
        moves = {}
        for node_id, start in self._press_positions.items():
            item = self._nodes.get(node_id)
            if item is not None and item.pos() != start:
                moves[node_id] = ((start.x(), start.y()), (item.pos().x(), item.pos().y()))
        self._press_positions = {}
        self.document.move_nodes(moves)

    def port_hit(self, pos: QPointF) -> tuple[NodeItem, PortItem] | None:
        for item in self.items(QRectF(pos.x() - 14, pos.y() - 14, 28, 28)):
            if isinstance(item, NodeItem):
                port = item.port_at(pos)
                if port is not None:
                    return item, port
        return None

    def node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton and self._wire is None:
            hit = self.port_hit(event.scenePos())
            if hit is not None:
                self._wire = begin_wire(self, *hit)
                self._wire.move_to(event.scenePos(), None)
                event.accept()
                return
        super().mousePressEvent(event)
        grabber = self.mouseGrabberItem()
        if isinstance(grabber, NodeItem) and event.button() == Qt.MouseButton.LeftButton:
            self.begin_group_drag([i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)])

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._wire is not None:
            hit = self.port_hit(event.scenePos())
            self._wire.move_to(event.scenePos(), hit)
            return
        super().mouseMoveEvent(event)
        if self.dragging:
            self.flush_geometry()  # this frame shows the moved selection's edges and backdrops

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802 - Qt override
        if self._wire is not None:
            drag, self._wire = self._wire, None
            end_wire(self, drag, event.scenePos())
            return
        super().mouseReleaseEvent(event)
        if self.dragging and self._press_positions:
            self.end_group_drag()
        self.dragging = False
        self.flush_geometry()

    # -- background -------------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt override
        painter.fillRect(rect, self.theme.background)
        if self.show_grid:
            draw_grid(painter, rect, self._grid_pens)
