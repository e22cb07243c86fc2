"""The undoable edits of a :class:`~latentlab.core.tags.TagBook`: create, rename, recolour, delete, tag, untag.

Each command keeps what its undo needs (the clips it actually added or removed, a deleted tag's
place, colour, members and orphans), so undo restores exactly the state before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from latentlab.core.tag_rules import TagError, check_colour, check_indices, check_name
from latentlab.core.tag_rules import count_clips as _clips
from latentlab.core.undo import Command, MacroCommand

if TYPE_CHECKING:
    from latentlab.core.tags import TagBook


class CreateTag(Command):
    def __init__(self, book: TagBook, name: str, colour: str | None = None) -> None:
        self.book, self.name = book, name
        self.colour = None if colour is None else check_colour(colour)
        self.text = f"create tag {name!r}"

    def redo(self) -> None:
        if check_name(self.name) in self.book:
            raise TagError(f"there is already a tag {self.name!r}")
        self.colour = self.colour or self.book.next_colour()  # the same colour again after an undo
        self.book._create(self.name, self.colour)

    def undo(self) -> None:
        self.book._delete(self.name)


class RenameTag(Command):
    def __init__(self, book: TagBook, old: str, new: str) -> None:
        self.book, self.old, self.new = book, old, new
        self.text = f"rename tag {old!r} to {new!r}"

    def redo(self) -> None:
        self.book._known(self.old)
        if check_name(self.new) in self.book and self.new != self.old:
            raise TagError(f"there is already a tag {self.new!r}")
        self.book._rename(self.old, self.new)

    def undo(self) -> None:
        self.book._rename(self.new, self.old)


class RecolourTag(Command):
    def __init__(self, book: TagBook, name: str, colour: str) -> None:
        self.book, self.name, self.colour = book, name, check_colour(colour)
        self.old = ""
        self.text = f"recolour tag {name!r}"

    def redo(self) -> None:
        self.old = self.book.colour(self.name)
        self.book._recolour(self.name, self.colour)

    def undo(self) -> None:
        self.book._recolour(self.name, self.old)


class DeleteTag(Command):
    """Delete a tag, its members and its orphans; undo puts all of them back in place."""

    def __init__(self, book: TagBook, name: str) -> None:
        self.book, self.name = book, name
        self.saved: tuple | None = None
        self.text = f"delete tag {name!r}"

    def redo(self) -> None:
        self.book._known(self.name)
        self.saved = self.book._delete(self.name)

    def undo(self) -> None:
        position, colour, members, orphans = self.saved
        if orphans is not None:
            self.book.orphans[self.name] = orphans
        self.book._create(self.name, colour, members, position)


class TagClips(Command):
    """Add clips to a tag; undo removes only the clips this command added."""

    def __init__(self, book: TagBook, name: str, indices) -> None:
        self.book, self.name = book, name
        self.indices = check_indices(indices, book.n_clips)
        self.added = np.zeros(0, np.int64)
        self.text = f"tag {_clips(self.indices.size)} as {name!r}"

    def redo(self) -> None:
        self.book._known(self.name)
        self.added = self.book._add(self.name, self.indices)

    def undo(self) -> None:
        self.book._remove(self.name, self.added)


class UntagClips(Command):
    """Remove clips from a tag; undo adds back only the clips this command removed."""

    def __init__(self, book: TagBook, name: str, indices) -> None:
        self.book, self.name = book, name
        self.indices = check_indices(indices, book.n_clips)
        self.removed = np.zeros(0, np.int64)
        self.text = f"untag {_clips(self.indices.size)} from {name!r}"

    def redo(self) -> None:
        self.book._known(self.name)
        self.removed = self.book._remove(self.name, self.indices)

    def undo(self) -> None:
        self.book._add(self.name, self.removed)


def tag_clips(book: TagBook, assignments: dict[str, np.ndarray], text: str | None = None) -> Command:
    """One undoable command that tags clips with several tags, creating the tags that do not exist.

    ``assignments`` maps tag name -> clip indices (accepted suggestions, "keep one per group").
    """
    parts: list[Command] = []
    total = 0
    for name, indices in assignments.items():
        if name not in book:
            parts.append(CreateTag(book, name))
        part = TagClips(book, name, indices)
        total += part.indices.size
        parts.append(part)
    if text is None:
        text = f"tag {_clips(total)}" if len(assignments) != 1 else parts[-1].text
    return MacroCommand(text, parts)
