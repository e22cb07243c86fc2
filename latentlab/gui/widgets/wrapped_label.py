"""WrappedLabel: a word-wrapped label that asks its layout for the height its text needs.

A word-wrapped QLabel in a box layout beside a stretching plot is given less height than its text
needs at some widths (the layout does not follow height-for-width there), and the last lines are cut
off: the ELBO formulas at 1440×900 were. This label keeps its minimum height at the height its text
takes at its current width, so a scroll area around it scrolls instead of cutting."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel


class WrappedLabel(QLabel):
    def __init__(self, text: str = "", parent=None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        super().setText(text)
        if self.textFormat() != Qt.TextFormat.RichText:
            self.setToolTip(text)  # a long path does not wrap: the whole text stays one hover away
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        need = self.heightForWidth(max(self.width(), 1))
        if need > 0 and need != self.minimumHeight():
            self.setMinimumHeight(need)
