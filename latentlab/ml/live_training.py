"""Watching a model train: per-step loss terms, an epoch-by-epoch map of a fixed sample, pause/stop.

:class:`LiveTraining` is a :class:`~latentlab.ml.trainer.TrainerCallback` that needs no Qt. It runs
on the training thread and hands plain values to the functions it was given:

* ``on_step(step, terms)`` after every optimisation step (``nll``, ``kl``, ``loss``, ``beta``, ...
  and ``nll_smooth``, ``kl_smooth``: exponential moving averages for the curves);
* ``on_epoch(sample)`` after every finished epoch with an :class:`EpochSample`: the posterior of a
  fixed, seeded sample of clips under the current weights and its 2-D PCA map, turned to match the
  previous epoch's map (orthogonal Procrustes) so that the points move instead of flipping around;
* ``on_pause(paused, step)`` when the training thread actually stops or goes on.

Pause blocks the training thread between steps on a :class:`threading.Event`; a stop request (or a
``cancel()`` polled from the host, e.g. a GUI job) still ends a paused run, which then saves its
bundle like any cancelled :class:`~latentlab.ml.trainer.Trainer` run.

>>> live = LiveTraining(store, on_step=print)                          # doctest: +SKIP
>>> trainer = Trainer(config, store, out, settings); live.attach(trainer)
>>> trainer.fit([live])                                              # live.pause()/resume()/stop() from elsewhere
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from latentlab.ml.data import to_model_layout
from latentlab.ml.trainer import TrainerCallback

SAMPLE_SIZE = 1000
#: How often a paused run looks at ``cancel()`` of its host, which has no way to wake it.
PAUSE_POLL_S = 0.2


@dataclass(frozen=True)
class EpochSample:
    """The fixed sample of clips as the model sees it at the end of an epoch.

    Attributes
    ----------
    epoch
        Epochs finished (1 after the first).
    indices
        ``(S,)`` store indices of the sample (the same every epoch).
    mu, logvar
        ``(S, D)`` float32 posterior of each sampled clip.
    coords
        ``(S, 2)`` float32 PCA map of ``mu``, aligned to the previous epoch's map.
    metrics
        The trainer's epoch metrics (plain numbers).
    """

    epoch: int
    indices: np.ndarray
    mu: np.ndarray
    logvar: np.ndarray
    coords: np.ndarray
    metrics: dict = field(default_factory=dict)

    @property
    def kl_per_dim(self) -> np.ndarray:
        """Mean KL of each latent dimension over the sample, ``(D,)`` nats."""
        return 0.5 * np.mean(self.mu**2 + np.exp(self.logvar) - 1.0 - self.logvar, axis=0)


def sample_indices(n_clips: int, size: int = SAMPLE_SIZE, seed: int = 0) -> np.ndarray:
    """``min(size, n_clips)`` sorted clip indices drawn without replacement, fixed by ``seed``."""
    if n_clips <= size:
        return np.arange(n_clips, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n_clips, size, replace=False)).astype(np.int64)


def aligned_map(mu: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """2-D PCA of ``mu (S, D)``, rotated/reflected to best match ``previous (S, 2)``.

    PCA axes have no sign and swap places when two variances cross; an orthogonal Procrustes fit
    to the last map keeps a point where it was unless the latent space really changed.
    """
    from scipy.linalg import orthogonal_procrustes

    from latentlab.core.projection import fit_projection

    coords = np.asarray(fit_projection(mu, "pca").coords, np.float64)  # (S, 2)
    if previous is None or previous.shape != coords.shape or len(coords) < 2:
        return coords.astype(np.float32)
    a = coords - coords.mean(0)
    b = np.asarray(previous, np.float64) - np.asarray(previous, np.float64).mean(0)
    if not (np.abs(a).max() > 0 and np.abs(b).max() > 0):
        return coords.astype(np.float32)
    rotation, _ = orthogonal_procrustes(a, b)  # (2, 2) orthogonal: a @ rotation ~ b
    return (a @ rotation).astype(np.float32)


class LiveTraining(TrainerCallback):
    """Collects loss terms per step, re-embeds a fixed sample each epoch, pauses and stops a run.

    Parameters
    ----------
    store
        The :class:`~latentlab.media.clip_store.ClipStore` being trained on.
    sample_size, seed
        How many clips to re-embed every epoch (at most), chosen once with ``seed``.
    on_step, on_epoch, on_pause
        Called on the training thread (see the module docstring); keep them quick.
    cancel
        ``cancel() -> bool`` of the host (e.g. a GUI job), polled each step and while paused.
    batch_size
        Clips per forward pass when re-embedding.
    smoothing
        Weight of the newest step in the moving averages ``nll_smooth`` and ``kl_smooth``.
    previous_map
        ``(S, 2)`` map of the same sample from an earlier run (a resumed one aligns to it).
    """

    def __init__(
        self,
        store,
        *,
        sample_size: int = SAMPLE_SIZE,
        seed: int = 0,
        on_step: Callable[[int, dict], None] | None = None,
        on_epoch: Callable[[EpochSample], None] | None = None,
        on_pause: Callable[[bool, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        batch_size: int = 256,
        smoothing: float = 0.1,
        previous_map: np.ndarray | None = None,
    ) -> None:
        self.store = store
        self.indices = sample_indices(len(store), sample_size, seed)
        self.batch_size = max(1, int(batch_size))
        self._on_step, self._on_epoch, self._on_pause = on_step, on_epoch, on_pause
        self._host_cancel = cancel
        self._run = threading.Event()  # set = running; cleared by pause()
        self._run.set()
        self._stop = threading.Event()
        self._trainer = None
        self.steps: list[int] = []
        self.terms: dict[str, list[float]] = {"nll": [], "kl": []}
        self.smoothed: dict[str, list[float]] = {"nll": [], "kl": []}
        self.smoothing = float(smoothing)
        self.samples: list[EpochSample] = []
        self._previous_map = previous_map
        self.total_steps = 0
        self.start_step = 0

    # ------------------------------------------------------------------------------ control
    def attach(self, trainer) -> None:
        """The trainer whose model is re-embedded and which :meth:`stop` cancels."""
        self._trainer = trainer
        if self._stop.is_set():
            trainer.cancel()

    def pause(self) -> None:
        """Hold the run after its current step (thread-safe)."""
        self._run.clear()

    def resume(self) -> None:
        """Let a paused run go on."""
        self._run.set()

    @property
    def paused(self) -> bool:
        return not self._run.is_set()

    def stop(self) -> None:
        """End the run after its current step; a paused run stops too (it then saves its bundle)."""
        self._stop.set()
        if self._trainer is not None:
            self._trainer.cancel()
        self._run.set()  # wake a paused run so that it can stop

    @property
    def stopping(self) -> bool:
        return self._stop.is_set() or bool(self._host_cancel and self._host_cancel())

    # ------------------------------------------------------------------------------ callbacks
    def on_fit_start(self, total_steps: int, start_step: int) -> None:
        self.total_steps, self.start_step = int(total_steps), int(start_step)
        keep = [i for i, s in enumerate(self.steps) if s <= start_step]  # a resumed run replays nothing
        self.steps = [self.steps[i] for i in keep]
        self.terms = {k: [v[i] for i in keep] for k, v in self.terms.items()}
        self.smoothed = {k: [v[i] for i in keep] for k, v in self.smoothed.items()}

    def on_step(self, step: int, metrics: dict) -> None:
        self.steps.append(int(step))
        payload = dict(metrics)
        for k in self.terms:
            value = float(metrics.get(k, np.nan))
            last = self.smoothed[k][-1] if self.smoothed[k] else np.nan
            smooth = value if not np.isfinite(last) else last + self.smoothing * (value - last)
            self.terms[k].append(value)
            self.smoothed[k].append(smooth)
            payload[f"{k}_smooth"] = smooth
        if self._on_step is not None:
            self._on_step(int(step), payload)
        self._check_stop()
        if not self._run.is_set():
            self._hold(step)

    def _hold(self, step: int) -> None:
        if self._on_pause is not None:
            self._on_pause(True, int(step))
        while not self._run.wait(PAUSE_POLL_S):
            if self.stopping:
                break
        self._check_stop()
        if self._on_pause is not None:
            self._on_pause(False, int(step))

    def _check_stop(self) -> None:
        if self.stopping and self._trainer is not None:
            self._trainer.cancel()

    def on_epoch_end(self, epoch: int, metrics: dict) -> None:
        model = getattr(self._trainer, "model", None)
        if model is None or not len(self.indices):
            return
        mu, logvar = self.encode_sample(model)
        previous = self.samples[-1].coords if self.samples else self._previous_map
        sample = EpochSample(int(epoch), self.indices, mu, logvar, aligned_map(mu, previous), dict(metrics))
        self.samples.append(sample)
        if self._on_epoch is not None:
            self._on_epoch(sample)

    def encode_sample(self, model) -> tuple[np.ndarray, np.ndarray]:
        """Posterior ``(mu, logvar)`` ``(S, D)`` of the sample under ``model``'s current weights.

        Runs in eval mode without gradients and puts the model back in the mode it was in.
        """
        was_training = model.training
        device = next(model.parameters()).device
        mus, logvars = [], []
        model.eval()
        try:
            with torch.no_grad():
                for a in range(0, len(self.indices), self.batch_size):
                    clips = torch.from_numpy(self.store.read(self.indices[a : a + self.batch_size]))  # (b, T, H, W, C)
                    mu, logvar = model.encode(to_model_layout(clips, device))  # (b, D) each
                    mus.append(mu.float().cpu().numpy())
                    logvars.append(logvar.float().cpu().numpy())
        finally:
            model.train(was_training)
        return np.concatenate(mus), np.concatenate(logvars)
