"""A one-line label that elides its text ("very_long_port_na…") to the width it is given.

A plain QLabel asks for its whole text's width, so one long port name or wire source pushed the
inspector wider than its dock. This label asks for little, paints what fits, and keeps the full
text in its tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        max_width: int | None = None,
        stretchy: bool = False,
    ) -> None:
        super().__init__(text, parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        # Preferred: as wide as the text when there is room (a form's label column sizes from that),
        # down to the small minimum below when there is not; `stretchy`: whatever width its layout gives
        horizontal = QSizePolicy.Policy.Ignored if stretchy else QSizePolicy.Policy.Preferred
        self.setSizePolicy(horizontal, QSizePolicy.Policy.Preferred)
        self._max_width = max_width
        if max_width is not None:
            self.setMaximumWidth(max_width)
        self._sync_tooltip()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self._sync_tooltip()

    def _sync_tooltip(self) -> None:
        if not self.toolTip() or self.property("auto_tip"):
            self.setToolTip(self.text())
            self.setProperty("auto_tip", True)

    def setToolTip(self, tip: str) -> None:  # noqa: N802 - Qt override
        self.setProperty("auto_tip", False)
        super().setToolTip(tip)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint()
        if self._max_width is not None:
            hint.setWidth(min(hint.width(), self._max_width))
        return hint

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(min(40, super().minimumSizeHint().width()), super().minimumSizeHint().height())

    def shown_text(self) -> str:
        """The text as painted at the current width (elided when it does not fit)."""
        return self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width()
        )

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(
            self.contentsRect(), int(self.alignment()) | int(Qt.AlignmentFlag.AlignVCenter), self.shown_text()
        )
