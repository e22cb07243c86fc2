"""The compression baseline: OpenCV's MJPG and mp4v video formats, measured in bytes and PSNR.

``latentlab eval`` compares the bytes of a clip's latent vector (float16) with what OpenCV's MJPG
and mp4v writers (named by their FourCC) need for the same clips, and the PSNR each reaches. Clips are written back to
back as one stream (so the container's header is shared, as it would be for a real video), read
back, and the file size is divided by the number of clips.

Settings ("the ladder"): MJPG through OpenCV's own MJPEG writer, whose JPEG quality can be set
(``VIDEOWRITER_PROP_QUALITY`` 1..100). mp4v goes through the FFmpeg backend, which in the
opencv-python wheel ignores every quality knob it is offered (``VIDEOWRITER_PROP_QUALITY`` is
refused, ``KEY_INTERVAL`` and ``OPENCV_FFMPEG_WRITER_OPTIONS`` leave the output unchanged; measured
with OpenCV 5.0), so its only lever is to encode a downscaled copy and upscale after decoding
(``scale`` 1, 1/2, 1/4); MJPG gets the same downscaled rungs to reach smaller sizes. When no rung
reaches the byte budget, the smallest one is reported with ``reached = False``.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from latentlab.core.baselines import psnr_u8
from latentlab.core.frame_rate import FALLBACK_FPS

FORMATS = {"MJPG": (".avi", cv2.CAP_OPENCV_MJPEG), "mp4v": (".mp4", cv2.CAP_FFMPEG)}
MJPG_QUALITIES = (5, 20, 50, 80, 95)
SCALES = (1.0, 0.5, 0.25)


class CompressionError(RuntimeError):
    """An OpenCV writer that cannot be opened for a format (e.g. the build lacks it)."""


@dataclass(frozen=True)
class CompressionPoint:
    """One measured setting of a video format on a set of clips."""

    fourcc: str
    setting: str  # e.g. "quality 50, scale 1/2"
    bytes_per_clip: float
    psnr: float  # dB over all pixels of all clips (one MSE, then PSNR)

    def to_dict(self) -> dict:
        return asdict(self)


def encode_decode(
    clips_u8: np.ndarray, fourcc: str, quality: int | None = None, scale: float = 1.0, fps: float = FALLBACK_FPS
) -> tuple[np.ndarray, float]:
    """Encode clips ``(N, T, H, W, 3)`` uint8 RGB as ``fourcc`` video and decode them again.

    Returns the decoded clips (same shape; frames the decoder dropped stay black) and the file
    size in bytes per clip.
    """
    if fourcc not in FORMATS:
        raise CompressionError(f"unknown video format {fourcc!r}; choose one of {sorted(FORMATS)}")
    ext, api = FORMATS[fourcc]
    n, t, h, w, _ = clips_u8.shape
    sw, sh = max(2, int(round(w * scale / 2)) * 2), max(2, int(round(h * scale / 2)) * 2)  # even sizes
    frames = clips_u8.reshape(n * t, h, w, 3)
    with tempfile.TemporaryDirectory(prefix="latentlab-compression-") as tmp:
        path = str(Path(tmp) / f"clips{ext}")
        writer = cv2.VideoWriter(path, api, cv2.VideoWriter_fourcc(*fourcc), float(fps), (sw, sh))
        if not writer.isOpened():
            raise CompressionError(f"OpenCV cannot write {fourcc} video here")
        if quality is not None:
            writer.set(cv2.VIDEOWRITER_PROP_QUALITY, float(quality))
        for f in frames:
            if (sw, sh) != (w, h):
                f = cv2.resize(f, (sw, sh), interpolation=cv2.INTER_AREA)
            writer.write(cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2BGR))
        writer.release()
        size = os.path.getsize(path)
        out = np.zeros_like(frames)
        cap = cv2.VideoCapture(path)
        i = 0
        while i < len(out):
            ok, f = cap.read()
            if not ok:
                break
            if f.shape[:2] != (h, w):
                f = cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR)
            out[i] = cv2.cvtColor(f, cv2.COLOR_BGR2RGB)
            i += 1
        cap.release()
    return out.reshape(clips_u8.shape), size / n


def _scale_name(scale: float) -> str:
    return "1" if scale == 1 else f"1/{int(round(1 / scale))}"


def setting_ladder(clips_u8: np.ndarray, fourcc: str, fps: float = FALLBACK_FPS) -> list[CompressionPoint]:
    """Measure every setting of the ``fourcc`` format on ``clips_u8`` (RGB, ``(N, T, H, W, 3)``)."""
    if clips_u8.shape[-1] != 3:  # the writers want colour: grey clips are repeated to RGB
        clips_u8 = np.repeat(clips_u8, 3, axis=-1)
    points = []
    qualities = MJPG_QUALITIES if fourcc == "MJPG" else (None,)
    for scale in SCALES:
        for q in qualities:
            decoded, nbytes = encode_decode(clips_u8, fourcc, q, scale, fps)
            setting = (f"quality {q}, " if q is not None else "default rate control, ") + f"scale {_scale_name(scale)}"
            points.append(CompressionPoint(fourcc, setting, nbytes, psnr_u8(decoded, clips_u8)))
    return points


def nearest_to_budget(points: list[CompressionPoint], budget_bytes: float) -> dict:
    """The setting whose size is nearest ``budget_bytes``; says honestly if none gets that small."""
    best = min(points, key=lambda p: abs(np.log(p.bytes_per_clip / budget_bytes)))
    smallest = min(points, key=lambda p: p.bytes_per_clip)
    reached = smallest.bytes_per_clip <= budget_bytes * 1.25
    chosen = best if reached else smallest
    note = (
        ""
        if reached
        else f"{chosen.fourcc} cannot get that small: its smallest file is {smallest.bytes_per_clip:.0f} bytes per clip, "  # noqa: E501
        f"{smallest.bytes_per_clip / budget_bytes:.0f}x the budget"
    )
    return {
        "fourcc": chosen.fourcc,
        "budget_bytes": budget_bytes,
        "reached": bool(reached),
        "note": note,
        **{k: v for k, v in chosen.to_dict().items() if k != "fourcc"},
    }


def compression_report(clips_u8: np.ndarray, budget_bytes: float, fps: float = FALLBACK_FPS) -> dict:
    """For MJPG and mp4v: every setting measured and the one nearest ``budget_bytes`` per clip."""
    report = {}
    for fourcc in FORMATS:
        try:
            points = setting_ladder(clips_u8, fourcc, fps)
        except CompressionError as exc:
            report[fourcc] = {"error": str(exc)}
            continue
        report[fourcc] = {"nearest": nearest_to_budget(points, budget_bytes), "ladder": [p.to_dict() for p in points]}
    return report
