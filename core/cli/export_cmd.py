"""`nodeloom export FILE --to python|prefect|airflow [-o OUT.py]`: the pipeline as code.

Exit 0 with the file written (or the code on stdout without `-o`), 2 with one line per problem when the
file is invalid or a node cannot be expressed by the target. The output is written atomically.
"""

from __future__ import annotations

import argparse
import sys

from ..atomic import atomic_write_text
from ..errors import PipelineError
from ..export import TARGETS, ExportError, export_file
from .output import EXIT_INVALID, EXIT_OK, error, print_problems


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export", help="write the pipeline as a Python script, a Prefect flow or an Airflow DAG"
    )
    p.add_argument("file", help="pipeline JSON file")
    p.add_argument("--to", required=True, choices=list(TARGETS), help="what to write")
    p.add_argument("-o", "--output", metavar="OUT.py", help="file to write (default: standard output)")
    p.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    try:
        code = export_file(args.file, args.to, args.output)
    except PipelineError as exc:
        print_problems(exc.problems, args.file)
        return EXIT_INVALID
    except ExportError as exc:
        error(f"{args.file}: {exc}")
        return EXIT_INVALID
    if not args.output:
        sys.stdout.write(code)
        return EXIT_OK
    try:
        atomic_write_text(args.output, code)
    except OSError as exc:
        error(f"cannot write {args.output}: {exc.strerror or exc}")
        return EXIT_INVALID
    print(f"{args.output}: {args.to} export of {args.file}")
    return EXIT_OK
