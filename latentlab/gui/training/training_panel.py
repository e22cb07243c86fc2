"""Train from the window: a "Train" dock with the run's settings, live loss curves and an epoch map.

The trainer runs as a job of the window's runner (torch never runs on the GUI thread) with a
:class:`~latentlab.ml.live_training.LiveTraining` callback; its per-step loss terms, per-epoch maps
of a fixed sample of clips and pause notices come back through queued Qt signals. Pause holds the
run between steps, Stop ends it after the current step (the trainer saves a bundle that loads and
resumes), Start with "resume" ticked continues the bundle in the output folder, and "Open in
explorer" loads the new model in the window. Nothing here imports torch:
the job does, so the window starts as fast as before.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from latentlab.app.training_job import TrainingControl, TrainingEvents, TrainRequest, TrainResult, run_training
from latentlab.core.explorer_state import ClipField
from latentlab.gui.errors import guarded, listen
from latentlab.gui.training.training_form import TrainingForm
from latentlab.gui.training.training_views import EpochMap, LossCurves
from latentlab.gui.workers import Job, JobCancelled

if TYPE_CHECKING:
    from latentlab.gui.shell import WindowContext

JOIN_TIMEOUT_MS = 60_000


class _Bridge(QObject):
    """Signals emitted on the training thread, delivered (queued) on the GUI thread."""

    prepared = Signal(object)  # ClipField | None for the sample
    fit_started = Signal(int, int)  # total steps, start step
    stepped = Signal(int, object)  # step, metrics
    epoch_done = Signal(object)  # EpochSample
    pause_changed = Signal(bool, int)  # paused, step


class TrainingPanel(QWidget, TrainingForm):
    """The training form, controls, loss curves and epoch map of one window."""

    started = Signal()
    stepped = Signal(int)  # a step's losses are in the curves' data
    epoch_shown = Signal(int)  # the map of this epoch is drawn
    paused_changed = Signal(bool)  # the training thread is now held (True) or running (False)
    finished = Signal(str)  # "done", "stopped" or "failed"

    def __init__(self, ctx: WindowContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.job: Job | None = None
        self.request: TrainRequest | None = None
        self.result: TrainResult | None = None
        self.message = ""
        self.total_steps = 0
        self._field: ClipField | None = None
        self.control = TrainingControl()  # pause / stop of the run (a new one per run)
        self._store_auto = True
        self._bridge = _Bridge(self)
        self._bridge.prepared.connect(guarded(self._on_prepared))
        self._bridge.fit_started.connect(guarded(self._on_fit_started))
        self._bridge.stepped.connect(guarded(self._on_step))
        self._bridge.epoch_done.connect(guarded(self._on_epoch))
        self._bridge.pause_changed.connect(guarded(self._on_pause_changed))
        self._build()
        listen(self, ctx.state.dataset_changed, self._on_dataset_changed)
        self._on_dataset_changed(ctx.state.dataset)
        self._set_running(False)

    # ------------------------------------------------------------------------------ building
    def _build(self) -> None:
        form = self._build_form()
        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.open_button = QPushButton("Open in explorer")
        self.compare_button = QPushButton("Compare with open model")
        self.compare_button.setToolTip("the open model and this one side by side (File → Compare with checkpoint…)")
        self.start_button.clicked.connect(guarded(lambda: self.start()))
        self.pause_button.clicked.connect(guarded(self.toggle_pause))
        self.stop_button.clicked.connect(guarded(self.stop))
        self.open_button.clicked.connect(guarded(lambda: self.open_in_explorer()))
        self.compare_button.clicked.connect(guarded(lambda: self.compare_with_open_model()))
        buttons = QHBoxLayout()
        for b in (self.start_button, self.pause_button, self.stop_button, self.open_button, self.compare_button):
            buttons.addWidget(b)
        self.status = QLabel("set the store and press Start")
        self.status.setObjectName("numbers")
        self.status.setWordWrap(True)
        self.loss = LossCurves()
        self.epoch_map = EpochMap()
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.status)
        lay.addWidget(self.loss, 1)
        lay.addWidget(self.epoch_map, 2)

    def _on_dataset_changed(self, dataset) -> None:
        store = dataset.store if dataset is not None else None
        if self._store_auto and store is not None:
            self.store_edit.setText(str(store.path))
        self._update_result_buttons()

    # ------------------------------------------------------------------------------ control
    @property
    def running(self) -> bool:
        return self.job is not None

    def start(self, request: TrainRequest | None = None) -> Job | None:
        """Start (or resume) training as described by the form or ``request``."""
        if self.running:
            return None
        request = request or self.make_request()
        out = Path(request.output)
        if (out / "config.json").exists() and not request.resume:
            raise ValueError(
                f"{out} already holds a checkpoint: tick 'resume' to continue it, or choose another output folder"
            )
        self.output_edit.setText(str(out))
        if request.resume and request.previous_map is None and self.epoch_map.coords is not None:
            request = dataclasses.replace(request, previous_map=self.epoch_map.coords)
        self.request, self.result, self.message = request, None, ""
        self.control = control = TrainingControl()
        if not request.resume:
            self._clear_plots()
        b = self._bridge
        events = TrainingEvents(
            prepared=b.prepared.emit,
            fit_started=b.fit_started.emit,
            stepped=b.stepped.emit,
            epoch_done=b.epoch_done.emit,
            pause_changed=b.pause_changed.emit,
        )

        def run(ctx):
            def progress(fraction: float, text: str) -> None:
                try:
                    ctx.progress(fraction, text=text)
                except JobCancelled:  # seen by the live callback on this step: the trainer stops and saves
                    pass

            return run_training(request, events, control, progress, ctx.is_cancelled)

        self.job = self.ctx.runner.submit(f"train {Path(request.store).name}", run)
        self.job.succeeded.connect(guarded(self._on_finished))
        self.job.failed.connect(guarded(lambda msg, _tb: self._on_failed(msg)))
        self.job.cancelled.connect(guarded(self._on_cancelled))
        self._set_running(True)
        self.status.setText(f"starting: {request.epochs} epochs on {Path(request.store).name} → {out}")
        self.started.emit()
        return self.job

    def toggle_pause(self) -> None:
        """Pause a running run between steps, or let a paused one go on."""
        if not self.running:
            return
        if not self.control.paused:
            self.control.pause()
            self.status.setText("pausing after this step…")
        else:
            self.control.resume()
            self.status.setText("resuming…")
        self.pause_button.setText("Resume" if self.control.paused else "Pause")

    def stop(self) -> None:
        """End the run after its current step; its bundle is saved and can be resumed."""
        if self.running:
            self.control.stop()
            self.status.setText("stopping after this step…")

    def open_in_explorer(self) -> Job | None:
        """Load the trained bundle with its store in the window."""
        if self.request is None or not (Path(self.request.output) / "config.json").is_file():
            raise ValueError("there is no trained checkpoint to open yet")
        return self.ctx.open(self.request.store, self.request.output)

    def offer_store(self, store: str, note: str) -> None:
        """Fill in ``store`` (one the open model cannot take) and say ``note``."""
        if not self.running:
            self.store_edit.setText(store)
            self._store_auto = False
            self.status.setText(note)

    def compare_with_open_model(self):
        """Open the trained bundle beside the window's model (the ``compare`` extension)."""
        compare = self.ctx.compare
        if compare is None or self.request is None:
            raise ValueError("model comparison is not available")
        return compare.open_checkpoint(self.request.output)

    def shutdown(self) -> None:
        """Stop the run (it saves its bundle) and wait for the training thread."""
        job = self.job
        if job is None:
            return
        self.control.stop()
        job.cancel()
        if not job.thread.wait(JOIN_TIMEOUT_MS):
            job.thread.wait()

    # ------------------------------------------------------------------------------ results
    def _on_prepared(self, clip_field: ClipField | None) -> None:
        self._field = clip_field

    def _on_fit_started(self, total: int, start: int) -> None:
        self.total_steps = total
        self.loss.keep_until(start)

    def _on_step(self, step: int, metrics: dict) -> None:
        self.loss.add(step, metrics)
        if not self.control.paused:
            self.status.setText(
                f"epoch {metrics.get('epoch', 0):.2f} · step {step}/{self.total_steps} · "
                f"NLL {metrics.get('nll', np.nan):.1f} · KL {metrics.get('kl', np.nan):.2f} · "
                f"beta {metrics.get('beta', np.nan):.3g}"
            )
        self.stepped.emit(step)

    def _on_epoch(self, sample) -> None:
        self.epoch_map.show_sample(sample, self._field)
        self.epoch_shown.emit(sample.epoch)

    def _on_pause_changed(self, paused: bool, step: int) -> None:
        if paused:
            self.status.setText(f"paused after step {step}/{self.total_steps}: Resume goes on, Stop saves")
        self.paused_changed.emit(paused)

    def _on_finished(self, result: TrainResult) -> None:
        self.result = result
        m = result.metrics
        where = f"epoch {m.get('epoch', 0)}, step {m.get('step', 0)}"
        if result.stopped:
            self.message = (
                f"stopped at {where}; saved to {result.output}: Start with 'resume' ticked continues"
                if m
                else "stopped before the first step; nothing was saved"
            )
            self.resume_box.setChecked(bool(m))
        else:
            psnr = f", validation PSNR {m['val_psnr']:.2f} dB" if "val_psnr" in m else ""
            self.message = f"done: {where}{psnr}; saved to {result.output}"
            self.resume_box.setChecked(False)
        self._end("stopped" if result.stopped else "done")

    def _on_failed(self, message: str) -> None:
        self.message = f"training failed: {message}"
        self._end("failed")

    def _on_cancelled(self) -> None:
        self.message = "training was cancelled; the last saved bundle is kept"
        self.resume_box.setChecked(self.request is not None and (Path(self.request.output) / "config.json").is_file())
        self._end("stopped")

    def _end(self, how: str) -> None:
        self.loss.draw()
        self.job = None
        self.control.release()
        self.status.setText(self.message)
        self._set_running(False)
        self.finished.emit(how)

    def _set_running(self, running: bool) -> None:
        for w in (
            self.store_edit,
            self.output_edit,
            self.latent_dim,
            self.beta,
            self.epochs,
            self.batch_size,
            self.device,
            self.resume_box,
            self.start_button,
        ):
            w.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        self.control.paused = False
        self.pause_button.setText("Pause")
        self._update_result_buttons()

    def _update_result_buttons(self) -> None:
        has_bundle = self.request is not None and (Path(self.request.output) / "config.json").is_file()
        dataset = self.ctx.state.dataset
        store = dataset.store if dataset is not None else None
        same_store = has_bundle and store is not None and Path(str(store.path)) == Path(self.request.store)
        self.open_button.setEnabled(not self.running and has_bundle)
        self.compare_button.setEnabled(not self.running and same_store)

    def _clear_plots(self) -> None:
        self.loss.clear()
        self.epoch_map.clear()
