"""The training job the window's Train dock runs: a request in, a result out, events on the way. No Qt here.

:func:`run_training` runs on a worker thread: it builds the :class:`~latentlab.ml.trainer.Trainer` and
a :class:`~latentlab.ml.live_training.LiveTraining` callback and calls :class:`TrainingEvents` as the
run goes (the window turns them into queued signals). :class:`TrainingControl` carries Pause, Resume
and Stop from the GUI thread to the run, also when they are asked for before the run has started.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from latentlab.core.explorer_state import ClipField
from latentlab.core.protocols import Cancel


@dataclass(frozen=True)
class TrainRequest:
    """Everything a run needs, fixed when Start is pressed (the job gets this, not the widgets)."""

    store: str
    output: str
    latent_dim: int = 16
    beta: float = 1.0
    epochs: int = 20
    batch_size: int = 64
    device: str = "auto"
    resume: bool = False
    sample_size: int = 1000
    model: dict = field(default_factory=lambda: {"base_width": 16})  # more VAEConfig fields
    settings: dict = field(default_factory=dict)  # more TrainSettings fields
    previous_map: np.ndarray | None = field(default=None, compare=False)  # (S, 2): a resumed run aligns to it


@dataclass(frozen=True)
class TrainResult:
    output: str
    store: str
    metrics: dict
    stopped: bool


@dataclass(frozen=True)
class TrainingEvents:
    """What the run reports, called on the training thread."""

    prepared: Callable[[ClipField | None], Any]  # what the epoch map is coloured by
    fit_started: Callable[[int, int], Any]  # total steps, start step
    stepped: Callable[[int, dict], Any]  # step, metrics
    epoch_done: Callable[[Any], Any]  # an EpochSample
    pause_changed: Callable[[bool, int], Any]  # paused, step


class TrainingControl:
    """Pause / resume / stop of one run, from the GUI thread.

    The run's :class:`~latentlab.ml.live_training.LiveTraining` exists only once the job has built
    it: a request made before is kept and applied when the job adopts it. ``paused`` is what the
    user asked for last (the button's state follows it, never the other way round).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live = None
        self._pending = {"pause": False, "stop": False}
        self.paused = False

    def adopt(self, live) -> None:
        """Hand the run's live callback over (training thread); apply what was asked for meanwhile."""
        with self._lock:
            self._live = live
            if self._pending["pause"]:
                live.pause()
            if self._pending["stop"]:
                live.stop()

    def release(self) -> None:
        """The run has ended: nothing is sent to it any more."""
        with self._lock:
            self._live = None

    def pause(self) -> None:
        self.paused = True
        self._send("pause")

    def resume(self) -> None:
        self.paused = False
        self._send("resume")

    def stop(self) -> None:
        self._send("stop")

    def _send(self, action: str) -> None:
        with self._lock:
            live = self._live
            if live is None:
                if action in ("pause", "stop"):
                    self._pending[action] = True
                elif action == "resume":
                    self._pending["pause"] = False
                return
        {"pause": live.pause, "resume": live.resume, "stop": live.stop}[action]()


def sample_field(store, indices: np.ndarray) -> ClipField | None:
    """What to colour the epoch map by: the demo's shape, another store factor, or the source video."""
    factors = store.factors()
    if "shape" in factors:
        from latentlab.media.demo_data import SHAPES

        return ClipField("shape", np.asarray(factors["shape"])[indices], tuple(SHAPES))
    if factors:
        name = next(iter(factors))
        return ClipField(name, np.asarray(factors[name], np.float64)[indices])
    if len(store.sources) > 1:
        names = tuple(Path(str(s.get("path", "?"))).name for s in store.sources)
        return ClipField("source", np.asarray(store.table["source_id"])[indices], names)
    return None


def run_training(
    request: TrainRequest,
    events: TrainingEvents,
    control: TrainingControl,
    progress: Callable[[float, str], None],
    cancel: Cancel,
) -> TrainResult:
    """Build the trainer and the live callback, train, return what happened (training thread).

    ``progress(fraction, text)`` must not raise; ``cancel()`` True stops the run after its step
    (the trainer saves a bundle that resumes).
    """
    from latentlab.app.loading import configure_torch_threads
    from latentlab.media.clip_store import ClipStore
    from latentlab.ml.config import VAEConfig
    from latentlab.ml.live_training import LiveTraining
    from latentlab.ml.recipe import recipe_for
    from latentlab.ml.trainer import Trainer, TrainerCallback, TrainSettings

    configure_torch_threads()
    store = ClipStore.open(request.store)
    g = store.geometry
    recipe = recipe_for(store.sources)  # what `latentlab train` does by default, unless the request says
    config = VAEConfig.for_clips(
        g,
        latent_dim=request.latent_dim,
        beta=request.beta,
        **{"linear_path": recipe.linear_path, **request.model},
    )
    settings = TrainSettings(
        **{
            "augment": recipe.augment,
            "split": recipe.split,
            "keep_best": recipe.keep_best,
            **request.settings,
            "epochs": request.epochs,
            "batch_size": request.batch_size,
            "device": request.device,
            "num_workers": 0,
        }
    )  # workers would fork the GUI
    trainer = Trainer(config, store, request.output, settings, resume=request.resume)

    class Status(TrainerCallback):
        def on_fit_start(self, total_steps, start_step):
            events.fit_started(total_steps, start_step)

        def on_step(self, step, metrics):
            progress(step / max(1, live.total_steps), f"step {step}/{live.total_steps}")

    live = LiveTraining(
        store,
        sample_size=request.sample_size,
        seed=trainer.settings.seed,  # a resume's own seed
        previous_map=request.previous_map,
        on_step=events.stepped,
        on_epoch=events.epoch_done,
        on_pause=events.pause_changed,
        cancel=cancel,
    )
    events.prepared(sample_field(store, live.indices))
    control.adopt(live)
    live.attach(trainer)
    metrics = trainer.fit([Status(), live])
    return TrainResult(request.output, request.store, metrics, stopped=trainer.cancelled)
