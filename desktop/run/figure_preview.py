"""Make the AI library's values previewable: a matplotlib figure as a picture, a pandas Series as a table.

The inspector's preview (`output_preview.preview_widget`) already shows PNG bytes as an image and
pandas-like frames as a lazy table; this turns a figure into PNG bytes (drawn with Agg, off screen) and
a Series into a one-column frame before it decides. Nothing here imports matplotlib or pandas unless
the value is one of theirs.
"""

from __future__ import annotations

from typing import Any

from nodeloom.core.figure_files import figure_png


def previewable(value: Any) -> Any:
    """The value as the preview can show it best (PNG bytes for a figure, a frame for a series)."""
    try:
        png = figure_png(value)
    except Exception:  # noqa: BLE001 - a figure that cannot be drawn is shown as text, not a crash
        return value
    if png is not None:
        return png
    module = type(value).__module__ or ""
    to_frame = getattr(value, "to_frame", None)
    if module.split(".")[0] == "pandas" and type(value).__name__ == "Series" and callable(to_frame):
        return to_frame()
    return value
