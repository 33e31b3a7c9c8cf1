"""The editor's commands for `nodeloom`: `edit [FILE]` (and no command) opens the editor; `render` draws a
pipeline to an image offscreen.

`render` runs without a display: with neither DISPLAY nor WAYLAND_DISPLAY set, Qt is told to use its
offscreen platform (otherwise Qt aborts the process); `edit` without a display says so and exits 2
(an invisible offscreen window would never end). Unreadable files (missing, a folder, a FIFO, a symlink
loop) give one-line errors on stderr and exit code 2, never a traceback or a hang. Neither command runs
code from the file's folder unless `--trust` is given (the editor otherwise asks once per folder).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from nodeloom.core.errors import PipelineError
from nodeloom.core.file_text import regular_file_error
from nodeloom.core.trust import folder_of

from .app import run_editor

EXIT_INVALID = 2


def _error(message: str) -> None:
    print(f"nodeloom: {message}", file=sys.stderr)


def _no_display() -> bool:
    """On Linux without a display server (and no platform chosen), Qt would abort the process."""
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    )


def _headless_if_needed() -> None:
    if _no_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def main(command: str, args: argparse.Namespace) -> int:
    if command == "render":
        return _render(args)
    if command == "edit":
        return _edit(args)
    _error(f"unknown editor command '{command}'")
    return EXIT_INVALID


def _edit(args: argparse.Namespace) -> int:
    if _no_display():
        _error(
            "no display to open the editor on (set DISPLAY or WAYLAND_DISPLAY; "
            "`nodeloom render FILE -o OUT.png` draws a pipeline without one)"
        )
        return EXIT_INVALID
    file_arg = getattr(args, "file", None)
    file = Path(file_arg) if file_arg else None
    if file is not None and (os.path.lexists(file) or file.is_dir()):
        problem = regular_file_error(file)
        if problem:  # a missing file opens as a new pipeline; anything else unreadable stops here
            _error(f"{file}: {problem}")
            return EXIT_INVALID
    if file is not None and getattr(args, "trust", False):
        from .trust_prompt import trust_for_session

        trust_for_session(folder_of(file))
    return run_editor(file, reopen_last=file is None)


def _render(args: argparse.Namespace) -> int:
    _headless_if_needed()
    file, output = Path(args.file), Path(args.output)
    problem = regular_file_error(file)
    if problem:
        _error(f"{file}: {problem}")
        return EXIT_INVALID
    try:
        render = importlib.import_module("nodeloom.desktop.render")
    except ImportError as exc:
        _error(f"rendering is not available: {exc}")
        return EXIT_INVALID
    try:
        warnings = render.render_pipeline_file(
            file, output, width=int(getattr(args, "width", 0) or 0), trust=bool(getattr(args, "trust", False))
        )
    except PipelineError as exc:
        for problem in exc.problems:
            print(problem.format(str(file)), file=sys.stderr)
        return EXIT_INVALID
    except (OSError, ValueError) as exc:
        _error(f"{output}: {getattr(exc, 'strerror', None) or exc}")
        return EXIT_INVALID
    for warning in warnings:
        print(warning.format(str(file)), file=sys.stderr)
    return 0
