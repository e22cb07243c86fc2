"""Export pinned points: each one's decoded clip as a video, and a JSON of their latents marked generated.

Runs as a background job (it decodes). :func:`export_pinned` (File → Export pinned points…) fills a folder
with ``pinned.json`` (:func:`pinned_records`: name, ``generated: true``, source clip, map position, tags,
latent), ``pinned_latents.npy`` ``(K, D)`` float32 and one ``<name>.mp4`` per point (``pinned-1.mp4``...).
:func:`pinned_into_export` puts the same files under ``pinned/`` of a File → Export… output, with
``pinned.csv``: a table row per point (name, source clip key, tags, ``generated``, its video). No Qt here.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from latentlab.core.atomic import write_json_atomic
from latentlab.core.export_tables import join_tags
from latentlab.core.pinned_points import PinnedPoint, pinned_records
from latentlab.core.protocols import ClipDecoder
from latentlab.media.export_clips import even_frames
from latentlab.media.video_writer import h264_fourcc, write_video

PINNED_FOLDER = "pinned"  # the pinned points' files inside a File → Export… output
PINNED_TABLE = "pinned.csv"
PINNED_COLUMNS = ("id", "name", "generated", "source_key", "source_index", "tags", "file", "latent_row")


def pinned_file_stem(point: PinnedPoint) -> str:
    return point.name.replace(" ", "-")


def export_pinned(
    points: Sequence[PinnedPoint],
    codec: ClipDecoder,
    folder: str | Path,
    fps: float,
    clip_keys: Sequence[str] | None = None,
    progress: Callable[[float], None] | None = None,
) -> list[Path]:
    """Write the pinned ``points`` into ``folder`` (made if missing); returns the files written."""
    points = list(points)
    if not points:
        raise ValueError("no pinned points to export (Shift+release a dragged point to pin one)")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rows, written = _write_points(points, codec, out, fps, clip_keys, progress)
    return [out / "pinned.json", out / "pinned_latents.npy", *written]


def _write_points(points, codec, out: Path, fps, clip_keys, progress) -> tuple[list[dict], list[Path]]:
    """Each point's decoded video, then ``pinned_latents.npy`` and ``pinned.json``: ``(records, videos)``."""
    rows = pinned_records(points, clip_keys)
    written = []
    code = h264_fourcc()
    for k, (point, row) in enumerate(zip(points, rows)):
        clip = codec.decode(np.asarray(point.z, np.float32)[None])[0]  # (T, H, W, C) uint8
        video = out / f"{pinned_file_stem(point)}.mp4"
        write_video(video, even_frames(clip), fps, fourcc=code)
        row["video"] = video.name
        written.append(video)
        if progress is not None:
            progress((k + 1) / len(points))
    np.save(out / "pinned_latents.npy", np.stack([np.asarray(p.z, np.float32) for p in points]))
    write_json_atomic(out / "pinned.json", {"generated": True, "points": rows})
    return rows, written


def pinned_into_export(
    points: Sequence[PinnedPoint],
    codec: ClipDecoder,
    folder: Path,
    fps: float,
    clip_keys: Sequence[str] | None = None,
    progress: Callable[[float], None] | None = None,
) -> list[str]:
    """Add the pinned ``points`` to an export being written in ``folder``: ``pinned/`` (videos, latents,
    ``pinned.json``; ``pinned-2/`` if a tag's folder is already called so) and ``pinned.csv``
    (``PINNED_COLUMNS``, ``file`` relative to ``folder``). Returns the files, relative to ``folder``."""
    points = list(points)
    name, k = PINNED_FOLDER, 2
    while (folder / name).exists():  # a folder-per-tag export with a tag "pinned": its folder is kept apart
        name, k = f"{PINNED_FOLDER}-{k}", k + 1
    sub = folder / name
    sub.mkdir()
    rows, videos = _write_points(points, codec, sub, fps, clip_keys, progress)
    with open(folder / PINNED_TABLE, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, PINNED_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for k, row in enumerate(rows):
            writer.writerow(
                {
                    "id": row["id"],
                    "name": row["name"],
                    "generated": "true",
                    "source_key": row["source_key"] or "",
                    "source_index": row["source_index"],
                    "tags": join_tags(row["tags"]),
                    "file": f"{name}/{row['video']}",
                    "latent_row": k,
                }
            )
    inner = [f"{name}/{v.name}" for v in [*videos, sub / "pinned_latents.npy", sub / "pinned.json"]]
    return [*inner, PINNED_TABLE]
