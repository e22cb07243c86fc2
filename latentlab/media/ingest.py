"""Ingest: video files and folders -> clips in a clip store, one report record per file.

Workers (see :mod:`latentlab.media.ingest_pool`) decode and cut files in parallel into spool files
under ``STORE/.spool/``; this process is the store's single writer and appends each finished spool
with the store's appender, so a file's clips appear only once all of them are committed, and a
store killed mid-ingest opens to its last committed state. Every input file gets one record in
``STORE/ingest_report.json``::

    status   ok | partial | failed | skipped
    reason   in words ("read to the end", "empty file (0 bytes)", "timed out after 60 s ...")
    frames_read, clips (written by this run), clips_in_store, fingerprint, seconds, ...

Re-running into the same store skips files whose content fingerprint and cut settings are
unchanged, and re-ingests changed files (their old clips are replaced when the new ones commit).
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from latentlab.core.disk_space import NotEnoughSpace, require_free_space
from latentlab.media.clip_cutter import CutSettings
from latentlab.media.clip_store import ClipGeometry, ClipStore, StoreError
from latentlab.media.ingest_lock import IngestError, IngestLock
from latentlab.media.ingest_report import REPORT, IngestReport
from latentlab.media.ingest_types import DUPLICATE_PREFIX, STATUSES, FileRecord, FileTask, IngestSummary, KnownSource
from latentlab.media.ingest_worker import SPOOL_DTYPE, process_file
from latentlab.media.video_formats import is_video

SPOOL_DIR = ".spool"
COMMIT_BATCH = 32  # clips per append while committing a spool: a few MB of memory

__all__ = [
    "ingest",
    "discover",
    "available_cores",
    "IngestOptions",
    "IngestSummary",
    "IngestError",
    "FileRecord",
    "REPORT",
    "SPOOL_DIR",
    "STATUSES",
]


@dataclass(frozen=True)
class IngestOptions:
    """How to ingest. ``jobs``: worker processes (``None``: all available cores; 0: in this process, without
    time limits, for debugging and tests). ``stall_timeout``: seconds a file may go without a newly
    decoded frame; ``max_file_seconds``: seconds a file may take in all (``None``: no limit)."""

    settings: CutSettings = field(default_factory=CutSettings)
    jobs: int | None = None
    stall_timeout: float | None = 60.0
    max_file_seconds: float | None = None


def available_cores() -> int:
    """CPU cores this process may run on (respects ``taskset`` and container CPU sets)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def discover(paths: Iterable[str | os.PathLike], exclude: Path | None = None) -> tuple[list[str], list[FileRecord]]:
    """Expand files and folders (recursively) into video paths, plus records for what is skipped.

    Folders are walked in sorted order without following symbolic links to folders; hidden
    files and folders (name starting with ``.``) and clip stores inside them are ignored. A file whose
    extension is not a video's (:data:`~latentlab.media.video_formats.VIDEO_EXTENSIONS`) is *skipped*;
    a path that does not exist is *failed*.
    """
    videos, records, seen = [], [], set()
    exclude = exclude.resolve() if exclude is not None else None

    def consider(p: Path) -> None:
        key = os.path.abspath(p)
        if key in seen:
            return
        seen.add(key)
        if is_video(p):
            videos.append(key)
        else:
            records.append(FileRecord.skipped(key, f"not a video file (extension {p.suffix or 'none'!r})"))

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(
                    d
                    for d in dirs
                    if not d.startswith(".")
                    and not _is_store(Path(root, d))
                    and (exclude is None or Path(root, d).resolve() != exclude)
                )
                for name in sorted(files):
                    if not name.startswith("."):
                        consider(Path(root, name))
        elif p.exists() or p.is_symlink():
            consider(p)
        else:
            records.append(FileRecord.failed(os.path.abspath(p), "no such file or folder"))
    return videos, records


def _is_store(folder: Path) -> bool:
    """Clip stores (ours, or any other) inside an input folder are not walked into."""
    return (folder / "manifest.json").is_file() and any(folder.glob("clips-*.u8"))


def ingest(
    paths: Iterable[str | os.PathLike],
    store_path: str | os.PathLike,
    options: IngestOptions = IngestOptions(),
    *,
    on_record: Callable[[FileRecord], None] | None = None,
    on_frames: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Ingest ``paths`` (files and folders) into the store at ``store_path`` (created if needed).

    ``on_start(n_files)`` is called once the inputs are known, ``on_record(record)`` once per file
    when its record is final, ``on_frames(n)`` with the number of newly decoded frames.
    Raises :class:`IngestError` or :class:`~latentlab.media.clip_store.StoreError` if the store
    cannot be used; a bad input file never raises.
    """
    t0 = time.perf_counter()
    store_path = Path(store_path)
    store = _open_store(store_path, options.settings)
    run = _IngestRun(store, options.settings, on_record)
    with IngestLock(store_path):
        spool_dir = store_path / SPOOL_DIR
        shutil.rmtree(spool_dir, ignore_errors=True)  # stale spools of a killed run: we hold the lock
        spool_dir.mkdir(exist_ok=True)  # rmtree ignores errors: a leftover folder is fine
        videos, early = discover(paths, exclude=store_path)
        if on_start is not None:
            on_start(len(videos) + len(early))
        jobs = available_cores() if options.jobs is None else max(0, int(options.jobs))
        tasks = _tasks(videos, store, options.settings, spool_dir, jobs)
        interrupted = True
        try:
            for rec in early:
                run.finish(rec)
            _run_tasks(tasks, run.done, jobs, options, on_frames)
            interrupted = False
        finally:
            run.report.write(interrupted=interrupted, final=True)
            shutil.rmtree(spool_dir, ignore_errors=True)
    store.reload()
    return IngestSummary(str(store_path), run.records, time.perf_counter() - t0, len(store), interrupted)


def _open_store(store_path: Path, s: CutSettings) -> ClipStore:
    store = ClipStore.create(
        store_path, ClipGeometry(s.frames, s.height, s.width, s.channels), attrs={"ingest": s.to_dict()}, exist_ok=True
    )
    if store.factor_names:
        raise IngestError(f"{store_path} holds procedural data with factor columns; ingest videos into another store")
    return store


def _tasks(videos: list[str], store: ClipStore, settings: CutSettings, spool_dir: Path, jobs: int) -> list[FileTask]:
    """One task per video; decoder threads share the cores between the workers."""
    known = {src["path"]: KnownSource.from_source(src) for src in store.sources}
    n_workers = min(jobs, len(videos))
    threads = max(1, available_cores() // n_workers) if n_workers > 1 else None
    run_id = secrets.token_hex(4)  # spool names differ per run: a dying worker of a killed run cannot collide
    return [
        FileTask(v, settings, str(spool_dir / f"{run_id}-{i:06d}"), known.get(v), threads) for i, v in enumerate(videos)
    ]


def _run_tasks(
    tasks: list[FileTask],
    done: Callable[[FileTask, FileRecord], None],
    jobs: int,
    options: IngestOptions,
    on_frames: Callable[[int], None] | None,
) -> None:
    """In this process (``jobs == 0``) or in a pool of ``jobs`` workers; ``on_frames`` gets increments."""
    frames_seen: dict[str, int] = {}

    def progress(task: FileTask, frames: int) -> None:
        if on_frames is not None:
            on_frames(frames - frames_seen.get(task.path, 0))
        frames_seen[task.path] = frames

    if jobs == 0:
        for task in tasks:
            done(task, process_file(task, on_frames=lambda n, t=task: progress(t, n)))
    elif tasks:
        from latentlab.media.ingest_pool import run_pool

        run_pool(
            tasks,
            done,
            jobs=jobs,
            stall_timeout=options.stall_timeout,
            max_seconds=options.max_file_seconds,
            on_progress=progress,
        )


class _IngestRun:
    """The single writer's side of one run: commits finished spools and records every file."""

    def __init__(self, store: ClipStore, settings: CutSettings, on_record: Callable[[FileRecord], None] | None) -> None:
        self.store, self.settings, self.on_record = store, settings, on_record
        self.report = IngestReport(Path(store.path), settings)
        self.records: list[FileRecord] = []
        # the first path each content fingerprint was ingested under: later copies are duplicates
        self.first_of = {src["fingerprint"]: src["path"] for src in store.sources if src.get("fingerprint")}

    def finish(self, rec: FileRecord) -> None:
        self.records.append(rec)
        self.report.add(rec)
        if self.on_record is not None:
            self.on_record(rec)

    def done(self, task: FileTask, rec: FileRecord) -> None:
        """A worker's record: drop a duplicate's spool, commit the others, say what the store holds."""
        first = self.first_of.get(rec.fingerprint or "")
        if rec.spool is not None and first is not None and first != rec.path:  # the same bytes under another name
            rec.spool.remove()
            rec.spool = None
            rec.status, rec.clips = "skipped", 0
            rec.reason = f"{DUPLICATE_PREFIX} {first} (byte-identical): not ingested twice"
        committed = rec.spool is not None and self._commit(rec)
        previous = task.known.n_clips if task.known else 0
        if task.known and rec.clips == 0 and rec.clips_in_store is None:
            rec.reason += f"; the {previous} clips of its previous version stay in the store"
        if committed:
            rec.clips_in_store = rec.clips
        elif rec.clips_in_store is None:
            rec.clips_in_store = previous
        if committed and rec.fingerprint:
            self.first_of.setdefault(rec.fingerprint, rec.path)
        self.finish(rec)

    def _commit(self, rec: FileRecord) -> bool:
        try:
            _commit_spool(self.store, rec, self.settings)
            return True
        except (OSError, StoreError) as exc:
            rec.status, rec.reason, rec.clips = "failed", f"could not write its clips to the store: {exc}", 0
            return False
        finally:
            rec.spool.remove()
            rec.spool = None


#: The record's fields kept in the store's list of sources.
SOURCE_FIELDS = (
    "path",
    "fingerprint",
    "status",
    "reason",
    "frames_read",
    "duration_s",
    "frame_size",
    "header_fps",
    "rotation",
)


def _commit_spool(store: ClipStore, rec: FileRecord, settings: CutSettings) -> None:
    """Append one finished spool to the store in chunks of :data:`COMMIT_BATCH` clips (bounded memory)."""
    g, count = store.geometry, rec.spool.count
    try:  # the amount is known now: refuse with the figures rather than fail half-way with ENOSPC
        require_free_space(store.path, count * (g.nbytes + store.table_dtype.itemsize), f"its {count} clips")
    except NotEnoughSpace as exc:
        raise StoreError(str(exc)) from None
    source = {k: v for k, v in rec.to_dict().items() if k in SOURCE_FIELDS}
    source["params"] = settings.to_dict()
    buf = np.empty((COMMIT_BATCH, *g.shape), np.uint8)  # reused: one copy in, one copy out per clip
    with (
        store.appender(source) as app,
        open(rec.spool.clips, "rb", buffering=0) as fc,
        open(rec.spool.table, "rb") as ft,
    ):
        for a in range(0, count, COMMIT_BATCH):
            n = min(COMMIT_BATCH, count - a)
            view, got = memoryview(buf[:n]).cast("B"), 0
            while got < len(view) and (k := fc.readinto(view[got:])):
                got += k
            table = np.fromfile(ft, SPOOL_DTYPE, count=n)
            if got != n * g.nbytes or table.size != n:
                raise StoreError("the spool file is shorter than its worker reported")
            app.append_batch(buf[:n], **{k: table[k] for k in SPOOL_DTYPE.names})
