"""``LatentCodec``: the numpy seam between a model and everything that shows or stores its latents.

:class:`latentlab.ml.codec.ClipCodec` (latentlab's own checkpoints) and
:class:`latentlab.ml.model_codec.ModelCodec` (any :class:`~latentlab.ml.model_protocol.ClipModel`:
diffusers autoencoders, the user's torch module) implement it; embedding, the explorer's views,
interpolation, sliders and exports use nothing else of a model.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class LatentCodec(Protocol):
    """uint8 clips ``(B, T, H, W, C)`` of one geometry in, float32 latents ``(B, latent_dim)`` out, and back."""

    frames: int
    height: int
    width: int
    channels: int
    latent_dim: int
    weights_hash: str  # latent caches key on it
    device: str

    def encode(self, clips_u8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(mu, logvar)``, each ``(B, latent_dim)`` float32."""
        ...

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Clips ``(B, T, H, W, C)`` uint8 from ``z`` ``(B, latent_dim)``."""
        ...

    def reconstruct(self, clips_u8: np.ndarray) -> np.ndarray:
        """``decode(encode(clips)[0])``."""
        ...
