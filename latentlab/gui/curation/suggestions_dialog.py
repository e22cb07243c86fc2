"""SuggestionsDialog: suggested tags, one row per clip, accepted or rejected per row.

Rows (clip, suggested tag, confidence) come most confident first and start rejected; tick rows, or
"Accept all ≥" a confidence, then "Apply accepted": :attr:`SuggestionsDialog.applied` carries the
accepted clips and tags, which the curation applies as one undo step. A table model (not a widget
per row) keeps tens of thousands of suggestions responsive. Double-clicking a row shows its clip.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from latentlab.gui.errors import guarded

HEADERS = ("Accept", "Clip", "Suggested tag", "Confidence")


class SuggestionModel(QAbstractTableModel):
    """``clips (M,)``, ``tags`` (M names), ``confidence (M,)`` and an accepted flag per row."""

    def __init__(self, clips, tags, confidence, colours: dict[str, str], parent=None) -> None:
        super().__init__(parent)
        self.clips = np.asarray(clips, np.int64)
        self.tags = list(tags)
        self.confidence = np.asarray(confidence, np.float64)
        self.accepted = np.zeros(len(self.clips), bool)
        self.colours = colours

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else len(self.clips)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        r, c = index.row(), index.column()
        if role == Qt.ItemDataRole.CheckStateRole and c == 0:
            return Qt.CheckState.Checked if self.accepted[r] else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            if c == 1:
                return str(int(self.clips[r]))
            if c == 2:
                return " ".join(self.tags[r].split())
            if c == 3:
                return f"{self.confidence[r]:.2f}"
        if role == Qt.ItemDataRole.DecorationRole and c == 2 and self.tags[r] in self.colours:
            return QColor(self.colours[self.tags[r]])
        return None

    def flags(self, index):
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsUserCheckable if index.column() == 0 else base

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0:
            return False
        self.accepted[index.row()] = Qt.CheckState(value) == Qt.CheckState.Checked
        self.dataChanged.emit(index, index, [role])
        return True

    def set_accepted(self, mask: np.ndarray) -> None:
        self.accepted = np.asarray(mask, bool).copy()
        if len(self.clips):
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.clips) - 1, 0))


class SuggestionsDialog(QDialog):
    """Review suggested tags; emits ``applied(clips, tags)`` with the accepted rows."""

    applied = Signal(object, object)  # (K,) int64 clips, list of K tag names
    clip_chosen = Signal(int)

    def __init__(self, clips, tags, confidence, colours: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Suggested tags")
        self.model = SuggestionModel(clips, tags, confidence, colours, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.doubleClicked.connect(guarded(lambda i: self.clip_chosen.emit(int(self.model.clips[i.row()]))))
        self.threshold = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, decimals=2, value=0.9)
        accept_above = QPushButton("Accept all ≥")
        accept_above.clicked.connect(guarded(lambda: self.accept_above(self.threshold.value())))
        reject_all = QPushButton("Reject all")
        reject_all.clicked.connect(guarded(lambda: self.model.set_accepted(np.zeros(len(self.model.clips), bool))))
        row = QHBoxLayout()
        for w in (accept_above, self.threshold, reject_all):
            row.addWidget(w)
        row.addStretch(1)
        self.count = QLabel()
        self.model.dataChanged.connect(lambda *_: self._update_count())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = buttons.addButton("Apply accepted", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(guarded(self.apply))
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(
            QLabel(
                f"{len(self.model.clips):,} untagged clips, most confident first. "
                "Tick the suggestions to accept; the rest are rejected."
            )
        )
        lay.addLayout(row)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.count)
        lay.addWidget(buttons)
        self.resize(520, 560)
        self._update_count()

    def accept_above(self, threshold: float) -> None:
        """Accept every suggestion with confidence >= ``threshold`` (others keep their state)."""
        self.model.set_accepted(self.model.accepted | (self.model.confidence >= threshold))

    def accepted_rows(self) -> tuple[np.ndarray, list[str]]:
        rows = np.flatnonzero(self.model.accepted)
        return self.model.clips[rows], [self.model.tags[r] for r in rows]

    def apply(self) -> None:
        clips, tags = self.accepted_rows()
        self.accept()
        self.applied.emit(clips, tags)

    def _update_count(self) -> None:
        n = int(self.model.accepted.sum())
        self.count.setText(f"{n:,} of {len(self.model.clips):,} accepted")
        self.apply_button.setEnabled(n > 0)
