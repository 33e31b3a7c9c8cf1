"""Auto-layout: a layered left-to-right drawing of a pipeline graph (Sugiyama style), without Qt.

1. Layers: every node one past its latest input (`networkx.topological_generations` order), but no
   column holds more than ~1.3*sqrt(n) nodes (list scheduling as in Coffman-Graham), so very wide
   generations wrap into several columns; then every source is pulled next to its first consumer, so
   a parameter that feeds a late step sits beside it. Edges closing a cycle are ignored for layering.
2. Edges spanning a few layers get a small dummy node in each layer they cross, so they get a channel
   of their own and take part in crossing reduction; far jumps (typically one shared input feeding
   hundreds of steps) stay direct, or they would fill every column with channels.
3. Order within a layer: alternating down and up sweeps sorting by the barycenter of the neighbours in
   the previous layer; the ordering with the fewest crossings (counted per layer pair) is kept.
4. Coordinates: columns are as wide as their widest node; within a column nodes are placed as close as
   possible to the mean centre of their neighbours while keeping the order and a minimum gap (an
   isotonic regression solved with pool-adjacent-violators), alternating directions a few times.

Node sizes are an input (the canvas knows them); the result is each node's top-left corner.
Linear-ish in nodes + edges: 3,000 nodes take a fraction of a second.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping

import networkx as nx

Size = tuple[float, float]
Point = tuple[float, float]

H_GAP = 90.0  # between columns (room for the wires)
V_GAP = 28.0  # between nodes in a column
DUMMY_HEIGHT = 10.0  # the channel a long edge takes in a column it passes through
ORDER_SWEEPS = 8
PLACE_ROUNDS = 4
MAX_DUMMY_SPAN = 4  # longer edges get no channel (a shared input fanning out far)
MIN_COLUMN = 16  # a column never needs splitting below this many nodes


def layout(
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str]],
    sizes: Mapping[str, Size],
    h_gap: float = H_GAP,
    v_gap: float = V_GAP,
) -> dict[str, Point]:
    """Top-left positions for `nodes` (in the given order, which breaks ties) given directed `edges`."""
    node_list = list(dict.fromkeys(nodes))
    if not node_list:
        return {}
    index = {n: i for i, n in enumerate(node_list)}
    pairs = list(dict.fromkeys((u, v) for u, v in edges if u in index and v in index and u != v))
    pairs = _acyclic(node_list, pairs)
    layer_of = _layers(node_list, pairs)

    # proper layering: split long edges with dummies (ids are ints >= len(node_list))
    n_real = len(node_list)
    layer_count = max(layer_of.values()) + 1
    level: list[int] = [layer_of[n] for n in node_list]
    up: list[list[int]] = [[] for _ in range(n_real)]
    down: list[list[int]] = [[] for _ in range(n_real)]
    for u, v in pairs:
        a, b = index[u], index[v]
        prev = a
        if level[b] - level[a] > MAX_DUMMY_SPAN:  # a far jump (a shared input): a direct neighbour
            down[a].append(b)
            up[b].append(a)
            continue
        for lv in range(level[a] + 1, level[b]):
            dummy = len(level)
            level.append(lv)
            up.append([prev])
            down.append([])
            down[prev].append(dummy)
            prev = dummy
        down[prev].append(b)
        up[b].append(prev)

    layers: list[list[int]] = [[] for _ in range(layer_count)]
    for vertex in _initial_order(n_real, len(level), up, down):
        layers[level[vertex]].append(vertex)
    layers = _reduce_crossings(layers, up, down)

    heights = [float(sizes.get(n, (160.0, 60.0))[1]) for n in node_list]
    heights += [DUMMY_HEIGHT] * (len(level) - n_real)
    centres = _place_vertically(layers, up, down, heights, v_gap)

    widths = [0.0] * layer_count
    for n in node_list:
        widths[layer_of[n]] = max(widths[layer_of[n]], float(sizes.get(n, (160.0, 60.0))[0]))
    x_of_layer = [0.0] * layer_count
    for lv in range(1, layer_count):
        x_of_layer[lv] = x_of_layer[lv - 1] + widths[lv - 1] + h_gap
    return {
        n: (round(x_of_layer[layer_of[n]]), round(centres[i] - heights[i] / 2))
        for i, n in enumerate(node_list)
    }


def _acyclic(node_list: list[str], pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop the edges that close a cycle (found by an iterative depth-first search in node order)."""
    succ: dict[str, list[str]] = {n: [] for n in node_list}
    for u, v in pairs:
        succ[u].append(v)
    state: dict[str, int] = {}  # 1 on stack, 2 done
    back: set[tuple[str, str]] = set()
    for root in node_list:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, it = stack[-1]
            for nxt in it:
                mark = state.get(nxt)
                if mark == 1:
                    back.add((node, nxt))
                elif mark is None:
                    state[nxt] = 1
                    stack.append((nxt, iter(succ[nxt])))
                    break
            else:
                state[node] = 2
                stack.pop()
    return [p for p in pairs if p not in back] if back else pairs


def max_layer_width(n: int) -> int:
    """How many nodes one column may hold: about sqrt(n), so a big graph comes out roughly 16:10."""
    return max(MIN_COLUMN, round(1.3 * math.sqrt(n)))


def _layers(node_list: list[str], pairs: list[tuple[str, str]]) -> dict[str, int]:
    """Layering with bounded column height (list scheduling, as Coffman-Graham does).

    Nodes are taken in topological order, lowest possible layer first (one past their latest input,
    from `topological_generations` order), preferring nodes that continue a chain from the previous
    layer, so a fan of 1,000 task -> dataset pairs becomes alternating task and dataset columns with
    short edges instead of two columns of 1,000 nodes.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(node_list)
    graph.add_edges_from(pairs)
    generation_of = {n: g for g, nodes in enumerate(nx.topological_generations(graph)) for n in nodes}
    width = max_layer_width(len(node_list))
    index = {n: i for i, n in enumerate(node_list)}
    indegree = {n: graph.in_degree(n) for n in node_list}
    earliest = dict.fromkeys(node_list, 0)
    chained = dict.fromkeys(node_list, 1)
    fill: dict[int, int] = {}
    layer_of: dict[str, int] = {}
    heap = [(0, 1, generation_of[n], index[n], n) for n in node_list if indegree[n] == 0]
    heapq.heapify(heap)
    while heap:
        lv, chain, gen, i, n = heapq.heappop(heap)
        if fill.get(lv, 0) >= width:  # column full: try the next one, competing again there
            heapq.heappush(heap, (lv + 1, 1, gen, i, n))
            continue
        layer_of[n] = lv
        fill[lv] = fill.get(lv, 0) + 1
        for s in graph.successors(n):
            earliest[s] = max(earliest[s], lv + 1)
            if earliest[s] == lv + 1:
                chained[s] = 0
            indegree[s] -= 1
            if indegree[s] == 0:
                heapq.heappush(heap, (earliest[s], chained[s], generation_of[s], index[s], s))
    for n in node_list:  # sources move right, next to their earliest consumer, where there is room
        if graph.in_degree(n) == 0 and graph.out_degree(n) > 0:
            target = min(layer_of[s] for s in graph.successors(n)) - 1
            while target > layer_of[n] and fill.get(target, 0) >= width:
                target -= 1
            if target > layer_of[n]:
                fill[layer_of[n]] -= 1
                fill[target] = fill.get(target, 0) + 1
                layer_of[n] = target
    return layer_of


def _initial_order(n_real: int, n_all: int, up: list[list[int]], down: list[list[int]]) -> list[int]:
    """Depth-first from the sources in file order, so connected chains start out next to each other."""
    seen = [False] * n_all
    order: list[int] = []
    for root in range(n_real):
        if seen[root] or up[root]:
            continue
        stack = [root]
        while stack:
            v = stack.pop()
            if seen[v]:
                continue
            seen[v] = True
            order.append(v)
            stack.extend(reversed(down[v]))
    order.extend(v for v in range(n_all) if not seen[v])  # only reachable via a dropped cycle edge
    return order


def _reduce_crossings(layers: list[list[int]], up: list[list[int]], down: list[list[int]]) -> list[list[int]]:
    best = [list(layer) for layer in layers]
    best_crossings = _crossings(best, down)
    current = best
    for sweep in range(ORDER_SWEEPS):
        pos = _positions(current)
        downward = sweep % 2 == 0
        span = range(1, len(current)) if downward else range(len(current) - 2, -1, -1)
        for lv in span:
            neighbours = up if downward else down
            layer = current[lv]
            keys = []
            for i, v in enumerate(layer):
                adj = neighbours[v]
                keys.append(sum(pos[a] for a in adj) / len(adj) if adj else float(i))
            order = sorted(range(len(layer)), key=keys.__getitem__)
            current[lv] = [layer[i] for i in order]
            for i, v in enumerate(current[lv]):
                pos[v] = i
        crossings = _crossings(current, down)
        if crossings < best_crossings:
            best, best_crossings = [list(layer) for layer in current], crossings
        if best_crossings == 0:
            break
        current = [list(layer) for layer in current]
    return best


def _positions(layers: list[list[int]]) -> dict[int, int]:
    return {v: i for layer in layers for i, v in enumerate(layer)}


def _crossings(layers: list[list[int]], down: list[list[int]]) -> int:
    """Edge crossings between adjacent layers: inversions among edges sorted by their upper end."""
    pos = _positions(layers)
    total = 0
    for layer in layers[:-1]:
        targets = [pos[w] for v in layer for w in sorted(down[v], key=pos.__getitem__)]
        seen: list[int] = []
        for t in reversed(targets):  # count earlier edges that end below a later one
            total += bisect_left(seen, t)
            seen.insert(bisect_left(seen, t), t)
    return total


def _place_vertically(
    layers: list[list[int]], up: list[list[int]], down: list[list[int]], heights: list[float], gap: float
) -> list[float]:
    centre = [0.0] * len(heights)
    for layer in layers:  # start stacked and centred on 0
        y = 0.0
        for v in layer:
            centre[v] = y + heights[v] / 2
            y += heights[v] + gap
        shift = (y - gap) / 2
        for v in layer:
            centre[v] -= shift
    for rnd in range(PLACE_ROUNDS * 2):
        downward = rnd % 2 == 0
        span = range(1, len(layers)) if downward else range(len(layers) - 2, -1, -1)
        neighbours = up if downward else down
        for lv in span:
            layer = layers[lv]
            desired = []
            for v in layer:
                adj = neighbours[v]
                desired.append(sum(centre[a] for a in adj) / len(adj) if adj else centre[v])
            for v, y in zip(layer, _pack(desired, [heights[v] for v in layer], gap), strict=True):
                centre[v] = y
    return centre


def _pack(desired: list[float], heights: list[float], gap: float) -> list[float]:
    """Centres closest (least squares) to `desired`, in order, at least `gap` apart (pool adjacent violators)."""
    offsets = [0.0] * len(desired)
    for i in range(1, len(desired)):
        offsets[i] = offsets[i - 1] + (heights[i - 1] + heights[i]) / 2 + gap
    targets = [d - o for d, o in zip(desired, offsets, strict=True)]
    blocks: list[list[float]] = []  # [sum, count]
    for t in targets:
        blocks.append([t, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    values: list[float] = []
    for s, c in blocks:
        values.extend([s / c] * int(c))
    return [v + o for v, o in zip(values, offsets, strict=True)]
