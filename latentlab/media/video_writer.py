"""Write frames to video files (OpenCV) and animated GIFs (Pillow).

The pip wheel of OpenCV cannot encode H.264, so the format follows the file extension:
``.mp4``/``.m4v``/``.mov`` -> MPEG-4 Part 2 (``mp4v``), ``.avi`` -> Motion JPEG (``MJPG``),
``.mkv``/``.webm`` -> VP8. Frames are RGB on the way in, as everywhere in latentlab.
"""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

#: file extension -> FourCC that the OpenCV wheel can encode
FOURCC_BY_SUFFIX: dict[str, str] = {
    ".mp4": "mp4v",
    ".m4v": "mp4v",
    ".mov": "mp4v",
    ".avi": "MJPG",
    ".mkv": "VP80",
    ".webm": "VP80",
}


#: FourCCs of H.264 in OpenCV builds that have an encoder for it (system FFmpeg with libx264, OpenH264)
H264_FOURCCS = ("avc1", "H264")


class VideoWriteError(Exception):
    """A video or GIF that cannot be written, with the reason in words."""


@functools.lru_cache(maxsize=1)
def h264_fourcc() -> str | None:
    """The FourCC that writes H.264 MP4 with this OpenCV, or ``None`` (the pip wheel has none): tried
    once per process on a tiny file in a temporary folder."""
    frame = np.zeros((16, 16, 3), np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        for code in H264_FOURCCS:
            path = os.path.join(tmp, f"probe-{code}.mp4")
            writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*code), 12.0, (16, 16), True)
            try:
                if not writer.isOpened():
                    continue
                writer.write(frame)
            finally:
                writer.release()
            if os.path.isfile(path) and os.path.getsize(path) > 0:
                return code
    return None


def upscale_nearest(frames_u8: np.ndarray, factor: int) -> np.ndarray:
    """``(T, H, W, C)`` -> ``(T, H*factor, W*factor, C)``, each pixel a ``factor``×``factor`` block
    (32×32 clips are too small to see in a video player; blocks keep them sharp)."""
    factor = int(factor)
    if factor < 1:
        raise VideoWriteError(f"the upscale factor must be at least 1, got {factor}")
    frames = np.asarray(frames_u8)
    return frames if factor == 1 else np.repeat(np.repeat(frames, factor, axis=1), factor, axis=2)


def _as_frames(frames_u8: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames_u8)
    if frames.dtype != np.uint8:
        raise VideoWriteError(f"frames must be uint8, got {frames.dtype}")
    if frames.ndim == 3:  # (T, H, W) grey
        frames = frames[..., None]
    if frames.ndim != 4 or frames.shape[-1] not in (1, 3) or frames.shape[0] < 1:
        raise VideoWriteError(f"frames must have shape (T, H, W, 3) or (T, H, W, 1) with T >= 1, got {frames.shape}")
    return frames


def write_video(path: str | os.PathLike, frames_u8: np.ndarray, fps: float, *, fourcc: str | None = None) -> Path:
    """Write ``frames_u8`` ``(T, H, W, 3)`` RGB (or ``(T, H, W, 1)`` grey) uint8 to a video file.

    Parameters
    ----------
    path
        Output file; its extension picks the FourCC (see ``FOURCC_BY_SUFFIX``) unless ``fourcc`` is given.
    frames_u8
        The frames, RGB.
    fps
        Frames per second written into the file's header.
    fourcc
        Four-character codec code that overrides the extension's default.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    VideoWriteError
        Unknown extension, bad frames, or OpenCV could not open an encoder for this file.
    """
    path = Path(path)
    frames = _as_frames(frames_u8)
    code = fourcc or FOURCC_BY_SUFFIX.get(path.suffix.lower())
    if code is None:
        raise VideoWriteError(
            f"cannot write {path.name}: unknown video extension; use one of {sorted(FOURCC_BY_SUFFIX)} or .gif"
        )
    if not fps > 0:
        raise VideoWriteError(f"fps must be positive, got {fps}")
    _, h, w, c = frames.shape
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*code), float(fps), (w, h), True)
    if not writer.isOpened():
        raise VideoWriteError(
            f"OpenCV could not open a {code!r} encoder for {path} ({w}x{h} at {fps} fps); "
            "check that the folder exists and is writable"
        )
    try:
        for frame in frames:
            # OpenCV wants BGR, 3 channels; convert one frame at a time (bounded memory)
            bgr = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if c == 1 else cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
            writer.write(bgr)
    finally:
        writer.release()
    return path


def write_gif(path: str | os.PathLike, frames_u8: np.ndarray, fps: float, *, loop: int = 0) -> Path:
    """Write ``frames_u8`` ``(T, H, W, 3)`` RGB (or grey) uint8 as an animated GIF with Pillow.

    ``loop=0`` repeats forever. GIF frame delays are whole centiseconds, so the frame rate is
    rounded to the nearest one that GIF can express.
    """
    frames = _as_frames(frames_u8)
    if not fps > 0:
        raise VideoWriteError(f"fps must be positive, got {fps}")
    grey = frames.shape[-1] == 1
    images = [Image.fromarray(np.ascontiguousarray(f[..., 0] if grey else f)) for f in frames]
    duration_ms = max(20, int(round(100.0 / fps)) * 10)
    try:
        images[0].save(
            Path(path), save_all=True, append_images=images[1:], duration=duration_ms, loop=loop, optimize=False
        )
    except (OSError, ValueError) as exc:
        raise VideoWriteError(f"cannot write {path}: {exc}") from exc
    return Path(path)
