"""Curation in the explorer: tags with undo, saved selections and neighbourhood tools.

:class:`CurationExtension` adds a "Tags" dock (:class:`~latentlab.gui.curation.tag_panel.TagPanel`), an Edit
menu (Undo / Redo following the stack) and a Select menu (:mod:`latentlab.gui.curation.curation_menus`). Every
action gathers its arguments in a dialog and then calls a method of :class:`CurationExtension` with explicit
arguments (``grow_knn(5)``, ``tag_selection("cats")``), which is what tests and other extensions call.

Every tag edit is a command on :attr:`CurationExtension.undo`. Neighbour queries, duplicate search, the
diverse subset and tag suggestions (:class:`~latentlab.gui.curation.neighbourhood_tools.NeighbourhoodTools`)
run as jobs on the window's runner; their results are applied on the GUI thread, and dropped if another
dataset was loaded meanwhile.

"Scope": the neighbourhood tools that look at a set of clips (near-duplicates, diverse subset, tag
suggestions) use the selection when it holds 2 clips or more, else the whole dataset.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDockWidget

from latentlab.core.pinned_points import ShownPinned
from latentlab.core.selections import DeleteSelection, SaveSelection
from latentlab.core.tags import (
    FIELD_NAME,
    CreateTag,
    DeleteTag,
    RecolourTag,
    RenameTag,
    SavedSelections,
    TagBook,
    TagError,
    UntagClips,
    tag_clips,
)
from latentlab.core.undo import UndoStack
from latentlab.gui.curation.neighbourhood_tools import NeighbourhoodTools
from latentlab.gui.errors import guarded, listen
from latentlab.gui.shell import ExtensionBase, WindowContext


class CurationExtension(ExtensionBase, NeighbourhoodTools):
    """Tags, saved selections and their undo history for the dataset shown in the window."""

    state_changed = Signal()  # any edit of the tags or the saved selections, or new ones loaded
    pinned_shown_changed = Signal()  # the probe panel shows a pinned point, or no longer (see show_pinned)
    duplicates_changed = Signal()  # a near-duplicate search found groups, or they were used / dropped

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx)
        ctx.curation = self
        self.state = ctx.state
        self.undo = UndoStack()
        self.book = TagBook(0)
        self.selections = SavedSelections(0)
        self.shown_tag: str | None = None  # "show only" this tag on the map
        self.duplicates: tuple[np.ndarray, np.ndarray] | None = None  # (scope, extra members) of the last search
        self.kept_per_group = np.zeros(0, np.int64)  # the first clip of each group of that search
        self.suggestions: tuple[np.ndarray, list[str], np.ndarray] | None = None
        self.suggestions_dialog = None
        self.pinned_shown: ShownPinned | None = None  # the pinned point the probe panel shows: the Tags dock tags it
        self.undo.changed.connect(self._on_edited)
        listen(ctx.window, self.state.dataset_changed, self._on_dataset_changed)
        self._build()

    def _build(self) -> None:
        """The Tags dock (a tab beside Generate) and the Edit and Select menus."""
        from latentlab.gui.curation.curation_menus import build_menus
        from latentlab.gui.curation.tag_panel import TagPanel

        self.panel = TagPanel(self)
        self.dock = QDockWidget("Tags", self.ctx.window)
        self.dock.setObjectName("dock_tags")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.ctx.add_dock(self.dock)
        self.menus = build_menus(self)
        self._on_dataset_changed(self.state.dataset)

    # ------------------------------------------------------------------------- state and storage
    def clip_keys(self) -> np.ndarray:
        """Stable clip keys of the dataset (``#<index>`` when it has no clip store)."""
        ds = self.state.dataset
        return np.zeros(0, str) if ds is None else ds.clip_keys()

    def dump_state(self) -> tuple[dict, dict]:
        """``(tags, selections)`` as saved in a project (clips named by key)."""
        keys = self.clip_keys()
        return self.book.to_dict(keys), self.selections.to_dict(keys)

    def load_state(self, tags: dict, selections: dict) -> None:
        """Replace the tags and saved selections (from a project); the undo history starts afresh."""
        keys = self.clip_keys()
        book = TagBook.from_dict(tags or {}, keys)  # both parsed before anything is replaced
        saved = SavedSelections.from_dict(selections or {}, keys, len(keys))
        self._install(book, saved)

    def _install(self, book: TagBook, saved: SavedSelections) -> None:
        self.book, self.selections = book, saved
        saved.changed.connect(self.state_changed.emit)
        self.shown_tag, self.duplicates, self.suggestions = None, None, None
        self.duplicates_changed.emit()
        self.undo.clear()  # emits changed: the field, the table and the menus follow

    def _on_dataset_changed(self, dataset) -> None:
        n = 0 if dataset is None else dataset.n_clips
        self._install(TagBook(n), SavedSelections(n))

    @guarded
    def _on_edited(self) -> None:
        if self.state.dataset is not None and self.book.n_clips == self.state.dataset.n_clips:
            self.state.add_field(self.book.field())  # the colour choices follow (state.field_added)
        if self.shown_tag is not None and self.shown_tag not in self.book:
            self.shown_tag = None
        if self.shown_tag is not None or self.state.shown is not None:  # members may have changed
            self.state.set_shown(None if self.shown_tag is None else self.book.members(self.shown_tag))
        self.state_changed.emit()

    # ------------------------------------------------------------------------------- tag edits
    def push(self, command) -> None:
        """Apply an edit as one undo step (:class:`TagError` when refused: nothing changes)."""
        self.undo.push(command)

    def create_tag(self, name: str, colour: str | None = None) -> None:
        """New empty tag (``colour`` ``"#rrggbb"``; ``None``: the next free palette colour)."""
        self.push(CreateTag(self.book, name, colour))

    def rename_tag(self, old: str, new: str) -> None:
        """Rename a tag in place (its clips, colour and position stay)."""
        shown = self.shown_tag == old
        self.push(RenameTag(self.book, old, new))
        if shown:  # keep showing the renamed tag
            self.show_only(new)

    def recolour_tag(self, name: str, colour: str) -> None:
        """Give a tag colour ``"#rrggbb"`` (the map follows when coloured by tag)."""
        self.push(RecolourTag(self.book, name, colour))

    def delete_tag(self, name: str) -> None:
        """Delete a tag (its clips stay in the dataset; undo restores the tag exactly)."""
        self.push(DeleteTag(self.book, name))

    def tag_selection(self, name: str) -> None:
        """Tag the selected clips with ``name`` (created if new), then colour the map by tag."""
        self.push(tag_clips(self.book, {name: self._selection()}))
        if self.state.colour_field != FIELD_NAME:
            self.state.set_colour_field(FIELD_NAME)

    def untag_selection(self, name: str) -> None:
        """Remove the selected clips from tag ``name``."""
        self.push(UntagClips(self.book, name, self._selection()))

    def show_pinned(self, shown: ShownPinned | None) -> None:
        """The probe panel shows a pinned point (None: no longer): the Tags dock follows."""
        if shown != self.pinned_shown:
            self.pinned_shown = shown
            self.pinned_shown_changed.emit()

    def tag_shown(self, name: str, remove: bool = False) -> None:
        """The Tags dock's Tag / Untag: the pinned point shown when one is, else the selection."""
        shown = self.pinned_shown
        if shown is None or shown.point() is None:
            (self.untag_selection if remove else self.tag_selection)(name)
        else:
            self.book.members(name)  # TagError for an unknown tag
            self.push(shown.tag(name, remove=remove))

    def select_tag(self, name: str) -> None:
        """Select the clips tagged ``name``."""
        self.state.select(self.book.members(name))

    def show_only(self, name: str | None) -> None:
        """Dim every clip on the map but those tagged ``name`` (``None``: show all)."""
        if name is not None:
            self.book.members(name)  # TagError for an unknown tag
        self.shown_tag = name
        self.state.set_shown(None if name is None else self.book.members(name))

    def accept_suggestions(self, clips, tags: list[str]) -> None:
        """Tag each of ``clips`` with its tag in ``tags``: one undo step for all of them."""
        clips = np.asarray(clips, np.int64)
        if clips.size == 0:
            return
        groups = {t: clips[np.asarray(tags) == t] for t in dict.fromkeys(tags)}
        self.push(tag_clips(self.book, groups, text=f"accept {clips.size:,} tag suggestion{'s' * (clips.size != 1)}"))

    # ------------------------------------------------------------------------- saved selections
    def save_selection(self, name: str) -> None:
        """Save the current selection as ``name`` (replacing a selection of that name); one undo step."""
        self.push(SaveSelection(self.selections, name, self.state.selection))

    def restore_selection(self, name: str) -> None:
        """Select the clips of saved selection ``name``."""
        self.state.select(self.selections.get(name))

    def delete_selection(self, name: str) -> None:
        """Forget saved selection ``name`` (undo brings it back)."""
        self.push(DeleteSelection(self.selections, name))

    # ------------------------------------------------------------------------------ internals
    def _selection(self) -> np.ndarray:
        if self.state.dataset is None or self.state.selection.size == 0:
            raise TagError("select some clips first")
        return self.state.selection.copy()

    def _say(self, text: str) -> None:
        self.ctx.say(text)
