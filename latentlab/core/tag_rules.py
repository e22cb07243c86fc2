"""What makes a tag edit valid: names, colours, clip indices and saved clip keys.

Shared by :mod:`latentlab.core.tags` (the tag book and saved selections) and
:mod:`latentlab.core.tag_commands` (the undoable edits).
"""

from __future__ import annotations

import re

import numpy as np

from latentlab.core.errors import UserError

FIELD_NAME = "tag"
#: Default colours of new tags, in order (the map's categorical palette, readable on black).
PALETTE = (
    "#63a4ff",
    "#ff8a65",
    "#78dc8c",
    "#f0c850",
    "#c48cff",
    "#5ad7dc",
    "#ff6eaa",
    "#b4c878",
    "#e6e6e6",
    "#ffaa3c",
    "#8c96ff",
    "#a06e50",
)
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


def check_keys(keys, n_clips: int) -> np.ndarray:
    """``keys`` as an ``(n_clips,)`` str array, or :class:`TagError`."""
    keys = np.asarray(keys).astype(str)
    if keys.shape != (n_clips,):
        raise TagError(f"need one clip key per clip ({n_clips}); got shape {keys.shape}")
    return keys


def key_list(value, name: str) -> list[str]:
    """``value`` when it is a list of clip keys (str), else :class:`TagError` naming ``name``."""
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise TagError(f"the saved clips of {name!r} must be a list of clip keys")
    return value


def count_clips(n: int) -> str:
    """``"1 clip"``, ``"1,024 clips"``."""
    return f"{n:,} clip" + ("" if n == 1 else "s")
