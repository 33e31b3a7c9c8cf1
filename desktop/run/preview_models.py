"""How an output value is previewed: as a table, an image or text, decided by duck typing.

Tables: 2-D (and 1-D) NumPy arrays, lists of dicts (columns from the keys), pandas-like frames (an
object with `shape`, `columns` and `iloc`); the model is lazy, so a million-row array costs nothing
until rows scroll into view, and it shows at most `MAX_ROWS` rows. Images: an HxWx3 or HxWx4 uint8
array, an HxW uint8 array named as an image by its shape, PNG/JPEG bytes, or anything with a
`_repr_png_` (PIL images). Everything else is text (JSON pretty-printed when it is JSON).
"""

from __future__ import annotations

import json
import pprint
from typing import Any

import numpy as np
from nodeloom.core.engine.summaries import short_summary
from nodeloom.core.vocabulary import clip
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QImage

MAX_ROWS = 100_000
MAX_TEXT = 20_000
Index = QModelIndex | QPersistentModelIndex


def as_image(value: Any) -> QImage | None:
    """A QImage when the value is an image, else None."""
    if (
        isinstance(value, np.ndarray)
        and value.dtype == np.uint8
        and value.ndim == 3
        and value.shape[2] in (3, 4)
    ):
        h, w, c = value.shape
        data = np.ascontiguousarray(value)
        fmt = QImage.Format.Format_RGB888 if c == 3 else QImage.Format.Format_RGBA8888
        return QImage(data.data, w, h, w * c, fmt).copy()  # copy: the QImage must not borrow the array
    if isinstance(value, bytes | bytearray) and (
        value[:8] == b"\x89PNG\r\n\x1a\n" or value[:3] == b"\xff\xd8\xff"
    ):
        image = QImage.fromData(bytes(value))
        return None if image.isNull() else image
    repr_png = getattr(value, "_repr_png_", None)
    if callable(repr_png) and not isinstance(value, type):
        try:
            data = repr_png()
        except Exception:  # noqa: BLE001 - a broken repr means "not an image", not a crash
            return None
        if isinstance(data, bytes | bytearray):
            image = QImage.fromData(bytes(data))
            return None if image.isNull() else image
    return None


def is_frame(value: Any) -> bool:
    shape = getattr(value, "shape", None)
    return (
        not isinstance(value, np.ndarray)
        and isinstance(shape, tuple)
        and len(shape) == 2
        and hasattr(value, "columns")
        and hasattr(value, "iloc")
    )


def is_table(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return value.ndim in (1, 2) and value.size > 0
    if is_frame(value):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value[:50])


def shape_text(value: Any) -> str:
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple):
        dtype = getattr(value, "dtype", None)
        return " x ".join(map(str, shape)) + (
            f"  {dtype}" if dtype is not None and not is_frame(value) else ""
        )
    if isinstance(value, list):
        return f"{len(value)} rows"
    return ""


def as_text(value: Any) -> str:
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        if isinstance(value, np.ndarray):
            text = np.array2string(value, threshold=2000, edgeitems=20)
        else:
            text = pprint.pformat(value, width=100, compact=True)
    return (
        text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"\n… ({len(text) - MAX_TEXT} more characters)"
    )


class TableModel(QAbstractTableModel):
    """A read-only lazy table over an array, a list of dicts or a pandas-like frame."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value
        self.columns: list[str]
        if isinstance(value, np.ndarray):
            self.rows = value.shape[0]
            self.columns = [str(i) for i in range(value.shape[1])] if value.ndim == 2 else ["value"]
            self._cell = self._array_cell
        elif is_frame(value):
            self.rows = int(value.shape[0])
            self.columns = [str(c) for c in value.columns]
            self._cell = self._frame_cell
        else:
            self.rows = len(value)
            keys: dict[str, None] = {}
            for row in value[:200]:
                keys.update(dict.fromkeys(map(str, row)))
            self.columns = list(keys)
            self._cell = self._dict_cell
        self.shown_rows = min(self.rows, MAX_ROWS)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.shown_rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.columns[section] if orientation == Qt.Orientation.Horizontal else str(section)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return _fmt(self._cell(index.row(), index.column()))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            value = self._cell(index.row(), index.column())
            if isinstance(value, int | float | np.number):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _array_cell(self, row: int, col: int) -> Any:
        return self.value[row, col] if self.value.ndim == 2 else self.value[row]

    def _frame_cell(self, row: int, col: int) -> Any:
        return self.value.iloc[row, col]

    def _dict_cell(self, row: int, col: int) -> Any:
        return self.value[row].get(self.columns[col], "")


def _fmt(value: Any) -> str:
    try:
        if isinstance(value, float | np.floating):
            return f"{value:.6g}"
        return clip(str(value), 200)
    except Exception:  # noqa: BLE001 - a cell whose str() raises is described, not shown
        return short_summary(value)
