"""The clip store's on-disk format: names, the manifest's fields and their checks, the geometry.

See :mod:`latentlab.media.clip_store` for the layout of a store folder. Nothing here opens a store:
these are the rules its reader and writer share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentlab.core.errors import UserError
from latentlab.core.fingerprint import text_fingerprint
from latentlab.core.safe_names import UnsafeFileName, child_file

FORMAT = "latentlab-clip-store"
VERSION = 1
MANIFEST = "manifest.json"

#: Columns every store has, in this order; factor columns (float32) follow.
BASE_COLUMNS: list[tuple[str, str]] = [
    ("source_id", "<i4"),  # index into manifest["sources"]
    ("start_frame", "<i8"),  # source frame index of the clip's first frame
    ("end_frame", "<i8"),  # source frame index one past the clip's last frame
    ("start_time", "<f8"),  # seconds, timestamp of the first frame
    ("end_time", "<f8"),  # seconds, timestamp after the last frame (start_time + T / fps)
    ("fps", "<f8"),  # the clip's sampling rate (frames per second)
]


class StoreError(UserError):
    """A clip store that cannot be opened or written, with a message that says why."""


@dataclass(frozen=True)
class ClipGeometry:
    """Shape of every clip in a store: ``frames`` x ``height`` x ``width`` x ``channels``."""

    frames: int
    height: int
    width: int
    channels: int

    def __post_init__(self) -> None:
        for name in ("frames", "height", "width"):
            if int(getattr(self, name)) < 1:
                raise StoreError(f"clip {name} must be at least 1, got {getattr(self, name)}")
        if self.channels not in (1, 3):
            raise StoreError(f"clips have 1 (grey) or 3 (RGB) channels, got {self.channels}")

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(T, H, W, C)``."""
        return (self.frames, self.height, self.width, self.channels)

    @property
    def nbytes(self) -> int:
        """Bytes of one clip."""
        return self.frames * self.height * self.width * self.channels


def table_dtype(factor_names: Sequence[str]) -> np.dtype:
    return np.dtype(BASE_COLUMNS + [(f"factor_{n}", "<f4") for n in factor_names])


_DATA_NAME, _TABLE_NAME = r"clips-[0-9]{6,12}\.u8", r"table-[0-9]{6,12}\.bin"  # as the writer names them


def data_paths(folder: Path, m: dict) -> tuple[Path, Path]:
    """The two data files the manifest names, refused unless they are bare names inside the store."""
    try:
        return (
            child_file(folder, m.get("data_file"), _DATA_NAME, "the manifest's data_file"),
            child_file(folder, m.get("table_file"), _TABLE_NAME, "the manifest's table_file"),
        )
    except UnsafeFileName as exc:
        raise StoreError(str(exc)) from None


def check_manifest(path: Path, m: dict) -> None:
    """Types and ranges of every manifest field this module reads (a hand-edited or hostile file)."""

    def bad(what: str) -> StoreError:
        return StoreError(f"{path / MANIFEST} is damaged: {what}")

    data_paths(path, m)
    clip = m.get("clip")
    if not isinstance(clip, dict) or not all(_is_int(clip.get(k)) for k in ("frames", "height", "width", "channels")):
        raise bad("'clip' must give whole-number frames, height, width and channels")
    if any(not 1 <= clip[k] <= 100_000 for k in ("frames", "height", "width")):
        raise bad(f"the clip size {clip} is out of range")
    for key in ("n_clips", "generation"):
        if not _is_int(m.get(key)) or m[key] < 0:
            raise bad(f"{key!r} must be a whole number >= 0, not {m.get(key)!r:.40}")
    dtype = m.get("table_dtype")
    try:
        np.dtype([tuple(c) for c in dtype])
        ok = all(
            isinstance(c, list) and len(c) == 2 and isinstance(c[1], str) and c[1][1:2] in "fiu" for c in dtype
        ) and [list(c) for c in dtype[: len(BASE_COLUMNS)]] == [list(c) for c in BASE_COLUMNS]
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise bad("'table_dtype' is not a table of number columns starting with the base columns")
    sources = m.get("sources")
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        raise bad("'sources' must be a list of objects")
    for s in sources:
        if not (_is_int(s.get("id")) and _is_int(s.get("first_clip")) and _is_int(s.get("n_clips"))):
            raise bad(f"a source lacks whole-number id, first_clip and n_clips: {s!r:.80}")
    if not isinstance(m.get("fingerprint"), str) or not isinstance(m.get("factor_names", []), list):
        raise bad("'fingerprint' or 'factor_names' has the wrong type")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def store_fingerprint(manifest: dict) -> str:
    parts = [FORMAT, str(manifest["clip"]), str(manifest["n_clips"])]
    for s in manifest["sources"]:
        parts += [str(s.get("path")), str(s.get("fingerprint")), str(s.get("n_clips")), str(s.get("params", ""))]
    return text_fingerprint(*parts)
