"""Entry point of the `nodeloom` command: parse, dispatch, and turn every failure into an exit code.

Editor commands (`edit`, `render`, no command) live in `nodeloom.desktop`, imported by name only when
asked for, so the headless commands never load Qt.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence

from ..errors import one_line
from . import cache_cmd, export_cmd, nodes_cmd, run_cmd, runs_cmd, validate_cmd
from .output import EXIT_INTERRUPTED, EXIT_INVALID, error, safe

HEADLESS_COMMANDS = [validate_cmd, nodes_cmd, run_cmd, runs_cmd, cache_cmd, export_cmd]
DESKTOP_MODULE = "nodeloom.desktop.cli"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nodeloom", description="Build and run AI and data pipelines.")
    parser.add_argument("--version", action="version", version="nodeloom 0.1.0")
    sub = parser.add_subparsers(metavar="COMMAND")
    for command in HEADLESS_COMMANDS:
        command.add_parser(sub)
    edit = sub.add_parser("edit", help="open the editor on a file")
    edit.add_argument("file", nargs="?", help="pipeline JSON file (new if missing)")
    edit.add_argument("--trust", action="store_true", help="trust the file's folder without asking")
    edit.set_defaults(desktop="edit")
    render = sub.add_parser("render", help="draw the pipeline as the canvas shows it, offscreen")
    render.add_argument("file")
    render.add_argument("-o", "--output", required=True, help="PNG (or SVG) file to write")
    render.add_argument("--width", type=int, default=0, help="image width in pixels (default: fit)")
    render.add_argument(
        "--trust", action="store_true", help="trust the file's folder: import its py: modules"
    )
    render.set_defaults(desktop="render")
    return parser


class _WarningLine(logging.Formatter):
    """Nodeloom's own warnings (a cache entry that failed verification, history not recorded): one line."""

    def format(self, record: logging.LogRecord) -> str:
        return f"nodeloom: {record.levelname.lower()}: {safe(one_line(record.getMessage()))}"


def _log_warnings_to_stderr() -> None:
    logger = logging.getLogger("nodeloom")
    if not any(getattr(h, "_nodeloom_cli", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)
        handler.setFormatter(_WarningLine())
        handler._nodeloom_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False  # printed here once, not again by a root handler (or Python's last resort)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    _log_warnings_to_stderr()
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
        if getattr(args, "desktop", None) or not args_list:
            return _desktop(getattr(args, "desktop", None) or "edit", args)
        return int(args.command(args))
    except SystemExit as exc:  # argparse usage errors (exit 2) and --help (exit 0)
        return int(exc.code) if isinstance(exc.code, int) else EXIT_INVALID
    except KeyboardInterrupt:
        error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except RecursionError:
        error("the pipeline is nested too deeply to process")
        return EXIT_INVALID
    except MemoryError:
        error("out of memory")
        return EXIT_INVALID
    except Exception as exc:  # noqa: BLE001 - a bug must still end in one line and an exit code, not a traceback
        if os.environ.get("NODELOOM_DEBUG"):
            raise
        error(f"internal error: {type(exc).__name__}: {exc} (set NODELOOM_DEBUG=1 for the traceback)")
        return EXIT_INVALID


def _desktop(command: str, args: argparse.Namespace) -> int:
    try:
        desktop = importlib.import_module(DESKTOP_MODULE)
    except ImportError as exc:
        error(f"the editor is not available: {exc}")
        return EXIT_INVALID
    return int(desktop.main(command, args))


if __name__ == "__main__":
    sys.exit(main())
