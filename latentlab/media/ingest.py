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
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from latentlab.core.atomic import read_json, write_json_atomic
from latentlab.core.disk_space import NotEnoughSpace, require_free_space
from latentlab.core.errors import UserError
from latentlab.media.clip_cutter import CutSettings
from latentlab.media.clip_store import ClipGeometry, ClipStore, StoreError
from latentlab.media.ingest_worker import SPOOL_DTYPE, process_file
from latentlab.media.video_formats import is_video
REPORT = "ingest_report.json"
SPOOL_DIR = ".spool"
STATUSES = ("ok", "partial", "failed", "skipped")


class IngestError(UserError):
    """Ingest cannot start (store busy, bad store ...); the message says why."""


@dataclass(frozen=True)
class IngestOptions:
    """How to ingest. ``jobs``: worker processes (``None``: all available cores; 0: in this process, without
    time limits, for debugging and tests). ``stall_timeout``: seconds a file may go without a newly
    decoded frame; ``max_file_seconds``: seconds a file may take in all (``None``: no limit)."""

    settings: CutSettings = field(default_factory=CutSettings)
    jobs: int | None = None
    stall_timeout: float | None = 60.0
    max_file_seconds: float | None = None


@dataclass
class IngestSummary:
    """What one ingest run did: one record per input file, in the order they finished."""

    store: str
    records: list[dict]
    seconds: float
    clips_in_store: int
    interrupted: bool = False

    def counts(self) -> dict[str, int]:
        return {s: sum(r["status"] == s for r in self.records) for s in STATUSES}

    @property
    def any_failed(self) -> bool:
        return any(r["status"] == "failed" for r in self.records)

    def fps_spread(self) -> tuple[float, float] | None:
        """``(lowest, highest)`` native frame rate of the files ingested, when they differ by more than
        10 %: cut at their own rates (no ``--fps``), a clip of T frames spans different lengths of time."""
        rates = [float(r["header_fps"]) for r in self.records
                 if r["status"] in ("ok", "partial") and r.get("header_fps")]
        if len(rates) < 2 or max(rates) <= 1.1 * min(rates):
            return None
        return min(rates), max(rates)

    def to_json(self) -> dict:
        return {
            "store": self.store, "counts": self.counts(), "files": self.records,
            "clips_written": sum(r.get("clips", 0) for r in self.records),
            "frames_read": sum(r.get("frames_read", 0) for r in self.records),
            "clips_in_store": self.clips_in_store, "seconds": round(self.seconds, 3), "interrupted": self.interrupted,
        }


def available_cores() -> int:
    """CPU cores this process may run on (respects ``taskset`` and container CPU sets)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def discover(paths: Iterable[str | os.PathLike], exclude: Path | None = None) -> tuple[list[str], list[dict]]:
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
            records.append(_record(key, "skipped", f"not a video file (extension {p.suffix or 'none'!r})"))

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not _is_store(Path(root, d))
                                 and (exclude is None or Path(root, d).resolve() != exclude))
                for name in sorted(files):
                    if not name.startswith("."):
                        consider(Path(root, name))
        elif p.exists() or p.is_symlink():
            consider(p)
        else:
            records.append(_record(os.path.abspath(p), "failed", "no such file or folder"))
    return videos, records


def _is_store(folder: Path) -> bool:
    """Clip stores (ours, or any other) inside an input folder are not walked into."""
    return (folder / "manifest.json").is_file() and any(folder.glob("clips-*.u8"))


def _record(path: str, status: str, reason: str) -> dict:
    return {"path": path, "status": status, "reason": reason, "frames_read": 0, "clips": 0}


def ingest(
    paths: Iterable[str | os.PathLike],
    store_path: str | os.PathLike,
    options: IngestOptions = IngestOptions(),
    *,
    on_record: Callable[[dict], None] | None = None,
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
    s = options.settings
    store_path = Path(store_path)
    store = ClipStore.create(store_path, ClipGeometry(s.frames, s.height, s.width, s.channels),
                             attrs={"ingest": s.to_dict()}, exist_ok=True)
    if store.factor_names:
        raise IngestError(f"{store_path} holds procedural data with factor columns; ingest videos into another store")
    records: list[dict] = []
    report = _Report(store_path, s)
    with _IngestLock(store_path):
        spool_dir = store_path / SPOOL_DIR
        shutil.rmtree(spool_dir, ignore_errors=True)  # stale spools of a killed run: we hold the lock
        spool_dir.mkdir(exist_ok=True)  # rmtree ignores errors: a leftover folder is fine
        videos, early = discover(paths, exclude=store_path)
        if on_start is not None:
            on_start(len(videos) + len(early))
        known = {src["path"]: src for src in store.sources}
        jobs = available_cores() if options.jobs is None else max(0, int(options.jobs))
        n_workers = min(jobs, len(videos))
        threads = max(1, available_cores() // n_workers) if n_workers > 1 else None
        run_id = secrets.token_hex(4)  # spool names differ per run: a dying worker of a killed run cannot collide
        tasks = [{"path": v, "settings": s.to_dict(), "spool": str(spool_dir / f"{run_id}-{i:06d}"), "known": known.get(v),
                  "decode_threads": threads} for i, v in enumerate(videos)]
        frames_seen: dict[str, int] = {}

        def finish(rec: dict) -> None:
            records.append(rec)
            report.add(rec)
            if on_record is not None:
                on_record(rec)

        first_of = {src["fingerprint"]: src["path"] for src in store.sources if src.get("fingerprint")}

        def done(task: dict, rec: dict) -> None:
            committed = False
            first = first_of.get(rec.get("fingerprint", ""))
            if "spool" in rec and first is not None and first != rec["path"]:  # the same bytes under another name
                for key in ("clips", "table"):
                    Path(rec["spool"][key]).unlink(missing_ok=True)
                del rec["spool"]
                rec.update(status="skipped", clips=0, reason=f"duplicate of {first} (byte-identical): not ingested twice")
            if "spool" in rec:
                try:
                    _commit_spool(store, rec, s)
                    committed = True
                except (OSError, StoreError) as exc:
                    rec.update(status="failed", reason=f"could not write its clips to the store: {exc}", clips=0)
                finally:
                    for key in ("clips", "table"):
                        Path(rec["spool"][key]).unlink(missing_ok=True)
                    del rec["spool"]
            if task.get("known") and rec.get("clips", 0) == 0 and "clips_in_store" not in rec:
                rec["reason"] += f"; the {task['known'].get('n_clips', 0)} clips of its previous version stay in the store"
            previous = int(task["known"].get("n_clips", 0)) if task.get("known") else 0
            rec["clips_in_store"] = rec["clips"] if committed else rec.get("clips_in_store", previous)
            if committed and rec.get("fingerprint"):
                first_of.setdefault(rec["fingerprint"], rec["path"])
            finish(rec)

        def progress(task: dict, frames: int) -> None:
            if on_frames is not None:
                on_frames(frames - frames_seen.get(task["path"], 0))
            frames_seen[task["path"]] = frames

        interrupted = True
        try:
            for rec in early:
                finish(rec)
            if jobs == 0:
                for task in tasks:
                    done(task, process_file(task, on_frames=lambda n, t=task: progress(t, n)))
            elif tasks:
                from latentlab.media.ingest_pool import run_pool

                run_pool(tasks, done, jobs=jobs, stall_timeout=options.stall_timeout,
                         max_seconds=options.max_file_seconds, on_progress=progress)
            interrupted = False
        finally:
            report.write(interrupted=interrupted, final=True)
            shutil.rmtree(spool_dir, ignore_errors=True)
    store.reload()
    return IngestSummary(str(store_path), records, time.perf_counter() - t0, len(store), interrupted)


def _commit_spool(store: ClipStore, rec: dict, settings: CutSettings) -> None:
    """Append one finished spool to the store in chunks of 32 clips (a few MB: bounded memory)."""
    g, count = store.geometry, int(rec["spool"]["count"])
    try:  # the amount is known now: refuse with the figures rather than fail half-way with ENOSPC
        require_free_space(store.path, count * (g.nbytes + store.table_dtype.itemsize), f"its {count} clips")
    except NotEnoughSpace as exc:
        raise StoreError(str(exc)) from None
    source = {k: rec[k] for k in ("path", "fingerprint", "status", "reason", "frames_read", "duration_s",
                                  "frame_size", "header_fps", "rotation") if k in rec}
    source["params"] = settings.to_dict()
    buf = np.empty((32, *g.shape), np.uint8)  # reused: one copy in, one copy out per clip
    with store.appender(source) as app, open(rec["spool"]["clips"], "rb", buffering=0) as fc, \
            open(rec["spool"]["table"], "rb") as ft:
        for a in range(0, count, 32):
            n = min(32, count - a)
            view, got = memoryview(buf[:n]).cast("B"), 0
            while got < len(view) and (k := fc.readinto(view[got:])):
                got += k
            table = np.fromfile(ft, SPOOL_DTYPE, count=n)
            if got != n * g.nbytes or table.size != n:
                raise StoreError("the spool file is shorter than its worker reported")
            app.append_batch(buf[:n], **{k: table[k] for k in SPOOL_DTYPE.names})


class _Report:
    """``STORE/ingest_report.json``: the latest record per file path, and a short history of runs."""

    def __init__(self, store_path: Path, settings: CutSettings) -> None:
        self.path = store_path / REPORT
        try:
            old = read_json(self.path)
            files, runs = {r["path"]: r for r in old["files"]}, list(old["runs"])
        except (OSError, ValueError, KeyError, TypeError):
            files, runs = {}, []
        self.files, self.runs = files, runs[-19:]
        self.run = {"started": time.time(), "settings": settings.to_dict(), "counts": {}}
        self.runs.append(self.run)
        self.counts = {s: 0 for s in STATUSES}
        self._written = 0.0

    def add(self, rec: dict) -> None:
        self.counts[rec["status"]] += 1
        prev = self.files.get(rec["path"])
        if rec.get("clips_in_store") and rec["status"] == "skipped" and prev and prev["status"] in ("ok", "partial"):
            # unchanged since it was ingested: its record stays the one that describes its clips
            self.files[rec["path"]] = dict(prev, checked=self.run["started"])
        else:
            self.files[rec["path"]] = dict(rec, run_started=self.run["started"])
        if time.monotonic() - self._written > 1.0:  # bounded cost for thousands of files
            self.write()

    def write(self, *, interrupted: bool = False, final: bool = False) -> None:
        self.run["counts"] = dict(self.counts)
        if final:
            self.run.update(finished=time.time(), interrupted=interrupted)
        doc = {"format": "latentlab-ingest-report", "version": 1, "runs": self.runs,
               "files": sorted(self.files.values(), key=lambda r: r["path"])}
        try:
            write_json_atomic(self.path, doc)
        except OSError as exc:  # the store itself is fine; say so, do not lose the run
            print(f"warning: could not write {self.path}: {exc}", file=sys.stderr)
        self._written = time.monotonic()


class _IngestLock:
    """``STORE/.ingest.lock``: one ingest per store at a time (it owns ``STORE/.spool``)."""

    # POSIX record locks never conflict inside one process (and closing any handle of the file drops
    # them), so two ingests started from one process (two drops in the GUI) are excluded here too.
    _held: set[str] = set()
    _held_guard = threading.Lock()

    def __init__(self, store_path: Path) -> None:
        self._path = store_path / ".ingest.lock"
        self._key = str(self._path.resolve())
        self._fh = None

    def __enter__(self) -> "_IngestLock":
        with _IngestLock._held_guard:
            if self._key in _IngestLock._held:
                raise IngestError(f"{self._path.parent} is being ingested into by another ingest in this process")
            _IngestLock._held.add(self._key)
        try:
            self._lock_file()
        except BaseException:
            with _IngestLock._held_guard:
                _IngestLock._held.discard(self._key)
            raise
        return self

    def _lock_file(self) -> None:
        self._fh = open(self._path, "a+")
        try:
            import fcntl

            # A POSIX record lock, not flock: forked workers do not inherit it, so a killed ingest
            # releases the store at once even if a worker outlives it for a moment.
            fcntl.lockf(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:
            pass
        except OSError:
            self._fh.close()
            raise IngestError(f"{self._path.parent} is being ingested into by another latentlab process") from None

    def __exit__(self, *exc) -> None:
        self._fh.close()
        with _IngestLock._held_guard:
            _IngestLock._held.discard(self._key)
