"""A small process pool whose workers can be killed one at a time (per-file time limits).

``concurrent.futures`` cannot stop one stuck task, and a decoder stuck inside FFmpeg cannot be
interrupted from Python, so each worker is a process of its own with a pipe to the parent. The
parent hands out one task at a time, watches progress messages and the process sentinel, and kills
and replaces a worker that exceeds its time limit or dies (a crashing decoder); the task then gets a
*failed* record and the batch goes on.

Workers are forked directly on Linux when this process has neither imported OpenCV nor started a
thread (the command line's case: cheapest); otherwise they come from a fork server (started once,
with OpenCV preloaded; forking a process whose OpenCV thread pool or Qt threads are running is not
safe), and elsewhere from spawn.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path

from latentlab.media.ingest_types import FileRecord, FileTask, FramesDecoded
from latentlab.media.ingest_worker import worker_main

_PRELOAD = ["latentlab.media.ingest_worker", "cv2", "numpy"]


def _context():
    if sys.platform.startswith("linux") and "cv2" not in sys.modules and threading.active_count() == 1:
        # The CLI's case: no OpenCV thread pool and no other thread to inherit, so a plain fork is
        # safe, and it saves starting a server interpreter (a few hundred ms per ingest run).
        return mp.get_context("fork")
    if sys.platform.startswith("linux"):
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return mp.get_context("spawn")


@dataclass
class _Worker:
    proc: mp.Process
    conn: object
    task: FileTask | None = None
    started: float = 0.0
    last_progress: float = 0.0
    frames: int = 0


def run_pool(
    tasks: list[FileTask],
    on_done: Callable[[FileTask, FileRecord], None],
    *,
    jobs: int,
    stall_timeout: float | None = 60.0,
    max_seconds: float | None = None,
    on_progress: Callable[[FileTask, int], None] | None = None,
    worker: Callable = worker_main,
) -> None:
    """Run ``tasks`` in up to ``jobs`` worker processes; call ``on_done(task, record)`` in this process.

    Parameters
    ----------
    tasks
        The files to ingest, sent to the workers as they are (picklable).
    on_done
        Called once per task, in the order tasks finish, with the worker's record or a *failed*
        record made here (time limit, crash). Runs in the parent: the place to commit results.
    jobs
        Number of worker processes (at least 1).
    stall_timeout
        Kill a worker that reports no progress for this many seconds (``None``: never).
    max_seconds
        Kill a worker still busy with one task after this many seconds (``None``: no limit).
    on_progress
        ``on_progress(task, frames_so_far)`` whenever a worker reports progress.
    worker
        The worker loop (see :func:`latentlab.media.ingest_worker.worker_main`).
    """
    pool = _Pool(tasks, on_done, on_progress, worker, max(1, jobs), stall_timeout, max_seconds)
    try:
        while pool.pending or pool.busy():
            pool.hand_out()
            pool.step()
    finally:
        pool.close()


class _Pool:
    """The state of one :func:`run_pool` call: pending tasks and live workers."""

    def __init__(self, tasks, on_done, on_progress, worker, jobs, stall_timeout, max_seconds) -> None:
        self.ctx = _context()
        self.pending = deque(tasks)
        self.workers: list[_Worker] = []
        self.on_done, self.on_progress, self.worker, self.jobs = on_done, on_progress, worker, jobs
        self.stall_timeout, self.max_seconds = stall_timeout, max_seconds

    def busy(self) -> list[_Worker]:
        return [w for w in self.workers if w.task is not None]

    def spawn(self) -> _Worker:
        parent_end, child_end = self.ctx.Pipe()
        proc = self.ctx.Process(target=self.worker, args=(child_end,), daemon=True, name="latentlab-ingest")
        proc.start()
        child_end.close()
        return _Worker(proc, parent_end)

    def drop(self, w: _Worker) -> None:
        _kill(w)
        w.conn.close()
        self.workers.remove(w)

    def fail(self, w: _Worker, reason: str) -> None:
        task, w.task = w.task, None
        self.drop(w)
        for suffix in (".clips", ".table"):  # what the killed worker had spooled is useless: free the disk now
            Path(task.spool).with_suffix(suffix).unlink(missing_ok=True)
        self.on_done(
            task,
            FileRecord.failed(task.path, reason, frames_read=w.frames, seconds=round(time.monotonic() - w.started, 3)),
        )

    def give(self, w: _Worker) -> None:
        """Hand the next pending task to idle worker ``w`` (a worker that died idle is replaced)."""
        task = self.pending.popleft()
        if not _assign(w, task):
            self.pending.appendleft(task)
            self.drop(w)

    def hand_out(self) -> None:
        """Give work to idle workers, starting new ones lazily up to ``jobs``."""
        for w in list(self.workers):
            if w.task is None and self.pending:
                self.give(w)
        while self.pending and len(self.workers) < self.jobs:
            w = self.spawn()
            self.workers.append(w)
            self.give(w)

    def step(self) -> None:
        """Wait briefly for messages; pass on progress, commit finished files, kill stuck workers."""
        busy = self.busy()
        wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=0.25)
        now = time.monotonic()
        finished = []  # committed below, after the workers have their next tasks: no idle cores
        for w in busy:
            finished += self._receive(w)
            if w.task is not None:
                self._check(w, now)
        for task, record in finished:
            self.on_done(task, record)

    def _receive(self, w: _Worker) -> list[tuple[FileTask, FileRecord]]:
        messages, finished = [], []
        try:
            while w.conn.poll():
                messages.append(w.conn.recv())
        except (EOFError, OSError):  # the worker died; its sentinel tells in _check
            pass
        for msg in messages:
            w.last_progress = time.monotonic()
            if isinstance(msg, FramesDecoded):
                if w.task is not None:
                    w.frames = int(msg.frames)
                    if self.on_progress is not None:
                        self.on_progress(w.task, w.frames)
            else:
                finished.append((w.task, msg))
                w.task = None
                if self.pending:
                    self.give(w)
        return finished

    def _check(self, w: _Worker, now: float) -> None:
        if not w.proc.is_alive():
            code = w.proc.exitcode
            how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            self.fail(w, f"the decoder crashed (worker process ended with {how})")
        elif self.stall_timeout and now - w.last_progress > self.stall_timeout:
            self.fail(w, f"timed out after {self.stall_timeout:g} s without progress (stuck decoder?)")
        elif self.max_seconds and now - w.started > self.max_seconds:
            self.fail(w, f"timed out after {self.max_seconds:g} s (per-file time limit)")

    def close(self) -> None:
        """Ask idle workers to exit (2 s), kill busy ones."""
        for w in self.workers:
            if w.task is None:
                try:
                    w.conn.send(None)
                except OSError:
                    pass
        deadline = time.monotonic() + 2.0
        for w in self.workers:
            if w.task is not None:
                _kill(w)
            else:
                w.proc.join(max(0.0, deadline - time.monotonic()))
                if w.proc.is_alive():
                    _kill(w)
            w.conn.close()


def _assign(w: _Worker, task: FileTask) -> bool:
    try:
        w.conn.send(task)
    except OSError:  # the worker is gone
        return False
    w.task = task
    w.started = w.last_progress = time.monotonic()
    w.frames = 0
    return True


def _kill(w: _Worker) -> None:
    if w.proc.is_alive():
        w.proc.kill()
    w.proc.join(5.0)
