"""The README's editor screenshots, under Xvfb: `make screenshot` (or `python scripts/screenshot.py docs`).

Writes OUT_DIR/editor.png (the example as it opens, one node selected so the inspector shows its fields)
and OUT_DIR/run.png (after running it with the run button's code path, the training node selected so
the inspector previews its outputs and the Run dock shows the timeline). Given a path ending in .png it
writes only the run view there (the old single-screenshot form). A private NODELOOM_HOME is used unless
one is set, so remembered window layouts, recent files and cached results never leak into the pictures.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

if "NODELOOM_HOME" not in os.environ:
    os.environ["NODELOOM_HOME"] = tempfile.mkdtemp(prefix="nodeloom-shot-")

from nodeloom.desktop.app import create_app, open_window  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "digits_svm_grid_search.json"


def main(out: str) -> int:
    target = Path(out)
    editor_png = None if target.suffix == ".png" else target / "editor.png"
    run_png = target if target.suffix == ".png" else target / "run.png"
    app = create_app()
    window = open_window(EXAMPLE)
    window.resize(1600, 1000)
    window.show()
    controller = window.run_support

    def grab(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        screen = window.screen() or app.primaryScreen()
        screen.grabWindow(0).save(str(path))
        print(f"wrote {path}")

    def editor_view() -> None:
        window.frame_all()
        window.scene.select_nodes(["split"])
        QTimer.singleShot(700, after_editor)

    def after_editor() -> None:
        if editor_png is not None:
            grab(editor_png)
        window.scene.clearSelection()
        controller.run_all()
        QTimer.singleShot(200, poll)

    def poll() -> None:
        if controller.running:
            QTimer.singleShot(100, poll)
        else:
            QTimer.singleShot(800, run_view)

    def run_view() -> None:
        window.scene.select_nodes(["search"])
        QTimer.singleShot(700, lambda: (grab(run_png), app.quit()))

    QTimer.singleShot(800, editor_view)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs"))
