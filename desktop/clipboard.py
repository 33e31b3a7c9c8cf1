"""Copy and paste of node selections as JSON, so it works between windows and between processes.

A fragment is `{"nodes": [node dicts exactly as saved], "edges": [edges between those nodes],
"ui": {"nodes": {id: {"x", "y"}}}}`. It goes on the system clipboard twice: under the mime type
`application/x-nodeloom-fragment` and as plain text (pretty JSON, so pasting into a text editor or a
chat shows something readable). Reading accepts either, and checks the fragment with the file
loader's own rules, so text from anywhere can never crash the editor or put a malformed node in the model.
"""

from __future__ import annotations

import json
from typing import Any

from nodeloom.core.file_format import FORMAT_NAME, FORMAT_VERSION, from_document, node_to_dict
from nodeloom.core.model import Pipeline
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QClipboard, QGuiApplication

FRAGMENT_MIME = "application/x-nodeloom-fragment"

Fragment = dict[str, Any]


def make_fragment(pipeline: Pipeline, node_ids: list[str]) -> Fragment:
    """The selected nodes (in file order), the edges among them, and their positions."""
    chosen = set(node_ids)
    nodes = [node_to_dict(n) for n in pipeline.nodes.values() if n.id in chosen]
    edges = [
        {"from": e.source, "to": e.target} for e in pipeline.edges if e.src in chosen and e.dst in chosen
    ]
    positions = {}
    for node in nodes:
        pos = pipeline.position(node["id"])
        if pos is not None:
            positions[node["id"]] = {"x": pos[0], "y": pos[1]}
    return {"nodes": json.loads(json.dumps(nodes)), "edges": edges, "ui": {"nodes": positions}}


def parse_fragment(text: str) -> Fragment | None:
    """A clean fragment from clipboard text, or None if the text is not a usable fragment.

    The nodes and edges go through the pipeline loader (unknown keys, bad ids and malformed edges are
    dropped), and the result is rebuilt from the loaded model, so only well-formed data comes out.
    """
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("nodes"), list) or not raw["nodes"]:
        return None
    edges = raw.get("edges", [])
    ui = raw.get("ui", {})
    doc = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "name": "clipboard",
        "nodes": raw["nodes"],
        "edges": edges if isinstance(edges, list) else [],
        "ui": {"nodes": ui.get("nodes", {})}
        if isinstance(ui, dict) and isinstance(ui.get("nodes"), dict)
        else {},
    }
    try:
        result = from_document(doc)
    except (TypeError, ValueError, RecursionError):
        return None
    if result.pipeline is None or not result.pipeline.nodes:
        return None
    pipeline = result.pipeline
    return make_fragment(pipeline, list(pipeline.nodes))


def fragment_bounds_origin(fragment: Fragment) -> tuple[float, float] | None:
    """The top-left of the fragment's node positions (None when it has no positions)."""
    positions = [p for p in fragment.get("ui", {}).get("nodes", {}).values()]
    if not positions:
        return None
    return min(float(p["x"]) for p in positions), min(float(p["y"]) for p in positions)


def put_on_clipboard(fragment: Fragment, clipboard: QClipboard | None = None) -> None:
    text = json.dumps(fragment, indent=2, ensure_ascii=False)
    mime = QMimeData()
    mime.setData(FRAGMENT_MIME, text.encode("utf-8"))
    mime.setText(text)
    (clipboard or QGuiApplication.clipboard()).setMimeData(mime)


def read_clipboard(clipboard: QClipboard | None = None) -> Fragment | None:
    """The fragment on the clipboard (own mime type first, then plain text), or None."""
    mime = (clipboard or QGuiApplication.clipboard()).mimeData()
    if mime is None:
        return None
    if mime.hasFormat(FRAGMENT_MIME):
        found = parse_fragment(bytes(mime.data(FRAGMENT_MIME).data()).decode("utf-8", "replace"))
        if found is not None:
            return found
    if mime.hasText():
        return parse_fragment(mime.text())
    return None
