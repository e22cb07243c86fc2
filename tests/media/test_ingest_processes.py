"""Ingest across processes: the worker pool kills stuck and crashed workers, kill -9 mid-ingest, two ingests
excluding each other, progress while hashing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from latentlab.media.clip_cutter import CutSettings
from latentlab.media.clip_store import ClipStore
from latentlab.media.ingest import IngestOptions, ingest
from latentlab.media.ingest_pool import run_pool
from latentlab.media.ingest_types import FileTask, FramesDecoded
from latentlab.media.video_writer import write_video
from tests.media.helpers import assert_consistent, moving_frames

INPROC = IngestOptions(jobs=0)  # no worker processes: fast, and the same code path per file


# ----------------------------------------------------------------------------- the worker pool
def _task(path: str, folder: Path) -> FileTask:
    return FileTask(path, CutSettings(), str(folder / Path(path).stem))


def _hanging_worker(conn) -> None:
    conn.recv()
    threading.Event().wait()  # a decoder that never returns


def _crashing_worker(conn) -> None:
    task = conn.recv()
    if task.path == "segfault.mp4":
        os.kill(os.getpid(), signal.SIGSEGV)
    os._exit(3)


@pytest.mark.parametrize(
    "limits, reason",
    [
        (dict(stall_timeout=0.5), "timed out after 0.5 s without progress (stuck decoder?)"),
        (dict(stall_timeout=None, max_seconds=0.5), "timed out after 0.5 s (per-file time limit)"),
    ],
)
def test_pool_kills_a_stuck_worker_and_goes_on(limits, reason, tmp_path):
    done = []
    run_pool(
        [_task("stuck.mp4", tmp_path), _task("stuck2.mp4", tmp_path)],
        lambda t, r: done.append(r),
        jobs=2,
        worker=_hanging_worker,
        **limits,
    )
    assert sorted(r.path for r in done) == ["stuck.mp4", "stuck2.mp4"]
    assert {(r.status, r.reason, r.clips) for r in done} == {("failed", reason, 0)}


def _spooling_then_hanging_worker(conn) -> None:
    task = conn.recv()
    for suffix in (".clips", ".table"):
        Path(task.spool).with_suffix(suffix).write_bytes(b"x" * 1000)
    conn.send(FramesDecoded(1))
    threading.Event().wait()


def test_a_killed_workers_spool_is_removed_at_once(tmp_path):
    done = []
    spool = tmp_path / "stuck"
    run_pool(
        [_task("stuck.mp4", tmp_path)],
        lambda t, r: done.append(r),
        jobs=1,
        worker=_spooling_then_hanging_worker,
        stall_timeout=None,
        max_seconds=1.0,
    )
    assert done[0].status == "failed"
    assert not spool.with_suffix(".clips").exists() and not spool.with_suffix(".table").exists()


def test_pool_reports_crashed_workers(tmp_path):
    done = {}
    run_pool(
        [_task(name, tmp_path) for name in ("a.mp4", "segfault.mp4", "c.mp4")],
        lambda t, r: done.setdefault(r.path, r),
        jobs=1,
        worker=_crashing_worker,
    )
    assert done["a.mp4"].reason == "the decoder crashed (worker process ended with exit code 3)"
    assert (
        done["segfault.mp4"].reason == f"the decoder crashed (worker process ended with signal {int(signal.SIGSEGV)})"
    )
    assert all(r.status == "failed" for r in done.values()) and len(done) == 3


def test_kill_minus_9_mid_ingest_leaves_a_store_that_opens_and_a_rerun_completes(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):  # 160..165 frames: 20 clips each, and no two files byte-identical (duplicates are skipped)
        write_video(folder / f"v{i}.mp4", moving_frames(160 + i, 120, 160), 30.0)
    store_path = tmp_path / "store"
    cmd = [sys.executable, "-m", "latentlab", "ingest", str(folder), "-o", str(store_path), "--jobs", "1"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        first = proc.stderr.readline()  # printed once the first file is committed
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert first.startswith("ok ") and proc.returncode == -signal.SIGKILL
    store = ClipStore.open(store_path)
    assert 1 <= len(store.sources) < 6  # really interrupted
    assert_consistent(store)
    summary = ingest([folder], store_path, IngestOptions(jobs=2))
    statuses = sorted(r.status for r in summary.records)
    assert statuses.count("ok") == 6 - len(store.sources) and statuses.count("skipped") == len(store.sources)
    store.reload()
    assert len(store.sources) == 6 and len(store) == 6 * 20
    assert_consistent(store)
    assert not (store_path / ".spool").exists()


def test_two_ingests_from_one_process_exclude_each_other(tmp_path):
    """POSIX record locks never conflict inside one process (two drops in the GUI run two ingests)."""
    from latentlab.media.ingest_lock import IngestError, IngestLock

    store = tmp_path / "s"
    store.mkdir()
    with IngestLock(store):
        with pytest.raises(IngestError, match="another ingest in this process"):
            with IngestLock(store):
                pass
    with IngestLock(store):  # released: a later ingest goes ahead
        pass


def test_a_short_file_and_its_hashing_report_progress(tmp_path):
    """The pool kills a worker after a stall without messages: a slow decoder (few frames) and the
    hashing of a file on a slow disk must report progress too, not only every 64th frame."""
    from latentlab.core.fingerprint import file_fingerprint
    from latentlab.media.ingest_worker import process_file
    from latentlab.media.video_writer import write_video
    from tests.media.helpers import moving_frames

    video = write_video(tmp_path / "short.avi", moving_frames(20), fps=10)
    seen: list[int] = []
    rec = process_file(
        FileTask(str(video), CutSettings(frames=4, height=16, width=16), str(tmp_path / "spool")), on_frames=seen.append
    )
    assert rec.status == "ok" and rec.frames_read == 20
    assert 0 in seen  # the hashing heartbeat
    assert seen[-1] == 20 and len([n for n in seen if n > 0]) == 20  # one call per decoded frame

    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (3 * 2**20 + 5))
    chunks: list[int] = []
    assert file_fingerprint(big, chunks.append) == file_fingerprint(big)
    assert chunks == [2**20, 2 * 2**20, 3 * 2**20, 3 * 2**20 + 5]
