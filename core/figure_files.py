"""Figures as files: recognise a matplotlib figure without importing matplotlib, render it as PNG, and
save a run's figure outputs beside its `--results` file.

Why here and not in the results writer: a figure is not JSON, and its one-line summary ("Figure") tells
a reader nothing; the PNG next to the results file does. The results document then names the file
(`{"figure": "results.roc.result.png"}`, relative to the results file) instead of the summary.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes


def is_figure(value: Any) -> bool:
    """A matplotlib Figure (duck-typed by module, so checking never imports matplotlib)."""
    module = type(value).__module__ or ""
    return module.startswith("matplotlib.") and callable(getattr(value, "savefig", None))


def figure_png(value: Any, dpi: int = 100) -> bytes | None:
    """The figure drawn as PNG bytes on the Agg canvas (None when `value` is not a figure)."""
    if not is_figure(value):
        return None
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(getattr(value, "canvas", None), FigureCanvasAgg):
        FigureCanvasAgg(value)  # a figure unpickled or made for another backend: draw it with Agg
    buffer = io.BytesIO()
    value.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def save_result_figures(
    result: Any, results_path: str | os.PathLike[str], document: dict[str, Any]
) -> list[Path]:
    """Write every figure output of `result` (a RunResult) as `STEM.NODE.PORT.png` beside the results file
    and point the document's output entry at it; returns the files written."""
    target = Path(results_path)
    written: list[Path] = []
    for node_id, node_result in result.nodes.items():
        for port, value in node_result.outputs.items():
            png = figure_png(value)
            if png is None:
                continue
            path = target.with_name(f"{target.stem}.{node_id}.{port}.png")
            atomic_write_bytes(path, png)
            written.append(path)
            entry = document.get("nodes", {}).get(node_id)
            if isinstance(entry, dict) and isinstance(entry.get("outputs"), dict):
                entry["outputs"][port] = {"figure": path.name}
    return written
