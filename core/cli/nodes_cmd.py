"""`nodeloom nodes`: the registered node types with their ports, types and descriptions."""

from __future__ import annotations

import argparse

from ..node_types import PortSpec
from ..registry import default_registry
from .output import EXIT_OK, error, table


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("nodes", help="list the node types with their ports")
    p.add_argument("filter", nargs="?", default="", help="show only types whose name contains this text")
    p.set_defaults(command=run)


def _port(p: PortSpec) -> str:
    text = f"{p.name}: {p.type}"
    if p.many:
        text += "[many]"
    if p.has_default:
        text += f"={p.default!r}"
    return text


def run(args: argparse.Namespace) -> int:
    registry = default_registry()
    rows = []
    for t in registry.all():
        if args.filter not in t.name:
            continue
        inputs, outputs = [_port(p) for p in t.inputs], [_port(p) for p in t.outputs]
        for i in range(max(len(inputs), len(outputs), 1)):
            first = i == 0
            rows.append(
                (
                    t.name if first else "",
                    inputs[i] if i < len(inputs) else ("-" if first else ""),
                    outputs[i] if i < len(outputs) else ("-" if first else ""),
                    t.description if first else "",
                )
            )
    print(table(("TYPE", "INPUTS", "OUTPUTS", "DESCRIPTION"), rows))
    print("\nAny importable function is a node type too: py:MODULE:FUNCTION")
    for message in registry.load_errors:
        error(message)
    return EXIT_OK
