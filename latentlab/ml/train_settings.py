"""Optimisation settings of a training run (stored in the checkpoint's ``config.json`` under ``training``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class TrainSettings:
    """Optimisation settings (stored in the checkpoint's ``config.json`` under ``training``)."""

    epochs: int = 20
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    # Schedules are fractions of the run (of its steps, or of its time budget with ``minutes``), so
    # that a short run and a long one go through the same phases.
    lr_warmup: float = 0.03  # linear ramp from 0 over this fraction, then cosine down to min_lr_ratio * lr
    min_lr_ratio: float = 0.05
    kl_warmup: float = 0.2  # beta ramps linearly from 0 over this fraction of the run
    kl_target: float | None = None  # nats per clip: after the warm-up beta adapts to hold the KL there
    minutes: float | None = None  # a time budget: train until it is spent (``epochs`` is then a cap)
    seed: int = 0
    val_fraction: float = 0.05
    max_val_clips: int = 1000
    num_workers: int = 0  # the GUI trains in-process: worker processes would fork the GUI
    device: str = "auto"
    augment: tuple[str, ...] = ()  # names from latentlab.ml.config.AUGMENTATIONS
    val_sources: tuple[str, ...] = ()  # hold out these videos (path or file name) as the validation set
    split: str = "sources"  # latentlab.ml.data.SPLITS: hold out whole videos, or the last moments of each
    keep_best: bool = False  # end with the weights of the best validation ELBO seen (early stopping)
    save_interval_s: float = 0.0  # write the bundle at most this often (0: every epoch); always at the end

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainSettings:
        names = {f.name for f in dataclasses.fields(cls)}
        kept = {k: v for k, v in data.items() if k in names}
        for k in ("augment", "val_sources"):  # JSON gives lists
            if k in kept:
                kept[k] = tuple(kept[k])
        return cls(**kept)

    def progress(self, step: int, total_steps: int, seconds: float) -> float:
        """How far through the run a step is, 0..1: by time with a budget, else by steps."""
        if self.minutes:
            return min(1.0, seconds / (60.0 * self.minutes))
        return min(1.0, step / max(1, total_steps))
