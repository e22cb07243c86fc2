"""Tags and saved selections of the loaded dataset, and the undoable commands that edit tags.

A :class:`TagBook` holds, per tag in display order, a colour and its member clips (indices into the
loaded dataset). GUI code never calls its ``_``-mutators directly: it pushes the commands below on
an :class:`~latentlab.core.undo.UndoStack`, so every edit can be undone. On disk, clips are named by
their stable keys (``ClipStore.clip_keys()``); keys that the loaded dataset does not hold are kept
in ``orphans`` and written again on save, so tagging a subset of a store never loses the rest.

Tag names may hold any characters but must not be blank; exports escape them.
"""

from __future__ import annotations

import re

import numpy as np
from psygnal import Signal

from latentlab.core.errors import UserError
from latentlab.core.explorer_state import ClipField
from latentlab.core.undo import Command, MacroCommand

FIELD_NAME = "tag"
#: Default colours of new tags, in order (the map's categorical palette, readable on black).
PALETTE = ("#63a4ff", "#ff8a65", "#78dc8c", "#f0c850", "#c48cff", "#5ad7dc",
           "#ff6eaa", "#b4c878", "#e6e6e6", "#ffaa3c", "#8c96ff", "#a06e50")
_HEX = re.compile(r"#[0-9a-fA-F]{6}")


class TagError(ValueError, UserError):
    """A tag edit that cannot be made (blank or taken name, unknown tag, clip out of range...)."""


def check_colour(colour) -> str:
    """``colour`` as lower-case ``"#rrggbb"``, or :class:`TagError`."""
    if not isinstance(colour, str) or not _HEX.fullmatch(colour):
        raise TagError(f"a tag colour must look like '#rrggbb', got {colour!r}")
    return colour.lower()


def check_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise TagError(f"a tag name must be some text, not {name!r}")
    return name


def check_indices(indices, n_clips: int) -> np.ndarray:
    """Sorted unique int64 clip indices, or :class:`TagError` naming the first bad one."""
    try:
        arr = np.asarray(indices)
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise TypeError
        idx = np.unique(arr.astype(np.int64).ravel())
    except (TypeError, ValueError):
        raise TagError("clips must be given as whole-number indices") from None
    bad = idx[(idx < 0) | (idx >= n_clips)]
    if bad.size:
        raise TagError(f"clip {int(bad[0])} does not exist (the dataset has {n_clips:,} clips); nothing was changed")
    return idx


class TagBook:
    """The tags of one loaded dataset of ``n_clips`` clips (index-based)."""

    changed = Signal()

    def __init__(self, n_clips: int) -> None:
        self.n_clips = int(n_clips)
        self._colours: dict[str, str] = {}  # insertion order = display order
        self._members: dict[str, np.ndarray] = {}  # sorted unique int64
        self.orphans: dict[str, list[str]] = {}

    # ------------------------------------------------------------------------------ queries
    def names(self) -> list[str]:
        return list(self._colours)

    def __contains__(self, name) -> bool:
        return name in self._colours

    def colour(self, name: str) -> str:
        return self._colours[self._known(name)]

    def members(self, name: str) -> np.ndarray:
        return self._members[self._known(name)].copy()

    def counts(self) -> dict[str, int]:
        return {name: int(m.size) for name, m in self._members.items()}

    def tags_of(self, index: int) -> list[str]:
        return [name for name, m in self._members.items() if _has(m, int(index))]

    def next_colour(self) -> str:
        """A palette colour no tag uses yet (cycling once all are used)."""
        used = set(self._colours.values())
        free = [c for c in PALETTE if c not in used]
        return free[0] if free else PALETTE[len(self._colours) % len(PALETTE)]

    def copy(self) -> "TagBook":
        """An independent copy (member arrays are never changed in place, so they are shared)."""
        other = TagBook(self.n_clips)
        other._colours, other._members = dict(self._colours), dict(self._members)
        other.orphans = {k: list(v) for k, v in self.orphans.items()}
        return other

    def field(self) -> ClipField:
        """Categorical field ``"tag"``: each clip's first tag in tag order, -1 for untagged clips."""
        codes = np.full(self.n_clips, -1, np.int64)
        members = list(self._members.values())
        for code in range(len(members) - 1, -1, -1):  # later tags first: the first tag wins
            codes[members[code]] = code
        return ClipField(FIELD_NAME, codes, tuple(self._colours), colours=tuple(self._colours.values()),
                         missing_label="untagged")

    def _known(self, name) -> str:
        if name not in self._colours:
            raise TagError(f"there is no tag {name!r}")
        return name

    # ----------------------------------------------------- raw mutators (used by the commands)
    def _create(self, name: str, colour: str, members=None, position: int | None = None) -> None:
        items = list(self._colours.items())
        position = len(items) if position is None else position
        items.insert(position, (name, colour))
        self._colours = dict(items)
        self._members[name] = np.zeros(0, np.int64) if members is None else np.asarray(members, np.int64)
        self.changed.emit()

    def _delete(self, name: str) -> tuple[int, str, np.ndarray, list[str] | None]:
        position = self.names().index(name)
        colour = self._colours.pop(name)
        members = self._members.pop(name)
        orphans = self.orphans.pop(name, None)
        self.changed.emit()
        return position, colour, members, orphans

    def _rename(self, old: str, new: str) -> None:
        self._colours = {(new if k == old else k): v for k, v in self._colours.items()}
        self._members = {(new if k == old else k): v for k, v in self._members.items()}
        if old in self.orphans:  # the clips of other datasets keep their tag under its new name
            self.orphans[new] = self.orphans.pop(old)
        self.changed.emit()

    def _recolour(self, name: str, colour: str) -> None:
        self._colours[name] = colour
        self.changed.emit()

    def _add(self, name: str, indices: np.ndarray) -> np.ndarray:
        """Add clips; return those that were not members yet (what undo removes again)."""
        new = np.setdiff1d(indices, self._members[name], assume_unique=True)
        if new.size:
            self._members[name] = np.union1d(self._members[name], new)
            self.changed.emit()
        return new

    def _remove(self, name: str, indices: np.ndarray) -> np.ndarray:
        """Remove clips; return those that were members (what undo adds back)."""
        gone = np.intersect1d(indices, self._members[name], assume_unique=True)
        if gone.size:
            self._members[name] = np.setdiff1d(self._members[name], gone, assume_unique=True)
            self.changed.emit()
        return gone

    # ------------------------------------------------------------------------------ storage
    def to_dict(self, keys: np.ndarray) -> dict:
        """``{"tags": [{"name", "colour", "clips": [key, ...]}], "orphans": {tag: [key, ...]}}``."""
        keys = _check_keys(keys, self.n_clips)
        tags = [{"name": name, "colour": self._colours[name], "clips": keys[self._members[name]].tolist()}
                for name in self._colours]
        return {"tags": tags, "orphans": {name: list(k) for name, k in self.orphans.items() if k}}

    @classmethod
    def from_dict(cls, data: dict, keys: np.ndarray) -> "TagBook":
        """Rebuild a book for the dataset whose clip keys are ``keys``; unknown keys go to ``orphans``.

        Orphans saved earlier whose clips are now in the dataset become members again.
        """
        keys = np.asarray(keys)
        book = cls(len(keys))
        position = {str(k): i for i, k in enumerate(keys.tolist())}
        if not isinstance(data, dict) or not isinstance(data.get("tags", []), list):
            raise TagError("the saved tags are not in the expected form ({'tags': [...]})")
        orphans_in = data.get("orphans", {}) or {}
        if not isinstance(orphans_in, dict):
            raise TagError("the saved tag orphans are not in the expected form ({tag: [keys]})")
        for entry in data.get("tags", []):
            if not isinstance(entry, dict):
                raise TagError(f"a saved tag is not in the expected form: {entry!r:.80}")
            name = check_name(entry.get("name"))
            if name in book:
                raise TagError(f"the saved tags name {name!r} twice")
            clip_keys = _key_list(entry.get("clips", []), name) + _key_list(orphans_in.get(name, []), name)
            known = [position[k] for k in clip_keys if k in position]
            missing = list(dict.fromkeys(k for k in clip_keys if k not in position))
            colour = check_colour(entry.get("colour") or book.next_colour())
            book._create(name, colour, np.unique(np.asarray(known, np.int64)))
            if missing:
                book.orphans[name] = missing
        for name, clip_keys in orphans_in.items():  # orphans of tags not listed: kept as they are
            if name not in book and clip_keys:
                book.orphans[str(name)] = _key_list(clip_keys, str(name))
        return book


class SavedSelections:
    """Named clip selections of one loaded dataset of ``n_clips`` clips."""

    changed = Signal()

    def __init__(self, n_clips: int) -> None:
        self.n_clips = int(n_clips)
        self._sel: dict[str, np.ndarray] = {}
        self.orphans: dict[str, list[str]] = {}

    def names(self) -> list[str]:
        return list(self._sel)

    def __contains__(self, name) -> bool:
        return name in self._sel

    def get(self, name: str) -> np.ndarray:
        if name not in self._sel:
            raise TagError(f"there is no saved selection {name!r}")
        return self._sel[name].copy()

    def save(self, name: str, indices) -> None:
        """Save (or overwrite) selection ``name``."""
        idx = check_indices(indices, self.n_clips)
        self._sel[check_name(name)] = idx
        self.changed.emit()

    def delete(self, name: str) -> None:
        self.get(name)
        del self._sel[name]
        self.orphans.pop(name, None)
        self.changed.emit()

    def to_dict(self, keys: np.ndarray) -> dict:
        """``{"selections": [{"name", "clips": [key, ...]}], "orphans": {name: [key, ...]}}``."""
        keys = _check_keys(keys, self.n_clips)
        return {"selections": [{"name": n, "clips": keys[i].tolist()} for n, i in self._sel.items()],
                "orphans": {n: list(k) for n, k in self.orphans.items() if k}}

    @classmethod
    def from_dict(cls, data: dict, keys: np.ndarray, n_clips: int | None = None) -> "SavedSelections":
        keys = np.asarray(keys)
        sel = cls(len(keys) if n_clips is None else n_clips)
        if not isinstance(data, dict) or not isinstance(data.get("selections", []), list):
            raise TagError("the saved selections are not in the expected form ({'selections': [...]})")
        position = {str(k): i for i, k in enumerate(keys.tolist())}
        orphans_in = data.get("orphans", {}) or {}
        if not isinstance(orphans_in, dict):
            raise TagError("the saved selection orphans are not in the expected form ({name: [keys]})")
        for entry in data.get("selections", []):
            if not isinstance(entry, dict):
                raise TagError(f"a saved selection is not in the expected form: {entry!r:.80}")
            name = check_name(entry.get("name"))
            clip_keys = _key_list(entry.get("clips", []), name) + _key_list(orphans_in.get(name, []), name)
            sel._sel[name] = np.unique(np.asarray([position[k] for k in clip_keys if k in position], np.int64))
            missing = list(dict.fromkeys(k for k in clip_keys if k not in position))
            if missing:
                sel.orphans[name] = missing
        for name, clip_keys in orphans_in.items():
            if name not in sel._sel and clip_keys:
                sel.orphans[str(name)] = _key_list(clip_keys, str(name))
        return sel


# ------------------------------------------------------------------------------------ commands
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


def suggest_from_tags(book: TagBook, latents, scope=None, *, k: int = 10, method: str = "auto"):
    """Suggest a tag for untagged clips from the tagged ones (a clip's first tag is its label).

    Parameters
    ----------
    latents
        ``(N, D)`` latents of the book's clips.
    scope
        Clip indices to suggest for (their untagged ones); ``None`` = every untagged clip.
    k, method
        Passed to :func:`latentlab.core.neighbours.suggest_tags`.

    Returns
    -------
    (clips, tags, confidence)
        ``(M,)`` int64 clip indices, a list of M tag names and ``(M,)`` confidences in [0, 1],
        most confident first. Empty when no clip is tagged.
    """
    from latentlab.core.neighbours import suggest_tags

    labels = book.field().values
    if len(latents) != book.n_clips:
        raise TagError(f"need one latent per clip ({book.n_clips}); got {len(latents)}")
    targets = np.arange(book.n_clips) if scope is None else check_indices(scope, book.n_clips)
    targets = targets[labels[targets] < 0]
    if targets.size == 0 or not (labels >= 0).any():
        return np.zeros(0, np.int64), [], np.zeros(0)
    pred, conf = suggest_tags(latents, labels, method=method, k=k)
    order = targets[np.argsort(-conf[targets], kind="stable")]
    order = order[pred[order] >= 0]
    names = book.names()
    return order.astype(np.int64), [names[c] for c in pred[order]], conf[order].astype(np.float64)


def _clips(n: int) -> str:
    return f"{n:,} clip" + ("" if n == 1 else "s")


def _has(sorted_members: np.ndarray, index: int) -> bool:
    pos = np.searchsorted(sorted_members, index)
    return bool(pos < sorted_members.size and sorted_members[pos] == index)


def _check_keys(keys, n_clips: int) -> np.ndarray:
    keys = np.asarray(keys).astype(str)
    if keys.shape != (n_clips,):
        raise TagError(f"need one clip key per clip ({n_clips}); got shape {keys.shape}")
    return keys


def _key_list(value, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise TagError(f"the saved clips of {name!r} must be a list of clip keys")
    return value
