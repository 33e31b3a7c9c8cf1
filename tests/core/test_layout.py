"""Auto-layout: left-to-right layers, no overlaps, bounded column height, fast on big real graphs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from nodeloom.core.layout import layout, max_layer_width

# Kedro-Viz's large test graph (2,055 nodes, 2,061 edges), shipped compressed so the test never skips
KEDRO = Path(__file__).parents[1] / "fixtures" / "kedro_large.json.gz"


def overlaps(
    pos: dict[str, tuple[float, float]], sizes: dict[str, tuple[float, float]]
) -> list[tuple[str, str]]:
    boxes = sorted((x, y, x + sizes[n][0], y + sizes[n][1], n) for n, (x, y) in pos.items())
    found = []
    for i, (_x0, y0, x1, y1, a) in enumerate(boxes):
        for bx0, by0, _bx1, by1, b in boxes[i + 1 :]:
            if bx0 >= x1:
                break
            if by0 < y1 and y0 < by1:
                found.append((a, b))
    return found


def test_chain_goes_left_to_right_and_a_late_source_sits_by_its_consumer() -> None:
    nodes = ["a", "b", "c", "d", "param"]
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("param", "d")]
    sizes = dict.fromkeys(nodes, (200.0, 80.0))
    pos = layout(nodes, edges, sizes)
    assert pos["a"][0] < pos["b"][0] < pos["c"][0] < pos["d"][0]
    assert pos["param"][0] == pos["c"][0]  # pulled next to d, not left in column 0
    assert pos["a"][1] == pos["b"][1] == pos["c"][1]  # a straight chain stays straight
    assert not overlaps(pos, sizes)


def test_crossings_are_removed_from_a_simple_swap() -> None:
    nodes = ["a1", "a2", "b1", "b2"]
    edges = [("a1", "b2"), ("a2", "b1")]
    pos = layout(nodes, edges, dict.fromkeys(nodes, (100.0, 50.0)))
    assert (pos["a1"][1] < pos["a2"][1]) == (pos["b2"][1] < pos["b1"][1])


def test_cycles_and_unknown_endpoints_do_not_break_it() -> None:
    pos = layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a"), ("x", "a"), ("a", "a")], {})
    assert set(pos) == {"a", "b", "c"}
    assert layout([], [], {}) == {}


def test_kedro_large_no_overlaps_edges_point_right_columns_bounded() -> None:
    data = json.loads(gzip.decompress(KEDRO.read_bytes()))
    assert (len(data["nodes"]), len(data["edges"])) == (2055, 2061)
    nodes = [n["id"] for n in data["nodes"]]
    edges = [(e["from"].split(".")[0], e["to"].split(".")[0]) for e in data["edges"]]
    sizes = {n: (200.0, 48.0 + 20 * (i % 4)) for i, n in enumerate(nodes)}
    pos = layout(nodes, edges, sizes)
    assert set(pos) == set(nodes)
    assert not overlaps(pos, sizes)
    for u, v in edges:
        assert pos[v][0] > pos[u][0], (u, v)
    columns: dict[float, int] = {}
    for x, _y in pos.values():
        columns[x] = columns.get(x, 0) + 1
    assert max(columns.values()) <= max_layer_width(len(nodes))
    width = max(x for x, _ in pos.values()) - min(x for x, _ in pos.values())
    height = max(y for _, y in pos.values()) - min(y for _, y in pos.values())
    assert height < 4 * width  # not one tall column of 1,000 nodes
