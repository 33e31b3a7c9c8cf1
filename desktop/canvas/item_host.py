"""What canvas items ask of the scene they sit in, as a Protocol (items cannot import the scene module:
it imports them). `item_host(item)` answers None for an item in a plain QGraphicsScene."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from PySide6.QtCore import QPoint, QPointF
from PySide6.QtWidgets import QGraphicsItem


@runtime_checkable
class BackdropHost(Protocol):
    def begin_group_drag(self, node_ids: list[str]) -> None: ...

    def group_drag_to(self, delta: QPointF) -> None: ...

    def end_group_drag(self) -> None: ...

    def rename_backdrop_interactively(self, index: int) -> bool: ...

    def show_backdrop_menu(self, index: int, screen_pos: QPoint) -> None: ...


def backdrop_host(item: QGraphicsItem) -> BackdropHost | None:
    scene = item.scene()
    return scene if isinstance(scene, BackdropHost) else None
