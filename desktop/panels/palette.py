"""The palette: every registered node type by category, with icons and a filter box.

Dragging a type starts a drag whose mime data (`application/x-nodeloom-node-type`) is the type name;
the canvas adds the node where it is dropped. Double-click (or Enter) emits `type_activated`, which
the window turns into a node at the view's centre. The filter matches every word of the query against
the type's name, title, category and description, so "csv read" finds `data.read_csv`.
"""

from __future__ import annotations

from collections.abc import Iterable

from nodeloom.core.node_types import NodeType
from nodeloom.core.registry import Registry
from PySide6.QtCore import QEvent, QMimeData, Qt, Signal
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from ..icons import themed_icon
from .inspector import CATEGORY_ICONS, type_icon_name

NODE_TYPE_MIME = "application/x-nodeloom-node-type"
TYPE_ROLE = Qt.ItemDataRole.UserRole + 1


def matches(node_type: NodeType, query: str) -> bool:
    """Whether every word of `query` occurs in the type's name, title, category or description."""
    haystack = " ".join((node_type.name, node_type.title, node_type.category, node_type.description)).lower()
    return all(word in haystack for word in query.lower().split())


class _TypeTree(QTreeWidget):
    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt override
        return [NODE_TYPE_MIME]

    def mimeData(self, items: Iterable[QTreeWidgetItem]) -> QMimeData:  # noqa: N802 - Qt override
        mime = QMimeData()
        names = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        if names:
            mime.setData(NODE_TYPE_MIME, names[0].encode("utf-8"))
            mime.setText(names[0])
        return mime


class Palette(QWidget):
    type_activated = Signal(str)  # a type name: add one at the view centre

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.registry = registry
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter node types…")
        self.filter.setClearButtonEnabled(True)
        self.search_icon = self.filter.addAction(
            themed_icon("fa5s.search"), QLineEdit.ActionPosition.LeadingPosition
        )
        self.tree = _TypeTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self.tree.setRootIsDecorated(True)
        self.tree.setIndentation(14)
        layout.addWidget(self.filter)
        layout.addWidget(self.tree)
        self.filter.textChanged.connect(self.apply_filter)
        self.filter.returnPressed.connect(self._activate_first)
        self.tree.itemDoubleClicked.connect(self._on_activated)
        self.reload()

    def reload(self) -> None:
        """Rebuild from the registry (after plug-ins or py: types change)."""
        self.tree.clear()
        categories: dict[str, QTreeWidgetItem] = {}
        for node_type in self.registry.all():
            parent = categories.get(node_type.category)
            if parent is None:
                parent = QTreeWidgetItem([node_type.category])
                parent.setIcon(0, themed_icon(CATEGORY_ICONS.get(node_type.category, "fa5s.folder")))
                parent.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = parent.font(0)
                font.setBold(True)
                parent.setFont(0, font)
                self.tree.addTopLevelItem(parent)
                categories[node_type.category] = parent
            item = QTreeWidgetItem([node_type.title])
            item.setData(0, TYPE_ROLE, node_type.name)
            item.setIcon(0, themed_icon(type_icon_name(node_type)))
            ports = ", ".join(p.name for p in node_type.inputs) or "none"
            outs = ", ".join(p.name for p in node_type.outputs) or "none"
            tip = f"{node_type.name}\n{node_type.description}\ninputs: {ports}\noutputs: {outs}"
            item.setToolTip(0, tip.replace("\n\n", "\n"))
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
            )
            parent.addChild(item)
        self.tree.expandAll()
        self.apply_filter(self.filter.text())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Icons are drawn in the palette's colours: redraw them when the theme changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.refresh_icons()

    def refresh_icons(self) -> None:
        self.search_icon.setIcon(themed_icon("fa5s.search"))
        for i in range(self.tree.topLevelItemCount()):
            parent = self.tree.topLevelItem(i)
            category = parent.text(0)
            parent.setIcon(0, themed_icon(CATEGORY_ICONS.get(category, "fa5s.folder")))
            for j in range(parent.childCount()):
                item = parent.child(j)
                item.setIcon(0, themed_icon(type_icon_name(self.registry.get(item.data(0, TYPE_ROLE)))))

    def type_items(self) -> list[QTreeWidgetItem]:
        found = []
        for i in range(self.tree.topLevelItemCount()):
            parent = self.tree.topLevelItem(i)
            found += [parent.child(j) for j in range(parent.childCount())]
        return found

    def item_for(self, type_name: str) -> QTreeWidgetItem | None:
        return next((i for i in self.type_items() if i.data(0, TYPE_ROLE) == type_name), None)

    def visible_types(self) -> list[str]:
        return [i.data(0, TYPE_ROLE) for i in self.type_items() if not i.isHidden()]

    def apply_filter(self, text: str) -> None:
        for i in range(self.tree.topLevelItemCount()):
            parent = self.tree.topLevelItem(i)
            shown = 0
            for j in range(parent.childCount()):
                item = parent.child(j)
                node_type = self.registry.get(item.data(0, TYPE_ROLE))
                visible = matches(node_type, text)
                item.setHidden(not visible)
                shown += visible
            parent.setHidden(shown == 0)
        if text:
            self.tree.expandAll()

    def _activate_first(self) -> None:
        visible = self.visible_types()
        if visible:
            self.type_activated.emit(visible[0])

    def _on_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        type_name = item.data(0, TYPE_ROLE)
        if type_name:
            self.type_activated.emit(type_name)
