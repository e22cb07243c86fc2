"""Tags and saved selections of the loaded dataset.

A :class:`TagBook` holds, per tag in display order, a colour and its member clips (indices into the
loaded dataset). GUI code never calls its ``_``-mutators directly: it pushes the commands of
:mod:`latentlab.core.tag_commands` on an :class:`~latentlab.core.undo.UndoStack`, so every edit can
be undone. On disk, clips are named by their stable keys (``ClipStore.clip_keys()``); keys that the
loaded dataset does not hold are kept in ``orphans`` and written again on save, so tagging a subset
of a store never loses the rest.

Tag names may hold any characters but must not be blank; exports escape them.
"""

from __future__ import annotations

import numpy as np
from psygnal import Signal

from latentlab.core.explorer_state import ClipField
from latentlab.core.tag_commands import CreateTag, DeleteTag, RecolourTag, RenameTag, TagClips, UntagClips, tag_clips
from latentlab.core.tag_rules import FIELD_NAME, PALETTE, TagError, check_colour, check_indices, check_name
from latentlab.core.tag_rules import check_keys as _check_keys
from latentlab.core.tag_rules import key_list as _key_list
from latentlab.core.tag_suggestions import suggest_from_tags

# The commands, rules and suggestions are importable from here too: the tag API in one place.
__all__ = [
    "TagBook",
    "SavedSelections",
    "TagError",
    "FIELD_NAME",
    "PALETTE",
    "check_colour",
    "check_indices",
    "check_name",
    "CreateTag",
    "RenameTag",
    "RecolourTag",
    "DeleteTag",
    "TagClips",
    "UntagClips",
    "tag_clips",
    "suggest_from_tags",
]


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

    def copy(self) -> TagBook:
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
        return ClipField(
            FIELD_NAME, codes, tuple(self._colours), colours=tuple(self._colours.values()), missing_label="untagged"
        )

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
        tags = [
            {"name": name, "colour": self._colours[name], "clips": keys[self._members[name]].tolist()}
            for name in self._colours
        ]
        return {"tags": tags, "orphans": {name: list(k) for name, k in self.orphans.items() if k}}

    @classmethod
    def from_dict(cls, data: dict, keys: np.ndarray) -> TagBook:
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
        return {
            "selections": [{"name": n, "clips": keys[i].tolist()} for n, i in self._sel.items()],
            "orphans": {n: list(k) for n, k in self.orphans.items() if k},
        }

    @classmethod
    def from_dict(cls, data: dict, keys: np.ndarray, n_clips: int | None = None) -> SavedSelections:
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


def _has(sorted_members: np.ndarray, index: int) -> bool:
    pos = np.searchsorted(sorted_members, index)
    return bool(pos < sorted_members.size and sorted_members[pos] == index)
