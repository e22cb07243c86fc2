"""``ClipCodec``: a loaded checkpoint as a numpy-in, numpy-out encoder/decoder.

This is what the rest of the application uses (embedding, live decoding in the GUI): uint8 RGB
clips ``(B, T, H, W, C)`` go in, float32 latents ``(B, D)`` come out, and back. Inference runs
under ``torch.inference_mode`` in batches of ``max_batch`` clips. One codec is meant for one
calling thread at a time (a lock makes concurrent calls safe, but they then run one by one).

Example
-------
>>> codec = ClipCodec.from_checkpoint(demo_checkpoint_dir())     # doctest: +SKIP
>>> mu, logvar = codec.encode(clips_u8)                            # (B, D) float32 each
>>> frames_u8 = codec.decode(mu[:1])                               # (1, T, H, W, C) uint8
"""

from __future__ import annotations

import os
import threading

import numpy as np
import torch

from latentlab.ml.checkpoint import _load
from latentlab.ml.data import from_model_layout, to_model_layout
from latentlab.ml.device import resolve_device


class ClipCodec:
    """Encode and decode clips with a trained :class:`~latentlab.ml.model.VideoVAE`.

    Attributes
    ----------
    latent_dim, frames, height, width, channels : int
        Latent size ``D`` and the clip geometry the model expects.
    config : dict
        The checkpoint's ``config.json`` as loaded.
    weights_hash : str
        Hex digest of ``model.safetensors`` (key for latent caches).
    device : str
        Where inference runs, e.g. ``"cpu"`` or ``"cuda:0"``.
    """

    def __init__(self, model, config: dict, weights_hash: str, max_batch: int = 256) -> None:
        self.model = model.eval()
        self.config = config
        self.weights_hash = weights_hash
        c = model.config
        self.latent_dim, self.frames, self.height, self.width, self.channels = (
            c.latent_dim,
            c.frames,
            c.height,
            c.width,
            c.channels,
        )
        self.device = str(next(model.parameters()).device)
        self.max_batch = max(1, int(max_batch))
        self._lock = threading.Lock()

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike, device: str = "auto", max_batch: int = 256) -> ClipCodec:
        """Load and validate a checkpoint bundle (raises ``CheckpointError`` with the reason)."""
        model, config, weights_hash = _load(path, resolve_device(device))
        return cls(model, config, weights_hash, max_batch)

    # ------------------------------------------------------------------------------ checks
    def _check_clips(self, clips_u8: np.ndarray) -> np.ndarray:
        clips_u8 = np.asarray(clips_u8)
        want = (self.frames, self.height, self.width, self.channels)
        if clips_u8.ndim == 4:
            clips_u8 = clips_u8[None]
        if clips_u8.ndim != 5 or tuple(clips_u8.shape[1:]) != want:
            raise ValueError(
                f"clips must have shape (B, {', '.join(map(str, want))}) (B, T, H, W, C); got {clips_u8.shape}"
            )
        if clips_u8.dtype != np.uint8:
            raise ValueError(f"clips must be uint8 RGB, got {clips_u8.dtype}")
        return clips_u8

    def _check_z(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float32)
        if z.ndim == 1:
            z = z[None]
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latents must have shape (B, {self.latent_dim}); got {z.shape}")
        if not np.isfinite(z).all():
            raise ValueError("latents hold NaN or Inf values")
        return z

    # ------------------------------------------------------------------------------ API
    def encode(self, clips_u8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior ``(mu, logvar)``, each ``(B, D)`` float32, of clips ``(B, T, H, W, C)`` uint8."""
        clips_u8 = self._check_clips(clips_u8)
        mus, logvars = [], []
        with self._lock, torch.inference_mode():
            for a in range(0, len(clips_u8), self.max_batch):
                x = to_model_layout(
                    torch.from_numpy(np.ascontiguousarray(clips_u8[a : a + self.max_batch])), self.device
                )  # (b, C, T, H, W)
                mu, logvar = self.model.encode(x)
                mus.append(mu.float().cpu().numpy())
                logvars.append(logvar.float().cpu().numpy())
        if not mus:
            empty = np.zeros((0, self.latent_dim), np.float32)
            return empty, empty.copy()
        return np.concatenate(mus), np.concatenate(logvars)

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Clips ``(B, T, H, W, C)`` uint8 RGB decoded from latents ``z`` ``(B, D)``."""
        z = self._check_z(z)
        out = []
        with self._lock, torch.inference_mode():
            for a in range(0, len(z), self.max_batch):
                zz = torch.from_numpy(z[a : a + self.max_batch]).to(self.device)  # (b, D)
                out.append(from_model_layout(self.model.decode(zz)))
        if not out:
            return np.zeros((0, self.frames, self.height, self.width, self.channels), np.uint8)
        return np.concatenate(out)

    def reconstruct(self, clips_u8: np.ndarray) -> np.ndarray:
        """Decode the posterior mean of each clip: ``(B, T, H, W, C)`` uint8."""
        mu, _ = self.encode(clips_u8)
        return self.decode(mu)

    def __repr__(self) -> str:
        return (
            f"ClipCodec({self.frames}x{self.height}x{self.width}x{self.channels} -> {self.latent_dim} latents, "
            f"device={self.device!r}, weights={self.weights_hash[:12]})"
        )
