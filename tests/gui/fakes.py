"""Tiny stand-ins for the model, for fast GUI tests.

``FakeCodec`` has the ``ClipCodec`` interface and decodes a latent into frames that *encode* it:
pixel p of every frame holds ``128 + 40 * z[p % D]`` (plus ``4 * t`` on frame t), so a test can tell
which latent a shown frame came from. ``encode`` inverts that, so ``reconstruct`` is near-exact.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from latentlab.app import dataset as app_dataset
from latentlab.app import loading
from latentlab.app.dataset import Loaded, make_dataset
from latentlab.core.projection import fit_projection
from latentlab.media.clip_store import ClipStore
from latentlab.media.demo_data import DemoSpec


class FakeCodec:
    def __init__(self, latent_dim: int = 6, frames: int = 4, size: int = 12) -> None:
        self.latent_dim, self.frames, self.height, self.width, self.channels = latent_dim, frames, size, size, 3
        self.config = {"fake": True}
        self.weights_hash = "fake"
        self.device = "cpu"
        self.fail = False
        self.decodes = 0
        self.gate: threading.Event | None = None  # when set, decode waits for it (to hold a worker busy)

    def decode(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, np.float32)
        assert z.ndim == 2 and z.shape[1] == self.latent_dim, z.shape
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail:
            raise RuntimeError("the fake decoder exploded")
        self.decodes += 1
        hw = self.height * self.width
        base = 128 + 40 * z[:, np.arange(hw) % self.latent_dim]  # (B, H*W)
        f = base[:, None, :] + 4 * np.arange(self.frames, dtype=np.float32)[None, :, None]  # (B, T, H*W)
        f = np.clip(np.round(f), 0, 255).astype(np.uint8).reshape(len(z), self.frames, self.height, self.width, 1)
        return np.repeat(f, 3, axis=-1)

    def encode(self, clips_u8: np.ndarray):
        c = np.asarray(clips_u8, np.float32)[:, 0, :, :, 0].reshape(len(clips_u8), -1)  # (B, H*W) of frame 0
        idx = np.arange(c.shape[1]) % self.latent_dim
        mu = np.stack([(c[:, idx == d].mean(1) - 128) / 40 for d in range(self.latent_dim)], 1).astype(np.float32)
        return mu, np.full_like(mu, -1.0)

    def reconstruct(self, clips_u8: np.ndarray) -> np.ndarray:
        return self.decode(self.encode(clips_u8)[0])


def tiny_latents(n: int = 240, d: int = 6, seed: int = 0):
    """Four clusters of latents, ``(n, d)`` mu and logvar."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.5, (4, d))
    mu = (centres[np.arange(n) % 4] + 0.3 * rng.normal(size=(n, d))).astype(np.float32)
    logvar = np.full((n, d), -1.0, np.float32) + 0.1 * rng.normal(size=(n, d)).astype(np.float32)
    return mu, logvar


def tiny_loaded(n: int = 240, d: int = 6, codec: FakeCodec | None = None) -> Loaded:
    """A dataset of ``n`` fake clips (the decodes of clustered latents) with its PCA map + inverse."""
    codec = codec or FakeCodec(latent_dim=d)
    mu, logvar = tiny_latents(n, d)
    clips = codec.decode(mu)  # (n, T, H, W, 3)
    ds = make_dataset(
        "tiny", mu, logvar, codec, store=None, read_clips=lambda idx: clips[np.asarray(idx, int)], fps=12.0
    )
    projection = fit_projection(mu, "pca")
    from latentlab.core.inverse import make_inverse

    return Loaded(ds, projection, make_inverse(mu, projection))


SPEC = DemoSpec(n_clips=24, frames=4, size=12, seed=5)


def fake_open_dataset(store_path, checkpoint, progress=None, cancel=None):
    """loading.open_dataset without torch: the clips of a real store, 'encoded' by FakeCodec."""
    from latentlab.core.inverse import make_inverse
    from latentlab.core.projection import fit_projection

    if store_path is None or checkpoint is None:
        raise loading.SessionError("these tests always name a store and a checkpoint")
    store = ClipStore.open(store_path)
    g = store.geometry
    codec = FakeCodec(latent_dim=4, frames=g.frames, size=g.height)
    mu, logvar = codec.encode(store.read(np.arange(len(store))))
    ds = app_dataset.make_dataset(os.path.basename(store_path), mu, logvar, codec, store, clusters=False)
    projection = fit_projection(mu, "pca")
    return app_dataset.Loaded(ds, projection, make_inverse(mu, projection), str(store_path), str(checkpoint))
