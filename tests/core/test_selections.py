"""Saved selections as undoable edits: save, overwrite, delete, and their undo, in place."""

from __future__ import annotations

import numpy as np
import pytest

from latentlab.core.selections import DeleteSelection, SaveSelection
from latentlab.core.tags import SavedSelections, TagError
from latentlab.core.undo import UndoStack


def _selections() -> SavedSelections:
    sel = SavedSelections(10)
    sel.save("a", [1, 2])
    sel.save("b", [3])
    sel.save("c", [4])
    sel.orphans["b"] = ["other-store:7"]
    return sel


def test_save_a_new_selection_and_undo_it():
    sel, undo = _selections(), UndoStack()
    undo.push(SaveSelection(sel, "d", [5, 0, 5]))
    assert sel.names() == ["a", "b", "c", "d"] and sel.get("d").tolist() == [0, 5]
    undo.undo()
    assert sel.names() == ["a", "b", "c"] and undo.is_clean


def test_overwriting_keeps_the_place_and_the_orphans_and_undo_gives_the_old_clips_back():
    sel, undo = _selections(), UndoStack()
    undo.push(SaveSelection(sel, "b", [8, 9]))
    assert sel.names() == ["a", "b", "c"] and sel.get("b").tolist() == [8, 9]
    assert sel.orphans["b"] == ["other-store:7"]
    undo.undo()
    assert sel.get("b").tolist() == [3] and sel.names() == ["a", "b", "c"]


def test_delete_and_undo_restore_the_place_and_the_orphans():
    sel, undo = _selections(), UndoStack()
    seen = []
    sel.changed.connect(lambda: seen.append(1))
    undo.push(DeleteSelection(sel, "b"))
    assert sel.names() == ["a", "c"] and "b" not in sel.orphans
    undo.undo()
    assert sel.names() == ["a", "b", "c"] and sel.orphans["b"] == ["other-store:7"]
    undo.redo()
    assert sel.names() == ["a", "c"] and len(seen) == 3  # one change signal per step


def test_refused_edits_change_nothing():
    sel, undo = _selections(), UndoStack()
    with pytest.raises(TagError):
        undo.push(DeleteSelection(sel, "nope"))
    with pytest.raises(TagError):
        SaveSelection(sel, "x", [10])  # out of range
    with pytest.raises(TagError):
        SaveSelection(sel, " ", [1])
    assert sel.names() == ["a", "b", "c"] and len(undo) == 0
    np.testing.assert_array_equal(sel.get("a"), [1, 2])
