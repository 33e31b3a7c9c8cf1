"""The JSON Schema shipped in resources/ accepts every file Nodeloom writes and rejects malformed ones."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from fnd_helpers import doc, pipelines
from hypothesis import given, settings
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
