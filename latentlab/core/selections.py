"""Saved selections as undoable edits: saving (or overwriting) and deleting a named selection are
:class:`~latentlab.core.undo.Command` objects, so they share the Edit menu's history with the tag edits
and the project's "unsaved changes" is simply "the undo stack is not at its saved mark".

The selections themselves live in :class:`~latentlab.core.tags.SavedSelections` (one per dataset).
"""

from __future__ import annotations

import numpy as np

from latentlab.core.tags import SavedSelections, check_indices, check_name
from latentlab.core.undo import Command


def _put(
    selections: SavedSelections, name: str, indices: np.ndarray | None, position: int | None, orphans: list[str] | None
) -> None:
    """Set selection ``name`` to ``indices`` at ``position`` in the display order (``None`` indices:
    remove it), with its ``orphans``; one ``changed`` signal."""
    items = [(k, v) for k, v in selections._sel.items() if k != name]
    if indices is not None:
        items.insert(len(items) if position is None else min(position, len(items)), (name, indices))
    selections._sel = dict(items)
    selections.orphans.pop(name, None)
    if orphans is not None:
        selections.orphans[name] = orphans
    selections.changed.emit()


class SaveSelection(Command):
    """Save the clips ``indices`` as selection ``name`` (replacing one of that name); undo restores
    what was there before, or removes the new one."""

    def __init__(self, selections: SavedSelections, name: str, indices) -> None:
        self.selections, self.name = selections, check_name(name)
        self.indices = check_indices(indices, selections.n_clips)
        self.before: tuple | None = None
        self.text = f"save selection {name!r}"

    def redo(self) -> None:
        sel = self.selections
        names = sel.names()
        self.before = (
            (sel.get(self.name), names.index(self.name), sel.orphans.get(self.name)) if self.name in sel else None
        )
        _put(
            sel,
            self.name,
            self.indices,
            names.index(self.name) if self.name in sel else None,
            sel.orphans.get(self.name),
        )

    def undo(self) -> None:
        if self.before is None:
            _put(self.selections, self.name, None, None, None)
        else:
            indices, position, orphans = self.before
            _put(self.selections, self.name, indices, position, orphans)


class DeleteSelection(Command):
    """Forget selection ``name`` (and its clips of other datasets); undo puts it back in place."""

    def __init__(self, selections: SavedSelections, name: str) -> None:
        self.selections, self.name = selections, name
        self.before: tuple | None = None
        self.text = f"delete selection {name!r}"

    def redo(self) -> None:
        sel = self.selections
        indices = sel.get(self.name)  # TagError for an unknown name, before anything changes
        self.before = (indices, sel.names().index(self.name), sel.orphans.get(self.name))
        _put(sel, self.name, None, None, None)

    def undo(self) -> None:
        indices, position, orphans = self.before
        _put(self.selections, self.name, indices, position, orphans)
