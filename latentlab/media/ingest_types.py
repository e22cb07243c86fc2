"""What travels through ingest: a file's task, its record, a spool, progress, the run's summary.

The parent process sends a :class:`FileTask` to a worker; the worker answers with
:class:`FramesDecoded` messages while it decodes and one :class:`FileRecord` when the file is done
(with a :class:`Spool` when it cut clips). All of them pickle, so they cross process boundaries as
they are. :meth:`FileRecord.to_dict` is the file's entry in ``STORE/ingest_report.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from latentlab.media.clip_cutter import CutSettings

STATUSES = ("ok", "partial", "failed", "skipped")
#: The reason given for a file ingested before under another name.
DUPLICATE_PREFIX = "duplicate of"


@dataclass(frozen=True)
class KnownSource:
    """What the store already holds of one input path (its entry in the store's ``sources``)."""

    fingerprint: str | None = None
    params: dict | None = None
    n_clips: int = 0

    @classmethod
    def from_source(cls, source: dict) -> KnownSource:
        return cls(source.get("fingerprint"), source.get("params"), int(source.get("n_clips", 0)))


@dataclass(frozen=True)
class FileTask:
    """One input file for a worker: cut ``path`` with ``settings`` into the spool files ``spool.*``."""

    path: str
    settings: CutSettings
    spool: str  # file stem: the worker writes <spool>.clips and <spool>.table
    known: KnownSource | None = None  # the same path already in the store, if it is
    decode_threads: int | None = None


@dataclass(frozen=True)
class Spool:
    """A worker's finished spool: raw uint8 clips and one table record per clip, ``count`` of each."""

    clips: str
    table: str
    count: int

    def remove(self) -> None:
        for name in (self.clips, self.table):
            Path(name).unlink(missing_ok=True)


@dataclass(frozen=True)
class FramesDecoded:
    """Progress from a worker: frames of its current file decoded so far (0: still hashing it)."""

    frames: int


@dataclass
class FileRecord:
    """What happened to one input file. Fields left ``None`` were not reached (a file that could not
    be opened has no duration) and are left out of the report."""

    path: str
    status: str = "failed"
    reason: str = ""
    frames_read: int = 0
    clips: int = 0  # written by this run
    size_bytes: int | None = None
    fingerprint: str | None = None
    duration_s: float | None = None
    frame_size: list[int] | None = None  # (H, W) of the first decoded frame
    header_fps: float | None = None
    rotation: int | None = None
    seconds: float | None = None
    clips_in_store: int | None = None
    spool: Spool | None = field(default=None, repr=False)  # only until the parent commits it

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def is_duplicate(self) -> bool:
        return self.reason.startswith(DUPLICATE_PREFIX)

    def to_dict(self) -> dict:
        """The report's entry: every field that was reached, the spool left out."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "spool" and getattr(self, f.name) is not None
        }

    @classmethod
    def skipped(cls, path: str, reason: str) -> FileRecord:
        return cls(path, "skipped", reason)

    @classmethod
    def failed(cls, path: str, reason: str, **more) -> FileRecord:
        return cls(path, "failed", reason, **more)


@dataclass
class IngestSummary:
    """What one ingest run did: one record per input file, in the order they finished."""

    store: str
    records: list[FileRecord]
    seconds: float
    clips_in_store: int
    interrupted: bool = False

    def counts(self) -> dict[str, int]:
        return {s: sum(r.status == s for r in self.records) for s in STATUSES}

    @property
    def any_failed(self) -> bool:
        return any(r.status == "failed" for r in self.records)

    @property
    def clips_written(self) -> int:
        return sum(r.clips for r in self.records)

    @property
    def duplicates(self) -> int:
        """Files skipped as byte-identical copies of another input."""
        return sum(r.is_duplicate for r in self.records)

    def fps_spread(self) -> tuple[float, float] | None:
        """``(lowest, highest)`` native frame rate of the files ingested, when they differ by more than
        10 %: cut at their own rates (no ``--fps``), a clip of T frames spans different lengths of time."""
        rates = [float(r.header_fps) for r in self.records if r.status in ("ok", "partial") and r.header_fps]
        if len(rates) < 2 or max(rates) <= 1.1 * min(rates):
            return None
        return min(rates), max(rates)

    def to_json(self) -> dict:
        return {
            "store": self.store,
            "counts": self.counts(),
            "files": [r.to_dict() for r in self.records],
            "clips_written": self.clips_written,
            "frames_read": sum(r.frames_read for r in self.records),
            "clips_in_store": self.clips_in_store,
            "seconds": round(self.seconds, 3),
            "interrupted": self.interrupted,
        }
