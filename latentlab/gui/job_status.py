"""JobStatus: the status-bar strip that shows the running job's progress, a Cancel button and the
last error (errors also pop up as a non-modal dialog when a job fails)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QWidget

from latentlab.gui.errors import hub
from latentlab.gui.workers import Job, JobRunner


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
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.last_error = ""
        self.dialogs_enabled = True
        self._dialog: QMessageBox | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 0, 4, 0)
        lay.addWidget(self.error, 1)
        lay.addWidget(self.text)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel)
        # One height whether a job runs or not: a status bar that grows when the Cancel button
        # appears resizes the map above it, which re-renders every point (a stall at 100k).
        self.setFixedHeight(max(self.cancel.sizeHint().height(), self.bar.sizeHint().height()))
        self.cancel.clicked.connect(runner.cancel_all)
        runner.job_started.connect(self._on_job_started)
        runner.job_finished.connect(lambda *_: self._refresh())
        hub().error_reported.connect(self.show_error)
        self._refresh()

    def _on_job_started(self, job: Job) -> None:
        job.progressed.connect(lambda f, _p, t, job=job: self._on_progress(job, f, t))
        job.failed.connect(lambda msg, _tb, job=job: self._on_failed(job, msg))
        self._refresh()

    def _on_progress(self, job: Job, fraction: float, text: str) -> None:
        self.bar.setValue(int(1000 * max(0.0, min(1.0, fraction))))
        self.text.setText(f"{job.name}: {text}" if text else job.name)

    def _on_failed(self, job: Job, message: str) -> None:
        self.show_error(f"{job.name} failed: {message}", "")
        if self.dialogs_enabled:
            self._dialog = QMessageBox(QMessageBox.Icon.Warning, "latentlab", f"{job.name} failed.\n\n{message}",
                                       QMessageBox.StandardButton.Ok, self.window())
            self._dialog.setModal(False)
            self._dialog.show()

    def show_error(self, message: str, _detail: str = "") -> None:
        self.last_error = message
        self.error.setText(message if len(message) < 160 else message[:157] + "…")
        self.error.setToolTip(message)

    def clear_error(self) -> None:
        self.last_error = ""
        self.error.setText("")

    def _refresh(self) -> None:
        jobs = self.runner.jobs
        busy = bool(jobs)
        for w in (self.bar, self.cancel, self.text):
            w.setVisible(busy)
        if busy:
            self.text.setText(", ".join(j.name for j in jobs))
            self.bar.setValue(0)
