"""A source video as a path on the map: its clips in time order, and where a time falls along it.

A store records, for every clip, the source it was cut from (``source_id``, an index into the
store's ``sources``) and where (``start_frame``, ``start_time``, ``end_time``, ``fps``). From that,
:class:`VideoIndex` answers both ways: clip → (source video, time) and source video → its clips in
time order (a :class:`VideoPath`). A :class:`VideoPath` turns a time in the video into the clip and
frame to show and the marker's place on the map (between the map points of consecutive clips).

Procedural sample data has one "source" (its generator) whose clips are unrelated: it has no video
to follow, and :func:`no_videos_reason` says so. No Qt here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import numpy as np

from latentlab.core.frame_rate import FALLBACK_FPS, usable_fps


def format_time(seconds: float) -> str:
    """``0:12``, ``12:03``, ``1:02:03`` (whole seconds, rounded down)."""
    s = max(0, int(np.floor(seconds + 1e-6)))
    h, m, s = s // 3600, (s // 60) % 60, s % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def source_name(source: dict, source_id: int) -> str:
    """How a source is named to the user: its file name (``source 3`` when the store records no path)."""
    return PurePath(str(source.get("path", ""))).name or f"source {source_id}"


def no_videos_reason(store: Any) -> str | None:
    """Why the clips of ``store`` have no source videos to follow (``None`` when they have)."""
    if store is None:
        return "These clips have no source videos (sample data, not a store of videos)."
    if list(getattr(store, "factor_names", [])) or len(store) == 0:
        return "These clips have no source videos: they were generated one by one (sample data)."
    return None


@dataclass(frozen=True)
class ClipPlace:
    """Where a clip comes from: its source video (id and file name) and its time in that video."""

    clip: int
    source_id: int
    name: str
    start_time: float
    end_time: float

    def describe(self) -> str:
        """``a.mp4, at 0:12``."""
        return f"{self.name}, at {format_time(self.start_time)}"


@dataclass(frozen=True)
class PathPosition:
    """What a scrubber value shows: ``k``-th clip of the path (store index ``clip``), its ``frame``
    at that time, and the marker's map position ``xy`` (``fraction`` of the way to the next clip)."""

    time: float
    k: int
    clip: int
    frame: int
    fraction: float
    xy: tuple[float, float]


@dataclass(frozen=True)
class VideoPath:
    """The clips of one source video in time order (store indices ``clips``, times in seconds)."""

    source_id: int
    name: str
    clips: np.ndarray  # (K,) int64
    start: np.ndarray  # (K,) float64
    end: np.ndarray  # (K,) float64
    fps: np.ndarray  # (K,) float64, usable rates

    def __len__(self) -> int:
        return len(self.clips)

    @property
    def t0(self) -> float:
        return float(self.start[0]) if len(self) else 0.0

    @property
    def t1(self) -> float:
        return float(self.end[-1]) if len(self) else 0.0

    def points(self, coords: np.ndarray) -> np.ndarray:
        """The path's vertices on the map: the clips' map points ``(K, 2)`` in time order."""
        return np.asarray(coords)[self.clips]

    def position(self, t: float, coords: np.ndarray, frames: int) -> PathPosition:
        """What time ``t`` (seconds, clamped to the video) shows: the latest clip started by then,
        its frame at ``t`` (of ``frames`` per clip), and the marker between that clip's map point
        and the next one's."""
        if not len(self):
            raise ValueError(f"{self.name} has no clips")
        t = float(np.clip(t, self.t0, self.t1))
        k = max(0, int(np.searchsorted(self.start, t, side="right")) - 1)
        frame = int(np.clip(np.floor((t - self.start[k]) * self.fps[k] + 1e-6), 0, max(frames - 1, 0)))
        pts = self.points(coords)
        fraction = 0.0
        if k + 1 < len(self):
            gap = float(self.start[k + 1] - self.start[k])
            fraction = float(np.clip((t - self.start[k]) / gap, 0.0, 1.0)) if gap > 0 else 0.0
            xy = pts[k] + fraction * (pts[k + 1] - pts[k])
        else:
            xy = pts[k]
        return PathPosition(t, k, int(self.clips[k]), frame, fraction, (float(xy[0]), float(xy[1])))


def clip_place(store: Any, clip: int) -> ClipPlace | None:
    """Clip ``clip``'s source video and time, read from its row of the store's table alone (``None``
    where the store has no source videos: see :func:`no_videos_reason`)."""
    if no_videos_reason(store) is not None or not 0 <= clip < len(store):
        return None
    row = store.table[clip]
    sid = int(row["source_id"])
    sources = {int(s.get("id", pos)): s for pos, s in enumerate(store.sources)}
    return ClipPlace(
        clip, sid, source_name(sources.get(sid, {}), sid), float(row["start_time"]), float(row["end_time"])
    )


class VideoIndex:
    """Clips ↔ source videos of one store, from its ``sources`` and per-clip ``table``."""

    def __init__(self, sources: list[dict], table: Any) -> None:
        self.source_ids = np.asarray(table["source_id"], np.int64)
        self.start_frame = np.asarray(table["start_frame"], np.int64)
        self.fps = np.asarray(table["fps"], np.float64)
        rate = np.where(self.fps > 0, self.fps, FALLBACK_FPS)
        # A garbled time (NaN) falls back on the clip's frame numbers, so that one row cannot break a path.
        start, end = np.asarray(table["start_time"], np.float64), np.asarray(table["end_time"], np.float64)
        self.start_time = np.where(np.isfinite(start), start, self.start_frame / rate)
        self.end_time = np.where(np.isfinite(end) & (end >= self.start_time), end, self.start_time)
        self.names: dict[int, str] = {}
        for pos, s in enumerate(sources):
            sid = int(s.get("id", pos))
            self.names[sid] = source_name(s, sid)

    @classmethod
    def of_store(cls, store: Any) -> VideoIndex:
        return cls(store.sources, store.table)

    def __len__(self) -> int:
        return len(self.source_ids)

    def name(self, source_id: int) -> str:
        return self.names.get(int(source_id), f"source {int(source_id)}")

    def sources(self) -> list[tuple[int, str, int]]:
        """``(source id, file name, number of clips)`` of each source that has clips, by id."""
        ids, counts = np.unique(self.source_ids, return_counts=True)
        return [(int(i), self.name(i), int(c)) for i, c in zip(ids, counts)]

    def place(self, clip: int) -> ClipPlace:
        """Clip ``clip``'s source video and time."""
        if not 0 <= clip < len(self):
            raise IndexError(f"clip {clip} is not one of the {len(self)} clips")
        sid = int(self.source_ids[clip])
        return ClipPlace(clip, sid, self.name(sid), float(self.start_time[clip]), float(self.end_time[clip]))

    def path(self, source_id: int) -> VideoPath:
        """The clips of source ``source_id`` in time order (start time, then start frame, then index)."""
        clips = np.flatnonzero(self.source_ids == int(source_id))
        if not clips.size:
            raise KeyError(f"no clips come from source {source_id}")
        order = np.lexsort((clips, self.start_frame[clips], self.start_time[clips]))
        clips = clips[order].astype(np.int64)
        fps = np.array([usable_fps(f) for f in self.fps[clips]], np.float64)
        return VideoPath(int(source_id), self.name(source_id), clips, self.start_time[clips], self.end_time[clips], fps)


def clip_caption(store: Any, clip: int) -> str:
    """How a clip is named under its picture: ``clip 42 · bikes.mp4, at 0:02`` (``clip 42`` where the
    store has no source videos, as sample data)."""
    place = clip_place(store, clip)
    return f"clip {clip}" if place is None else f"clip {clip} · {place.describe()}"
