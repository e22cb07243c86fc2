"""What varies near a point of latent space: the principal directions of its nearest clips' latents.

At the probe, the ``k`` nearest clips' means are a local sample of the data; their principal axes
say along which few directions the clips around here differ (a pose, a colour...), where the global
per-dimension sliders move along axes that may mean nothing at this spot. A slider ``a_i`` in units
of the local standard deviation gives the latent ``centre + sum_i a_i * std_i * v_i``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latentlab.core.arrays import as_latents
from latentlab.core.errors import LatentSpaceError
from latentlab.core.protocols import NeighbourIndex

LOCAL_K = 50  # neighbours whose latents are analysed
LOCAL_M = 4  # directions offered as sliders
FLAT = 1e-9  # a direction with a smaller share of the local variance is left out (no spread along it)


@dataclass(frozen=True)
class LocalDirections:
    """The local principal directions around ``centre``.

    Attributes
    ----------
    centre
        The latent the sliders start from, ``(D,)`` float64 (the probe's latent).
    neighbours
        The clips analysed, ``(k,)`` int64, nearest first.
    directions
        Orthonormal rows ``(m, D)``, most variance first; each signed so that its largest
        component is positive (the same neighbours always give the same sliders).
    std
        The neighbours' standard deviation along each direction, ``(m,)``.
    explained
        The share of the neighbours' total variance along each direction, ``(m,)`` in [0, 1].
    """

    centre: np.ndarray
    neighbours: np.ndarray
    directions: np.ndarray
    std: np.ndarray
    explained: np.ndarray

    @property
    def m(self) -> int:
        return int(len(self.std))

    def latent(self, amounts) -> np.ndarray:
        """``centre + sum_i amounts[i] * std[i] * directions[i]`` as ``(D,)`` float32."""
        a = np.asarray(amounts, np.float64).ravel()
        if a.shape != (self.m,):
            raise LatentSpaceError(f"{self.m} slider values expected, got {a.size}")
        return (self.centre + (a * self.std) @ self.directions).astype(np.float32)


def local_directions(latents, neighbours, centre, m: int = LOCAL_M) -> LocalDirections:
    """The top ``m`` principal directions of ``latents[neighbours]`` (centred on their own mean).

    Fewer than ``m`` come back when the neighbours span fewer directions (fewer clips than ``m + 1``,
    or duplicates); none for fewer than two distinct neighbours.
    """
    lat = as_latents(latents)
    idx = np.asarray(neighbours, np.int64).ravel()
    if idx.size and (idx.min() < 0 or idx.max() >= len(lat)):
        raise LatentSpaceError(f"neighbour indices must lie in [0, {len(lat)})")
    c = np.asarray(centre, np.float64).ravel()
    if c.shape != (lat.shape[1],) or not np.isfinite(c).all():
        raise LatentSpaceError(f"the centre must be {lat.shape[1]} finite numbers")
    if m < 1:
        raise LatentSpaceError(f"ask for at least one direction, not {m}")
    d = lat.shape[1]
    x = lat[idx].astype(np.float64)
    if len(x) < 2:
        return LocalDirections(c, idx, np.zeros((0, d)), np.zeros(0), np.zeros(0))
    x -= x.mean(axis=0)
    _, s, vt = np.linalg.svd(x, full_matrices=False)
    var = s**2 / (len(x) - 1)
    total = float(var.sum())
    share = var / total if total > 0 else np.zeros_like(var)
    keep = np.flatnonzero(share > FLAT)[:m]
    vt = vt[keep]
    sign = np.sign(vt[np.arange(len(vt)), np.argmax(np.abs(vt), axis=1)])
    return LocalDirections(c, idx, vt * sign[:, None], np.sqrt(var[keep]), share[keep])


def probe_directions(index: NeighbourIndex, latents, z, k: int = LOCAL_K, m: int = LOCAL_M) -> LocalDirections:
    """:func:`local_directions` of the ``k`` clips nearest to latent ``z`` (found with ``index``)."""
    idx, _ = index.knn(np.asarray(z, np.float64).ravel(), k)
    return local_directions(latents, idx, z, m)
