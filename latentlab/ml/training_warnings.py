"""Warnings about a training run's data and progress, in words a user can act on."""

from __future__ import annotations

from latentlab.ml.losses import psnr_from_mse

#: Fewer training clips than this per million parameters, and a model learns its clips by heart.
CLIPS_PER_MILLION_PARAMETERS = 2000
#: Validation PSNR this far below training PSNR (dB) means the model is memorising its clips.
OVERFIT_GAP_DB = 3.0


def data_warnings(n_train: int, n_params: int) -> list[str]:
    """Warnings about the data's size for this model (an empty list when there is nothing to say)."""
    need = int(CLIPS_PER_MILLION_PARAMETERS * n_params / 1e6)
    if n_train < need:
        return [
            f"warning: {n_train} training clips for a model of {n_params / 1e6:.1f} M parameters; with fewer "
            f"than about {need} it tends to memorise its clips (ingest more video, cut shorter clips, or "
            "train with --augment)"
        ]
    return []


def overfit_warning(metrics: dict) -> str | None:
    """A warning when validation PSNR lags training PSNR by more than :data:`OVERFIT_GAP_DB`."""
    if "val_psnr" not in metrics or not metrics.get("train_mse"):
        return None
    gap = psnr_from_mse(metrics["train_mse"]) - metrics["val_psnr"]
    if gap > OVERFIT_GAP_DB:
        return (
            f"warning: validation PSNR {metrics['val_psnr']:.1f} dB lags training by {gap:.1f} dB: the model "
            "is memorising its training clips (more data, --augment, a smaller --latent-dim or a shorter run)"
        )
    return None
