"""Two models of the same clips side by side: each model's posterior and PCA map of a store. No Qt here.

:func:`load_side` runs on a job: it checks the checkpoint's geometry from its ``config.json`` before
any weights are read, then encodes the store through the latent cache (a second look costs nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentlab.core.codec_protocol import LatentCodec


class CompareError(Exception):
    """A checkpoint that cannot be compared with the open one, in words."""


@dataclass
class ModelSide:
    """One model's view of the store: posterior, map and what it needs to reconstruct."""

    name: str
    checkpoint: str
    mu: np.ndarray  # (N, D)
    logvar: np.ndarray  # (N, D)
    coords: np.ndarray  # (N, 2) PCA of mu
    codec: LatentCodec | None = None  # None while the open model is still loading
    beta: float | None = None

    @property
    def kl_per_dim(self) -> np.ndarray:
        """Mean KL of each latent dimension over the clips, ``(D,)`` nats."""
        return 0.5 * np.mean(self.mu**2 + np.exp(self.logvar) - 1.0 - self.logvar, axis=0)

    @property
    def summary(self) -> str:
        kl = self.kl_per_dim
        beta = f" · beta {self.beta:g}" if self.beta is not None else ""
        return (
            f"{self.name}: {self.mu.shape[1]} latents{beta} · KL {float(kl.sum()):.1f} nats/clip · "
            f"{int((kl > 0.05).sum())} dims above 0.05 nats"
        )


def check_geometry(config: dict, store, checkpoint: str) -> None:
    """Raise :class:`CompareError` unless the checkpoint's model takes the store's clips."""
    m = config["model"]
    want = (m["frames"], m["height"], m["width"], m["channels"])
    g = store.geometry
    have = (g.frames, g.height, g.width, g.channels)
    if want != have:
        raise CompareError(
            f"{Path(checkpoint).name} takes clips of {' x '.join(map(str, want))} (frames x height x width x "
            f"channels) but the open store holds {' x '.join(map(str, have))}: compare models trained on the same clips"
        )


def load_side(checkpoint: str, store, progress=None, cancel=None) -> ModelSide:
    """Load ``checkpoint``, encode ``store`` with it (cached) and map it (job thread)."""
    from latentlab.app.loading import load_codec
    from latentlab.core.projection import fit_projection
    from latentlab.ml.checkpoint import read_config
    from latentlab.ml.embedding import embed_store

    config = read_config(checkpoint)
    check_geometry(config, store, checkpoint)
    codec = load_codec(checkpoint, store)
    table = embed_store(
        codec,
        store,
        cancel=cancel,
        progress=lambda d, t: progress and progress(0.9 * d / max(t, 1), f"encoding {d:,}/{t:,}"),
    )
    mu, logvar = np.asarray(table.mu, np.float32), np.asarray(table.logvar, np.float32)
    return ModelSide(
        Path(checkpoint).name,
        str(checkpoint),
        mu,
        logvar,
        fit_projection(mu, "pca").coords,
        codec,
        config["model"].get("beta"),
    )
