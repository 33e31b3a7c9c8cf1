"""The QApplication for the editor: names (for settings and the desktop), Fusion style and the theme.

`create_app()` returns the running application (creating it once), so the CLI, tests and scripts
share one set-up; `run_editor()` opens a window on a file (or the last file, or an empty pipeline)
and runs the event loop.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import qtawesome as qta
from nodeloom.core.errors import PipelineError
from nodeloom.core.model import Pipeline
from pyqtgraph.util.garbage_collector import GarbageCollector
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from . import trust_prompt
from .main_window import MainWindow
from .recent_files import add_recent, last_file
from .settings import APP_NAME, ORG_DOMAIN, ORG_NAME
from .theme import theme_manager

QUIT_AFTER_ENV = "NODELOOM_QUIT_AFTER_MS"  # smoke tests: quit this many ms after the window shows


def create_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setOrganizationDomain(ORG_DOMAIN)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("nodeloom")
    app.setWindowIcon(qta.icon("fa5s.project-diagram", color="#3d8fd6"))
    theme_manager()
    if not hasattr(app, "_nodeloom_gc"):
        # collect cyclic garbage on the GUI thread only: a collection triggered by an engine thread could
        # otherwise run Qt destructors off the GUI thread and crash
        app._nodeloom_gc = GarbageCollector(interval=1.0)  # type: ignore[attr-defined]
    return app


def open_window(file: Path | None, reopen_last: bool = False) -> MainWindow:
    """A window on `file`; a missing `file` becomes a new pipeline saved there on the first save.

    Raises PipelineError when `file` exists but cannot be read.
    """
    window = MainWindow()
    if file is None and reopen_last:
        file = last_file()
        if file is not None and not window.files.open_path(file):
            file = None
    elif file is not None and file.exists():
        trust_prompt.prepare(window.document.registry, file)  # nothing from its folder runs on load
        window.document.load(file)
        add_recent(file)
        QTimer.singleShot(0, lambda: window.files.ask_trust(file))  # once the window shows
        window.files.offer_recovery(file)
    elif file is not None:
        trust_prompt.prepare(window.document.registry, file)
        window.document.set_pipeline(Pipeline(name=file.stem), file)
    if file is None:
        window.files.offer_recovery(None)
    return window


def run_editor(file: Path | None, reopen_last: bool = False) -> int:
    app = create_app()
    try:
        window = open_window(file, reopen_last)
    except PipelineError as exc:
        for problem in exc.problems:
            print(problem.format(str(file)), file=sys.stderr)
        return 2
    window.show()
    QTimer.singleShot(0, window.frame_all)
    # Ctrl-C in the terminal closes like the window's close button (unsaved changes are asked about), with
    # no traceback; the timer gives Python a moment to run the handler while Qt's loop waits
    signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, app.closeAllWindows))
    QTimer(app, interval=250, timeout=lambda: None).start()
    quit_after = os.environ.get(QUIT_AFTER_ENV)
    if quit_after:

        def smoke_quit() -> None:
            print(
                f"nodeloom: window '{window.windowTitle()}' showed "
                f"{len(window.document.pipeline.nodes)} nodes",
                flush=True,
            )
            app.exit(0)

        QTimer.singleShot(int(quit_after), smoke_quit)
    return int(app.exec())
