"""Which files are videos: the one list of extensions that ingest and the window's drops read.

Pure Python (no OpenCV), so the window can sort a drop without importing the video stack. A file is
judged by its extension alone: what OpenCV can actually decode is found out by ingest, file by file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

#: Extensions (lower case, with the dot) of the files ingest reads as videos.
VIDEO_EXTENSIONS = frozenset(
    ".mp4 .m4v .mov .avi .mkv .webm .mpg .mpeg .m2v .wmv .flv .3gp .3g2 .ts .mts .m2ts .ogv .vob .gif".split()
)
#: Dropped files named in a refusal before the rest are counted.
NAMED_IN_REFUSAL = 3


def is_video(path: str | os.PathLike) -> bool:
    """True when ``path`` has a video extension (any case)."""
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def split_videos(paths: Iterable[str | os.PathLike]) -> tuple[list[str], list[str]]:
    """``(videos, refused)``: the paths with a video extension, and the others, in their order.

    An empty path (a dropped link that is not a local file) is refused.
    """
    videos: list[str] = []
    refused: list[str] = []
    for p in paths:
        (videos if str(p) and is_video(p) else refused).append(str(p))
    return videos, refused


def refusal_message(refused: list[str]) -> str:
    """One line naming the refused files, e.g. ``"not a video, left out: notes.txt"``."""
    names = [Path(p).name or p or "a link that is not a local file" for p in refused]
    shown = ", ".join(names[:NAMED_IN_REFUSAL])
    more = len(names) - NAMED_IN_REFUSAL
    if more > 0:
        shown += f" and {more} more"
    kind = "not a video" if len(names) == 1 else "not videos"
    return f"{kind}, left out: {shown} (videos end in {' '.join(sorted(VIDEO_EXTENSIONS))})"
