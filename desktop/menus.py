"""The menu bar, the main toolbar and their actions, with the platform's standard shortcuts.

`build_menus(window)` returns the menus by key ("file", "edit", "view", "run", "help"; Run starts empty
for the run feature to fill) and the actions by name, so tests and other features can trigger exactly
what a user triggers. Canvas-only shortcuts (F, Delete) are scoped to the canvas so they never steal
keys from a text field; each key sequence has one action in the whole window (`shortcut_check`), and
every tooltip names its shortcut. Help lists the bundled examples (read from the package each time the
menu opens) and a keyboard-shortcut sheet built from the live actions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox, QToolBar

from .examples_menu import fill_examples as _fill_examples
from .export_dialog import open_export_dialog
from .icons import themed_icon
from .recent_files import clear_recent, recent_files
from .shortcut_sheet import show_shortcut_sheet
from .theme import MODES, theme_manager

if TYPE_CHECKING:
    from .main_window import MainWindow

Keys = QKeySequence.StandardKey
ShortcutSpec = QKeySequence.StandardKey | str | list[QKeySequence.StandardKey | str] | None


def set_icon(action: QAction, name: str, window: MainWindow) -> None:
    """A qtawesome icon in the theme's text colour; `refresh_icons` repaints them after a theme change."""
    action.setProperty("qta_icon", name)
    action.setIcon(themed_icon(name))


def refresh_icons(window: MainWindow) -> None:
    for action in window.findChildren(QAction):
        name = action.property("qta_icon")
        if name:
            action.setIcon(themed_icon(name))


def _action(
    window: MainWindow,
    text: str,
    slot: Callable[[], object],
    shortcut: ShortcutSpec = None,
    icon: str | None = None,
    canvas_only: bool = False,
) -> QAction:
    action = QAction(text, window)
    if icon:
        set_icon(action, icon, window)
    if shortcut is not None:
        specs = shortcut if isinstance(shortcut, list) else [shortcut]
        sequences: list[QKeySequence] = []
        for spec in specs:
            sequences += QKeySequence.keyBindings(spec) if isinstance(spec, Keys) else [QKeySequence(spec)]
        action.setShortcuts(_unique(sequences))
    if canvas_only:
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        window.view.addAction(action)
    action.triggered.connect(lambda _checked=False: slot())
    with_shortcut_tip(action)
    return action


def with_shortcut_tip(action: QAction, tip: str | None = None) -> None:
    """Tooltip = what it does + its first shortcut, as a user of any editor expects from a toolbar."""
    text = tip or action.toolTip() or action.text()
    text = text.replace("&", "").rstrip("…").split(" (")[0] if tip is None else text
    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    action.setToolTip(f"{text} ({keys})" if keys else text)


def build_menus(window: MainWindow) -> tuple[dict[str, QMenu], dict[str, QAction]]:
    files, edits, view, doc = window.files, window.edits, window.view, window.document
    bar = window.menuBar()
    menus = {
        key: bar.addMenu(title)
        for key, title in (
            ("file", "&File"),
            ("edit", "&Edit"),
            ("view", "&View"),
            ("run", "&Run"),
            ("help", "&Help"),
        )
    }
    a: dict[str, QAction] = {}

    # -- File
    m = menus["file"]
    a["new"] = _action(window, "&New", files.new, Keys.New, "fa5s.file")
    a["open"] = _action(window, "&Open…", files.open, Keys.Open, "fa5s.folder-open")
    m.addActions([a["new"], a["open"]])
    recent = m.addMenu("Open &Recent")
    recent.aboutToShow.connect(lambda: _fill_recent(window, recent))
    menus["recent"] = recent
    m.addSeparator()
    a["save"] = _action(window, "&Save", files.save, Keys.Save, "fa5s.save")
    a["save_as"] = _action(window, "Save &As…", files.save_as, Keys.SaveAs)
    a["close"] = _action(window, "&Close", window.close, Keys.Close)
    a["quit"] = _action(window, "&Quit", window.close, [Keys.Quit, "Ctrl+Q"])
    a["quit"].setMenuRole(QAction.MenuRole.QuitRole)
    m.addActions([a["save"], a["save_as"]])
    a["export"] = _action(
        window, "&Export…", lambda: open_export_dialog(window), "Ctrl+Shift+E", "fa5s.file-export"
    )
    m.addAction(a["export"])
    m.addSeparator()
    m.addActions([a["close"], a["quit"]])

    # -- Edit
    m = menus["edit"]
    a["undo"] = doc.undo_stack.createUndoAction(window, "&Undo")
    a["undo"].setShortcuts(QKeySequence.keyBindings(Keys.Undo))
    set_icon(a["undo"], "fa5s.undo", window)
    with_shortcut_tip(a["undo"], "Undo the last edit")
    a["redo"] = doc.undo_stack.createRedoAction(window, "&Redo")
    a["redo"].setShortcuts(
        _unique(QKeySequence.keyBindings(Keys.Redo) + [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    )
    set_icon(a["redo"], "fa5s.redo", window)
    with_shortcut_tip(a["redo"], "Redo the edit just undone")
    m.addActions([a["undo"], a["redo"]])
    m.addSeparator()
    a["cut"] = _action(window, "Cu&t", edits.cut, Keys.Cut, canvas_only=True)
    a["copy"] = _action(window, "&Copy", edits.copy, Keys.Copy, canvas_only=True)
    a["paste"] = _action(window, "&Paste", edits.paste, Keys.Paste, canvas_only=True)
    a["duplicate"] = _action(window, "&Duplicate", edits.duplicate, "Ctrl+D", canvas_only=True)
    # the canvas owns Delete (it also removes selected backdrops; Document intent pending from desk-core)
    a["delete"] = view.delete_action
    a["select_all"] = _action(window, "Select &All", edits.select_all, Keys.SelectAll, canvas_only=True)
    a["rename"] = _action(window, "&Rename…", edits.rename, "F2", canvas_only=True)
    m.addActions([a["cut"], a["copy"], a["paste"], a["duplicate"], a["delete"], a["rename"]])
    m.addSeparator()
    # Tab is handled by the canvas itself (a Tab shortcut would break focus chains in the docks): the
    # menu shows it as a hint only
    a["quick_add"] = QAction("&Add Node…\tTab", window)
    a["quick_add"].setToolTip("Search node types and add one at the cursor (Tab on the canvas)")
    set_icon(a["quick_add"], "fa5s.plus-circle", window)
    a["quick_add"].triggered.connect(lambda _checked=False: _quick_add(window))
    m.addAction(a["quick_add"])
    m.addAction(a["select_all"])
    a["auto_layout"] = _action(window, "Auto &Layout", edits.auto_layout, "Ctrl+L", "fa5s.sitemap")
    a["group"] = _action(window, "&Group into Backdrop…", edits.group, "Ctrl+G", "fa5s.object-group")
    m.addActions([a["auto_layout"], a["group"]])

    # -- View
    m = menus["view"]
    a["frame_all"] = _action(window, "Frame &All", view.frame_all, "Home", "fa5s.expand", canvas_only=True)
    a["frame_selection"] = view.frame_selection_action
    a["zoom_in"] = _action(
        window, "Zoom &In", lambda: window.zoom_by(1.25), [Keys.ZoomIn, "Ctrl+="], "fa5s.search-plus"
    )
    a["zoom_out"] = _action(
        window, "Zoom &Out", lambda: window.zoom_by(0.8), Keys.ZoomOut, "fa5s.search-minus"
    )
    a["zoom_reset"] = _action(window, "&Reset Zoom", window.reset_zoom, "Ctrl+0")
    m.addActions([a["frame_all"], a["frame_selection"], a["zoom_in"], a["zoom_out"], a["zoom_reset"]])
    m.addSeparator()
    a["minimap"] = QAction("&Minimap", window, checkable=True)
    a["minimap"].setShortcut(QKeySequence("Ctrl+M"))
    a["minimap"].setChecked(view.minimap.wanted)
    a["minimap"].toggled.connect(view.minimap.set_wanted)
    with_shortcut_tip(a["minimap"], "Show the overview of the whole pipeline")
    m.addAction(a["minimap"])
    a["snap"] = QAction("&Snap to Grid", window, checkable=True)
    a["snap"].setChecked(bool(getattr(window.scene, "snap_to_grid", False)))
    a["snap"].toggled.connect(window.set_snap_to_grid)
    m.addAction(a["snap"])
    theme_menu = m.addMenu("&Theme")
    group = QActionGroup(window)
    manager = theme_manager()
    for mode in MODES:
        act = QAction(mode.capitalize(), window, checkable=True)
        act.setChecked(manager.mode == mode)
        act.triggered.connect(lambda _checked=False, md=mode: manager.set_mode(md))
        group.addAction(act)
        theme_menu.addAction(act)
        a[f"theme_{mode}"] = act
    m.addSeparator()
    menus["panels"] = m.addMenu("&Panels")

    # -- Help
    m = menus["help"]
    a["shortcuts"] = _action(
        window, "&Keyboard Shortcuts", lambda: show_shortcut_sheet(window), "F1", "fa5s.keyboard"
    )
    m.addAction(a["shortcuts"])
    examples = m.addMenu("Open &Example")
    examples.aboutToShow.connect(lambda: _fill_examples(window, examples))
    _fill_examples(window, examples)
    menus["examples"] = examples
    m.addSeparator()
    a["about"] = _action(window, "&About Nodeloom", lambda: _about(window))
    a["about"].setMenuRole(QAction.MenuRole.AboutRole)
    m.addAction(a["about"])

    toolbar = QToolBar("Main")
    toolbar.setObjectName("mainToolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    toolbar.addActions([a["new"], a["open"], a["save"]])
    toolbar.addSeparator()
    toolbar.addActions([a["undo"], a["redo"]])
    toolbar.addSeparator()
    toolbar.addAction(a["quick_add"])
    toolbar.addActions([a["auto_layout"], a["frame_all"], a["zoom_in"], a["zoom_out"]])
    toolbar.addSeparator()
    window.addToolBar(toolbar)
    window.toolbar = toolbar
    return menus, a


def _unique(sequences: list[QKeySequence]) -> list[QKeySequence]:
    seen: list[QKeySequence] = []
    for s in sequences:
        if not s.isEmpty() and s not in seen:
            seen.append(s)
    return seen


def _fill_recent(window: MainWindow, menu: QMenu) -> None:
    menu.clear()
    paths = recent_files()
    for index, path in enumerate(paths):
        label = f"&{index + 1} {path.name}" if index < 9 else path.name
        action = menu.addAction(label)
        action.setToolTip(str(path))
        action.setStatusTip(str(path))
        action.triggered.connect(lambda _checked=False, p=path: window.files.open(p))
    if not paths:
        menu.addAction("No recent files").setEnabled(False)
    menu.addSeparator()
    menu.addAction("Clear Recent Files").triggered.connect(clear_recent)


def _about(window: MainWindow) -> None:
    QMessageBox.about(
        window,
        "About Nodeloom",
        "<b>Nodeloom 0.1.0</b><p>A desktop visual pipeline builder for AI and data workflows.</p>"
        "<p>Pipelines are plain JSON files; <code>nodeloom run FILE.json</code> runs them without the editor.</p>",
    )


def _quick_add(window: MainWindow) -> None:
    window.view.setFocus()
    window.view.open_quick_add()
