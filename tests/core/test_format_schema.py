"""The JSON Schema shipped in resources/ accepts every file Nodeloom writes and rejects malformed ones."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from fnd_helpers import doc, pipelines
from hypothesis import given, settings
from hypothesis import strategies as st
from nodeloom.core.file_format import dumps
from nodeloom.core.model import Pipeline

RESOURCES = resources.files("nodeloom.core.resources")
SCHEMA = json.loads(RESOURCES.joinpath("pipeline.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_every_example_validates() -> None:
    examples = [p for p in RESOURCES.joinpath("examples").iterdir() if p.name.endswith(".json")]
    assert examples
    for example in examples:
        errors = list(VALIDATOR.iter_errors(json.loads(example.read_text(encoding="utf-8"))))
        assert errors == [], (example.name, [e.message for e in errors])


@settings(max_examples=100, deadline=None)
@given(pipelines())
def test_every_generated_file_validates(pipeline: Pipeline) -> None:
    errors = list(VALIDATOR.iter_errors(json.loads(dumps(pipeline))))
    assert errors == [], [e.message for e in errors]


NODE = {"id": "a", "type": "data.value"}
EDGE = {"from": "a.result", "to": "b.value"}


def _with(path: str, value: Any) -> dict:
    """A valid document with one value replaced (path like 'nodes.0.retries'); `...` deletes the key."""
    document = doc([dict(NODE), {"id": "b", "type": "util.log"}], [dict(EDGE)])
    *parents, last = path.split(".")
    target: Any = document
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is ...:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return document


def test_the_base_document_is_valid() -> None:
    VALIDATOR.validate(_with("name", "ok"))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("format", ...),
        ("format", "nodeloom.other"),
        ("version", ...),
        ("version", 2),
        ("version", True),
        ("version", "1"),
        ("name", ...),
        ("name", 3),
        ("nodes", ...),
        ("nodes", {}),
        ("description", None),
        ("parameters", []),
        ("edges", "a.result"),
        ("ui", []),
        ("ui", {"nodes": {"a": {"x": 1}}}),
        ("extra", 1),
        ("nodes.0", "a"),
        ("nodes.0.id", ...),
        ("nodes.0.id", "1a"),
        ("nodes.0.id", "a.b"),
        ("nodes.0.id", "x" * 65),
        ("nodes.0.type", ...),
        ("nodes.0.type", ""),
        ("nodes.0.type", "Data.Value"),
        ("nodes.0.type", "py:nocolon"),
        ("nodes.0.label", 1),
        ("nodes.0.label", None),
        ("nodes.0.params", []),
        ("nodes.0.params", {"value": {"$param": 1}}),
        ("nodes.0.params", {"value": {"$param": "p", "more": 1}}),
        ("nodes.0.retries", -1),
        ("nodes.0.retries", 1.5),
        ("nodes.0.retries", 1001),
        ("nodes.0.retries", False),
        ("nodes.0.retry_delay_s", -0.5),
        ("nodes.0.retry_delay_s", "1"),
        ("nodes.0.timeout_s", 0),
        ("nodes.0.timeout_s", "5"),
        ("nodes.0.cache", 1),
        ("nodes.0.disabled", None),
        ("nodes.0.colour", "red"),
        ("edges.0", ["a.result", "b.value"]),
        ("edges.0.from", ...),
        ("edges.0.from", "aresult"),
        ("edges.0.to", "b."),
        ("edges.0.to", "b.1x"),
        ("edges.0.via", "c"),
    ],
)
def test_malformed_documents_are_rejected(path: str, value: Any) -> None:
    assert not VALIDATOR.is_valid(_with(path, value))


# -- one source of truth: the schema is generated from the loader, and both judge documents alike -----
def test_the_committed_schema_is_the_generated_one() -> None:
    """Regenerate with `python -m nodeloom.core.format_schema > resources/pipeline.schema.json`."""
    from nodeloom.core.format_schema import schema_text

    assert RESOURCES.joinpath("pipeline.schema.json").read_text(encoding="utf-8") == schema_text()


_POOL = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.5,
    500,
    10**6,
    7 * 86_400 + 1,
    "",
    "x",
    "a\n",
    "a=b",
    "a b",
    " a",
    "py:m:f",
]
_POOL += ["py:m:f\n", "math.add", "Math.Add", "x.1y", [], {}, {"$param": "p"}, {"$param": 1}]
_POOL += [{"$param": "p", "x": 1}, {"x": 1, "y": 2}, {"x": "1", "y": 2}, {"x": 1}]
_values = st.sampled_from(_POOL)
_names = st.sampled_from([v for v in _POOL if isinstance(v, str)])
# problems about things a JSON Schema cannot see (they need two places of the document at once)
_OUT_OF_SCOPE = ("no node '", "duplicate node id", "appears twice")


@st.composite
def mutated_documents(draw: st.DrawFn) -> dict:
    from nodeloom.core.file_format import NODE_KEYS, TOP_KEYS, to_document

    document = json.loads(json.dumps(to_document(draw(pipelines(max_nodes=3)))))
    for _ in range(draw(st.integers(1, 2))):
        where = draw(st.sampled_from(["top", "node", "edge", "param", "parameter", "ui", "whole"]))
        delete = draw(st.booleans())
        if where == "top":
            key = draw(st.sampled_from([*TOP_KEYS, "bogus"]))
            if delete:
                document.pop(key, None)
            else:
                document[key] = draw(_values)
        elif where in ("node", "edge", "param", "whole") and isinstance(document.get("nodes"), list):
            kind = "edges" if where == "edge" and isinstance(document.get("edges"), list) else "nodes"
            items = document[kind]
            if not items:
                continue
            index = draw(st.integers(0, len(items) - 1))
            if where != "whole" and not isinstance(items[index], dict):
                continue
            keys = [*NODE_KEYS, "bogus"] if kind == "nodes" else ["from", "to", "bogus"]
            if where == "whole":
                items[index] = draw(_values)
            elif where == "param" and kind == "nodes" and isinstance(items[index].get("params", {}), dict):
                items[index].setdefault("params", {})[draw(st.sampled_from(["a", "value"]))] = draw(_values)
            elif delete:
                items[index].pop(draw(st.sampled_from(keys)), None)
            else:
                items[index][draw(st.sampled_from(keys))] = draw(_values)
        elif where == "parameter" and isinstance(document.get("parameters", {}), dict):
            document.setdefault("parameters", {})[draw(_names)] = draw(_values)
        elif where == "ui" and isinstance(document.get("ui", {}), dict):
            positions = document.setdefault("ui", {}).setdefault("nodes", {})
            if isinstance(positions, dict):
                positions[draw(_names)] = draw(_values)
    return document


@settings(max_examples=400, deadline=None)
@given(mutated_documents())
def test_schema_and_loader_accept_and_refuse_the_same_documents(document: dict) -> None:
    import copy

    from hypothesis import assume
    from nodeloom.core.file_format import from_document
    from nodeloom.core.registry import _PY_RE, TYPE_NAME_RE

    result = from_document(copy.deepcopy(document))
    messages = [p.message for p in result.problems]
    assume(not any(marker in m for m in messages for marker in _OUT_OF_SCOPE))
    loader_ok = not messages and all(
        TYPE_NAME_RE.fullmatch(n.type) or _PY_RE.fullmatch(n.type)  # the registry's name shape
        for n in result.pipeline.nodes.values()  # type: ignore[union-attr]
    )
    schema_errors = [e.message for e in VALIDATOR.iter_errors(document)]
    assert loader_ok == (not schema_errors), (messages, schema_errors)
