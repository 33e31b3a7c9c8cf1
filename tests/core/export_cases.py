"""Pipelines that stress the exporters, written into a folder with the `py:` module they use.

`tricky`: fan-in `many` ports (mixed sources, edge order), multi-output nodes returning a dict and a
tuple, `$param` bindings (one parameter name with a space, a non-ASCII default, an unused one), a
disabled node with a descendant and a feeder, node ids that are Python keywords or hold dashes, a
node with no outputs writing a file, values only a codec can carry through Airflow (bytes, int dict
keys, tuples, numpy arrays), retries and timeouts, and a `py:` module beside the pipeline file.
`thing`: a value (an instance of a user class) that no pickle-free channel can carry between tasks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MODULE = "nl_export_helpers"  # unique: the tests import it in-process too

HELPERS = """
from pathlib import Path

import numpy as np

from nodeloom.core.context import Context
from nodeloom.core.decorator import node


@node(outputs=["low", "high"])
def split_range(n: int, ctx: Context) -> dict:
    ctx.log(f"splitting {n}")
    ctx.progress(1.0)
    return {"high": list(range(n // 2, n)), "low": list(range(n // 2))}


@node(outputs=["count", "pair"])
def describe(values: list, label: str = "x") -> tuple:
    return len(values), (label, sum(values))


def scale(values: list, factor: float = 1.0) -> list:
    return [v * factor for v in values]


@node(many=["parts"])
def gather(parts) -> dict:  # noqa: ANN001 - untyped: any value fans in
    return {str(i): p for i, p in enumerate(parts)}


def as_bytes(text: str) -> bytes:
    return text.encode()


def blob_len(data: bytes) -> int:
    return len(data)


def int_keys(n: int) -> dict:
    return {i: i * i for i in range(n)}


def key_sum(table: dict) -> int:
    return sum(k for k in table if isinstance(k, int)) + sum(table.values())


def matrix(n: int) -> np.ndarray:
    return np.arange(n * 3, dtype=np.float32).reshape(n, 3) / 7


def trace(m: np.ndarray) -> float:
    return float(m.sum()) + float(m.dtype.itemsize)


@node(outputs=[])
def write_note(text: str, path: str) -> None:
    Path(path).write_text(text, encoding="utf-8")


class Thing:
    pass


def make_thing() -> Thing:
    return Thing()


def use_thing(thing: Thing) -> str:
    return type(thing).__name__
"""


def _node(nid: str, type_: str, params: dict[str, Any] | None = None, **options: Any) -> dict[str, Any]:
    return {"id": nid, "type": type_, **({"params": params} if params else {}), **options}


def _py(name: str) -> str:
    return f"py:{MODULE}:{name}"


def _doc(
    name: str, parameters: dict[str, Any], nodes: list[dict[str, Any]], edges: list[tuple[str, str]]
) -> dict:
    return {
        "format": "nodeloom.pipeline",
        "version": 1,
        "name": name,
        "parameters": parameters,
        "nodes": nodes,
        "edges": [{"from": a, "to": b} for a, b in edges],
    }


TRICKY = _doc(
    "tricky export",
    {"n": 6, "factor": 2.5, "label": "Σ total", "learning rate": 0.1, "unused": None},
    [
        _node("class", _py("split_range"), {"n": {"$param": "n"}}),
        _node("low-scaled", _py("scale"), {"factor": {"$param": "factor"}}),
        _node("high-scaled", _py("scale")),
        _node("a", "math.add", {"a": {"$param": "learning rate"}, "b": 1}),
        _node("b", "math.add", {"a": 2, "b": 3}, retries=2, retry_delay_s=0.5, timeout_s=30),
        _node("total", "math.sum"),
        _node("gather", _py("gather")),
        _node("describe", _py("describe"), {"label": {"$param": "label"}}),
        _node("keys", _py("int_keys"), {"n": 3}),
        _node("keysum", _py("key_sum")),
        _node("blob", _py("as_bytes"), {"text": "héllo"}),
        _node("bloblen", _py("blob_len")),
        _node("matrix", _py("matrix"), {"n": {"$param": "n"}}),
        _node("trace", _py("trace")),
        _node("fmt", "text.format", {"template": "total={value}"}),
        _node("note", _py("write_note"), {"path": "note.txt"}),
        _node("feeds-off", "math.add", {"a": 5}),
        _node("off", "math.add", {"a": 1}, disabled=True),
        _node("after-off", "math.multiply", {"b": 3}),
    ],
    [
        ("class.low", "low-scaled.values"),
        ("class.high", "high-scaled.values"),
        ("b.result", "total.values"),
        ("a.result", "total.values"),
        ("low-scaled.result", "gather.parts"),
        ("total.result", "gather.parts"),
        ("high-scaled.result", "gather.parts"),
        ("low-scaled.result", "describe.values"),
        ("keys.result", "keysum.table"),
        ("blob.result", "bloblen.data"),
        ("matrix.result", "trace.m"),
        ("total.result", "fmt.value"),
        ("fmt.result", "note.text"),
        ("feeds-off.result", "off.b"),
        ("off.result", "after-off.a"),
    ],
)

THING = _doc(
    "thing",
    {},
    [_node("make", _py("make_thing")), _node("use", _py("use_thing"))],
    [("make.result", "use.thing")],
)


def write_cases(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{MODULE}.py").write_text(HELPERS, encoding="utf-8")
    paths = {}
    for name, doc in (("tricky", TRICKY), ("thing", THING)):
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths
