"""A tolerant frame iterator over one video file (OpenCV's FFmpeg backend).

Real video files lie and break, so the reader trusts nothing in the header:

* it decodes to the end instead of believing ``CAP_PROP_FRAME_COUNT`` (which may be 0, -1, or far
  from the truth); the header count is kept only to say that a file *ended early*;
* timestamps come from ``CAP_PROP_POS_MSEC`` (variable-frame-rate phone videos); where that is 0,
  missing or not increasing, the previous timestamp plus one frame period is used instead;
* a failed ``grab()``/``retrieve()`` is retried a few times, which steps past a damaged region; the
  frames on the far side are kept and the file is reported *partial*;
* files that cannot be opened get a reason in words (empty, text, an MP4 cut before its index, a
  broken link, a named pipe ...), and a file that opens but yields no frame is an error too.

OpenCV 5 applies rotation metadata itself (``CAP_PROP_ORIENTATION_AUTO``): frames come out upright
and the reader does not rotate them again; ``auto_rotate=False`` hands that job to the caller, who
can rotate a small resized frame instead of every full frame (2-3x faster on phone videos). Frames
come out RGB, 3 channels (grey sources too).
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: read failures in a row after which the file is taken to be at its end
MAX_RETRIES = 250
#: codecs whose FFmpeg frame threads cost more CPU than they save time (measured on 640x480 MPEG-4
#: Part 2 and MJPEG): decoded with one thread unless the caller asks otherwise
_SERIAL_CODECS = {b"FMP4", b"mp4v", b"MP4V", b"XVID", b"DIVX", b"DX50", b"MJPG", b"mjpg"}
_DEFAULT_FPS = 30.0  # only when neither timestamps nor the header give a rate


class VideoOpenError(Exception):
    """A file that cannot be read as a video; ``str(exc)`` says why in words."""


@dataclass
class ReadStats:
    """What happened while a file was read: the basis of its ingest status and reason."""

    frames_read: int = 0
    failed_reads: int = 0  # failed grab/retrieve calls that were followed by more frames
    damaged_at: list[float] = field(default_factory=list)  # seconds, where frames were skipped
    header_frames: int = 0  # CAP_PROP_FRAME_COUNT, for diagnosis only (<= 0: unknown)
    header_fps: float = 0.0
    rotation: int = 0  # degrees, from the metadata; already applied by OpenCV
    synthetic_timestamps: int = 0  # frames whose timestamp came from index / fps
    frame_size: tuple[int, int] = (0, 0)  # (H, W) of the first decoded frame
    last_time: float = 0.0

    @property
    def ended_early(self) -> bool:
        """The file stopped before the time its header announces (allowing for estimated counts).

        Judged by the time the decoded frames cover, not by their count: an AVI whose header counts
        444 frames may hold 68 real ones spanning its whole duration, the rest "repeat the previous
        frame" entries that decode to nothing. Without real timestamps the frame count decides."""
        h = self.header_frames
        if not (h > 0 and self.frames_read < 0.95 * h - 1):
            return False
        fps = self.header_fps
        if fps > 0 and self.synthetic_timestamps < self.frames_read:
            covered = self.last_time + 1.0 / fps  # the last frame lasts one period
            return covered < 0.95 * (h / fps) - 1.0 / fps
        return True

    def problems(self) -> list[str]:
        """Why the file is *partial*, in words; empty when it read cleanly."""
        out = []
        if self.failed_reads:
            where = ", ".join(f"{t:.1f} s" for t in self.damaged_at[:3]) + (" ..." if len(self.damaged_at) > 3 else "")
            out.append(f"skipped a damaged region ({self.failed_reads} unreadable frames near {where})")
        if self.ended_early:
            counts = f"decoded {self.frames_read} of the {self.header_frames} frames its header announces"
            # after a damaged region the missing frames are explained; otherwise the file was cut
            out.append(counts if self.failed_reads else f"ended early: {counts} (truncated file?)")
        return out


def _kind_of(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def check_readable(path: str | os.PathLike) -> int:
    """Raise :class:`VideoOpenError` unless ``path`` is a non-empty regular file we may read.

    Returns the file size in bytes. Never blocks: a named pipe is refused before it is opened.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise VideoOpenError(
                f"broken symbolic link (points to {os.readlink(path)!r}, which does not exist)"
            ) from None
        raise VideoOpenError("file not found") from None
    except OSError as exc:
        raise VideoOpenError(f"cannot stat the file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise VideoOpenError(f"not a video file: it is {_kind_of(st.st_mode)}")
    if st.st_size == 0:
        raise VideoOpenError("empty file (0 bytes)")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except PermissionError:
        raise VideoOpenError("permission denied: the file cannot be read") from None
    except OSError as exc:
        raise VideoOpenError(f"cannot read the file: {exc.strerror or exc}") from None
    return st.st_size


def diagnose_unopenable(path: str | os.PathLike) -> str:
    """Best guess, in words, of why FFmpeg could not open a readable, non-empty file."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head[4:8] == b"ftyp":
        boxes = _mp4_top_boxes(Path(path))
        if b"moov" not in boxes:
            return (
                "MP4/MOV file without its index ('moov' box): it was probably cut short while "
                "being recorded, written or copied"
            )
        return "MP4/MOV file that FFmpeg cannot open (damaged index or unsupported codec)"
    if head and all(32 <= b < 127 or b in (9, 10, 13) for b in head):
        return "not a video: the file holds text"
    return "FFmpeg cannot open it as a video (unknown or damaged format)"


def _mp4_top_boxes(path: Path, limit: int = 1000) -> list[bytes]:
    """Types of the top-level ISO-BMFF boxes that are present in full."""
    types, size = [], path.stat().st_size
    with open(path, "rb") as fh:
        pos = 0
        while pos + 8 <= size and len(types) < limit:
            fh.seek(pos)
            hdr = fh.read(16)
            n, kind = int.from_bytes(hdr[:4], "big"), hdr[4:8]
            if n == 1 and len(hdr) == 16:
                n = int.from_bytes(hdr[8:16], "big")
            elif n == 0:
                n = size - pos
            if n < 8 or pos + n > size:
                break  # truncated box: everything after it is missing
            types.append(kind)
            pos += n
    return types


class VideoReader:
    """Read one video file tolerantly; iterate :meth:`frames` once.

    Parameters
    ----------
    path
        The video file.
    decode_threads
        FFmpeg decoder threads (``None``: OpenCV's default, or 1 for codecs that gain nothing from
        threads). Use 1 when several files decode in parallel processes, so that they do not fight
        over the cores.
    max_retries
        Read failures in a row after which the file is taken to be at its end.
    auto_rotate
        Let OpenCV turn frames upright (the default). ``False`` yields frames as stored, and
        ``stats.rotation`` says how to turn them: cheaper to do on a resized frame (see
        :func:`latentlab.media.ingest_worker.cut_file`).

    Raises
    ------
    VideoOpenError
        On construction, when the file cannot be opened as a video (with the reason).

    Examples
    --------
    >>> with VideoReader("clip.mp4") as reader:            # doctest: +SKIP
    ...     for rgb_u8, t_seconds, index in reader.frames():
    ...         ...
    ...     reader.stats.problems()
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        decode_threads: int | None = None,
        max_retries: int = MAX_RETRIES,
        auto_rotate: bool = True,
    ) -> None:
        import cv2

        self.path = Path(path)
        self.max_retries = int(max_retries)
        check_readable(self.path)
        params = [] if decode_threads is None else [cv2.CAP_PROP_N_THREADS, int(decode_threads)]
        cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            cap.release()
            raise VideoOpenError(diagnose_unopenable(self.path))
        if decode_threads is None and int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little") in _SERIAL_CODECS:
            cap.release()  # reopening costs a few ms; the thread count is fixed once the decoder is open
            cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
            if not cap.isOpened():
                cap.release()
                raise VideoOpenError(diagnose_unopenable(self.path))
        if not auto_rotate:
            cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 0)
        self.auto_rotate = auto_rotate
        self._cap = cap
        fps = cap.get(cv2.CAP_PROP_FPS)
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.stats = ReadStats(
            header_frames=int(count) if math.isfinite(count) and 0 < count < 2**40 else 0,
            header_fps=float(fps) if math.isfinite(fps) and 0.1 <= fps <= 1000 else 0.0,
            rotation=int(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0),
        )

    @property
    def fps(self) -> float:
        """Frame rate from the header, or 30 when the header has none (timestamps rule anyway)."""
        return self.stats.header_fps or _DEFAULT_FPS

    def frames(
        self, transform: Callable[[np.ndarray], np.ndarray] | None = None, want: Callable[[float], bool] | None = None
    ) -> Iterator[tuple[np.ndarray, float, int]]:
        """Yield ``(frame_rgb_u8, timestamp_s, index)`` for every frame that decodes.

        ``transform`` maps each decoded BGR frame ``(H, W, 3)`` before the colour conversion; pass
        the resize here so that a huge frame is shrunk as soon as it is read. ``want(timestamp)``,
        asked once per decoded frame in order, may return False to skip the frame's colour
        conversion and copy (about half the cost of a frame) when a resampler will not use it.
        ``index`` counts decoded frames (skipped damaged frames are not counted). Raises
        :class:`VideoOpenError` if the file opened but not one frame decoded.
        """
        import cv2

        cap, st = self._cap, self.stats
        period = 1.0 / self.fps
        fails, prev_t = 0, None
        while True:
            if not cap.grab():
                fails += 1
                if fails > self.max_retries:
                    break
                continue
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            synthetic = False
            if prev_t is not None and not (math.isfinite(t) and t > prev_t):
                t, synthetic = prev_t + period, True  # 0, NaN or not increasing: count frames instead
            elif prev_t is None and not (math.isfinite(t) and t >= 0):
                t, synthetic = 0.0, True
            skip = want is not None and not want(t) and st.frames_read > 0
            frame = None if skip else cap.retrieve()[1]
            if not skip and (frame is None or frame.size == 0):
                fails += 1
                if fails > self.max_retries:
                    break
                continue
            st.synthetic_timestamps += synthetic
            if fails and st.frames_read:
                st.failed_reads += fails
                st.damaged_at.append(t)
            fails = 0
            index = st.frames_read
            st.frames_read += 1
            st.last_time = prev_t = t
            if skip:
                continue
            if index == 0:
                upright = self.auto_rotate or st.rotation % 180 == 0
                st.frame_size = (frame.shape[0], frame.shape[1]) if upright else (frame.shape[1], frame.shape[0])
            if frame.ndim == 2:  # some backends hand grey frames back as 2-D
                frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
            if transform is not None:
                frame = transform(frame)
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), t, index
        if st.frames_read == 0:
            raise VideoOpenError("the file opens as a video but not one frame could be decoded")

    def close(self) -> None:
        """Release the decoder (idempotent)."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
