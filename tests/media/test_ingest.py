"""Ingest end to end: every kind of bad file gets a record with status, reason and clip count."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from latentlab.media.clip_cutter import CutSettings
from latentlab.media.clip_store import ClipStore
from latentlab.media.ingest import REPORT, IngestOptions, ingest
from latentlab.media.ingest_types import FileRecord
from latentlab.media.video_writer import write_video
from tests.media.helpers import assert_consistent, corrupt, moving_frames, rotate_mp4_90, set_avi_frame_count, truncate

INPROC = IngestOptions(jobs=0)  # no worker processes: fast, and the same code path per file


def only(summary) -> FileRecord:
    assert len(summary.records) == 1
    return summary.records[0]


# ----------------------------------------------------------------------------- one file at a time
def test_good_file(make_video, tmp_path):
    rec = only(ingest([make_video("good.mp4", n=24)], tmp_path / "store", INPROC))
    assert (rec.status, rec.reason, rec.frames_read, rec.clips) == ("ok", "read to the end", 24, 3)
    store = ClipStore.open(tmp_path / "store")
    assert len(store) == 3 and store[0].shape == (8, 64, 64, 3)
    assert store.table["start_frame"].tolist() == [0, 8, 16]
    assert np.allclose(store.table["start_time"], [0, 8 / 12, 16 / 12], atol=1e-3)
    assert np.allclose(store.table["fps"], 12.0, atol=0.01)
    assert_consistent(store)


def test_empty_file(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    rec = only(ingest([tmp_path / "empty.mp4"], tmp_path / "store", INPROC))
    assert (rec.status, rec.reason, rec.clips) == ("failed", "empty file (0 bytes)", 0)


def test_text_file_named_mp4(tmp_path):
    (tmp_path / "fake.mp4").write_text("hello\n" * 100)
    rec = only(ingest([tmp_path / "fake.mp4"], tmp_path / "store", INPROC))
    assert (rec.status, rec.clips) == ("failed", 0) and "holds text" in rec.reason


def test_mp4_cut_before_its_index(make_video, tmp_path):
    path = truncate(make_video("cut.mp4", n=48), 0.6)
    rec = only(ingest([path], tmp_path / "store", INPROC))
    assert (rec.status, rec.clips) == ("failed", 0) and "without its index ('moov' box)" in rec.reason


def test_truncated_avi_is_partial(make_video, tmp_path):
    path = truncate(make_video("cut.avi", n=64), 0.5)
    rec = only(ingest([path], tmp_path / "store", INPROC))
    assert rec.status == "partial" and rec.reason.startswith("ended early: decoded")
    assert 16 <= rec.frames_read < 40 and rec.clips == rec.frames_read // 8
    assert len(ClipStore.open(tmp_path / "store")) == rec.clips


def test_corrupted_middle_is_partial(make_video, tmp_path):
    path = corrupt(make_video("broken.mp4", n=300), start=0.5, length=0.05)
    rec = only(ingest([path], tmp_path / "store", INPROC))
    assert rec.status == "partial" and "skipped a damaged region" in rec.reason
    assert rec.frames_read > 270 and rec.clips == rec.frames_read // 8


def test_shorter_than_one_clip(make_video, tmp_path):
    rec = only(ingest([make_video("short.mp4", n=5)], tmp_path / "store", INPROC))
    assert (rec.status, rec.frames_read, rec.clips) == ("skipped", 5, 0)
    assert rec.reason == "too short for one clip: 5 frames decoded, a clip needs 8"


def test_grayscale_into_a_grey_store(tmp_path):
    writer = cv2.VideoWriter(str(tmp_path / "grey.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48), False)
    for i in range(16):
        writer.write(np.full((48, 64), 10 * i, np.uint8))
    writer.release()
    opts = IngestOptions(CutSettings(channels=1), jobs=0)
    rec = only(ingest([tmp_path / "grey.avi"], tmp_path / "store", opts))
    assert (rec.status, rec.clips) == ("ok", 2)
    clip = ClipStore.open(tmp_path / "store")[1]
    assert clip.shape == (8, 64, 64, 1) and abs(int(clip[0].mean()) - 80) <= 3


def test_odd_frame_size(make_video, tmp_path):
    rec = only(ingest([make_video("odd.avi", n=16, h=47, w=63)], tmp_path / "store", INPROC))
    assert (rec.status, rec.clips) == ("ok", 2) and ClipStore.open(tmp_path / "store")[0].shape == (8, 64, 64, 3)


def test_large_frames(tmp_path):
    path = write_video(tmp_path / "big.avi", moving_frames(8, 720, 1280), 12.0)  # bounded memory: see reader tests
    rec = only(ingest([path], tmp_path / "store", INPROC))
    assert (rec.status, rec.clips, rec.frame_size) == ("ok", 1, [720, 1280])


def test_rotated_video_is_stored_upright(tmp_path):
    frames = np.zeros((8, 48, 64, 3), np.uint8)
    frames[:, :8, :8] = (255, 0, 0)  # landscape as encoded, red top-left
    path = rotate_mp4_90(write_video(tmp_path / "phone.mp4", frames, 12.0))
    opts = IngestOptions(CutSettings(height=64, width=48), jobs=0)  # portrait clips: no crop needed
    rec = only(ingest([path], tmp_path / "store", opts))
    assert (rec.status, rec.clips, rec.rotation, rec.frame_size) == ("ok", 1, 90, [64, 48])
    red = np.argwhere(ClipStore.open(tmp_path / "store")[0][0, ..., 0] > 200)
    assert red[:, 0].max() < 10 and red[:, 1].min() > 38  # turned once, clockwise: top-right


def test_non_ascii_path(make_video, tmp_path):
    path = make_video("Ünïcödé/影片 📼.mp4", n=16)
    rec = only(ingest([path.parent], tmp_path / "store", INPROC))
    assert (rec.status, rec.clips, rec.path) == ("ok", 2, str(path))
    report = json.loads((tmp_path / "store" / REPORT).read_text(encoding="utf-8"))
    assert report["files"][0]["path"] == str(path)


def test_unreadable_entries_broken_symlink_and_fifo(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "gone.mp4").symlink_to(folder / "deleted.mp4")
    os.mkfifo(folder / "pipe.avi")
    recs = {Path(r.path).name: r for r in ingest([folder], tmp_path / "store", INPROC).records}
    assert recs["gone.mp4"].status == "failed" and "broken symbolic link" in recs["gone.mp4"].reason
    assert (recs["pipe.avi"].status, recs["pipe.avi"].clips) == ("failed", 0)
    assert recs["pipe.avi"].reason == "not a video file: it is a named pipe (FIFO)"


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0,
    reason="root reads files whatever their mode; see the broken-symlink and FIFO test",
)
def test_unreadable_file(make_video, tmp_path):
    path = make_video("secret.mp4")
    path.chmod(0)
    try:
        rec = only(ingest([path], tmp_path / "store", INPROC))
    finally:
        path.chmod(0o644)
    assert (rec.status, rec.reason, rec.clips) == ("failed", "permission denied: the file cannot be read", 0)


def test_header_frame_count_that_lies(make_video, tmp_path):
    path = set_avi_frame_count(make_video("liar.avi", n=40), 5)
    rec = only(ingest([path], tmp_path / "store", INPROC))
    assert (rec.status, rec.reason, rec.frames_read, rec.clips) == ("ok", "read to the end", 40, 5)


def test_resampling_to_a_target_fps(make_video, tmp_path):
    opts = IngestOptions(CutSettings(fps=10.0, stride=4), jobs=0)
    rec = only(ingest([make_video("30fps.mp4", n=60, fps=30.0)], tmp_path / "store", opts))
    assert (rec.status, rec.clips) == ("ok", 4)  # 20 frames at 10 fps: clips start at 0, 4, 8, 12
    table = ClipStore.open(tmp_path / "store").table
    assert np.allclose(table["fps"], 10.0) and np.allclose(table["start_time"], [0, 0.4, 0.8, 1.2], atol=1e-3)
    assert table["start_frame"].tolist() == [0, 12, 24, 36]


# ----------------------------------------------------------------------------- batches and re-runs
def test_folder_mixing_good_bad_and_non_video_files(make_video, tmp_path):
    good = make_video("in/good.mp4", n=24)
    good2 = make_video("in/sub/good2.avi", n=16)
    make_video("in/.hidden/ignored.mp4", n=8)
    ingest([make_video("elsewhere.mp4", n=8)], tmp_path / "in" / "old_store", INPROC)  # a store inside: not walked
    (tmp_path / "in" / "empty.mp4").write_bytes(b"")
    (tmp_path / "in" / "notes.txt").write_text("not a video")
    truncate(make_video("in/sub/cut.mp4", n=40), 0.5)
    summary = ingest([tmp_path / "in", tmp_path / "missing.avi"], tmp_path / "store", IngestOptions(jobs=2))
    by_name = {Path(r.path).name: (r.status, r.clips) for r in summary.records}
    assert by_name == {
        "good.mp4": ("ok", 3),
        "good2.avi": ("ok", 2),
        "empty.mp4": ("failed", 0),
        "notes.txt": ("skipped", 0),
        "cut.mp4": ("failed", 0),
        "missing.avi": ("failed", 0),
    }
    assert summary.counts() == {"ok": 2, "partial": 0, "failed": 3, "skipped": 1} and summary.any_failed
    reasons = {Path(r.path).name: r.reason for r in summary.records}
    assert reasons["notes.txt"] == "not a video file (extension '.txt')"
    assert reasons["missing.avi"] == "no such file or folder"
    store = ClipStore.open(tmp_path / "store")
    assert len(store) == 5 and {s["path"] for s in store.sources} == {str(good), str(good2)}
    assert_consistent(store)
    report = json.loads((tmp_path / "store" / REPORT).read_text(encoding="utf-8"))
    assert len(report["files"]) == 6 and report["runs"][-1]["counts"]["failed"] == 3
    assert not (tmp_path / "store" / ".spool").exists()


def test_rerun_skips_unchanged_and_reingests_changed_files(make_video, tmp_path):
    a, _ = make_video("in/a.mp4", n=24), make_video("in/b.mp4", n=16)
    ingest([tmp_path / "in"], tmp_path / "store", INPROC)
    store = ClipStore.open(tmp_path / "store")
    fp, b_clip = store.fingerprint, store.read([3])[0]
    again = ingest([tmp_path / "in"], tmp_path / "store", INPROC)
    assert [(r.status, r.reason, r.clips, r.clips_in_store) for r in again.records] == [
        ("skipped", "unchanged since the last ingest (same content fingerprint)", 0, 3),
        ("skipped", "unchanged since the last ingest (same content fingerprint)", 0, 2),
    ]
    store.reload()
    assert store.fingerprint == fp and len(store) == 5
    write_video(a, moving_frames(40)[::-1].copy(), 12.0)  # a changes: 5 clips instead of 3
    third = ingest([tmp_path / "in"], tmp_path / "store", INPROC)
    assert [(Path(r.path).name, r.status, r.clips) for r in third.records] == [
        ("a.mp4", "ok", 5),
        ("b.mp4", "skipped", 0),
    ]
    store.reload()
    assert len(store) == 7 and store.fingerprint != fp and len(store.sources) == 2
    assert [s["n_clips"] for s in store.sources] == [2, 5]  # b kept, a replaced
    assert np.array_equal(store.read([0])[0], b_clip)
    assert_consistent(store)
    report = json.loads((tmp_path / "store" / REPORT).read_text(encoding="utf-8"))
    statuses = {Path(r["path"]).name: r["status"] for r in report["files"]}
    assert statuses == {"a.mp4": "ok", "b.mp4": "ok"}  # unchanged files keep the record of their clips


def test_changed_settings_reingest(make_video, tmp_path):
    path = make_video("a.mp4", n=24)
    ingest([path], tmp_path / "store", INPROC)
    rec = only(ingest([path], tmp_path / "store", IngestOptions(CutSettings(stride=4), jobs=0)))
    assert (rec.status, rec.clips) == ("ok", 5)
    assert len(ClipStore.open(tmp_path / "store")) == 5


def test_stale_spool_is_cleaned_and_a_busy_store_refused(make_video, tmp_path):
    path = make_video("a.mp4", n=16)
    ingest([path], tmp_path / "store", INPROC)
    stale = tmp_path / "store" / ".spool" / "000000.clips"
    stale.parent.mkdir()
    stale.write_bytes(b"\0" * 1000)
    ingest([path], tmp_path / "store", INPROC)
    assert not stale.exists()
    import fcntl

    with open(tmp_path / "store" / ".ingest.lock", "a+") as fh:
        fcntl.lockf(fh.fileno(), fcntl.LOCK_EX)
        code = f"from latentlab.media.ingest import ingest, IngestOptions; ingest([{str(path)!r}], {str(tmp_path / 'store')!r}, IngestOptions(jobs=0))"  # noqa: E501
        err = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stderr
        assert "IngestError" in err and "is being ingested into by another latentlab process" in err


def test_store_geometry_mismatch_is_an_error(make_video, tmp_path):
    from latentlab.media.clip_store import StoreError

    ingest([make_video("a.mp4", n=16)], tmp_path / "store", INPROC)
    with pytest.raises(StoreError, match="cannot add clips of shape"):
        ingest([make_video("b.mp4", n=16)], tmp_path / "store", IngestOptions(CutSettings(frames=4), jobs=0))
