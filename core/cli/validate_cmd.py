"""`nodeloom validate FILE [--trust]`: every problem on its own line; exit 0 when runnable, 2 otherwise.

Validating never runs code from the file's folder (or the current directory) unless `--trust` says the
user trusts it: such `py:` types are read from their source instead, and each node that could not be
fully checked gets one warning line saying why. Warnings alone do not fail the command.
"""

from __future__ import annotations

import argparse

from ..errors import one_line
from ..validation import WARNING, check_file
from .output import EXIT_INVALID, EXIT_OK, print_problems


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a pipeline file without running anything")
    p.add_argument("file", help="pipeline JSON file")
    p.add_argument(
        "--trust",
        action="store_true",
        help="trust the file's folder: import its py: modules to check them fully (this runs their code)",
    )
    p.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    result = check_file(args.file, trust=args.trust)
    warnings = sum(1 for p in result.problems if p.severity == WARNING)
    errors = len(result.problems) - warnings
    if result.problems:  # errors first: they are what must change; then what could not be checked
        print_problems(sorted(result.problems, key=lambda p: p.severity == WARNING), args.file)
    unchecked = f", {warnings} not fully checked" if warnings else ""
    if errors or result.pipeline is None:
        print(one_line(f"{args.file}: {errors} problem{'s' if errors != 1 else ''}{unchecked}"))
        return EXIT_INVALID
    pipeline = result.pipeline
    print(one_line(f"{args.file}: ok ({len(pipeline.nodes)} nodes, {len(pipeline.edges)} edges){unchecked}"))
    return EXIT_OK
