"""Canvas benchmark: open big pipelines and pan them, against a bare QGraphicsScene of as many rectangles.

Pipelines: a generated 3,000-node one (math nodes, random DAG, saved with positions) and
Kedro-Viz's large test graph (tests/fixtures/kedro_large.json.gz: 2,055 nodes, no positions: auto-layout
runs as part of opening).
Measured in one process: time to first paint (load + scene build + frame all + first viewport render),
and one pan frame (scroll 40 px, render the whole viewport) at fit-all zoom and at 100 % zoom, median of
15, for the canvas with NoIndex and with the BSP tree, and for the bare scene. Prints the ratios.
Then a drag at fit-all zoom through the view's viewport (press, 20 mouse moves of 4 px each rendered,
release): one node selected against every node selected (Ctrl+A). The per-node cost of the select-all
step must be of the order of a single-node step (no work quadratic in the selection or the edges).
Targets: open < 1 s, pan frame <= 16 ms, select-all drag step per node <= 2x a single move.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_canvas.py
"""

from __future__ import annotations

import gzip
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# the drag gesture is the canvas tests' own (tests/fixtures/canvas_helpers.py): one way to send a mouse event
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))

from canvas_helpers import send_mouse  # noqa: E402
from nodeloom.core.layout import layout  # noqa: E402
from nodeloom.desktop.canvas import style  # noqa: E402
from nodeloom.desktop.canvas.scene import NodeGraphScene  # noqa: E402
from nodeloom.desktop.canvas.view import NodeGraphView  # noqa: E402
from nodeloom.desktop.document import Document  # noqa: E402
from PySide6.QtCore import QEvent, QPointF, QRectF  # noqa: E402
from PySide6.QtGui import QPixmapCache  # noqa: E402
from PySide6.QtWidgets import QApplication, QGraphicsScene, QGraphicsView  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Kedro-Viz's large test graph, whole, shipped gzipped with the tests; its node functions sit beside it
KEDRO_FIXTURES = ROOT / "tests" / "fixtures"
KEDRO_GZ = KEDRO_FIXTURES / "kedro_large.json.gz"
VIEW_SIZE = (1280, 800)
PAN_FRAMES = 15


def generated_pipeline(path: Path, n: int = 3000, seed: int = 7) -> None:
    """A random DAG of math nodes, each fed by one or two recent nodes, saved with auto-layout positions."""
    rng = random.Random(seed)
    kinds = ["math.add", "math.multiply", "math.power"]
    nodes, edges = [{"id": "n0", "type": "math.add", "params": {"a": 1, "b": 2}}], []
    for i in range(1, n):
        kind = rng.choice(kinds)
        node: dict[str, object] = {"id": f"n{i}", "type": kind}
        first, second = ("a", "b") if kind != "math.power" else ("base", "exponent")
        edges.append({"from": f"n{rng.randint(max(0, i - 40), i - 1)}.result", "to": f"n{i}.{first}"})
        if rng.random() < 0.5:
            edges.append({"from": f"n{rng.randint(max(0, i - 200), i - 1)}.result", "to": f"n{i}.{second}"})
        else:
            node["params"] = {second: round(rng.random(), 3)}
        nodes.append(node)
    sizes = {n["id"]: style.node_size(2, 1) for n in nodes}
    pos = layout(
        [n["id"] for n in nodes], [(e["from"].split(".")[0], e["to"].split(".")[0]) for e in edges], sizes
    )
    ui = {"nodes": {k: {"x": x, "y": y} for k, (x, y) in pos.items()}}
    doc = {
        "format": "nodeloom.pipeline",
        "version": 1,
        "name": "generated-3000",
        "nodes": nodes,
        "edges": edges,
        "ui": ui,
    }
    path.write_text(json.dumps(doc), encoding="utf-8")


def pan_frame_ms(view: QGraphicsView) -> float:
    """Median time of: scroll 40 px, then render the whole viewport (what a pan frame costs at worst)."""
    times = []
    bar = view.horizontalScrollBar()
    for i in range(PAN_FRAMES):
        bar.setValue(bar.value() + (40 if i % 2 == 0 else -40))
        start = time.perf_counter()
        view.viewport().grab()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def at_100(view: QGraphicsView, centre: QRectF) -> None:
    view.resetTransform()
    view.centerOn(centre.center())


def open_view(
    path: Path, auto_layout: bool, index: QGraphicsScene.ItemIndexMethod | None = None
) -> tuple[Document, NodeGraphScene, NodeGraphView]:
    """Open `path` in a shown editor view at fit-all zoom, painted once: where every canvas measure starts."""
    doc = Document.open(path)
    scene = NodeGraphScene(doc)
    if index is not None:
        scene.setItemIndexMethod(index)
    if auto_layout:
        scene.auto_layout()
    view = NodeGraphView(scene)
    view.resize(*VIEW_SIZE)
    view.show()
    view.frame_all()
    view.viewport().grab()
    return doc, scene, view


def close_view(view: NodeGraphView, scene: NodeGraphScene) -> None:
    """Close and free what `open_view` made, so the next measure starts from an empty application."""
    view.close()
    view.deleteLater()
    scene.deleteLater()
    QApplication.processEvents()


def bench_canvas(path: Path, index: QGraphicsScene.ItemIndexMethod, auto_layout: bool) -> dict[str, float]:
    start = time.perf_counter()
    _doc, scene, view = open_view(path, auto_layout, index)
    opened = time.perf_counter() - start
    fit = pan_frame_ms(view)
    nodes_rect = scene.itemsBoundingRect()
    at_100(view, nodes_rect)
    full = pan_frame_ms(view)
    result = {
        "open_s": opened,
        "pan_fit_ms": fit,
        "pan_100_ms": full,
        "zoom_fit": 0.0,
        "items": len(scene.items()),
    }
    view.frame_all()
    result["zoom_fit"] = view.zoom()
    close_view(view, scene)
    return result


DRAG_STEPS = 20


def drag_step_ms(path: Path, auto_layout: bool, select_all: bool) -> tuple[float, int, float]:
    """Median ms of one drag step (mouse move + viewport render) at fit-all zoom, the number of nodes
    moved, and the release (one undo command) in ms."""
    doc, scene, view = open_view(path, auto_layout)
    items = scene.node_items()
    target = items[len(items) // 2]
    if select_all:
        scene.select_nodes(list(doc.pipeline.nodes))
    start = QPointF(view.mapFromScene(target.sceneBoundingRect().center()))
    commands = doc.undo_stack.count()
    send_mouse(view, QEvent.Type.MouseButtonPress, start)
    times = []
    for i in range(1, DRAG_STEPS + 1):
        t0 = time.perf_counter()
        send_mouse(view, QEvent.Type.MouseMove, start + QPointF(4 * i, 0))
        view.viewport().grab()
        times.append((time.perf_counter() - t0) * 1000)
    moved = len(scene.selected_node_ids())
    t0 = time.perf_counter()
    send_mouse(view, QEvent.Type.MouseButtonRelease, start + QPointF(4 * DRAG_STEPS, 0))
    release = (time.perf_counter() - t0) * 1000
    assert doc.undo_stack.count() == commands + 1, "a drag must be one undo command"
    close_view(view, scene)
    return statistics.median(times), moved, release


def bench_bare(path: Path) -> dict[str, float]:
    """As many QGraphicsRectItems at the canvas's node rectangles (positions from the opened document)."""
    doc = Document.open(path)
    pipeline = doc.pipeline
    sizes = {n: style.node_size(2, 1) for n in pipeline.nodes}
    positions = {n: pipeline.position(n) for n in pipeline.nodes}
    if any(p is None for p in positions.values()):
        positions = layout(pipeline.nodes, [(e.src, e.dst) for e in pipeline.edges], sizes)
    start = time.perf_counter()
    scene = QGraphicsScene()
    for node_id, (x, y) in positions.items():
        w, h = sizes[node_id]
        scene.addRect(QRectF(x, y, w, h))
    view = QGraphicsView(scene)
    view.resize(*VIEW_SIZE)
    view.show()
    view.fitInView(scene.itemsBoundingRect())
    view.viewport().grab()
    opened = time.perf_counter() - start
    fit = pan_frame_ms(view)
    at_100(view, scene.itemsBoundingRect())
    full = pan_frame_ms(view)
    view.close()
    return {"open_s": opened, "pan_fit_ms": fit, "pan_100_ms": full, "items": len(scene.items())}


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    QPixmapCache.setCacheLimit(256 * 1024)
    sys.path.insert(0, str(KEDRO_FIXTURES))
    with tempfile.TemporaryDirectory() as tmp:
        generated = Path(tmp) / "generated_3000.json"
        generated_pipeline(generated)
        kedro = Path(tmp) / "kedro_large.json"
        kedro.write_bytes(gzip.decompress(KEDRO_GZ.read_bytes()))
        cases = [("generated 3,000", generated, False), ("kedro-large 2,055", kedro, True)]
        for name, path, needs_layout in cases:
            bare = bench_bare(path)
            print(f"\n== {name} ({bare['items']} bare rects) ==")
            print(f"{'':22}{'open s':>9}{'pan fit ms':>12}{'pan 100% ms':>13}{'items':>8}")
            print(
                f"{'bare QGraphicsScene':22}{bare['open_s']:9.3f}{bare['pan_fit_ms']:12.2f}{bare['pan_100_ms']:13.2f}{bare['items']:8}"
            )
            for label, index in (
                ("canvas NoIndex", QGraphicsScene.ItemIndexMethod.NoIndex),
                ("canvas BSP", QGraphicsScene.ItemIndexMethod.BspTreeIndex),
            ):
                r = bench_canvas(path, index, needs_layout)
                print(
                    f"{label:22}{r['open_s']:9.3f}{r['pan_fit_ms']:12.2f}{r['pan_100_ms']:13.2f}{r['items']:8}"
                )
                print(
                    f"{'  ratio vs bare':22}{r['open_s'] / bare['open_s']:9.1f}x"
                    f"{r['pan_fit_ms'] / bare['pan_fit_ms']:11.1f}x{r['pan_100_ms'] / bare['pan_100_ms']:12.1f}x"
                    f"   (fit-all zoom {r['zoom_fit']:.3f}; targets: open < 1 s, pan <= 16 ms)"
                )
            one_ms, _, one_release = drag_step_ms(path, needs_layout, select_all=False)
            all_ms, moved, all_release = drag_step_ms(path, needs_layout, select_all=True)
            print(
                f"drag at fit-all: 1 node {one_ms:.2f} ms/step (release {one_release:.1f} ms); "
                f"{moved} nodes {all_ms:.2f} ms/step (release {all_release:.1f} ms)"
            )
            print(
                f"  select-all step / single step: {all_ms / one_ms:.1f}x for {moved}x the nodes; "
                f"per node {all_ms / moved / one_ms:.4f}x a single move (target <= 2x)"
            )
    app.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
