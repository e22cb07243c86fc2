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
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Callable

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
    task: dict | None = None
    started: float = 0.0
    last_progress: float = 0.0
    frames: int = 0


def run_pool(
    tasks: list[dict],
    on_done: Callable[[dict, dict], None],
    *,
    jobs: int,
    stall_timeout: float | None = 60.0,
    max_seconds: float | None = None,
    on_progress: Callable[[dict, int], None] | None = None,
    worker: Callable = worker_main,
) -> None:
    """Run ``tasks`` in up to ``jobs`` worker processes; call ``on_done(task, record)`` in this process.

    Parameters
    ----------
    tasks
        Task dicts sent to the workers (picklable).
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
    ctx = _context()
    pending = deque(tasks)
    workers: list[_Worker] = []

    def spawn() -> _Worker:
        parent_end, child_end = ctx.Pipe()
        proc = ctx.Process(target=worker, args=(child_end,), daemon=True, name="latentlab-ingest")
        proc.start()
        child_end.close()
        return _Worker(proc, parent_end)

    def fail(w: _Worker, reason: str) -> None:
        task = w.task
        w.task = None
        _kill(w)
        w.conn.close()
        workers.remove(w)
        if task.get("spool"):  # what the killed worker had spooled is useless: free the disk now
            for suffix in (".clips", ".table"):
                Path(task["spool"]).with_suffix(suffix).unlink(missing_ok=True)
        on_done(task, {"path": task.get("path"), "status": "failed", "reason": reason,
                       "frames_read": w.frames, "clips": 0, "seconds": round(time.monotonic() - w.started, 3)})

    def give(w: _Worker) -> None:
        """Hand the next pending task to idle worker ``w`` (a worker that died idle is replaced)."""
        task = pending.popleft()
        if not _assign(w, task):
            pending.appendleft(task)
            _kill(w)
            w.conn.close()
            workers.remove(w)

    try:
        while pending or any(w.task is not None for w in workers):
            for w in list(workers):  # hand out work to idle workers, starting them lazily
                if w.task is None and pending:
                    give(w)
            while pending and len(workers) < max(1, jobs):
                w = spawn()
                workers.append(w)
                give(w)
            busy = [w for w in workers if w.task is not None]
            wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=0.25)
            now = time.monotonic()
            finished = []  # committed below, after the workers have their next tasks: no idle cores
            for w in busy:
                messages = []
                try:
                    while w.conn.poll():
                        messages.append(w.conn.recv())
                except (EOFError, OSError):  # the worker died; its sentinel tells below
                    pass
                for kind, payload in messages:
                    w.last_progress = time.monotonic()
                    if kind == "progress" and w.task is not None:
                        w.frames = int(payload)
                        if on_progress is not None:
                            on_progress(w.task, w.frames)
                    elif kind == "done":
                        finished.append((w.task, payload))
                        w.task = None
                        if pending:
                            give(w)
                if w.task is None:
                    continue
                if not w.proc.is_alive():
                    code = w.proc.exitcode
                    how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                    fail(w, f"the decoder crashed (worker process ended with {how})")
                elif stall_timeout and now - w.last_progress > stall_timeout:
                    fail(w, f"timed out after {stall_timeout:g} s without progress (stuck decoder?)")
                elif max_seconds and now - w.started > max_seconds:
                    fail(w, f"timed out after {max_seconds:g} s (per-file time limit)")
            for task, record in finished:
                on_done(task, record)
    finally:
        for w in workers:
            if w.task is None:
                try:
                    w.conn.send(None)
                except OSError:
                    pass
        deadline = time.monotonic() + 2.0
        for w in workers:
            if w.task is not None:
                _kill(w)
            else:
                w.proc.join(max(0.0, deadline - time.monotonic()))
                if w.proc.is_alive():
                    _kill(w)
            w.conn.close()


def _assign(w: _Worker, task: dict) -> bool:
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
