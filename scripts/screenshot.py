"""Screenshot of the editor after running the example: `make screenshot` (under Xvfb) writes docs/screenshot.png.

Opens resources/examples/regression_demo.json, runs it with the run button's code path, selects the
training node (so the inspector previews its outputs), then grabs the screen.
"""

from __future__ import annotations

import sys
from pathlib import Path

from nodeloom.desktop.app import create_app, open_window
from PySide6.QtCore import QTimer

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "regression_demo.json"


def main(out: str) -> int:
    app = create_app()
    window = open_window(EXAMPLE)
    window.resize(1600, 1000)
    window.show()
    controller = window.run_support

    def select() -> None:
        window.frame_all()
        window.scene.select_nodes(["train"])
        QTimer.singleShot(700, grab)

    def grab() -> None:
        screen = window.screen() or app.primaryScreen()
        screen.grabWindow(0).save(out)
        print(f"wrote {out}")
        app.quit()

    def poll() -> None:
        if controller.running:
            QTimer.singleShot(100, poll)
        else:
            QTimer.singleShot(800, select)

    QTimer.singleShot(500, lambda: (controller.run_all(), QTimer.singleShot(200, poll)))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png"))
