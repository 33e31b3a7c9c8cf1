"""Quick add: a fuzzy-search popup of node types, opened at the cursor (Tab, double-click, or a wire
dropped on empty canvas, where it lists only the types with a port that fits the wire).

Matching looks at the type name, title, category and description: a whole-word or prefix hit on the
title ranks first, then substrings, then subsequences (so "trsp" finds "train_test_split"). Enter or a
click emits `chosen(NodeType, PortSpec | None)`: the port is the one a dropped wire connects to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nodeloom.core.node_types import NodeType, PortSpec
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from . import style

Entry = tuple[NodeType, PortSpec | None]


def fuzzy_score(query: str, node_type: NodeType) -> float | None:
    """Higher is better; None when the query does not match at all."""
    q = query.strip().lower()
    if not q:
        return 0.0
    title = node_type.title.lower()
    name = node_type.name.lower()
    haystacks = (title, name, node_type.category.lower(), node_type.description.lower())
    score = 0.0
    for word in q.split():
        if title.startswith(word):
            score += 100
        elif any(part.startswith(word) for part in title.split()) or name.split(".")[-1].startswith(word):
            score += 80
        elif word in title or word in name:
            score += 60
        elif _word_prefixes(word, _words(title)) or _word_prefixes(word, _words(name.split(".")[-1])):
            score += 50  # "trsp" -> TRain test SPlit: beginnings of words, as users abbreviate
        elif word in haystacks[2]:
            score += 40
        elif word in haystacks[3]:
            score += 20
        elif _subsequence(word, name) or _subsequence(word, title):
            score += 10
        else:
            return None
    return score - len(title) * 0.01


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s_.\-/]+", text) if w]


def _word_prefixes(query: str, words: list[str]) -> bool:
    """Whether `query` is made of non-empty prefixes of some of `words`, in order."""
    if not query:
        return True
    for i, word in enumerate(words):
        for n in range(min(len(word), len(query)), 0, -1):
            if query.startswith(word[:n]) and _word_prefixes(query[n:], words[i + 1 :]):
                return True
    return False


def _subsequence(needle: str, hay: str) -> bool:
    it = iter(hay)
    return all(ch in it for ch in needle)


def rank(query: str, entries: Iterable[Entry]) -> list[Entry]:
    scored = [(fuzzy_score(query, t), i, (t, p)) for i, (t, p) in enumerate(entries)]
    return [e for s, _i, e in sorted((x for x in scored if x[0] is not None), key=lambda x: (-x[0], x[1]))]


class QuickAddPopup(QFrame):
    chosen = Signal(object, object)  # NodeType, PortSpec | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(320)
        self._entries: list[Entry] = []
        self.title = QLabel()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search node types…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setMinimumHeight(280)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.search.textChanged.connect(self._refill)
        self.search.installEventFilter(self)
        self.list.itemActivated.connect(lambda _item: self.accept_current())
        self.list.itemClicked.connect(lambda _item: self.accept_current())

    def open(self, entries: list[Entry], global_pos: QPoint, title: str = "Add node") -> None:  # noqa: A003
        self._entries = entries
        self.title.setText(title)
        self.title.setVisible(bool(title))
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self._refill()
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def filter(self, text: str) -> None:  # noqa: A003
        self.search.setText(text)

    def visible_entries(self) -> list[Entry]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def accept_current(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        node_type, port = item.data(Qt.ItemDataRole.UserRole)
        self.hide()
        self.chosen.emit(node_type, port)

    def _refill(self) -> None:
        self.list.clear()
        for node_type, port in rank(self.search.text(), self._entries):
            text = node_type.title
            detail = node_type.name + (f" → {port.name}" if port is not None else "")
            item = QListWidgetItem(f"{text}    {detail}")
            colour = style.category_colour(node_type.category).name()
            item.setIcon(QIcon(style.icon_pixmap(style.icon_name(node_type), colour)))
            item.setToolTip(node_type.description or node_type.name)
            item.setData(Qt.ItemDataRole.UserRole, (node_type, port))
            self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key() if isinstance(event, QKeyEvent) else None
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.list.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                self.list.setCurrentRow(max(0, min(self.list.count() - 1, row)))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.accept_current()
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        return super().eventFilter(watched, event)
