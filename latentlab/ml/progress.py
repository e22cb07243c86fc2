"""A tqdm progress bar for the trainer (the CLI's view; the GUI brings its own callback)."""

from __future__ import annotations

import sys

from latentlab.ml.losses import psnr_from_mse
from latentlab.ml.trainer import TrainerCallback


class TqdmProgress(TrainerCallback):
    """One bar over all steps with PSNR and the KL term; a line per epoch with training and
    validation PSNR in dB; warnings as lines of their own."""

    def __init__(self, file=None, every: int = 10) -> None:
        self._file = file or sys.stderr
        self._every = max(1, every)
        self._bar = None
        self._last = 0

    def on_fit_start(self, total_steps: int, start_step: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            total=total_steps or None,
            initial=start_step,
            unit="step",
            file=self._file,
            dynamic_ncols=True,
            smoothing=0.05,
        )
        self._last = start_step

    def on_step(self, step: int, metrics: dict) -> None:
        if self._bar is None or step % self._every:
            return
        self._bar.update(step - self._last)
        self._last = step
        self._bar.set_postfix(
            psnr=f"{psnr_from_mse(metrics['mse']):.1f} dB",
            kl=f"{metrics['kl']:.1f}",
            beta=f"{metrics['beta']:.2f}",
            refresh=False,
        )

    def on_epoch_end(self, epoch: int, metrics: dict) -> None:
        if self._bar is not None and "val_psnr" in metrics:
            train = f"train PSNR {psnr_from_mse(metrics['train_mse']):.2f} dB, " if metrics.get("train_mse") else ""
            self._bar.write(
                f"epoch {epoch}: {train}validation PSNR {metrics['val_psnr']:.2f} dB, "
                f"KL {metrics['val_kl']:.1f} nats/clip, {metrics['train_seconds']:.0f} s",
                file=self._file,
            )

    def on_message(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self._file)
        else:
            print(text, file=self._file)

    def on_fit_end(self, metrics: dict) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
