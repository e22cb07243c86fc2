"""Turn a stream of decoded frames into fixed-size clips: resize, resample in time, cut.

Aspect ratio (``fit``):

* ``crop`` (default): cut the largest centred region with the target aspect, then scale it. Nothing
  is distorted; the edges of wider (or taller, e.g. portrait phone) frames are lost.
* ``pad``: scale the whole frame to fit inside the target and pad with black bars.
* ``stretch``: scale the whole frame to the target size, distorting it.

Scaling (``resize``): ``fast`` (default) resamples bilinearly to twice the target size and then
averages 2 x 2 pixel blocks, which removes most aliasing at a fraction of the cost of an exact area
average; ``area`` averages exactly over each output pixel's footprint (``cv2.INTER_AREA``), the best
quality, and several times slower on large frames.

Time (``fps``): ``None`` keeps every decoded frame. A target rate picks, for each target time
``t0 + k / fps``, the decoded frame whose *timestamp* is nearest: target times are computed from
``k``, never accumulated, so variable-frame-rate sources neither drift nor skip.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

FITS = ("crop", "pad", "stretch")
RESIZES = ("fast", "area")


@dataclass(frozen=True)
class CutSettings:
    """How frames become clips. ``stride=None`` means ``frames`` (clips that do not overlap)."""

    frames: int = 8
    height: int = 64
    width: int = 64
    channels: int = 3
    stride: int | None = None
    fps: float | None = None
    fit: str = "crop"
    resize: str = "fast"

    def __post_init__(self) -> None:
        if min(self.frames, self.height, self.width) < 1:
            raise ValueError("clip frames, height and width must be at least 1")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 (grey) or 3 (RGB), got {self.channels}")
        if self.stride is not None and self.stride < 1:
            raise ValueError(f"stride must be at least 1, got {self.stride}")
        if self.fps is not None and not 0 < self.fps <= 1000:
            raise ValueError(f"fps must be in (0, 1000], got {self.fps}")
        if self.fit not in FITS:
            raise ValueError(f"fit must be one of {FITS}, got {self.fit!r}")
        if self.resize not in RESIZES:
            raise ValueError(f"resize must be one of {RESIZES}, got {self.resize!r}")

    @property
    def step(self) -> int:
        """Frames between the starts of two consecutive clips."""
        return self.stride or self.frames

    def to_dict(self) -> dict:
        return asdict(self)


def _scale(img: np.ndarray, w: int, h: int, mode: str) -> np.ndarray:
    import cv2

    ih, iw = img.shape[:2]
    if (iw, ih) == (w, h):
        return img
    if iw < w or ih < h:  # enlarging: area averaging has nothing to average
        return cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)
    if mode == "fast" and iw >= 4 * w and ih >= 4 * h:
        img = cv2.resize(img, (2 * w, 2 * h), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)  # 2x2 blocks: OpenCV's fast path


def make_resizer(settings: CutSettings) -> Callable[[np.ndarray], np.ndarray]:
    """A function ``frame (h, w, 3) -> frame (H, W, 3)`` applying ``settings.fit`` and ``resize``."""
    W, H, mode = settings.width, settings.height, settings.resize

    def crop(img: np.ndarray) -> np.ndarray:
        ih, iw = img.shape[:2]
        if iw * H > ih * W:  # too wide: keep the centre columns
            cw = max(1, round(ih * W / H))
            x0 = (iw - cw) // 2
            img = img[:, x0 : x0 + cw]
        elif iw * H < ih * W:  # too tall (portrait): keep the centre rows
            ch = max(1, round(iw * H / W))
            y0 = (ih - ch) // 2
            img = img[y0 : y0 + ch]
        return _scale(img, W, H, mode)

    def pad(img: np.ndarray) -> np.ndarray:
        ih, iw = img.shape[:2]
        k = min(W / iw, H / ih)
        w, h = max(1, min(W, round(iw * k))), max(1, min(H, round(ih * k)))
        out = np.zeros((H, W, img.shape[2]), np.uint8)
        y0, x0 = (H - h) // 2, (W - w) // 2
        out[y0 : y0 + h, x0 : x0 + w] = _scale(img, w, h, mode)
        return out

    def stretch(img: np.ndarray) -> np.ndarray:
        return _scale(img, W, H, mode)

    return {"crop": crop, "pad": pad, "stretch": stretch}[settings.fit]


class TimedFrame(NamedTuple):
    image: np.ndarray  # (H, W, C) uint8
    time: float  # seconds
    index: int  # decoded-frame index in the source


#: Seconds between two decoded frames beyond which (and beyond 4 recent frame gaps) the timestamps
#: are taken to be broken rather than a real pause, and resampling restarts at the new frame.
MAX_TIMESTAMP_JUMP = 1.0


class TimestampResampler:
    """Nearest-timestamp resampling of a frame stream to ``fps`` (``None``: pass through)."""

    def __init__(self, fps: float | None) -> None:
        self.fps = fps
        self._t0: float | None = None
        self._k = 0
        self._prev: TimedFrame | None = None
        self._gap = 0.0
        self._last_decoded: float | None = None
        self._decoded_gap = 0.0

    def wants(self, t: float) -> bool:
        """Whether the frame decoded at ``t`` may be picked (ask once per decoded frame, in order).

        A frame more than 0.6 frame periods before the next target time cannot be the nearest to
        it when frames keep coming at the recent rate, so its conversion can be skipped. With a
        constant frame rate the result equals resampling every frame; with a variable one, a frame
        that arrives much later than the recent rate predicts can make the pick one frame off.
        """
        if self._last_decoded is not None:
            self._decoded_gap = t - self._last_decoded
        self._last_decoded = t
        if self.fps is None or self._t0 is None or not self._decoded_gap > 0:
            return True
        return t >= self._t0 + self._k / self.fps - 0.6 * self._decoded_gap

    def push(self, frame: TimedFrame) -> list[TimedFrame]:
        """Feed the next decoded frame; return the output frames now decided (maybe none)."""
        if self.fps is None:
            return [frame]
        if self._t0 is None:
            self._t0 = frame.time
        elif self._gap > 0 and abs(frame.time - self._prev.time) > max(MAX_TIMESTAMP_JUMP, 4 * self._gap):
            # A broken timeline (a spliced or damaged stream), not a pause: filling an hour-long jump
            # would write 43 200 copies of one frame at 12 fps, and a jump back would stall the output.
            self._t0, self._k, self._prev, self._gap = frame.time, 0, None, 0.0
        out = []
        while (tk := self._t0 + self._k / self.fps) <= frame.time + 1e-9:
            prev = self._prev
            pick = prev if prev is not None and tk - prev.time <= frame.time - tk else frame
            out.append(TimedFrame(pick.image, tk, pick.index))
            self._k += 1
        if self._prev is not None:
            self._gap = frame.time - self._prev.time
        self._prev = frame
        return out

    def finish(self) -> list[TimedFrame]:
        """Target times within half a frame after the last frame still show the last frame."""
        out = []
        if self.fps is None or self._prev is None:
            return out
        last = self._prev
        end = (last.time if self._last_decoded is None else self._last_decoded) + 0.5 * (self._decoded_gap or self._gap)
        while (tk := self._t0 + self._k / self.fps) < end - 1e-9:
            out.append(TimedFrame(last.image, tk, last.index))
            self._k += 1
        return out


class ClipRecord(NamedTuple):
    clip: np.ndarray  # (T, H, W, C) uint8
    start_frame: int
    end_frame: int
    start_time: float
    end_time: float
    fps: float


class ClipCutter:
    """Cut a stream of equal-size frames into clips of ``frames`` frames every ``step`` frames.

    Holds at most ``frames`` frames at a time, so memory does not grow with the video's length.
    ``fallback_fps`` is the clip rate reported when timestamps cannot give one.
    """

    def __init__(self, frames: int, step: int, *, fps: float | None, fallback_fps: float, channels: int = 3) -> None:
        self.frames, self.step, self.fps = frames, step, fps
        self.fallback_fps = fallback_fps
        self.channels = channels
        self._buf: deque[TimedFrame] = deque(maxlen=frames)
        self._n = 0

    def push(self, frame: TimedFrame) -> ClipRecord | None:
        """Feed one (resized, resampled) frame; return a finished clip or ``None``."""
        self._buf.append(frame)
        self._n += 1
        if self._n < self.frames or (self._n - self.frames) % self.step:
            return None
        buf = list(self._buf)
        if self.channels == 1:  # OpenCV's weights; no BLAS call, which a forked worker should avoid
            import cv2

            clip = np.stack([cv2.cvtColor(f.image, cv2.COLOR_RGB2GRAY) for f in buf])[..., None]  # (T, H, W, 1)
        else:
            clip = np.stack([f.image for f in buf])  # (T, H, W, 3)
        span = buf[-1].time - buf[0].time
        fps = self.fps or ((len(buf) - 1) / span if len(buf) > 1 and span > 0 else self.fallback_fps)
        start = buf[0].time
        return ClipRecord(clip, buf[0].index, buf[-1].index + 1, start, start + len(buf) / fps, float(fps))
