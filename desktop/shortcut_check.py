"""Find key sequences bound twice in one window, the way Qt's shortcut map would see them.

Two bindings of one key whose scopes overlap make Qt print "Ambiguous shortcut overload" and do
nothing at all (Ctrl+D was lost that way: X11's standard Delete keys include Ctrl+D). The editor's
tests walk every QAction and QShortcut of the main window with `shortcut_conflicts`, and the window
logs any conflict at start-up, so a new binding that collides is caught on every platform it runs on.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu, QMenuBar, QToolBar, QWidget

Context = Qt.ShortcutContext


@dataclass(frozen=True)
class Binding:
    """One key sequence of one action or shortcut, and the widget it is scoped to (None: the window)."""

    keys: str
    owner: QObject
    context: Qt.ShortcutContext
    widget: QWidget | None

    def name(self) -> str:
        text = self.owner.text() if isinstance(self.owner, QAction) else self.owner.objectName()
        where = type(self.widget).__name__ if self.widget is not None else "window"
        return f"{text.replace('&', '') or type(self.owner).__name__} [{where}]"


def _is_ancestor(parent: QWidget, child: QWidget) -> bool:
    return parent is child or parent.isAncestorOf(child)


def _overlap(a: Binding, b: Binding) -> bool:
    if a.widget is None or b.widget is None:
        return True
    if a.context == Context.WidgetWithChildrenShortcut and _is_ancestor(a.widget, b.widget):
        return True
    if b.context == Context.WidgetWithChildrenShortcut and _is_ancestor(b.widget, a.widget):
        return True
    return a.widget is b.widget


def bindings(window: QWidget) -> list[Binding]:
    """Every live key binding in `window`: actions added to a widget, and QShortcuts."""
    found: list[Binding] = []
    for action in window.findChildren(QAction):
        owners = [w for w in action.associatedObjects() if isinstance(w, QWidget)]
        if not owners:
            continue  # an action added to no widget never fires from the keyboard
        context = action.shortcutContext()
        scoped = [w for w in owners if not isinstance(w, QMenu | QMenuBar | QToolBar)]
        for seq in action.shortcuts():
            if context in (Context.WindowShortcut, Context.ApplicationShortcut):
                found.append(Binding(seq.toString(), action, context, None))
            else:
                found += [Binding(seq.toString(), action, context, w) for w in scoped]
    for shortcut in window.findChildren(QShortcut):
        parent = shortcut.parent()
        context = shortcut.context()
        widget = parent if isinstance(parent, QWidget) else None
        for seq in shortcut.keys():  # noqa: SIM118 - QShortcut.keys(), not a dict
            if context in (Context.WindowShortcut, Context.ApplicationShortcut):
                widget = None
            found.append(Binding(seq.toString(), shortcut, context, widget))
    return [b for b in found if b.keys and QKeySequence(b.keys).count() > 0]


def shortcut_conflicts(window: QWidget) -> list[str]:
    """One line per key sequence bound more than once with overlapping scopes (empty: all unique)."""
    by_keys: dict[str, list[Binding]] = {}
    for binding in bindings(window):
        by_keys.setdefault(binding.keys, []).append(binding)
    lines = []
    for keys, group in sorted(by_keys.items()):
        clashes: set[str] = set()
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                if first.owner is not second.owner and _overlap(first, second):
                    clashes.update((first.name(), second.name()))
        if clashes:
            lines.append(f"{keys}: {', '.join(sorted(clashes))}")
    return lines
