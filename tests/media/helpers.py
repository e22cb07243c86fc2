"""Helpers for media tests: tiny moving videos, ways to damage them the way real files break, and a
store consistency check."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from latentlab.media.clip_store import ClipStore


def read_video(path) -> np.ndarray:
    """Every frame of a video file, ``(T, H, W, 3)`` RGB."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    cap.release()
    return np.asarray(frames)


def moving_frames(n: int, h: int = 48, w: int = 64) -> np.ndarray:
    """``(n, h, w, 3)`` uint8 RGB frames whose content changes from frame to frame."""
    t = np.arange(n)[:, None, None]
    yy, xx = np.mgrid[0:h, 0:w]
    f = np.zeros((n, h, w, 3), np.uint8)
    f[..., 0] = (xx * 4 + t * 5) % 256
    f[..., 1] = (yy * 5)[None] % 256
    f[..., 2] = t * 9 % 256
    return f


def corrupt(path: Path, start: float, length: float, seed: int = 1) -> Path:
    """Overwrite ``length`` (a fraction of the file) random bytes from ``start`` (a fraction) in place."""
    data = bytearray(path.read_bytes())
    a, k = int(len(data) * start), int(len(data) * length)
    data[a : a + k] = np.random.default_rng(seed).integers(0, 256, k, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def truncate(path: Path, fraction: float) -> Path:
    """Keep only the first ``fraction`` of the file's bytes."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def set_avi_frame_count(path: Path, count: int) -> Path:
    """Make an AVI's headers (avih total frames, strh length, dmlh) claim ``count`` frames."""
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, data.find(b"avih") + 8 + 16, count)
    struct.pack_into("<I", data, data.find(b"strh") + 8 + 32, count)
    if (i := data.find(b"dmlh")) >= 0:
        struct.pack_into("<I", data, i + 8, count)
    path.write_bytes(bytes(data))
    return path


def rotate_mp4_90(path: Path) -> Path:
    """Write a 90-degree display matrix into an MP4's (version 0) ``tkhd`` box, as phones do."""
    data = bytearray(path.read_bytes())
    i = data.find(b"tkhd")
    assert i > 0 and data[i + 4] == 0, "expected a version-0 tkhd box"
    matrix_at = i + 4 + 4 + 5 * 4 + 8 + 8  # after version/flags, 5 x 32-bit fields, reserved, layer..volume
    struct.pack_into(">9i", data, matrix_at, 0, 1 << 16, 0, -(1 << 16), 0, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))
    return path


def assert_consistent(store: ClipStore) -> None:
    """Every committed clip belongs to exactly one source and can be read."""
    sources = store.sources
    assert sum(s["n_clips"] for s in sources) == len(store)
    starts = [s["first_clip"] for s in sources]
    assert starts == sorted(starts)
    for s in sources:
        ids = store.table["source_id"][s["first_clip"] : s["first_clip"] + s["n_clips"]]
        assert (ids == s["id"]).all()
    if len(store):
        assert store.read([0, len(store) - 1]).shape == (2, *store.geometry.shape)
