"""`render_pipeline_file`: offscreen PNG/SVG of a pipeline as the canvas draws it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from nodeloom.core.errors import PipelineError
from nodeloom.desktop.render import render_pipeline_file
from PySide6.QtGui import QImage

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "regression_demo.json"


def test_png_of_the_example_is_plausible(qapp, tmp_path: Path) -> None:
    out = tmp_path / "demo.png"
    render_pipeline_file(EXAMPLE, out)
    image = QImage(str(out))
    assert 1500 < image.width() < 2600 and 300 < image.height() < 800  # 7 nodes over ~1,900 units, margins
    corner = image.pixelColor(3, 3)
    assert corner.lightness() > 230  # light background margin
    distinct = {image.pixel(x, y) for x in range(0, image.width(), 5) for y in range(0, image.height(), 5)}
    assert len(distinct) > 100  # nodes, text, icons and wires, not a blank image


def test_width_scales_and_svg_is_written(qapp, tmp_path: Path) -> None:
    render_pipeline_file(EXAMPLE, tmp_path / "small.png", width=800)
    assert QImage(str(tmp_path / "small.png")).width() == 800
    render_pipeline_file(EXAMPLE, tmp_path / "demo.svg")
    text = (tmp_path / "demo.svg").read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text and "Train" in text


def test_file_without_positions_is_laid_out(qapp, tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text())
    del data["ui"]
    source = tmp_path / "nopos.json"
    source.write_text(json.dumps(data))
    render_pipeline_file(source, tmp_path / "nopos.png")
    image = QImage(str(tmp_path / "nopos.png"))
    assert image.width() > image.height() > 200  # left to right, not stacked at the origin


def test_unreadable_file_raises_pipeline_error(qapp, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(PipelineError):
        render_pipeline_file(bad, tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()
