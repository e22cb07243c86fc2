"""What a model must beat: the mean clip, and PCA of raw pixels with as many dimensions as its latent.

A linear VAE is probabilistic PCA, so PCA with the latent's size is the floor a VAE earns its
non-linearity against; the mean clip shows how much PSNR the background alone is worth (~19 dB
for sprites on a dark background). Both are fitted on training clips and scored on others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def psnr_u8(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB between two uint8 arrays of one shape (peak 255)."""
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float(10 * np.log10(255.0**2 / max(mse, 1e-12)))


@dataclass(frozen=True)
class PixelPCA:
    """PCA of flattened uint8 clips: ``mean`` ``(P,)`` and ``components`` ``(K, P)`` (rows orthonormal)."""

    mean: np.ndarray
    components: np.ndarray

    @classmethod
    def fit(cls, clips_u8: np.ndarray, dims: int, seed: int = 0) -> PixelPCA:
        from sklearn.decomposition import PCA

        x = np.asarray(clips_u8, np.float32).reshape(len(clips_u8), -1) / 255.0
        pca = PCA(n_components=min(dims, *x.shape), svd_solver="randomized", random_state=seed).fit(x)
        return cls(pca.mean_.astype(np.float32), pca.components_.astype(np.float32))

    def reconstruct(self, clips_u8: np.ndarray, batch: int = 1024) -> np.ndarray:
        """The clips projected on the components and back, uint8 of the input's shape."""
        out = np.empty_like(np.asarray(clips_u8))
        for a in range(0, len(clips_u8), batch):
            x = np.asarray(clips_u8[a : a + batch], np.float32).reshape(-1, self.mean.size) / 255.0 - self.mean
            y = (x @ self.components.T) @ self.components + self.mean
            out[a : a + batch] = np.clip(np.rint(y * 255.0), 0, 255).reshape(out[a : a + batch].shape)
        return out


def mean_clip_psnr(fit_clips_u8: np.ndarray, eval_clips_u8: np.ndarray) -> float:
    """PSNR of predicting every evaluated clip by the training clips' mean clip."""
    mean = np.asarray(fit_clips_u8, np.float64).mean(0)
    return psnr_u8(np.broadcast_to(np.rint(mean), np.shape(eval_clips_u8)), eval_clips_u8)
