"""An untrained latentlab checkpoint for 4 x 16 x 16 x 3 clips, for tests where the weights do not matter."""

from __future__ import annotations

from pathlib import Path


def save_tiny_checkpoint(path: Path) -> Path:
    """Write a seeded, untrained model (4 latents, a few channels) as a checkpoint bundle at ``path``."""
    import torch

    from latentlab.ml.checkpoint import save_checkpoint
    from latentlab.ml.config import VAEConfig
    from latentlab.ml.model import VideoVAE

    torch.manual_seed(0)
    save_checkpoint(
        path, VideoVAE(VAEConfig(frames=4, height=16, width=16, channels=3, latent_dim=4, base_width=4, frame_code=16))
    )
    return path
