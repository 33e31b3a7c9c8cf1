"""`nodeloom validate FILE`: every problem on its own line; exit 0 when runnable, 2 otherwise."""

from __future__ import annotations

import argparse

from ..errors import one_line
from ..validation import check_file
from .output import EXIT_INVALID, EXIT_OK, print_problems


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a pipeline file without running anything")
    p.add_argument("file", help="pipeline JSON file")
    p.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    result = check_file(args.file)
    if result.problems:
        print_problems(result.problems, args.file)
        n = len(result.problems)
        print(one_line(f"{args.file}: {n} problem{'s' if n != 1 else ''}"))
        return EXIT_INVALID
    pipeline = result.pipeline
    assert pipeline is not None
    print(one_line(f"{args.file}: ok ({len(pipeline.nodes)} nodes, {len(pipeline.edges)} edges)"))
    return EXIT_OK
