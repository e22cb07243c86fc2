"""The only place the explorer starts threads.

* :class:`JobRunner` runs long jobs (loading, embedding, projection fits, export) each on its own
  ``QThread``, with progress, partial results, cancellation and errors delivered as signals on the
  GUI thread (the idea of Orange's ``TaskState`` and superqt's ``thread_worker``).
* :class:`DecodeWorker` is the live renderer: one long-lived ``QThread`` and a one-slot mailbox per
  :class:`DecodeChannel` ("probe", "sliders", ...). A new request replaces the waiting one, so a flood of mouse
  moves never builds a backlog: requests superseded while waiting are dropped unrun. Results carry
  their request id; one older than what the channel already showed is dropped, so the last frame
  shown is always the one for the last request (napari's ``_layer_slicer``). A finished result is
  shown even if newer requests are waiting: when a decode takes longer than the gap between mouse
  moves, dropping it would freeze the view for the whole drag. Each channel delivers its own results
  (``channel.ready``) to the one view that asked: no view sees another's results.

Work functions are plain callables: they take immutable inputs, return values, never touch widgets.
Every exception is caught in the worker and reported through a signal. ``shutdown`` cancels, stops
and joins every thread; nothing here ever calls ``QThread.terminate``.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from latentlab.core.errors import UserError
from latentlab.gui.errors import describe

log = logging.getLogger(__name__)
JOIN_TIMEOUT_MS = 30_000


class JobCancelled(Exception):
    """Raised inside a job (by :meth:`JobContext.check`) when the user cancelled it."""


class JobContext:
    """Handed to a job function: report progress, check for cancellation."""

    def __init__(self, job: Job) -> None:
        self._job = job
        self._event = threading.Event()
        self._last = 0.0

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def is_cancelled(self) -> bool:
        """Callable form for APIs that take ``cancel=callable``."""
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`JobCancelled` if the job was cancelled."""
        if self._event.is_set():
            raise JobCancelled()

    def progress(self, fraction: float, partial: Any = None, text: str = "") -> None:
        """Report progress in [0, 1] and an optional partial result; raises if cancelled.

        Calls closer than 40 ms apart are dropped unless they carry a partial result or finish, so
        a job may call this from a tight loop without flooding the GUI thread.
        """
        self.check()
        now = time.perf_counter()
        if partial is None and fraction < 1.0 and now - self._last < 0.04:
            return
        self._last = now
        self._job.progressed.emit(float(fraction), partial, text)


class Job(QObject):
    """A long job in flight. Signals arrive on the GUI thread; ``done`` comes last, always."""

    progressed = Signal(float, object, str)  # fraction, partial result or None, text
    succeeded = Signal(object)
    failed = Signal(str, str)  # message, traceback
    cancelled = Signal()
    done = Signal()

    def __init__(self, name: str, fn: Callable[[JobContext], Any]) -> None:
        super().__init__()
        self.name = name
        self.context = JobContext(self)
        self._fn = fn
        self.thread = _JobThread(self)

    def cancel(self) -> None:
        self.context._event.set()

    def _run(self) -> None:  # on the job's thread
        try:
            result = self._fn(self.context)
        except JobCancelled:
            self.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - every error goes to the GUI, none to stderr
            if self.context.cancelled:  # a library wrapped our JobCancelled in its own error
                log.debug("job %r stopped after cancel: %s", self.name, exc)
                self.cancelled.emit()
            elif isinstance(exc, (UserError, OSError)):  # an expected failure: its message says it all
                log.warning("job %r: %s", self.name, describe(exc))
                self.failed.emit(describe(exc), traceback.format_exc())
            else:
                log.error("job %r failed", self.name, exc_info=True)
                self.failed.emit(describe(exc), traceback.format_exc())
        else:
            if self.context.cancelled:
                self.cancelled.emit()
            else:
                self.succeeded.emit(result)
        self.done.emit()


class _JobThread(QThread):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self._job = job

    def run(self) -> None:
        self._job._run()


class JobRunner(QObject):
    """Starts jobs, keeps them alive until they finish, and stops them all on shutdown."""

    job_started = Signal(object)
    job_finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: list[Job] = []
        self._closed = False

    def submit(self, name: str, fn: Callable[[JobContext], Any]) -> Job:
        """Run ``fn(context)`` on a new thread and return its :class:`Job`.

        The thread starts on the next turn of the event loop, so that the caller can connect to the
        job's signals first: a signal emitted by a thread reaches only the slots connected by then.
        """
        if self._closed:
            raise RuntimeError("the job runner has been shut down")
        job = Job(name, fn)
        job.done.connect(lambda j=job: self._on_done(j))
        self._jobs.append(job)
        QTimer.singleShot(0, self, lambda j=job: self._start(j))
        self.job_started.emit(job)
        return job

    def _start(self, job: Job) -> None:
        if self._closed or job not in self._jobs:
            return
        job.thread.start()

    @property
    def jobs(self) -> list[Job]:
        return list(self._jobs)

    def _on_done(self, job: Job) -> None:
        job.thread.wait()  # done is the thread's last act: this returns at once
        if job in self._jobs:
            self._jobs.remove(job)
        self.job_finished.emit(job)

    def cancel_all(self) -> None:
        for job in self._jobs:
            job.cancel()

    def shutdown(self) -> None:
        """Cancel every job and join its thread (called on window close / ``aboutToQuit``)."""
        self._closed = True
        self.cancel_all()
        for job in list(self._jobs):
            if not job.thread.wait(JOIN_TIMEOUT_MS):
                log.error("job %r did not stop within %d s of being cancelled", job.name, JOIN_TIMEOUT_MS // 1000)
                job.thread.wait()
        self._jobs.clear()


@dataclass(frozen=True)
class ClipFrames:
    """A clip read or decoded on the worker: ``frames (T, H, W, C)`` uint8 of clip ``index`` of ``dataset``
    (``None`` where the view checks nothing but the index)."""

    index: int
    frames: np.ndarray
    dataset: Any = None


class DecodeChannel(QObject):
    """One view's mailbox on the :class:`DecodeWorker` (see :meth:`DecodeWorker.channel`).

    ``request(fn)`` queues ``fn`` (latest wins) and returns its id; what ``fn`` returns arrives as
    ``ready(request_id, result)`` on the GUI thread, in request order; an exception as ``failed(id, message)``.
    """

    ready = Signal(int, object)
    failed = Signal(int, str)

    def __init__(self, worker: DecodeWorker, name: str) -> None:
        super().__init__(worker)
        self.worker, self.name = worker, name

    def request(self, fn: Callable[[], Any]) -> int:
        return self.worker.request(self.name, fn)

    @property
    def latest(self) -> int:
        """Id of the newest request made on this channel (0 if none)."""
        return self.worker.latest(self.name)


class DecodeWorker(QObject):
    """Latest-wins renderer: one thread, one waiting request per channel.

    ``channel(name)`` gives a view its :class:`DecodeChannel`; ``request(name, fn)`` (what the channel
    calls) returns a request id; ``fn()`` runs on the worker thread unless a newer request of that
    channel replaced it first, and its result arrives on that channel's ``ready`` on the GUI thread,
    in request order per channel. Errors arrive on the channel's ``failed`` and, for the window's
    error strip, as ``failed(channel name, id, message)`` here.
    """

    failed = Signal(str, int, str)
    _raw_result = Signal(str, int, object)
    _raw_failed = Signal(str, int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cond = threading.Condition()
        self._mailbox: dict[str, tuple[int, Callable[[], Any]]] = {}
        self._latest: dict[str, int] = {}
        self._shown: dict[str, int] = {}  # newest request id delivered per channel
        self._next_id = 0
        self._running = 0
        self._stop = False
        self._channels: dict[str, DecodeChannel] = {}
        self.stats = {"requested": 0, "superseded": 0, "computed": 0, "delivered": 0, "dropped": 0}
        self._raw_result.connect(self._on_raw_result)
        self._raw_failed.connect(self._on_raw_failed)
        self._thread = _LoopThread(self._loop)
        self._thread.start()

    def channel(self, name: str) -> DecodeChannel:
        """The channel ``name`` (made on first use; views that share a name share its mailbox)."""
        if name not in self._channels:
            self._channels[name] = DecodeChannel(self, name)
        return self._channels[name]

    def request(self, channel: str, fn: Callable[[], Any]) -> int:
        """Queue ``fn`` for ``channel``, replacing any request of that channel still waiting."""
        with self._cond:
            if self._stop:
                return -1
            self._next_id += 1
            rid = self._next_id
            if self._mailbox.pop(channel, None) is not None:  # re-insert at the end: channels take turns
                self.stats["superseded"] += 1
            self._mailbox[channel] = (rid, fn)
            self._latest[channel] = rid
            self.stats["requested"] += 1
            self._cond.notify()
        return rid

    def latest(self, channel: str) -> int:
        """Id of the newest request made on ``channel`` (0 if none)."""
        return self._latest.get(channel, 0)

    @property
    def pending(self) -> int:
        """Requests waiting or running (0 once the worker has caught up)."""
        with self._cond:
            return len(self._mailbox) + self._running

    def _loop(self) -> None:  # on the worker thread
        while True:
            with self._cond:
                while not self._mailbox and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                channel = next(iter(self._mailbox))
                rid, fn = self._mailbox.pop(channel)
                self._running = 1
            try:
                result = fn()
            except BaseException as exc:  # noqa: BLE001 - reported in the window
                log.error("render on %r failed", channel, exc_info=True)
                self._raw_failed.emit(channel, rid, describe(exc))
            else:
                self.stats["computed"] += 1
                self._raw_result.emit(channel, rid, result)
            finally:
                with self._cond:
                    self._running = 0

    @Slot(str, int, object)
    def _on_raw_result(self, channel: str, rid: int, result: Any) -> None:
        if rid <= self._shown.get(channel, 0):  # older than what is on screen
            self.stats["dropped"] += 1
            return
        self._shown[channel] = rid
        self.stats["delivered"] += 1
        self.channel(channel).ready.emit(rid, result)

    @Slot(str, int, str)
    def _on_raw_failed(self, channel: str, rid: int, message: str) -> None:
        self.channel(channel).failed.emit(rid, message)
        self.failed.emit(channel, rid, message)

    def shutdown(self) -> None:
        """Drop waiting requests, let the running one finish, join the thread."""
        with self._cond:
            self._stop = True
            self._mailbox.clear()
            self._cond.notify_all()
        self._thread.wait()


class _LoopThread(QThread):
    def __init__(self, loop: Callable[[], None]) -> None:
        super().__init__()
        self._loop = loop

    def run(self) -> None:
        self._loop()
