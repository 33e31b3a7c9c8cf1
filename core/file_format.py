"""Pipeline file format v1: strict loading, deterministic saving, migrations.

Loading never trusts the file: every structural fault (bad bytes, bad JSON, wrong types, unknown keys,
malformed ids and edges) becomes a `Problem` naming the node and field, and loading goes on to find the
rest. Saving writes keys in a fixed order with 2-space indent and a trailing newline, so load-then-save
of a saved file gives the same bytes and a one-node edit changes only that node's lines.

Older versions are upgraded by `MIGRATIONS[v]` (a function from a version-v document to version v+1)
before checking; newer versions are refused.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from sys import intern
from typing import Any

from .atomic import atomic_write_text
from .errors import PipelineError, Problem
from .file_text import gc_paused, parse_text, read_text
from .model import NODE_ID_RE, NODE_OPTIONS, Edge, Node, Pipeline
from .vocabulary import (
    MAX_RETRIES,
    MAX_RETRY_DELAY_S,
    MAX_TIMEOUT_S,
    PARAM_REF,
    looks_like_param_ref,
    param_ref,
)

FORMAT_NAME = "nodeloom.pipeline"
FORMAT_VERSION = 1
MAX_PROBLEMS = 1000  # structural problems collected before loading gives up on a hopeless file
TOP_KEYS = ("format", "version", "name", "description", "parameters", "nodes", "edges", "ui")
NODE_KEYS = ("id", "type", "label", "params", "retries", "retry_delay_s", "timeout_s", "cache", "disabled")
_NODE_KEY_SET = frozenset(NODE_KEYS)
_TOP_KEY_SET = frozenset(TOP_KEYS)
_EDGE_KEY_SET = frozenset(("from", "to"))
BAD_REF = f'a reference must be exactly {{"{PARAM_REF}": "NAME"}}'
# A pipeline parameter name: what `--set NAME=VALUE` can address: no '=', no control characters (a
# terminal would mangle them), no space at either end (`--set` strips those), at most 64 characters.
_NAME_END = r"[^ =\x00-\x1f\x7f-\x9f\u2028\u2029]"
PARAMETER_NAME_RE = re.compile(rf"{_NAME_END}(?:[^=\x00-\x1f\x7f-\x9f\u2028\u2029]{{0,62}}{_NAME_END})?")

# version -> function turning a document of that version into one of version + 1
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


@dataclass
class LoadResult:
    pipeline: Pipeline | None
    problems: list[Problem] = field(default_factory=list)


def load_file(path: str | os.PathLike[str]) -> LoadResult:
    """Read and structurally check a pipeline file, collecting every problem found."""
    file = os.fspath(path)
    with gc_paused():
        try:
            doc = parse_text(read_text(file))
        except ValueError as exc:
            return LoadResult(None, [Problem(str(exc), file=file)])
        result = from_document(doc)
    result.problems = [Problem(p.message, p.node, p.field, file, p.severity) for p in result.problems]
    return result


def load_pipeline(path: str | os.PathLike[str]) -> Pipeline:
    """Load a pipeline file; raises PipelineError listing the problems if it is malformed."""
    result = load_file(path)
    if result.problems or result.pipeline is None:
        raise PipelineError(result.problems)
    return result.pipeline


def loads(text: str) -> Pipeline:
    try:
        doc = parse_text(text)
    except ValueError as exc:
        raise PipelineError([Problem(str(exc))]) from None
    result = from_document(doc)
    if result.problems or result.pipeline is None:
        raise PipelineError(result.problems)
    return result.pipeline


def migrate(doc: dict[str, Any]) -> dict[str, Any]:
    """Upgrade an older document step by step; raises ValueError for unknown or newer versions."""
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"'version' must be an integer, got {_describe(version)}")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"format version {version} is newer than this Nodeloom reads (up to {FORMAT_VERSION}); upgrade Nodeloom"
        )
    while version < FORMAT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ValueError(
                f"format version {version} is not supported (this Nodeloom reads {FORMAT_VERSION})"
            )
        try:
            doc = step(doc)
        except Exception as exc:  # noqa: BLE001 - an old file too broken to upgrade is a bad file, not a crash
            raise ValueError(
                f"cannot upgrade from format version {version}: {type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(doc, dict):
            raise ValueError(f"cannot upgrade from format version {version}: the upgrade gave no document")
        version = doc["version"] = version + 1
    return doc


def from_document(doc: Any) -> LoadResult:
    """Build a Pipeline from a parsed JSON document, collecting structural problems.

    The one documented fast path into the model: nodes and edges are put into `pipeline.nodes` and
    `pipeline.edges` directly rather than through `Pipeline.add_node`/`add_edge`. That is sound because
    the pipeline is new (no listener to notify) and this loop enforces the very invariants those
    methods guard (unique ids, edges between existing nodes, no duplicate edge), reporting each breach
    as a Problem instead of raising; it keeps a 10,000-node file's load linear rather than paying a
    membership scan per edge. `tests/core/test_format_load.py` checks the result equals the model
    built through its methods.
    """
    problems: list[Problem] = []
    add = problems.append
    if not isinstance(doc, dict):
        return LoadResult(None, [Problem(f"the top level must be a JSON object, got {_describe(doc)}")])
    if doc.get("format") != FORMAT_NAME:
        found = doc.get("format")
        what = "is missing" if found is None else f"is {_short(found)}"
        return LoadResult(
            None, [Problem(f"not a Nodeloom pipeline: 'format' {what} (expected '{FORMAT_NAME}')")]
        )
    if "version" not in doc:
        return LoadResult(None, [Problem("'version' is missing")])
    try:
        doc = migrate(doc)
    except ValueError as exc:
        return LoadResult(None, [Problem(str(exc))])
    for key in [k for k in doc if k not in _TOP_KEY_SET]:
        add(Problem(f"unknown top-level key '{_clip(key)}'", field=key))
    name = doc.get("name")
    if name is None:
        add(Problem("'name' is missing", field="name"))
        name = ""
    elif not isinstance(name, str):
        add(Problem(f"'name' must be a string, got {_describe(name)}", field="name"))
        name = ""
    description = doc.get("description", "")
    if not isinstance(description, str):
        add(Problem(f"'description' must be a string, got {_describe(description)}", field="description"))
        description = ""
    parameters = doc.get("parameters", {})
    if not isinstance(parameters, dict):
        add(Problem(f"'parameters' must be an object, got {_describe(parameters)}", field="parameters"))
        parameters = {}
    for key in [k for k in parameters if not PARAMETER_NAME_RE.fullmatch(k)]:
        add(
            Problem(
                f"invalid parameter name {_short(key)} (1 to 64 characters, no '=', control characters or spaces at the ends)",
                field="parameters",
            )
        )
        del parameters[key]
    ui = doc.get("ui", {})
    if not isinstance(ui, dict):
        add(Problem(f"'ui' must be an object, got {_describe(ui)}", field="ui"))
        ui = {}
    _check_ui(ui, add)
    pipeline = Pipeline(name, description, parameters, ui=ui)
    raw_nodes = doc.get("nodes", [])
    if "nodes" not in doc:
        add(Problem("'nodes' is missing", field="nodes"))
    elif not isinstance(raw_nodes, list):
        add(Problem(f"'nodes' must be a list, got {_describe(raw_nodes)}", field="nodes"))
        raw_nodes = []
    nodes = pipeline.nodes
    first_index: dict[str, int] = {}
    for index, raw in enumerate(raw_nodes):
        if len(problems) >= MAX_PROBLEMS:
            return _gave_up(pipeline, problems)
        built = _node(raw, index, add)
        if built is None:
            continue
        if built.id in nodes:
            add(
                Problem(
                    f"duplicate node id (nodes[{index}]; first at nodes[{first_index[built.id]}])",
                    built.id,
                    "id",
                )
            )
            continue
        nodes[built.id] = built
        first_index[built.id] = index
    raw_edges = doc.get("edges", [])
    if not isinstance(raw_edges, list):
        add(Problem(f"'edges' must be a list, got {_describe(raw_edges)}", field="edges"))
        raw_edges = []
    edges = pipeline.edges
    canonical = {nid: nid for nid in nodes}
    # duplicate edges share their target: remember each target's first source, and pairs only for fan-in
    first_source: dict[str, str] = {}
    fan_in: set[tuple[str, str]] = set()
    for index, raw in enumerate(raw_edges):
        # fast path for a clean edge; anything unusual takes the slow path that names the fault
        if type(raw) is dict and len(raw) == 2:
            source, target = raw.get("from"), raw.get("to")
            if type(source) is str and type(target) is str:
                src, _, src_port = source.partition(".")
                dst, _, dst_port = target.partition(".")  # ids have no dots: a node found means a clean split
                # the node's own id string and interned port names: later lookups compare pointers, not text
                src_id, dst_id = canonical.get(src), canonical.get(dst)
                if src_id and dst_id and src_port.isidentifier() and dst_port.isidentifier():
                    first = first_source.get(target)
                    if first is None:
                        first_source[target] = source
                        edges.append(Edge(src_id, intern(src_port), dst_id, intern(dst_port)))
                        continue
                    if first != source and (source, target) not in fan_in:
                        fan_in.add((source, target))
                        edges.append(Edge(src_id, intern(src_port), dst_id, intern(dst_port)))
                        continue
        if len(problems) >= MAX_PROBLEMS:
            return _gave_up(pipeline, problems)
        edge = _edge(raw, index, nodes, add)
        if edge is None:
            continue
        source, target = edge.source, edge.target
        first = first_source.get(target)
        if first is not None and (first == source or (source, target) in fan_in):
            add(Problem(f"edge {edge} appears twice", edge.dst, "edges"))
            continue
        if first is None:
            first_source[target] = source
        else:
            fan_in.add((source, target))
        edges.append(edge)
    return LoadResult(pipeline, problems)


def _gave_up(pipeline: Pipeline, problems: list[Problem]) -> LoadResult:
    problems.append(Problem(f"more than {MAX_PROBLEMS} problems; stopped checking"))
    return LoadResult(pipeline, problems)


def _node(raw: Any, index: int, add: Callable[[Problem], None]) -> Node | None:
    """A Node from one entry of `nodes`, or None when it has no usable id; every fault is reported."""
    if type(raw) is not dict:
        add(Problem(f"nodes[{index}] must be an object, got {_describe(raw)}", field="nodes"))
        return None
    node_id = raw.get("id")
    if type(node_id) is not str or not _ID_MATCH(node_id):
        if not isinstance(node_id, str):
            what = "missing" if node_id is None else "not a string: " + _describe(node_id)
            add(Problem(f"nodes[{index}]: 'id' is {what}", field="id"))
        else:
            add(
                Problem(
                    f"nodes[{index}]: invalid node id {_short(node_id)} (letters, digits, _ and -, starting with a letter or _, at most 64)",
                    field="id",
                )
            )
        return None
    if not raw.keys() <= _NODE_KEY_SET:
        for key in [k for k in raw if k not in _NODE_KEY_SET]:
            add(Problem(f"unknown key '{_clip(key)}'", node_id, key))
    node_type = raw.get("type")
    if type(node_type) is not str or not node_type:
        add(Problem(f"'type' must be a non-empty string, got {_describe(node_type)}", node_id, "type"))
        node_type = ""
    base_keys = 2  # id and type
    params = raw.get("params", _NO_PARAMS)
    if params is _NO_PARAMS:
        params = {}
    else:
        base_keys += 1
        if type(params) is not dict:
            add(Problem(f"'params' must be an object, got {_describe(params)}", node_id, "params"))
            params = {}
        for port, value in params.items():
            if looks_like_param_ref(value) and param_ref(value) is None:
                add(Problem(f"param '{_clip(port)}': {BAD_REF}", node_id, f"params.{port}"))
    label = raw.get("label", _NO_PARAMS)
    if label is _NO_PARAMS:
        label = None
    else:
        base_keys += 1
        if type(label) is not str:
            add(Problem(f"'label' must be a string, got {_describe(label)}", node_id, "label"))
        label = label or None if type(label) is str else None  # an empty label is no label
    if len(raw) == base_keys:  # the common case: no options
        return Node(node_id, node_type, params, label)
    options: dict[str, Any] = {}
    for key in NODE_OPTIONS:
        if key in raw:
            value = raw[key]
            message = _option_error(key, value)
            if message:
                add(Problem(f"'{key}' {message}, got {_describe(value)}", node_id, key))
            else:
                options[key] = value
    # a node with problems is still kept, so edges to it and later checks stay meaningful
    return Node(node_id, node_type, params, label, **options)


_NO_PARAMS: Any = object()
_ID_MATCH = NODE_ID_RE.fullmatch


def _option_error(key: str, value: Any) -> str | None:
    """Why a node option's value is refused (limits from `vocabulary`, shared with the schema and the
    inspector), or None."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if key == "retries":
        return (
            None
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_RETRIES
            else f"must be an integer from 0 to {MAX_RETRIES}"
        )
    if key == "retry_delay_s":
        return (
            None
            if is_number and 0 <= value <= MAX_RETRY_DELAY_S
            else f"must be a number of seconds from 0 to {MAX_RETRY_DELAY_S:g}"
        )
    if key == "timeout_s":
        return (
            None
            if value is None or (is_number and 0 < value <= MAX_TIMEOUT_S)
            else f"must be a positive number of seconds up to {MAX_TIMEOUT_S:g}, or null"
        )
    return None if isinstance(value, bool) else "must be true or false"


def _edge(raw: Any, index: int, nodes: dict[str, Node], add: Callable[[Problem], None]) -> Edge | None:
    where = f"edges[{index}]"
    if not isinstance(raw, dict):
        add(Problem(f"{where} must be an object with 'from' and 'to', got {_describe(raw)}", field="edges"))
        return None
    if not raw.keys() <= _EDGE_KEY_SET:
        add(
            Problem(
                f"{where}: unknown key '{_clip(next(k for k in raw if k not in _EDGE_KEY_SET))}'",
                field="edges",
            )
        )
        return None
    ends = []
    for key in ("from", "to"):
        ref = raw.get(key)
        if not isinstance(ref, str):
            add(
                Problem(f"{where}: '{key}' must be a string 'NODE.PORT', got {_describe(ref)}", field="edges")
            )
            return None
        node_id, dot, port = ref.partition(".")
        if not dot or not node_id or not port.isidentifier():
            add(Problem(f"{where}: '{key}' must look like 'NODE.PORT', got {_short(ref)}", field="edges"))
            return None
        ends.append((node_id, port))
    (src, src_port), (dst, dst_port) = ends
    for missing, other in ((src, dst), (dst, src)):
        if missing not in nodes:
            anchor = other if other in nodes else None
            add(
                Problem(
                    f"edge {_clip(f'{src}.{src_port} -> {dst}.{dst_port}')}: no node '{_clip(missing)}'",
                    anchor,
                    "edges",
                )
            )
            return None
    return Edge(src, src_port, dst, dst_port)


def _check_ui(ui: dict[str, Any], add: Callable[[Problem], None]) -> None:
    positions = ui.get("nodes")
    if positions is None:
        return
    if not isinstance(positions, dict):
        add(Problem(f"'ui.nodes' must be an object, got {_describe(positions)}", field="ui"))
        ui.pop("nodes")
        return
    for node_id, pos in list(positions.items()):
        if not (isinstance(pos, dict) and _finite(pos.get("x")) and _finite(pos.get("y"))):
            add(Problem(f"'ui.nodes.{_clip(node_id)}' must be an object with numeric x and y", field="ui"))
            del positions[node_id]


def _finite(v: Any) -> bool:
    kind = type(v)
    return kind is int or (kind is float and math.isfinite(v))


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {_clip(repr(value))}"
    if isinstance(value, str):
        return f"the string {_short(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _clip(text: str, limit: int = 60) -> str:
    text = str(text).replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(value: Any) -> str:
    """A value quoted for a message (`repr` escapes newlines and control characters once)."""
    return _clip(repr(value))


# -- saving ------------------------------------------------------------------------------------------
def to_document(pipeline: Pipeline) -> dict[str, Any]:
    doc: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "name": pipeline.name}
    if pipeline.description:
        doc["description"] = pipeline.description
    if pipeline.parameters:
        doc["parameters"] = pipeline.parameters
    doc["nodes"] = [node_to_dict(n) for n in pipeline.nodes.values()]
    doc["edges"] = [{"from": e.source, "to": e.target} for e in pipeline.edges]
    ui = _ordered_ui(pipeline)
    if ui:
        doc["ui"] = ui
    return doc


def node_to_dict(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"id": node.id, "type": node.type}
    if node.label:
        out["label"] = node.label
    if node.params:
        out["params"] = node.params
    for key, default in NODE_OPTIONS.items():
        value = getattr(node, key)
        if value != default:
            out[key] = value
    return out


def _ordered_ui(pipeline: Pipeline) -> dict[str, Any]:
    ui = dict(pipeline.ui)
    positions = ui.get("nodes")
    if isinstance(positions, dict) and positions:
        ordered = {nid: positions[nid] for nid in pipeline.nodes if nid in positions}
        ordered.update((k, v) for k, v in positions.items() if k not in ordered)
        ui["nodes"] = ordered
    elif "nodes" in ui and not positions:
        del ui["nodes"]
    return ui


def dumps(pipeline: Pipeline) -> str:
    """The file text: fixed key order, 2-space indent, UTF-8 characters as themselves, trailing newline."""
    text = json.dumps(to_document(pipeline), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    # a lone surrogate (from a "\\ud800" escape in a loaded file) cannot be written as UTF-8: keep it escaped
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def save_pipeline(pipeline: Pipeline, path: str | os.PathLike[str]) -> None:
    """Write the pipeline atomically (the old file survives any failure)."""
    atomic_write_text(path, dumps(pipeline))
