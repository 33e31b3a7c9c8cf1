"""Help > Open Example: the pipelines shipped in `nodeloom.core.resources/examples`, listed when the menu
opens (so examples added to the package show up without touching the editor), each with its description
as tooltip. Opening one goes through File > Open, so unsaved changes are asked about first.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from .main_window import MainWindow


def examples_dir() -> Path:
    return Path(str(resources.files("nodeloom.core.resources"))) / "examples"


def example_files() -> list[Path]:
    folder = examples_dir()
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def describe(path: Path) -> tuple[str, str]:
    """A menu label from the file name ("regression_demo.json" -> "Regression demo") and the
    pipeline's description (empty when the file cannot be read: the menu must still open)."""
    label = path.stem.replace("_", " ").replace("-", " ").strip().capitalize()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        description = str(data.get("description") or "") if isinstance(data, dict) else ""
    except (OSError, ValueError):
        description = ""
    return label, description


def fill_examples(window: MainWindow, menu: QMenu) -> None:
    menu.clear()
    files = example_files()
    for path in files:
        label, description = describe(path)
        action = menu.addAction(label)
        action.setToolTip(description or path.name)
        action.setStatusTip(description or str(path))
        action.setData(str(path))
        action.triggered.connect(lambda _checked=False, p=path: window.files.open(p))
    menu.setToolTipsVisible(True)
    if not files:
        menu.addAction("No examples installed").setEnabled(False)
