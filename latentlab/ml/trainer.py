"""The training loop as a reusable object: callbacks, a cancel flag, exact resume, DDP-ready.

``Trainer(config, store, out_dir, settings).fit(callbacks)`` trains a
:class:`~latentlab.ml.model.VideoVAE` on a clip store and writes a checkpoint bundle to
``out_dir`` after every epoch, or at most every ``save_interval_s`` seconds (atomically), and at the
end or when cancelled. The GUI runs ``fit`` in a worker
thread and calls :meth:`Trainer.cancel` from the main thread; callbacks receive plain Python
numbers only. Under ``torchrun`` (``WORLD_SIZE`` > 1) the same code trains with
DistributedDataParallel (gloo on CPU, NCCL on GPU); only rank 0 validates and writes.

Reproducibility: the model is initialised from ``seed``; the order of clips in epoch ``e`` is a
permutation seeded by ``(seed, e)`` (``DistributedSampler.set_epoch``) and the reparameterisation
noise comes from a dedicated generator whose state is saved with the checkpoint. Resume therefore
continues exactly where the run stopped, mid-epoch included, and on CPU two runs with the same
seed and thread count give identical weights.

Under DDP every process must see the same cancel request (the GUI never runs DDP; a
``torchrun`` job is stopped with Ctrl-C and resumed with ``--resume``); resuming with another
number of processes works but shards the epochs differently, so it is no longer bit-exact.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler, Sampler

from latentlab.core.errors import UserError
from latentlab.media.clip_store import ClipStore
from latentlab.ml.augment import augment, check_augmentations
from latentlab.ml.best_weights import BestWeights
from latentlab.ml.checkpoint import read_config
from latentlab.ml.config import VAEConfig
from latentlab.ml.data import (
    ClipDataset,
    collate_batch,
    held_out_sources,
    split_indices,
    split_note,
    spread_sample,
    to_model_layout,
)
from latentlab.ml.distributed import DistContext
from latentlab.ml.kl_target import KLTarget
from latentlab.ml.linear_path import FIT_CLIPS
from latentlab.ml.metrics import evaluate_elbo
from latentlab.ml.model import VideoVAE
from latentlab.ml.param_groups import param_groups
from latentlab.ml.train_settings import TrainSettings
from latentlab.ml.training_bundle import load_run, save_run
from latentlab.ml.training_warnings import data_warnings, overfit_warning


class TrainingError(RuntimeError, UserError):
    """Training that cannot start (store and model do not fit, nothing to resume, ...)."""


class TrainerCallback:
    """Override what you need; every argument is a plain Python number or dict of numbers."""

    def on_fit_start(self, total_steps: int, start_step: int) -> None: ...

    def on_step(self, step: int, metrics: dict) -> None: ...

    def on_epoch_end(self, epoch: int, metrics: dict) -> None: ...

    def on_fit_end(self, metrics: dict) -> None: ...

    def on_message(self, text: str) -> None:
        """A warning for the user, in words (too few clips, validation lagging training)."""


class _SkipSampler(Sampler):
    """The first ``skip`` items of ``base`` dropped (resuming in the middle of an epoch)."""

    def __init__(self, base: Sampler, skip: int) -> None:
        self.base, self.skip = base, skip

    def __iter__(self):
        return itertools.islice(iter(self.base), self.skip, None)

    def __len__(self) -> int:
        return max(0, len(self.base) - self.skip)


class Trainer:
    """Train a :class:`VideoVAE` on ``store``, writing the bundle to ``out_dir``.

    Parameters
    ----------
    config
        Model config; its geometry must match the store's clips. Ignored on resume (the
        checkpoint's config is used).
    store
        An open :class:`ClipStore`.
    out_dir
        Checkpoint bundle folder (created).
    settings
        :class:`TrainSettings`; on resume, the checkpoint's settings are used except ``epochs``,
        ``device`` and ``num_workers``.
    resume
        Continue from the bundle in ``out_dir`` (weights, optimizer, RNG, position in the epoch).
    """

    def __init__(
        self,
        config: VAEConfig,
        store: ClipStore,
        out_dir,
        settings: TrainSettings = TrainSettings(),
        *,
        resume: bool = False,
    ) -> None:
        self.store, self.out_dir, self.resume = store, Path(out_dir), resume
        self.config, self.settings = config, settings
        self._cancel = threading.Event()
        self.history: list[dict] = []
        self.model: VideoVAE | None = None  # the model being fitted (callbacks read its weights)
        self.val_source_names: list[str] = []  # videos held out whole (set when fitting starts)
        self.split_note = ""  # how the validation clips were chosen, in words
        if resume:
            saved = read_config(self.out_dir)
            self.config = VAEConfig.from_dict(saved["model"])
            keep = {k: getattr(settings, k) for k in ("epochs", "device", "num_workers")}
            self.settings = dataclasses.replace(TrainSettings.from_dict(saved.get("training", {})), **keep)
        g = store.geometry
        c = self.config
        if (g.frames, g.height, g.width, g.channels) != (c.frames, c.height, c.width, c.channels):
            raise TrainingError(
                f"the store holds clips of {g.frames}x{g.height}x{g.width}x{g.channels} (T x H x W x C) "
                f"but the model expects {c.frames}x{c.height}x{c.width}x{c.channels}"
            )

    def cancel(self) -> None:
        """Ask :meth:`fit` to stop after the current step (thread-safe); it saves and returns."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # ---------------------------------------------------------------------------------- fit
    def fit(self, callbacks: Iterable[TrainerCallback] = ()) -> dict:
        """Train to ``settings.epochs`` (or until cancelled); return the last metrics."""
        callbacks = list(callbacks)
        s = self.settings
        with DistContext(s.device) as dist:
            self._dist = dist
            return self._fit(dist, callbacks, s)

    def _fit(self, dist: DistContext, callbacks: list[TrainerCallback], s: TrainSettings) -> dict:
        device = dist.device
        torch.manual_seed(s.seed)
        model = self.model = VideoVAE(self.config).to(device)
        opt = torch.optim.AdamW(param_groups(model, s.weight_decay), lr=s.lr)
        noise = torch.Generator(device=device)
        noise.manual_seed(s.seed * 1_000_003 + dist.rank)
        epoch, batch_in_epoch, step, train_seconds = 0, 0, 0, 0.0
        if self.resume:
            epoch, batch_in_epoch, step, train_seconds = self._load_resume(model, opt, noise)
            if dist.rank != 0:
                # Only rank 0's noise state is saved: restored on every rank, all ranks would draw the
                # same noise from here on. The others start a stream of their own, fixed by the seed,
                # the rank and the step, so a DDP resume is reproducible, though not bit-identical to
                # a run that never stopped (a single-process resume is).
                noise.manual_seed((s.seed * 1_000_003 + dist.rank) * 1_000_003 + step)
        try:
            train_idx, val_idx = split_indices(self.store, s.val_fraction, s.seed, s.val_sources, by=s.split)
        except ValueError as exc:
            raise TrainingError(str(exc)) from None
        if self.config.linear_path and not self.resume:  # every rank fits the same PCA (same seed, same clips)
            # PCA of every clip the user gave (unsupervised, the baseline a user compares with); only
            # videos held out by name stay unseen. Validation then picks among points of the run.
            seen = np.arange(len(self.store)) if s.split == "time" and not s.val_sources else train_idx
            model.fit_linear_path(spread_sample(self.store, seen, FIT_CLIPS, device))
        wrapped = dist.wrap(model)
        self.val_source_names = held_out_sources(self.store, val_idx)
        self.split_note = split_note(self.store, s.split, s.val_fraction, s.val_sources)
        augs = check_augmentations(s.augment)
        if dist.is_main:
            for text in data_warnings(len(train_idx), sum(p.numel() for p in model.parameters() if p.requires_grad)):
                for cb in callbacks:
                    cb.on_message(text)
        if len(train_idx) < s.batch_size * dist.world_size:
            raise TrainingError(
                f"the store has {len(train_idx)} training clips, fewer than one batch "
                f"({s.batch_size} x {dist.world_size} processes)"
            )
        val_idx = val_idx[: s.max_val_clips]
        dataset = ClipDataset(self.store, train_idx)
        sampler = DistributedSampler(
            dataset, num_replicas=dist.world_size, rank=dist.rank, shuffle=True, seed=s.seed, drop_last=True
        )
        steps_per_epoch = len(sampler) // s.batch_size
        total_steps = steps_per_epoch * s.epochs
        for cb in callbacks:  # with a time budget the number of steps is not known in advance: 0
            cb.on_fit_start(0 if s.minutes else total_steps, step)
        metrics: dict = self.history[-1] if self.history else {}
        best = BestWeights(s.keep_best and len(val_idx) > 0)
        if best.enabled and dist.is_main and step == 0:  # the starting point competes too (PCA, with a linear path)
            model.eval()
            best.offer(model, evaluate_elbo(model, self.store, val_idx, batch_size=256, seed=s.seed), step)
        # With a rate target, beta is adapted after the warm-up (latentlab.ml.kl_target) and saved
        # as the model's beta, so a resumed run goes on from the beta it had reached.
        rate = KLTarget(s.kl_target, self.config.beta) if s.kl_target else None
        t_start = time.perf_counter() - train_seconds
        last_save = time.perf_counter()
        while epoch < s.epochs and not self.cancelled and not self._out_of_time(t_start):
            sampler.set_epoch(epoch)
            loader = DataLoader(
                dataset,
                batch_size=s.batch_size,
                drop_last=True,
                num_workers=s.num_workers,
                collate_fn=collate_batch,
                sampler=_SkipSampler(sampler, batch_in_epoch * s.batch_size),
            )
            sums: dict[str, float] = {}
            wrapped.train()
            for clips_u8 in loader:
                if self.cancelled or self._out_of_time(t_start):
                    break
                frac = s.progress(step, total_steps, time.perf_counter() - t_start)
                lr = self._lr(frac)
                for group in opt.param_groups:
                    group["lr"] = lr
                base = rate.beta if rate else self.config.beta
                beta = base * min(1.0, frac / s.kl_warmup) if s.kl_warmup > 0 else base
                x = augment(to_model_layout(clips_u8, device), augs, noise)  # (B, C, T, H, W)
                loss, m = model_loss(wrapped, model, x, beta, noise)
                if not math.isfinite(m["loss"]):  # before the update: the weights stay finite
                    raise TrainingError(f"the loss became {m['loss']} at step {step + 1}; try a lower learning rate")
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                step += 1
                batch_in_epoch += 1
                if rate and (s.kl_warmup <= 0 or frac >= s.kl_warmup):
                    rate.update(dist.mean(m["kl"]))  # the same KL, hence the same beta, on every process
                m.update(lr=lr, beta=beta, epoch=epoch + batch_in_epoch / steps_per_epoch)
                for k in ("loss", "nll", "kl", "mse"):
                    sums[k] = sums.get(k, 0.0) + m[k]
                sums["n"] = sums.get("n", 0) + 1
                for cb in callbacks:
                    cb.on_step(step, m)
            finished = batch_in_epoch >= steps_per_epoch
            if finished:
                epoch, batch_in_epoch = epoch + 1, 0
            train_seconds = time.perf_counter() - t_start
            if rate:
                self.config = model.config = dataclasses.replace(model.config, beta=rate.beta)
            metrics = {
                "epoch": epoch,
                "step": step,
                "train_seconds": round(train_seconds, 2),
                "sigma": model.sigma_value(),
            }
            metrics.update({f"train_{k}": v / max(1, sums.get("n", 1)) for k, v in sums.items() if k != "n"})
            if dist.is_main:
                model.eval()
                metrics.update(evaluate_elbo(model, self.store, val_idx, batch_size=256, seed=s.seed))
                best.offer(model, metrics, step)
                self.history.append(metrics)
                lag = overfit_warning(metrics)
                if lag:
                    for cb in callbacks:
                        cb.on_message(lag)
                stopping = epoch >= s.epochs or self.cancelled or self._out_of_time(t_start)
                if stopping or time.perf_counter() - last_save >= s.save_interval_s:
                    self._save(
                        model,
                        opt,
                        noise,
                        metrics,
                        epoch,
                        batch_in_epoch,
                        step,
                        train_seconds,
                        len(train_idx),
                        len(val_idx),
                    )
                    last_save = time.perf_counter()
            dist.barrier()
            if finished:
                for cb in callbacks:
                    cb.on_epoch_end(epoch, metrics)
        if best.enabled and dist.is_main and best.state is not None:
            model.load_state_dict(best.state)
            metrics = {**metrics, **best.metrics, "best_step": best.step, "last_step": step}
            self._save(
                model, opt, noise, metrics, epoch, batch_in_epoch, step, train_seconds, len(train_idx), len(val_idx)
            )
            if best.step != step:
                for cb in callbacks:
                    cb.on_message(
                        f"kept the weights of step {best.step}, the best validation ELBO "
                        f"({best.metrics['val_loss']:.1f} nats, {best.metrics['val_psnr']:.2f} dB)"
                    )
        for cb in callbacks:
            cb.on_fit_end(metrics)
        return metrics

    def _out_of_time(self, t_start: float) -> bool:
        return bool(self.settings.minutes) and time.perf_counter() - t_start >= 60.0 * self.settings.minutes

    def _lr(self, frac: float) -> float:
        """The learning rate at ``frac`` (0..1) of the run: linear warm-up, then cosine decay."""
        s = self.settings
        warm = min(1.0, frac / s.lr_warmup) if s.lr_warmup > 0 else 1.0
        warm = max(warm, 1e-3)  # the very first step moves the weights a little
        cosine = s.min_lr_ratio + (1 - s.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * frac))
        return s.lr * warm * cosine

    # ---------------------------------------------------------------------------------- state
    def _save(self, model, opt, noise, metrics, epoch, batch_in_epoch, step, train_seconds, n_train, n_val):
        training = dict(self.settings.to_dict(), world_size=self._dist.world_size, threads=torch.get_num_threads())
        save_run(
            self.out_dir,
            self.store,
            model,
            opt,
            noise,
            training=training,
            metrics=metrics,
            position=(epoch, batch_in_epoch, step, train_seconds),
            history=self.history,
            split=(n_train, n_val, list(self.val_source_names), self.split_note),
        )

    def _load_resume(self, model, opt, noise) -> tuple[int, int, int, float]:
        position, self.history = load_run(self.out_dir, model, opt, noise)
        return position


def model_loss(wrapped, model: VideoVAE, x: torch.Tensor, beta: float, noise) -> tuple[torch.Tensor, dict]:
    """Loss through the (possibly DDP-wrapped) module, so that gradients are all-reduced."""
    from latentlab.ml.losses import vae_loss

    out = wrapped(x, noise)
    total, terms = vae_loss(x, out.logits, out.mu, out.logvar, model.config, out.sigma, beta)
    # One device -> host copy for all the numbers (a float() each would sync a GPU once per term).
    values = torch.stack([v.detach().float().reshape(()) for v in terms.values()]).tolist()
    return total, dict(zip(terms, values))
