"""Pinned points on the map (stars) and their panel: play, interpolate to, tag, remove, export.

:class:`PinnedLayer` draws each :class:`~latentlab.core.pinned_points.PinnedPoint` as a white star
with its name where it was dropped (on a later map: where that map projects its latent); its
``stars.sigClicked`` tells which star was clicked. :class:`PinnedPanel` lists the points (source
clip, tags) with the actions on the chosen one; its edits are commands on the ``undo`` stack it is
given (the window's Edit → Undo history). Playing decodes the pinned latent on the probe panel's
channel (latest wins) and shows it there.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from latentlab.core.pinned_points import PinnedPoints, TagPinned, UnpinPoint
from latentlab.core.undo import UndoStack
from latentlab.gui.errors import guarded

STAR_BRUSH = (255, 255, 255)  # no colour field uses white: the stars stand out on any colouring
STAR_SIZE = 24


class PinnedLayer:
    """Stars for the pinned points on ``view`` (a map's ViewBox); ``clicked`` is the star item's signal."""

    def __init__(self, view: pg.ViewBox, points: PinnedPoints) -> None:
        self.view, self.points = view, points
        self.stars = pg.ScatterPlotItem(
            size=STAR_SIZE, symbol="star", pen=pg.mkPen(20, 20, 28, width=2), brush=pg.mkBrush(*STAR_BRUSH)
        )
        self.stars.setZValue(140)
        view.addItem(self.stars, ignoreBounds=True)
        self.labels: list[pg.TextItem] = []
        self.placed: dict[int, tuple[float, float]] = {}  # id -> position on a map newer than its drop
        points.changed.connect(self.redraw)

    def place(self, placed: dict[int, tuple[float, float]]) -> None:
        """Draw the points at ``placed`` (their latents projected onto a new map) instead of where dropped."""
        self.placed = {int(k): (float(v[0]), float(v[1])) for k, v in placed.items()}
        self.redraw()

    def redraw(self) -> None:
        pts = list(self.points)
        xy = np.array([self.placed.get(p.id, p.pos) for p in pts], np.float64).reshape(-1, 2)
        self.stars.setData(x=xy[:, 0], y=xy[:, 1], data=[p.id for p in pts])
        for label in self.labels:
            self.view.removeItem(label)
        self.labels = []
        for p, (x, y) in zip(pts, xy):
            label = pg.TextItem(p.name, color=STAR_BRUSH, anchor=(0, 1))
            label.setPos(float(x), float(y))
            label.setZValue(141)
            self.view.addItem(label, ignoreBounds=True)
            self.labels.append(label)


class PinnedPanel(QWidget):
    """The pinned points of one window; ``play(id)`` and ``interpolate(id)`` ask the extension to act,
    ``export()`` to write them all."""

    play = Signal(int)
    interpolate = Signal(int)
    export = Signal()

    def __init__(self, points: PinnedPoints, undo: UndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points, self.undo = points, undo
        self.list = QListWidget()
        self.list.setToolTip("Shift+release a dragged point on the map to pin its latent here")
        self.tag_edit = QLineEdit()
        self.tag_edit.setPlaceholderText("tag")
        self.tag_names = QStandardItemModel(self)  # the Tags dock's tags, with their colours
        completer = QCompleter(self.tag_names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tag_edit.setCompleter(completer)
        buttons = {
            "play_button": ("Play", lambda: self.play.emit(self._chosen())),
            "interp_button": ("Interpolate current clip → this", lambda: self.interpolate.emit(self._chosen())),
            "tag_button": ("Tag", self._tag),
            "remove_button": ("Remove", self._remove),
            "export_button": ("Export…", self.export.emit),
        }
        for name, (text, slot) in buttons.items():
            button = QPushButton(text)
            button.clicked.connect(guarded(lambda *_a, s=slot: s()))
            setattr(self, name, button)
        self.interp_button.setToolTip("Interpolate from the clip in the player (A) to this pinned point (B)")
        self.remove_button.setToolTip("Edit → Undo (Ctrl+Z) brings it back")
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        for b in (self.play_button, self.interp_button, self.remove_button):
            row1.addWidget(b)
        for w in (self.tag_edit, self.tag_button, self.export_button):
            row2.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addWidget(self.list, 1)
        lay.addLayout(row1)
        lay.addLayout(row2)
        self.list.itemDoubleClicked.connect(
            guarded(lambda item: self.play.emit(int(item.data(Qt.ItemDataRole.UserRole))))
        )
        points.changed.connect(self.refresh)
        self.list.currentRowChanged.connect(lambda *_: self._update_buttons())
        self.refresh()

    def refresh(self) -> None:
        chosen = self.list.currentItem().data(Qt.ItemDataRole.UserRole) if self.list.currentItem() else None
        self.list.clear()
        for p in self.points:
            tags = f" · tags: {', '.join(p.tags)}" if p.tags else ""
            item = QListWidgetItem(f"★ {p.name} · {p.origin} · ({p.pos[0]:.3g}, {p.pos[1]:.3g}){tags}")
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self.list.addItem(item)
            if p.id == chosen or chosen is None:
                self.list.setCurrentItem(item)  # the newest point when none was chosen
        self._update_buttons()

    def set_tag_names(self, names_colours: list[tuple[str, str]]) -> None:
        """Offer these ``(tag, "#rrggbb")`` (the Tags dock's) as the tag field completes."""
        self.tag_names.clear()
        for name, colour in names_colours:
            item = QStandardItem(name)
            item.setData(QColor(colour), Qt.ItemDataRole.DecorationRole)
            self.tag_names.appendRow(item)

    def choose(self, point_id: int) -> None:
        """Make ``point_id`` the chosen row (a star clicked on the map)."""
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == point_id:
                self.list.setCurrentRow(row)

    def _chosen(self) -> int:
        item = self.list.currentItem()
        if item is None:
            raise ValueError("no pinned point chosen (Shift+release a dragged point on the map to pin one)")
        return int(item.data(Qt.ItemDataRole.UserRole))

    def _tag(self) -> None:
        self.undo.push(TagPinned(self.points, self._chosen(), self.tag_edit.text()))
        self.tag_edit.clear()

    def _remove(self) -> None:
        self.undo.push(UnpinPoint(self.points, self._chosen()))

    def _update_buttons(self) -> None:
        chosen = self.list.currentItem() is not None
        for b in (self.play_button, self.interp_button, self.tag_button, self.remove_button):
            b.setEnabled(chosen)
        self.export_button.setEnabled(len(self.points) > 0)


def star_positions(layer: PinnedLayer) -> np.ndarray:
    """``(K, 2)`` where the stars are drawn (for tests and screenshots)."""
    x, y = layer.stars.getData()
    return np.column_stack([x, y]) if x is not None else np.zeros((0, 2))
