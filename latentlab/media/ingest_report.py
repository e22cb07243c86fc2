"""``STORE/ingest_report.json``: the latest record of every input file, and a short history of runs.

The report is JSON, written atomically at most once a second while a run goes on and once at its
end, so thousands of files cost little and a killed run leaves the report of its last write.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from latentlab.core.atomic import read_json, write_json_atomic
from latentlab.media.clip_cutter import CutSettings
from latentlab.media.ingest_types import STATUSES, FileRecord

REPORT = "ingest_report.json"
#: Runs kept in the report's history (the newest).
RUNS_KEPT = 20


class IngestReport:
    """``STORE/ingest_report.json``: the latest record per file path, and a short history of runs."""

    def __init__(self, store_path: Path, settings: CutSettings) -> None:
        self.path = store_path / REPORT
        try:
            old = read_json(self.path)
            files, runs = {r["path"]: r for r in old["files"]}, list(old["runs"])
        except (OSError, ValueError, KeyError, TypeError):
            files, runs = {}, []
        self.files, self.runs = files, runs[-(RUNS_KEPT - 1) :]
        self.run = {"started": time.time(), "settings": settings.to_dict(), "counts": {}}
        self.runs.append(self.run)
        self.counts = {s: 0 for s in STATUSES}
        self._written = 0.0

    def add(self, rec: FileRecord) -> None:
        self.counts[rec.status] += 1
        prev = self.files.get(rec.path)
        if rec.clips_in_store and rec.status == "skipped" and prev and prev["status"] in ("ok", "partial"):
            # unchanged since it was ingested: its record stays the one that describes its clips
            self.files[rec.path] = dict(prev, checked=self.run["started"])
        else:
            self.files[rec.path] = dict(rec.to_dict(), run_started=self.run["started"])
        if time.monotonic() - self._written > 1.0:  # bounded cost for thousands of files
            self.write()

    def write(self, *, interrupted: bool = False, final: bool = False) -> None:
        self.run["counts"] = dict(self.counts)
        if final:
            self.run.update(finished=time.time(), interrupted=interrupted)
        doc = {
            "format": "latentlab-ingest-report",
            "version": 1,
            "runs": self.runs,
            "files": sorted(self.files.values(), key=lambda r: r["path"]),
        }
        try:
            write_json_atomic(self.path, doc)
        except OSError as exc:  # the store itself is fine; say so, do not lose the run
            print(f"warning: could not write {self.path}: {exc}", file=sys.stderr)
        self._written = time.monotonic()
