"""Structured synthetic latents for tests and benchmarks: clusters on a curved low-dimensional manifold.

Real VAE latents of a dataset with a few factors of variation lie near a low-dimensional, curved
surface with clusters (e.g. one per sprite shape); i.i.d. Gaussian noise has no such structure and
makes every projection and inverse look equally bad. This generator gives the former, seeded.
"""

from __future__ import annotations

import numpy as np


def structured_latents(
    n: int,
    dim: int = 32,
    *,
    n_clusters: int = 12,
    intrinsic: int = 4,
    noise: float = 0.05,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` latents ``(n, dim)`` float32 (about unit spread per dimension) and their cluster labels ``(n,)``.

    Factors ``u`` (``intrinsic``-D, a Gaussian mixture of ``n_clusters`` components) are mapped to
    ``dim`` dimensions by a fixed random linear map plus a sine warp (the curvature), then isotropic
    noise of standard deviation ``noise`` is added.
    """
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_clusters, intrinsic)) * 2.0
    labels = rng.integers(0, n_clusters, size=n)
    u = centres[labels] + rng.normal(size=(n, intrinsic)) * 0.6  # (n, intrinsic)
    lin = rng.normal(size=(intrinsic, dim)) / np.sqrt(intrinsic)
    warp = rng.normal(size=(intrinsic, dim)) / np.sqrt(intrinsic)
    z = u @ lin + 1.5 * np.sin(u @ warp)
    z = (z - z.mean(axis=0)) / (z.std(axis=0) + 1e-9)
    z += noise * rng.normal(size=z.shape)
    return z.astype(np.float32), labels.astype(np.int64)
