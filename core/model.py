"""The pipeline model: nodes, edges, parameters and view state, with change events.

The model is plain data plus a small observer list. Every mutation goes through a method here and
emits one `ModelEvent`, so the editor redraws from events and its undo commands call only this API.
The model does not validate semantics (that is `validation`); it keeps only structural invariants:
unique node ids, edges between existing nodes, no duplicate edges.

Backdrops are edited only through `add_backdrop`/`remove_backdrop`/`update_backdrop`/`rename_backdrop`
(typed `Backdrop`s, one event each); their stored form is the `ui["backdrops"]` list of the file. The
one documented fast path is the constructor: the loader hands it the file's `ui` mapping as read, and
`backdrops()` reads (and tolerates) whatever that list holds.
"""

from __future__ import annotations

import copy
import enum
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from typing import Any, NamedTuple

# \A...\Z, not ^...$: `$` also matches before a trailing newline, which let the id "a\n" through
NODE_ID_RE = re.compile(r"\A[A-Za-z_][A-Za-z0-9_-]{0,63}\Z")

# node attribute -> default; the order is the order keys are saved in
NODE_OPTIONS: dict[str, Any] = {
    "retries": 0,
    "retry_delay_s": 0,
    "timeout_s": None,
    "cache": True,
    "disabled": False,
}


@dataclass(slots=True)
class Node:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    label: str | None = None
    retries: int = 0
    retry_delay_s: float = 0
    timeout_s: float | None = None
    cache: bool = True
    disabled: bool = False

    @property
    def display_name(self) -> str:
        return self.label or self.id

    def clone(self, **changes: Any) -> Node:
        """An independent copy: mutable param values are deep-copied, scalars shared (fast at 10,000 nodes)."""
        params = {k: copy.deepcopy(v) if isinstance(v, dict | list) else v for k, v in self.params.items()}
        if changes:
            return replace(self, params=params, **changes)
        return Node(
            self.id,
            self.type,
            params,
            self.label,
            self.retries,
            self.retry_delay_s,
            self.timeout_s,
            self.cache,
            self.disabled,
        )


NODE_FIELDS = tuple(f.name for f in fields(Node))


class Edge(NamedTuple):
    """One wire, output `src.src_port` to input `dst.dst_port`; a tuple, so cheap to build at 10,000 edges."""

    src: str
    src_port: str
    dst: str
    dst_port: str

    @classmethod
    def parse(cls, source: str, target: str) -> Edge:
        src, _, src_port = source.partition(".")
        dst, _, dst_port = target.partition(".")
        return cls(src, src_port, dst, dst_port)

    @property
    def source(self) -> str:
        return f"{self.src}.{self.src_port}"

    @property
    def target(self) -> str:
        return f"{self.dst}.{self.dst_port}"

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"


class ModelEventKind(enum.StrEnum):
    """What changed; a str enum so a listener written against the old plain strings still compares equal."""

    NODE_ADDED = "node_added"
    NODE_REMOVED = "node_removed"
    NODE_CHANGED = "node_changed"
    EDGE_ADDED = "edge_added"
    EDGE_REMOVED = "edge_removed"
    PIPELINE_CHANGED = "pipeline_changed"
    UI_CHANGED = "ui_changed"
    BACKDROP_ADDED = "backdrop_added"
    BACKDROP_REMOVED = "backdrop_removed"
    BACKDROP_CHANGED = "backdrop_changed"


@dataclass(frozen=True, slots=True)
class ModelEvent:
    """One change; `index` is the backdrop's position for the backdrop kinds."""

    kind: ModelEventKind
    node_id: str | None = None
    edge: Edge | None = None
    field: str | None = None
    index: int | None = None


BACKDROPS_KEY = "backdrops"
DEFAULT_BACKDROP_TITLE = "Group"


@dataclass(slots=True)
class Backdrop:
    """A titled rectangle drawn behind a group of nodes (a comment that groups them).

    Saved as one entry of `ui["backdrops"]`: `{"title": str, "nodes": [ids], "color": "#rrggbb"}`. Its
    rectangle is never stored (it is the members' bounds), so it cannot drift from its nodes. Keys this
    version does not know are kept in `extra`, so a file from a newer editor keeps them on save.
    """

    title: str = DEFAULT_BACKDROP_TITLE
    nodes: list[str] = field(default_factory=list)
    color: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_raw(cls, raw: Any) -> Backdrop:
        """Tolerant of what a hand-edited file holds: a wrong type becomes the default, not a crash."""
        if not isinstance(raw, dict):
            return cls()
        members = raw.get("nodes")
        colour = raw.get("color")
        return cls(
            title=str(raw.get("title", DEFAULT_BACKDROP_TITLE)),
            nodes=[n for n in members if isinstance(n, str)] if isinstance(members, list) else [],
            color=colour if isinstance(colour, str) else None,
            extra={k: copy.deepcopy(v) for k, v in raw.items() if k not in ("title", "nodes", "color")},
        )

    def to_raw(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"title": self.title, "nodes": list(self.nodes)}
        if self.color is not None:
            raw["color"] = self.color
        raw.update(copy.deepcopy(self.extra))
        return raw


Listener = Callable[[ModelEvent], None]


class ModelError(ValueError):
    """A structural edit that would break the model (duplicate id, edge to a missing node)."""


class Pipeline:
    def __init__(
        self,
        name: str = "untitled",
        description: str = "",
        parameters: dict[str, Any] | None = None,
        nodes: Iterable[Node] = (),
        edges: Iterable[Edge] = (),
        ui: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.description = description
        self.parameters: dict[str, Any] = dict(parameters or {})
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.ui: dict[str, Any] = dict(ui or {})
        self._listeners: list[Listener] = []
        for n in nodes:
            self.add_node(n)
        for e in edges:
            self.add_edge(e)

    # -- observing ---------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(
        self,
        kind: ModelEventKind,
        node_id: str | None = None,
        edge: Edge | None = None,
        field: str | None = None,
        index: int | None = None,
    ) -> None:
        if self._listeners:
            event = ModelEvent(kind, node_id, edge, field, index)
            for listener in list(self._listeners):
                listener(event)

    # -- queries -----------------------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise ModelError(f"no node '{node_id}'") from None

    def edges_into(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges if e.dst == node_id and (port is None or e.dst_port == port)]

    def edges_out_of(self, node_id: str, port: str | None = None) -> list[Edge]:
        return [e for e in self.edges if e.src == node_id and (port is None or e.src_port == port)]

    def edges_of(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.src == node_id or e.dst == node_id]

    def unique_id(self, base: str, taken: Collection[str] = ()) -> str:
        """A free, valid node id derived from `base`; `taken` adds ids already promised (a paste in progress)."""
        stem = re.sub(r"[^A-Za-z0-9_-]", "_", base) or "node"
        if not re.match(r"[A-Za-z_]", stem):
            stem = "n_" + stem
        stem = stem[:56]

        def used(candidate: str) -> bool:
            return candidate in self.nodes or candidate in taken

        if not used(stem):
            return stem
        stem = (
            re.sub(r"_\d+$", "", stem) or stem
        )  # a copy of "evaluate_2" is "evaluate_3", not "evaluate_2_2"
        i = 2
        while used(f"{stem}_{i}"):
            i += 1
        return f"{stem}_{i}"

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)

    # -- node edits --------------------------------------------------------------------------------
    def add_node(
        self, node: Node, index: int | None = None, position: tuple[float, float] | None = None
    ) -> None:
        """Insert a node (at `index` in file order, default last), placed at `position` before listeners hear of it."""
        if node.id in self.nodes:
            raise ModelError(f"duplicate node id '{node.id}'")
        if position is not None:
            self.ui.setdefault("nodes", {})[node.id] = {"x": _tidy(position[0]), "y": _tidy(position[1])}
        if index is None or index >= len(self.nodes):
            self.nodes[node.id] = node
        else:
            items = list(self.nodes.items())
            items.insert(index, (node.id, node))
            self.nodes = dict(items)
        self._emit(ModelEventKind.NODE_ADDED, node.id)

    def remove_node(self, node_id: str) -> tuple[Node, int]:
        """Remove a node (its edges must already be gone); returns it and its index for undo."""
        node = self.node(node_id)
        if any(e.src == node_id or e.dst == node_id for e in self.edges):
            raise ModelError(f"node '{node_id}' still has edges")
        index = list(self.nodes).index(node_id)
        del self.nodes[node_id]
        self.ui.get("nodes", {}).pop(node_id, None)
        self._emit(ModelEventKind.NODE_REMOVED, node_id)
        return node, index

    def set_node_field(self, node_id: str, name: str, value: Any) -> Any:
        """Set label/type/retries/... of a node; returns the old value."""
        if name not in NODE_FIELDS or name in ("id", "params"):
            raise ModelError(f"not a node field: {name}")
        node = self.node(node_id)
        old = getattr(node, name)
        setattr(node, name, value)
        self._emit(ModelEventKind.NODE_CHANGED, node_id, field=name)
        return old

    def set_param(self, node_id: str, port: str, value: Any) -> Any:
        """Set (or with `value is UNSET` remove) a node param; returns the old value or UNSET."""
        node = self.node(node_id)
        old = node.params.get(port, UNSET)
        if value is UNSET:
            node.params.pop(port, None)
        else:
            node.params[port] = value
        self._emit(ModelEventKind.NODE_CHANGED, node_id, field=f"params.{port}")
        return old

    # -- edge edits --------------------------------------------------------------------------------
    def add_edge(self, edge: Edge, index: int | None = None) -> None:
        for end in (edge.src, edge.dst):
            if end not in self.nodes:
                raise ModelError(f"edge {edge}: no node '{end}'")
        if edge in self.edges:
            raise ModelError(f"duplicate edge {edge}")
        if index is None:
            self.edges.append(edge)
        else:
            self.edges.insert(index, edge)
        self._emit(ModelEventKind.EDGE_ADDED, edge.dst, edge=edge)

    def remove_edge(self, edge: Edge) -> int:
        try:
            index = self.edges.index(edge)
        except ValueError:
            raise ModelError(f"no edge {edge}") from None
        del self.edges[index]
        self._emit(ModelEventKind.EDGE_REMOVED, edge.dst, edge=edge)
        return index

    # -- pipeline-level edits ----------------------------------------------------------------------
    def set_info(self, name: str, value: Any) -> Any:
        """Set `name`, `description` or the whole `parameters` mapping; returns the old value."""
        if name not in ("name", "description", "parameters"):
            raise ModelError(f"not a pipeline field: {name}")
        old = getattr(self, name)
        setattr(self, name, copy.deepcopy(value) if name == "parameters" else value)
        self._emit(ModelEventKind.PIPELINE_CHANGED, field=name)
        return old

    def position(self, node_id: str) -> tuple[float, float] | None:
        pos = self.ui.get("nodes", {}).get(node_id)
        if isinstance(pos, dict) and "x" in pos and "y" in pos:
            return float(pos["x"]), float(pos["y"])
        return None

    def set_position(self, node_id: str, x: float, y: float) -> None:
        self.ui.setdefault("nodes", {}).setdefault(node_id, {}).update(x=_tidy(x), y=_tidy(y))
        self._emit(ModelEventKind.UI_CHANGED, node_id, field="position")

    def set_ui(self, key: str, value: Any) -> Any:
        """Replace one top-level `ui` entry (backdrops, view); returns the old value or UNSET."""
        old = self.ui.get(key, UNSET)
        if value is UNSET:
            self.ui.pop(key, None)
        else:
            self.ui[key] = copy.deepcopy(value)
        self._emit(ModelEventKind.UI_CHANGED, field=key)
        return old

    # -- backdrops -----------------------------------------------------------------------------------
    def backdrops(self) -> list[Backdrop]:
        """The backdrops in file order (index = position in `ui["backdrops"]`)."""
        raw = self.ui.get(BACKDROPS_KEY)
        return [Backdrop.from_raw(b) for b in raw] if isinstance(raw, list) else []

    def backdrop(self, index: int) -> Backdrop:
        items = self.backdrops()
        if not 0 <= index < len(items):
            raise ModelError(f"no backdrop #{index}")
        return items[index]

    def _store_backdrops(self, items: list[Backdrop]) -> None:
        if items:
            self.ui[BACKDROPS_KEY] = [b.to_raw() for b in items]
        else:
            self.ui.pop(BACKDROPS_KEY, None)

    def add_backdrop(self, backdrop: Backdrop, index: int | None = None) -> int:
        """Insert a backdrop (at `index`, default last); returns its index."""
        items = self.backdrops()
        index = len(items) if index is None or index > len(items) else index
        items.insert(index, copy.deepcopy(backdrop))
        self._store_backdrops(items)
        self._emit(ModelEventKind.BACKDROP_ADDED, field=BACKDROPS_KEY, index=index)
        return index

    def remove_backdrop(self, index: int) -> Backdrop:
        """Remove one backdrop (its nodes stay); returns it for undo."""
        items = self.backdrops()
        old = self.backdrop(index)
        del items[index]
        self._store_backdrops(items)
        self._emit(ModelEventKind.BACKDROP_REMOVED, field=BACKDROPS_KEY, index=index)
        return old

    def update_backdrop(self, index: int, **changes: Any) -> Backdrop:
        """Change title, nodes or color of one backdrop; returns the old one."""
        unknown = set(changes) - {"title", "nodes", "color"}
        if unknown:
            raise ModelError(f"not a backdrop field: {', '.join(sorted(unknown))}")
        items = self.backdrops()
        old = self.backdrop(index)
        items[index] = replace(copy.deepcopy(old), **changes)
        self._store_backdrops(items)
        self._emit(ModelEventKind.BACKDROP_CHANGED, field=BACKDROPS_KEY, index=index)
        return old

    def rename_backdrop(self, index: int, title: str) -> str:
        """Set a backdrop's title; returns the old title."""
        return self.update_backdrop(index, title=title).title

    def copy(self) -> Pipeline:
        """A deep, listener-free snapshot (what the engine runs on, so editing stays single-threaded)."""
        clone = Pipeline(
            self.name, self.description, copy.deepcopy(self.parameters), ui=copy.deepcopy(self.ui)
        )
        clone.nodes = {nid: n.clone() for nid, n in self.nodes.items()}
        clone.edges = list(self.edges)
        return clone


def _tidy(v: float) -> float | int:
    """Positions are saved rounded so a drag does not produce 17-digit diffs."""
    r = round(float(v), 1)
    return int(r) if r == int(r) else r


class _Unset:
    """The absence of a value (a param to remove); a singleton that survives copy and pickle."""

    def __repr__(self) -> str:
        return "UNSET"

    def __copy__(self) -> _Unset:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Unset:
        return self

    def __reduce__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()
