"""The JSON Schema of the pipeline format, generated from the loader's own definitions.

`resources/pipeline.schema.json` is this function's output, committed for editors and other tools;
a test checks the committed file equals a fresh generation, so a rule changed in the loader (a key,
an id pattern, an option limit from `vocabulary`) cannot leave the schema behind. Regenerate with
`python -m nodeloom.core.format_schema > resources/pipeline.schema.json`.

Patterns are written to mean the same in JSON Schema's ECMAScript regexes and in Python's `re.search`
(which `jsonschema` uses): a whole-string match ends in `(?![\\s\\S])`, since Python's `$` also matches
before a trailing newline. What a schema cannot express is left to `nodeloom validate`: duplicate ids,
edges to missing nodes, duplicate keys, nesting depth, and 1.0 where an integer is required (JSON
Schema counts 1.0 as an integer; the loader, like Python, does not).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from .file_format import FORMAT_NAME, FORMAT_VERSION, NODE_KEYS, PARAMETER_NAME_RE, TOP_KEYS
from .file_text import MAX_NESTING
from .model import NODE_ID_RE, NODE_OPTIONS
from .registry import _PY_RE, TYPE_NAME_RE
from .vocabulary import MAX_RETRIES, MAX_RETRY_DELAY_S, MAX_TIMEOUT_S, PARAM_REF

SCHEMA_ID = f"https://nodeloom.dev/schema/pipeline-v{FORMAT_VERSION}.json"
PORT_NAME = r"[^\W\d]\w*"  # what str.isidentifier() accepts, for the loader's edge ends


def _body(pattern: str) -> str:
    """A Python whole-match pattern's body, without `\\A`/`\\Z`/`^`/`$` anchors."""
    for prefix in ("\\A", "^"):
        pattern = pattern.removeprefix(prefix)
    for suffix in ("\\Z", "$"):
        pattern = pattern.removesuffix(suffix)
    return pattern


def _whole(body: str) -> str:
    return f"^(?:{body})(?![\\s\\S])"


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def pipeline_schema() -> dict[str, Any]:
    node_id = _body(NODE_ID_RE.pattern)
    defaults = NODE_OPTIONS
    node_properties: dict[str, Any] = {
        "id": {"$ref": "#/$defs/node_id"},
        "type": {"$ref": "#/$defs/node_type"},
        "label": {"type": "string"},
        "params": {"type": "object", "additionalProperties": {"$ref": "#/$defs/param_value"}},
        "retries": {"type": "integer", "minimum": 0, "maximum": MAX_RETRIES, "default": defaults["retries"]},
        "retry_delay_s": {
            "type": "number",
            "minimum": 0,
            "maximum": _number(MAX_RETRY_DELAY_S),
            "default": defaults["retry_delay_s"],
        },
        "timeout_s": {
            "anyOf": [
                {"type": "null"},
                {"type": "number", "exclusiveMinimum": 0, "maximum": _number(MAX_TIMEOUT_S)},
            ],
            "default": defaults["timeout_s"],
        },
        "cache": {"type": "boolean", "default": defaults["cache"]},
        "disabled": {"type": "boolean", "default": defaults["disabled"]},
    }
    assert tuple(node_properties) == NODE_KEYS, "every node key the loader knows has a schema"
    top_properties: dict[str, Any] = {
        "format": {"const": FORMAT_NAME},
        "version": {"type": "integer", "const": FORMAT_VERSION},
        "name": {"type": "string"},
        "description": {"type": "string"},
        "parameters": {
            "type": "object",
            "propertyNames": {"pattern": _whole(_body(PARAMETER_NAME_RE.pattern))},
            "description": "Pipeline parameter name -> default JSON value; a run may override it with --set NAME=VALUE.",
        },
        "nodes": {"type": "array", "items": {"$ref": "#/$defs/node"}},
        "edges": {"type": "array", "items": {"$ref": "#/$defs/edge"}},
        "ui": {
            "type": "object",
            "description": "View state only; the engine ignores it.",
            "properties": {
                "nodes": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["x", "y"],
                        "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                    },
                }
            },
        },
    }
    assert tuple(top_properties) == TOP_KEYS, "every top-level key the loader knows has a schema"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"Nodeloom pipeline, format version {FORMAT_VERSION}",
        "description": (
            "The structure of a Nodeloom pipeline file, generated from the loader (core/format_schema.py). "
            "`nodeloom validate` checks more than this schema can express: node types and ports, edges to "
            f"missing nodes, one edge per input, {PARAM_REF} references, required inputs, port types, "
            f"cycles, duplicate ids and keys, NaN, nesting deeper than {MAX_NESTING} levels, and 1.0 "
            "where an integer is required."
        ),
        "type": "object",
        "required": ["format", "version", "name", "nodes"],
        "additionalProperties": False,
        "properties": top_properties,
        "$defs": {
            "node_id": {"type": "string", "pattern": _whole(node_id)},
            "node_type": {
                "type": "string",
                "anyOf": [
                    {"pattern": _whole(_body(TYPE_NAME_RE.pattern)), "description": "a registered node type"},
                    {
                        "pattern": _whole(_body(_PY_RE.pattern)),
                        "description": "py:MODULE:QUALNAME, any importable function",
                    },
                ],
            },
            "port_ref": {
                "type": "string",
                "pattern": _whole(f"{node_id}\\.{PORT_NAME}"),
                "description": "NODE.PORT",
            },
            "param_value": {
                "description": f'A JSON literal, or {{"{PARAM_REF}": NAME}} naming a pipeline parameter.',
                "if": {"type": "object", "required": [PARAM_REF]},
                "then": {"additionalProperties": False, "properties": {PARAM_REF: {"type": "string"}}},
            },
            "node": {
                "type": "object",
                "required": ["id", "type"],
                "additionalProperties": False,
                "properties": node_properties,
            },
            "edge": {
                "type": "object",
                "required": ["from", "to"],
                "additionalProperties": False,
                "properties": {
                    "from": {"$ref": "#/$defs/port_ref", "description": "an output port"},
                    "to": {"$ref": "#/$defs/port_ref", "description": "an input port"},
                },
            },
        },
    }


def schema_text() -> str:
    """The schema file's exact text (2-space indent, trailing newline), as committed in resources/."""
    return json.dumps(pipeline_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_text())
