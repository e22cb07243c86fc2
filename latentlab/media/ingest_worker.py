"""Worker side of ingest: one video file -> clips in a spool file, plus a record of what happened.

A worker never touches the store: it decodes and cuts one file into ``STORE/.spool/<token>.clips``
(raw uint8 clips) and ``<token>.table`` (one :data:`SPOOL_DTYPE` record per clip), and returns a
:class:`~latentlab.media.ingest_types.FileRecord`. The parent, the single writer, appends finished
spools to the store. :func:`process_file` is a plain function, so tests can call it in-process;
:func:`worker_main` is the loop that runs it in a pool process.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from latentlab.core.fingerprint import file_fingerprint
from latentlab.media.clip_cutter import ClipCutter, CutSettings, TimedFrame, TimestampResampler, make_resizer
from latentlab.media.clip_store import BASE_COLUMNS
from latentlab.media.ingest_types import FileRecord, FileTask, FramesDecoded, Spool
from latentlab.media.video_reader import VideoOpenError, VideoReader, check_readable

SPOOL_DTYPE = np.dtype(BASE_COLUMNS[1:])  # the store's per-clip columns less source_id (set at commit)
_BATCH = 32  # table records buffered before a spool write


class SpoolWriter:
    """Append clips and their records to ``<stem>.clips`` / ``<stem>.table`` in batches."""

    def __init__(self, stem: Path) -> None:
        self.clips_path, self.table_path = stem.with_suffix(".clips"), stem.with_suffix(".table")
        self._clips = open(self.clips_path, "wb")
        self._table = open(self.table_path, "wb")
        self._pending: list = []
        self.count = 0

    def add(self, rec) -> None:
        self._clips.write(memoryview(np.ascontiguousarray(rec.clip)).cast("B"))
        self._pending.append((rec.start_frame, rec.end_frame, rec.start_time, rec.end_time, rec.fps))
        self.count += 1
        if len(self._pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._table.write(np.array(self._pending, SPOOL_DTYPE).tobytes())
            self._pending.clear()

    def close(self) -> None:
        self.flush()
        self._clips.close()
        self._table.close()


def cut_file(
    path: str | os.PathLike,
    settings: CutSettings,
    sink: Callable,
    *,
    decode_threads: int | None = None,
    on_frames: Callable[[int], None] | None = None,
) -> VideoReader:
    """Decode ``path`` and pass every finished :class:`~latentlab.media.clip_cutter.ClipRecord` to ``sink``.

    Returns the (closed) reader, whose ``stats`` tell how the read went. ``on_frames(n)`` is told the
    number of frames decoded so far after every frame (callers throttle). Raises ``VideoOpenError``
    with the reason.
    """
    import cv2

    with VideoReader(path, decode_threads=decode_threads, auto_rotate=False) as reader:
        # Rotate the small resized frame, not each full decoded one: for a quarter turn, crop and
        # scale the stored frame to the transposed size, then turn the result upright.
        turn = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}.get(
            reader.stats.rotation % 360
        )
        if reader.stats.rotation % 180 == 90:
            settings_stored = replace(settings, width=settings.height, height=settings.width)
        else:
            settings_stored = settings
        resize = make_resizer(settings_stored)
        resizer = resize if turn is None else (lambda bgr: cv2.rotate(resize(bgr), turn))
        resampler = TimestampResampler(settings.fps)
        cutter = ClipCutter(
            settings.frames, settings.step, fps=settings.fps, fallback_fps=reader.fps, channels=settings.channels
        )

        def feed(frames: list[TimedFrame]) -> None:
            for f in frames:
                rec = cutter.push(f)
                if rec is not None:
                    sink(rec)

        for image, t, index in reader.frames(resizer, want=resampler.wants if settings.fps else None):
            feed(resampler.push(TimedFrame(image, t, index)))
            if on_frames is not None:  # every frame: a slow decoder (8K, 1 fps) must not look stuck
                on_frames(index + 1)
        feed(resampler.finish())
    return reader


def process_file(task: FileTask, on_frames: Callable[[int], None] | None = None) -> FileRecord:
    """Ingest one file into a spool; return its record (status, reason, frames read, clips ...).

    A file whose fingerprint and cut settings match ``task.known`` is *skipped* without decoding.
    Never raises for a bad file: the record says what went wrong.
    """
    t_start = time.perf_counter()
    path = Path(task.path)
    rec = FileRecord(str(path))
    spool = None
    try:
        rec.size_bytes = check_readable(path)
        rec.fingerprint = file_fingerprint(path, None if on_frames is None else lambda _done: on_frames(0))
        known = task.known
        if known and known.fingerprint == rec.fingerprint and known.params == task.settings.to_dict():
            rec.status, rec.reason = "skipped", "unchanged since the last ingest (same content fingerprint)"
            rec.clips_in_store = known.n_clips
            return rec
        spool = SpoolWriter(Path(task.spool))
        try:
            reader = cut_file(path, task.settings, spool.add, decode_threads=task.decode_threads, on_frames=on_frames)
        finally:
            spool.close()
        _describe(rec, reader.stats, spool, task.settings)
    except VideoOpenError as exc:
        rec.status, rec.reason = "failed", str(exc)
    except MemoryError:
        rec.status, rec.reason = "failed", "out of memory while decoding"
    except Exception as exc:  # a decoder or OS error must not end the batch
        rec.status, rec.reason = "failed", f"unexpected error: {type(exc).__name__}: {exc}"
    finally:
        rec.seconds = round(time.perf_counter() - t_start, 3)
        if spool is not None and rec.spool is None:
            for p in (spool.clips_path, spool.table_path):
                p.unlink(missing_ok=True)
    return rec


def _describe(rec: FileRecord, st, spool: SpoolWriter, settings: CutSettings) -> None:
    """Fill ``rec`` from the reader's stats ``st`` and the finished spool: status, reason, sizes."""
    rec.frames_read, rec.clips, rec.duration_s = st.frames_read, spool.count, round(st.last_time, 3)
    rec.frame_size, rec.header_fps, rec.rotation = list(st.frame_size), st.header_fps, st.rotation
    problems = st.problems()
    if spool.count == 0:
        short = (
            f"too short for one clip: {st.frames_read} frames decoded"
            + (f" ({st.last_time:.2f} s at the {settings.fps:g} fps target)" if settings.fps else "")
            + f", a clip needs {settings.frames}"
        )
        rec.status, rec.reason = ("failed" if problems else "skipped"), "; ".join(problems + [short])
    else:
        rec.status, rec.reason = ("partial" if problems else "ok"), "; ".join(problems) or "read to the end"
        rec.spool = Spool(str(spool.clips_path), str(spool.table_path), spool.count)


def _die_with_parent() -> None:
    """Linux: have the kernel kill this worker when its parent dies (e.g. ``kill -9`` of ingest)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def worker_main(conn) -> None:
    """Pool worker loop: for each :class:`FileTask` received, send :class:`FramesDecoded` messages,
    then the file's :class:`FileRecord`; ``None`` ends the loop."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # Each file's record already says what went wrong; keep OpenCV's and FFmpeg's own chatter
    # ("moov atom not found", "[ WARN:0] ...") off the user's terminal unless they ask for it.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    last = [0.0]

    def on_frames(n: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.2:
            last[0] = now
            conn.send(FramesDecoded(n))

    try:
        while (task := conn.recv()) is not None:
            conn.send(process_file(task, on_frames))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        pass
