"""Graph questions about a pipeline: order, cycles, upstream and downstream sets.

Ordering uses a plain Kahn pass (fast at 10,000 nodes); networkx is used to name the nodes on a cycle
and for layout elsewhere, where its richer algorithms pay for themselves.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import networkx as nx

from .model import Pipeline


def successors(pipeline: Pipeline) -> dict[str, list[str]]:
    """Each node's distinct direct dependents, in edge order."""
    out: dict[str, dict[str, None]] = {nid: {} for nid in pipeline.nodes}
    for e in pipeline.edges:
        out[e.src][e.dst] = None
    return {nid: list(targets) for nid, targets in out.items()}


def predecessors(pipeline: Pipeline) -> dict[str, list[str]]:
    """Each node's distinct direct inputs, in edge order."""
    out: dict[str, dict[str, None]] = {nid: {} for nid in pipeline.nodes}
    for e in pipeline.edges:
        out[e.dst][e.src] = None
    return {nid: list(sources) for nid, sources in out.items()}


def topological_order(pipeline: Pipeline) -> list[str] | None:
    """Node ids in an order where every node follows its inputs (file order among equals); None if cyclic."""
    succ: dict[str, list[str]] = {nid: [] for nid in pipeline.nodes}
    indegree = dict.fromkeys(pipeline.nodes, 0)
    for e in pipeline.edges:  # parallel edges count once per edge on both sides, so they cancel out
        succ[e.src].append(e.dst)
        indegree[e.dst] += 1
    ready = deque(nid for nid, d in indegree.items() if d == 0)
    order: list[str] = []
    while ready:
        nid = ready.popleft()
        order.append(nid)
        for t in succ[nid]:
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    return order if len(order) == len(indegree) else None


def to_networkx(pipeline: Pipeline) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(pipeline.nodes)
    g.add_edges_from((e.src, e.dst) for e in pipeline.edges)
    return g


def cycles(pipeline: Pipeline, limit: int = 10) -> list[list[str]]:
    """Up to `limit` distinct cycles, each as the list of its nodes in order."""
    g = to_networkx(pipeline)
    found: list[list[str]] = []
    covered: set[str] = set()
    for component in nx.strongly_connected_components(g):
        if len(component) == 1:
            (only,) = component
            if not g.has_edge(only, only):
                continue
        if covered & component:
            continue
        cycle = [u for u, _v in nx.find_cycle(g.subgraph(component))]
        found.append(cycle)
        covered |= component
        if len(found) >= limit:
            break
    return found


def upstream(pipeline: Pipeline, targets: Iterable[str]) -> set[str]:
    """The targets and everything they need."""
    pred = predecessors(pipeline)
    return _closure(pred, targets)


def downstream(pipeline: Pipeline, sources: Iterable[str]) -> set[str]:
    """The sources and everything that depends on them."""
    succ = successors(pipeline)
    return _closure(succ, sources)


def _closure(links: dict[str, list[str]], start: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    stack = [s for s in start if s in links]
    while stack:
        nid = stack.pop()
        if nid in seen:
            continue
        seen.add(nid)
        stack.extend(links[nid])
    return seen
