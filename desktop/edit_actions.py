"""Edit menu commands on the canvas selection: cut, copy, paste, duplicate, delete, select all, layout, group.

Copy puts a JSON fragment on the system clipboard (see `clipboard`); paste inserts it through
`Document.insert_fragment` (clashing ids are renamed, inner edges follow) at the mouse cursor when it
is over the canvas, else offset from the originals, cascading on repeated pastes. Each command is one
undo step; the pasted nodes become the selection.
"""

from __future__ import annotations

from typing import Protocol

from nodeloom.core.model import Edge
from PySide6.QtCore import QObject, QPointF
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QDockWidget, QInputDialog, QStatusBar, QWidget

from .canvas.scene import NodeGraphScene
from .canvas.view import NodeGraphView
from .clipboard import fragment_bounds_origin, make_fragment, put_on_clipboard, read_clipboard
from .document import Document
from .panels.inspector import Inspector


class EditHost(Protocol):
    """What the Edit commands use of the editor window (not the whole window: no import circle)."""

    document: Document
    scene: NodeGraphScene
    view: NodeGraphView
    inspector: Inspector
    docks: dict[str, QDockWidget]

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt

    def frame_all(self) -> None: ...


PASTE_STEP = 40.0


class EditActions(QObject):
    def __init__(self, window: EditHost) -> None:
        super().__init__(window if isinstance(window, QObject) else None)
        self.window = window
        self.document = window.document
        self._paste_count = 0

    def selected(self) -> list[str]:
        return [n for n in self.window.scene.selected_node_ids() if n in self.document.pipeline.nodes]

    def selected_edges(self) -> list[Edge]:
        return self.window.scene.selected_edges()

    def copy(self) -> bool:
        ids = self.selected()
        if not ids:
            self.window.statusBar().showMessage("Select nodes to copy", 3000)
            return False
        put_on_clipboard(make_fragment(self.document.pipeline, ids))
        self._paste_count = 0
        self.window.statusBar().showMessage(f"Copied {len(ids)} node{'s' * (len(ids) != 1)}", 3000)
        return True

    def cut(self) -> bool:
        ids = self.selected()
        if not ids or not self.copy():
            return False
        self.document.delete(ids, text=f"Cut {len(ids)} node{'s' * (len(ids) != 1)}")
        self._paste_count = 0
        return True

    def paste(self) -> list[str]:
        fragment = read_clipboard()
        if fragment is None:
            self.window.statusBar().showMessage("The clipboard holds no Nodeloom nodes", 3000)
            return []
        at_cursor = self._cursor_scene_pos()
        origin = fragment_bounds_origin(fragment)
        if at_cursor is not None and origin is not None:
            offset = (at_cursor.x() - origin[0], at_cursor.y() - origin[1])
        else:
            self._paste_count += 1
            offset = (PASTE_STEP * self._paste_count, PASTE_STEP * self._paste_count)
        return self._insert(fragment, offset)

    def duplicate(self) -> list[str]:
        ids = self.selected()
        if not ids:
            return []
        return self._insert(make_fragment(self.document.pipeline, ids), (PASTE_STEP, PASTE_STEP))

    def _insert(self, fragment: dict, offset: tuple[float, float]) -> list[str]:
        new_ids = self.document.insert_fragment(fragment, offset)
        if new_ids:
            self.window.scene.select_nodes(new_ids)
        return new_ids

    def _cursor_scene_pos(self) -> QPointF | None:
        viewport = self.window.view.viewport()
        if not viewport.underMouse():
            return None
        local = viewport.mapFromGlobal(QCursor.pos())
        if not viewport.rect().contains(local):
            return None
        return self.window.view.mapToScene(local)

    def delete(self) -> None:
        """Delete the selected nodes, edges and backdrops: one undo step (Document.delete)."""
        self.document.delete(self.selected(), self.selected_edges(), self.window.scene.selected_backdrops())

    def rename(self) -> None:
        """F2: rename the selected backdrop, or edit the selected node's label in the inspector."""
        backdrops = self.window.scene.selected_backdrops()
        ids = self.selected()
        if len(backdrops) == 1 and not ids:
            self.window.scene.rename_backdrop_interactively(backdrops[0])
        elif len(ids) == 1:
            self.window.docks["inspector"].show()
            self.window.docks["inspector"].raise_()
            label = self.window.inspector.form.label_edit
            label.setFocus()
            label.selectAll()
        else:
            self.window.statusBar().showMessage("Select one node or backdrop to rename", 3000)

    def select_all(self) -> None:
        self.window.scene.select_nodes(list(self.document.pipeline.nodes))

    def auto_layout(self) -> None:
        self.window.scene.auto_layout()
        self.window.frame_all()

    def group(self) -> None:
        if not self.selected():
            self.window.statusBar().showMessage("Select the nodes to group", 3000)
            return
        parent = self.window if isinstance(self.window, QWidget) else None
        title, ok = QInputDialog.getText(parent, "Group into backdrop", "Title:", text="Group")
        if ok:
            self.window.scene.group_selection(title.strip() or "Group")
