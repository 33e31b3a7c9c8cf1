"""`nodeloom render FILE -o OUT.png|.svg`: draw a pipeline as the canvas shows it, without a window.

The file is opened as the editor opens it (a `Document`, so problems are outlined), placed in a
`NodeGraphScene` with the light theme, and the nodes' bounds plus a margin are rendered into an image
(any format Qt writes, by suffix) or an SVG. A file without positions is auto-laid out first. Works
headless: with no display on Linux the offscreen platform is selected before Qt starts. Rendering runs
no code from the file's folder unless `trust` is given: its `py:` nodes are drawn from their source.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from nodeloom.core.errors import PipelineError, Problem
from nodeloom.core.registry import default_registry
from nodeloom.core.trust import folder_of, policy_for
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication, QGraphicsItem

from .canvas import style
from .canvas.scene import NodeGraphScene
from .document import Document

MARGIN = 48.0
MAX_SIDE = 12000  # pixels; a natural-size render of a huge pipeline is scaled down to fit
_app: QApplication | None = None


def ensure_app() -> QApplication:
    """The running QApplication, or a new one (offscreen when there is no display)."""
    global _app
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    _app = QApplication(sys.argv[:1])
    return _app


def render_pipeline_file(path: Path, output: Path, width: int = 0, trust: bool = False) -> list[Problem]:
    """Render `path` to `output` (PNG or another image format, or SVG by suffix); `width` in pixels,
    0 for natural size (100 % zoom). Returns the warnings (nodes not fully checked because their folder
    is not trusted). Raises PipelineError when the file cannot be read."""
    ensure_app()
    path, output = Path(path), Path(output)
    registry = default_registry()
    registry.set_policy(policy_for(path, trust))
    if trust:
        registry.use_folder(folder_of(path))
    document = Document.open(path, registry=registry)
    scene = NodeGraphScene(document, theme=style.light_theme())
    scene.show_grid = False
    try:
        render_scene(scene, output, width)
    finally:
        scene.deleteLater()
    return [p for p in document.problems if p.severity == "warning"]


def render_scene(scene: NodeGraphScene, output: Path, width: int = 0) -> None:
    bounds = QRectF()
    for node in scene.node_items():  # vector output: no cached pixmaps in an SVG, exact pixels in a PNG
        node.setCacheMode(QGraphicsItem.CacheMode.NoCache)
    for item in scene.node_items() + scene.backdrop_items():
        bounds = bounds.united(item.sceneBoundingRect())
    if bounds.isNull():
        bounds = QRectF(0, 0, 400, 240)
    source = bounds.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
    scale = width / source.width() if width > 0 else 1.0
    scale = min(scale, MAX_SIDE / max(source.width(), source.height()))
    size = QSize(max(1, round(source.width() * scale)), max(1, round(source.height() * scale)))
    target = QRectF(0, 0, size.width(), size.height())
    hints = (
        QPainter.RenderHint.Antialiasing
        | QPainter.RenderHint.TextAntialiasing
        | QPainter.RenderHint.SmoothPixmapTransform
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.suffix.lower() == ".svg":
        generator = QSvgGenerator()
        generator.setFileName(str(output))
        generator.setSize(size)
        generator.setViewBox(target)
        generator.setTitle(scene.document.pipeline.name)
        painter = QPainter(generator)
        painter.setRenderHints(hints)
        painter.fillRect(target, scene.theme.background)
        scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)
        painter.end()
        return
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(scene.theme.background)
    painter = QPainter(image)
    painter.setRenderHints(hints)
    scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)
    painter.end()
    if not image.save(str(output)):
        raise PipelineError([Problem(f"cannot write image '{output}' (unknown format or unwritable folder)")])
