"""TagPanel: the Tags dock: a table of tags (name, colour swatch, clip count) and the tag actions.

The buttons act on the tag chosen in the table (New tag, Rename, Colour, Delete, Tag / Untag the
selection, Select the tag's clips); while the probe panel shows a pinned point, Tag / Untag act on it
instead. "Show only" dims every other clip on the map. A double click on a row selects the tag's
clips. Every edit goes through :class:`~latentlab.gui.curation.curation_extension.Curation`
(one undo step each); the table redraws from the book whenever the curation state changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from latentlab.gui.curation import curation_menus as ask
from latentlab.gui.errors import guarded, listen
from latentlab.gui.wording import count

COLUMNS = ("Tag", "Colour", "Clips")


class TagPanel(QWidget):
    """The tag table and its buttons for ``curation``."""

    def __init__(self, curation, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.curation = cur = curation
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("tag_table")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(guarded(self._on_current_changed))
        self.table.cellDoubleClicked.connect(guarded(lambda *_: self._with_tag(cur.select_tag)))
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for i, (key, text, tip, slot) in enumerate(
            (
                ("new", "New tag…", "create a tag", self._new_tag),
                (
                    "rename",
                    "Rename…",
                    "rename the chosen tag",
                    lambda: self._with_tag(lambda t: ask.ask_rename(cur, t)),
                ),
                (
                    "colour",
                    "Colour…",
                    "pick the chosen tag's colour",
                    lambda: self._with_tag(lambda t: ask.ask_colour(cur, t)),
                ),
                (
                    "delete",
                    "Delete",
                    "delete the chosen tag (Ctrl+Z brings it back)",
                    lambda: self._with_tag(cur.delete_tag),
                ),
                (
                    "tag",
                    "Tag selection",
                    "add the selected clips to the chosen tag",
                    lambda: self._with_tag(cur.tag_shown),
                ),
                (
                    "untag",
                    "Untag selection",
                    "remove the selected clips from the chosen tag",
                    lambda: self._with_tag(lambda t: cur.tag_shown(t, remove=True)),
                ),
                ("select", "Select clips", "select the chosen tag's clips", lambda: self._with_tag(cur.select_tag)),
            )
        ):
            button = QPushButton(text, toolTip=tip)
            button.clicked.connect(guarded(slot))
            self.buttons[key] = button
            grid.addWidget(button, i // 2, i % 2)
        self.show_only = QCheckBox("Show only this tag", toolTip="dim every other clip on the map")
        self.show_only.toggled.connect(guarded(self._on_show_only))
        grid.addWidget(self.show_only, 3, 1)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.table, 1)
        lay.addLayout(grid)
        lay.addWidget(self.hint)
        cur.state_changed.connect(guarded(self.refresh))
        cur.pinned_shown_changed.connect(guarded(self._update_buttons))
        listen(self, cur.state.selection_changed, lambda *_: self._update_buttons())
        self.refresh()

    # ----------------------------------------------------------------------------------- queries
    def current_tag(self) -> str | None:
        """The tag chosen in the table (the first one when none is chosen and tags exist)."""
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        names = self.curation.book.names()
        return names[0] if names else None

    def set_current_tag(self, name: str) -> None:
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == name:
                self.table.selectRow(row)
                return

    def rows(self) -> list[tuple[str, str, int]]:
        """``(name, colour, count)`` per row, as shown."""
        return [
            (
                self.table.item(r, 0).data(Qt.ItemDataRole.UserRole),
                self.table.item(r, 1).text(),
                int(self.table.item(r, 2).text().replace(",", "")),
            )
            for r in range(self.table.rowCount())
        ]

    # ------------------------------------------------------------------------------------ drawing
    def refresh(self) -> None:
        book, current = self.curation.book, self.current_tag()
        counts = book.counts()
        self.table.blockSignals(True)
        self.table.setRowCount(len(counts))
        for row, name in enumerate(book.names()):
            label = QTableWidgetItem(" ".join(name.split()) or name)  # tabs / newlines shown as spaces
            label.setData(Qt.ItemDataRole.UserRole, name)
            label.setToolTip(name)
            swatch = QTableWidgetItem(book.colour(name))
            swatch.setData(Qt.ItemDataRole.DecorationRole, QColor(book.colour(name)))
            count = QTableWidgetItem(f"{counts[name]:,}")
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for col, item in enumerate((label, swatch, count)):
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)
        if current in book:
            self.set_current_tag(current)
        self.show_only.blockSignals(True)
        self.show_only.setChecked(self.curation.shown_tag is not None)
        self.show_only.blockSignals(False)
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_tag = self.current_tag() is not None
        n_sel = self.curation.state.selection.size
        shown = self.curation.pinned_shown
        pinned = None if shown is None else shown.point()
        for key in ("rename", "colour", "delete", "select"):
            self.buttons[key].setEnabled(has_tag)
        for key, verb in (("tag", "Tag"), ("untag", "Untag")):
            self.buttons[key].setEnabled(has_tag and (n_sel > 0 or pinned is not None))
            self.buttons[key].setText(f"{verb} {pinned.name}" if pinned is not None else f"{verb} selection")
        self.show_only.setEnabled(has_tag)
        selected = f"{count(n_sel, 'clip')} selected"
        if pinned is not None:  # the buttons tag the pinned point shown
            selected = f"{pinned.name} (generated) shown, tags: {', '.join(pinned.tags) or 'none'}"
        self.hint.setText(
            f"{selected} · Ctrl+Z undoes, Ctrl+Shift+Z redoes"
            if has_tag
            else f"{selected}. Create a tag, then tag the selected clips with it."
        )

    # ------------------------------------------------------------------------------------ actions
    def _with_tag(self, fn) -> None:
        name = self.current_tag()
        if name is not None:
            fn(name)

    def _new_tag(self) -> None:
        name = ask.ask_new_tag(self.curation)
        if name is not None:
            self.set_current_tag(name)

    def _on_current_changed(self) -> None:
        if self.curation.shown_tag is not None:  # "show only" follows the chosen tag
            self.curation.show_only(self.current_tag())
        self._update_buttons()

    def _on_show_only(self, on: bool) -> None:
        self.curation.show_only(self.current_tag() if on else None)
