"""The typed records of ingest: what the report keeps of them, and what the summary counts."""

import pickle

import pytest

from latentlab.media.clip_cutter import CutSettings
from latentlab.media.ingest_types import FileRecord, FileTask, IngestSummary, KnownSource, Spool


def test_a_record_reports_the_fields_it_reached_and_never_its_spool():
    early = FileRecord.skipped("/in/notes.txt", "not a video file (extension '.txt')")
    assert early.to_dict() == {
        "path": "/in/notes.txt",
        "status": "skipped",
        "reason": "not a video file (extension '.txt')",
        "frames_read": 0,
        "clips": 0,
    }
    done = FileRecord(
        "/in/a.mp4", "ok", "read to the end", 24, 3, header_fps=25.0, spool=Spool("a.clips", "a.table", 3)
    )
    assert "spool" not in done.to_dict() and done.to_dict()["header_fps"] == 25.0
    with pytest.raises(ValueError, match="status must be one of"):
        FileRecord("x", "fine")


def test_tasks_and_records_cross_process_boundaries():
    task = FileTask("/in/a.mp4", CutSettings(frames=4), "/store/.spool/x-000000", KnownSource("abc", {}, 7), 2)
    assert pickle.loads(pickle.dumps(task)) == task
    rec = FileRecord("/in/a.mp4", "partial", "ended early", 9, 2, spool=Spool("c", "t", 2))
    assert pickle.loads(pickle.dumps(rec)) == rec


def test_the_summary_counts_clips_duplicates_and_frame_rates():
    recs = [
        FileRecord("a", "ok", "read to the end", 10, 2, header_fps=24.0),
        FileRecord("b", "ok", "read to the end", 10, 3, header_fps=30.0),
        FileRecord("c", "skipped", "duplicate of a (byte-identical): not ingested twice"),
    ]
    s = IngestSummary("store", recs, 1.0, 5)
    assert (s.clips_written, s.duplicates, s.any_failed) == (5, 1, False)
    assert s.counts() == {"ok": 2, "partial": 0, "failed": 0, "skipped": 1} and s.fps_spread() == (24.0, 30.0)
    assert s.to_json()["files"][2] == recs[2].to_dict()
