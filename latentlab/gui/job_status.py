"""JobStatus: the status-bar strip that shows the running job's progress, a Cancel button and the
last error (errors also pop up as a non-modal dialog when a job fails).

Messages expire, errors do not: an error stays until it is clicked, and the click shows its details
(the traceback) and clears it. Every job ends with a one-line result in the status bar: its own
(e.g. "tsne map of 20,000 clips: fitted in 41.2 s"), or else "<job>: done in 3.1 s" / "cancelled"."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QMessageBox, QProgressBar, QPushButton, QWidget

from latentlab.gui.errors import hub
from latentlab.gui.workers import Job, JobRunner

MESSAGE_MS = 8000


class ErrorLabel(QLabel):
    """The last error; a click on it emits ``clicked`` (details, then cleared)."""

    clicked = Signal()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton and self.text():
            self.clicked.emit()
        super().mousePressEvent(event)


class MessageLabel(QLabel):
    """The status bar's current message, elided to its width (the whole text in the tooltip).

    The job strip fills the status bar (stretch 1), which leaves ``QStatusBar.showMessage`` no room
    to draw: its messages are shown here instead."""

    def __init__(self) -> None:
        super().__init__("")
        self.full = ""
        self.setMinimumWidth(1)

    def set_message(self, text: str, detail: str = "") -> None:
        self.full = text
        self.setToolTip(f"{text}\n\n{detail}" if detail else text)
        self.setVisible(bool(text))
        self._elide()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideRight, max(self.width(), 1))
        if shown != self.text():
            self.setText(shown)


class JobStatus(QWidget):
    """Progress and cancel for the jobs of ``runner``; shows every error the hub reports."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.text = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setFixedWidth(180)
        self.cancel = QPushButton("Cancel")
        self.error = ErrorLabel("")
        self.error.setObjectName("error")
        self.error.setCursor(Qt.CursorShape.PointingHandCursor)
        self.error.setMinimumWidth(1)  # a long error is cut (full text in the tooltip), never widens the window
        self.error.clicked.connect(self.show_details)
        self.last_error = ""
        self.last_detail = ""
        self.details: QMessageBox | None = None
        self._started: dict[int, tuple[float, str, list]] = {}  # id(job) -> (t0, status message then, outcome)
        self.error.setVisible(False)
        self.dialogs_enabled = True
        self._dialog: QMessageBox | None = None
        self.message = MessageLabel()
        self.message.setObjectName("message")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        lay.addWidget(self.message, 1)
        lay.addWidget(self.error, 1)
        lay.addWidget(self.text)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel)
        # One height whether a job runs or not: a status bar that grows when the Cancel button
        # appears resizes the map above it, which re-renders every point (a stall at 100k).
        self.setFixedHeight(max(self.cancel.sizeHint().height(), self.bar.sizeHint().height()))
        self.cancel.clicked.connect(runner.cancel_all)
        runner.job_started.connect(self._on_job_started)
        runner.job_finished.connect(self._on_job_finished)
        hub().error_reported.connect(self.show_error)
        self._refresh()

    def _on_job_started(self, job: Job) -> None:
        outcome: list[str] = []
        self._started[id(job)] = (time.perf_counter(), self._message(), outcome)
        job.progressed.connect(lambda f, _p, t, job=job: self._on_progress(job, f, t))
        job.failed.connect(lambda msg, tb, job=job: self._on_failed(job, msg, tb))
        job.succeeded.connect(lambda *_: outcome.append("done"))
        job.cancelled.connect(lambda: outcome.append("cancelled"))
        self._refresh()

    def _on_job_finished(self, job: Job) -> None:
        t0, before, outcome = self._started.pop(id(job), (time.perf_counter(), "", []))
        if outcome and self._message() in ("", before):  # the job said nothing itself: say how it ended
            how = f"done in {time.perf_counter() - t0:.1f} s" if outcome[0] == "done" else "cancelled"
            self._show_message(f"{job.name}: {how}")
        self._refresh()

    def _bar(self):
        window = self.window()
        return window.statusBar() if isinstance(window, QMainWindow) else None

    def _message(self) -> str:
        bar = self._bar()
        return bar.currentMessage() if bar is not None else ""

    def _show_message(self, text: str) -> None:
        self.say(text)

    def say(self, text: str, detail: str = "", ms: int = MESSAGE_MS) -> None:
        """A one-line result in the status bar for ``ms``; ``detail`` (a file list...) in its tooltip."""
        bar = self._bar()
        if bar is not None:
            bar.showMessage(text, ms)  # messageChanged -> the message label
        else:
            self.message.set_message(text)
        if detail:
            self.message.set_message(text, detail)

    def attach(self, bar) -> None:
        """Show ``bar``'s messages (``showMessage``) in the strip, which covers the place they are drawn."""
        bar.messageChanged.connect(self.message.set_message)
        self.message.set_message(bar.currentMessage())

    def _on_progress(self, job: Job, fraction: float, text: str) -> None:
        self.bar.setValue(int(1000 * max(0.0, min(1.0, fraction))))
        self.text.setText(f"{job.name}: {text}" if text and not text.startswith(job.name) else text or job.name)

    def _on_failed(self, job: Job, message: str, detail: str = "") -> None:
        self.show_error(f"{job.name} failed: {message}", detail)
        if self.dialogs_enabled:
            self._dialog = QMessageBox(
                QMessageBox.Icon.Warning,
                "latentlab",
                f"{job.name} failed.\n\n{message}",
                QMessageBox.StandardButton.Ok,
                self.window(),
            )
            self._dialog.setModal(False)
            self._dialog.show()

    def show_error(self, message: str, detail: str = "") -> None:
        """Show ``message`` until it is clicked (``detail``, e.g. a traceback, is shown on the click)."""
        self.last_error, self.last_detail = message, detail
        self.error.setVisible(True)
        self.error.setText(message if len(message) < 160 else message[:157] + "…")
        self.error.setToolTip(f"{message}\n\n(click for details and to dismiss)")

    def show_details(self) -> QMessageBox | None:
        """The last error in full, with its details one click away; the status bar is cleared."""
        message, detail = self.last_error, self.last_detail
        self.clear_error()
        if not message:
            return None
        box = QMessageBox(QMessageBox.Icon.Warning, "latentlab", message, QMessageBox.StandardButton.Ok, self.window())
        if detail:
            box.setDetailedText(detail)
        box.setModal(False)
        if self.dialogs_enabled:
            box.show()
        self.details = box
        return box

    def clear_error(self) -> None:
        self.last_error, self.last_detail = "", ""
        self.error.setText("")
        self.error.setToolTip("")
        self.error.setVisible(False)  # the message gets the room

    def _refresh(self) -> None:
        jobs = self.runner.jobs
        busy = bool(jobs)
        for w in (self.bar, self.cancel, self.text):
            w.setVisible(busy)
        if busy:
            self.text.setText(", ".join(j.name for j in jobs))
            self.bar.setValue(0)
