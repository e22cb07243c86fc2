"""Export pinned points: each one's decoded clip as a video, and a JSON of their latents marked generated.

Runs as a background job (it decodes). The folder gets ``pinned.json`` (:func:`pinned_records`: name,
``generated: true``, source clip, map position, tags, latent), ``pinned_latents.npy`` ``(K, D)`` float32
and one ``<name>.mp4`` per point (``pinned-1.mp4``...). No Qt here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from latentlab.core.atomic import write_json_atomic
from latentlab.core.pinned_points import PinnedPoint, pinned_records
from latentlab.core.protocols import ClipDecoder
from latentlab.media.export_clips import even_frames
from latentlab.media.video_writer import h264_fourcc, write_video


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
    latents = out / "pinned_latents.npy"
    np.save(latents, np.stack([np.asarray(p.z, np.float32) for p in points]))
    manifest = out / "pinned.json"
    write_json_atomic(manifest, {"generated": True, "points": rows})
    return [manifest, latents, *written]
