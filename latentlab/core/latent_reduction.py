"""PCA pre-reduction of large flattened latents, and back (numpy only).

A video VAE from elsewhere gives latents with a spatial shape (C x T' x H' x W'): thousands of
numbers per clip. The map, the neighbours, the sliders and the probe's inverse work on at most a few
dozen: :class:`LatentReduction` is fitted on the data's own latents and maps a flattened latent
``(B, F)`` to its first ``k`` principal coordinates ``(B, k)`` and back (``expand`` gives the point of
the principal subspace, which the decoder then renders).

>>> red = LatentReduction.fit(flat_mu, max_dims=64)                   # doctest: +SKIP
>>> z = red.reduce(flat_mu)                                           # (N, k)
>>> flat = red.expand(z)                                              # (N, F)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Flattened latents up to this size are used as they are; larger ones are reduced to this many dims.
MAX_LATENT_DIMS = 64


@dataclass(frozen=True)
class LatentReduction:
    """Principal coordinates of flattened latents.

    Attributes
    ----------
    mean : (F,) float32
        Mean of the latents it was fitted on.
    components : (k, F) float32
        Orthonormal principal directions, largest variance first.
    explained : float
        Fraction of the latents' variance the ``k`` directions keep.
    """

    mean: np.ndarray
    components: np.ndarray
    explained: float

    @classmethod
    def fit(cls, flat: np.ndarray, max_dims: int = MAX_LATENT_DIMS) -> LatentReduction:
        """Fit on ``flat`` ``(N, F)``: ``k = min(max_dims, F, N - 1)`` directions (at least 1)."""
        flat = np.asarray(flat, np.float64)
        if flat.ndim != 2 or len(flat) < 2:
            raise ValueError(f"a reduction needs at least 2 latents (N, F); got shape {flat.shape}")
        mean = flat.mean(axis=0)
        centred = flat - mean
        _, s, vt = np.linalg.svd(centred, full_matrices=False)  # vt (min(N, F), F)
        k = max(1, min(int(max_dims), flat.shape[1], len(flat) - 1))
        total = float((s**2).sum())
        explained = float((s[:k] ** 2).sum() / total) if total > 0 else 1.0
        return cls(mean.astype(np.float32), np.ascontiguousarray(vt[:k], np.float32), explained)

    @property
    def dims(self) -> int:
        return int(self.components.shape[0])

    @property
    def flat_dim(self) -> int:
        return int(self.components.shape[1])

    def reduce(self, flat: np.ndarray) -> np.ndarray:
        """``(B, F)`` -> ``(B, k)`` principal coordinates."""
        return ((np.asarray(flat, np.float32) - self.mean) @ self.components.T).astype(np.float32)

    def reduce_logvar(self, flat_logvar: np.ndarray) -> np.ndarray:
        """Log-variance of each principal coordinate ``(B, k)`` for a diagonal posterior ``(B, F)``."""
        var = np.exp(np.asarray(flat_logvar, np.float64)) @ (self.components.astype(np.float64) ** 2).T
        return np.log(np.maximum(var, 1e-30)).astype(np.float32)

    def expand(self, z: np.ndarray) -> np.ndarray:
        """``(B, k)`` -> ``(B, F)``: the point of the principal subspace with these coordinates."""
        return (np.asarray(z, np.float32) @ self.components + self.mean).astype(np.float32)

    def describe(self) -> str:
        return f"PCA {self.flat_dim} -> {self.dims} dims ({self.explained:.0%} of the latents' variance)"
