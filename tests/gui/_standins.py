"""TEMPORARY test-only stand-ins for latent-service modules that have not landed yet.

Installed into ``sys.modules`` only when the real module cannot be imported, so the GUI tests can
run meanwhile; once ``latentlab.core.inverse`` and ``latentlab.core.neighbours`` exist they are used.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree


@dataclass
class _Result:
    z: np.ndarray
    reliability: np.ndarray
    nearest: np.ndarray
    map_distance: np.ndarray


class _PcaInverse:
    def __init__(self, latents, projection):
        self.mu = np.asarray(latents, np.float32)
        self.projection = projection
        self.tree = cKDTree(np.asarray(projection.coords))

    def invert(self, points, anchor=None):
        p = np.asarray(points, np.float64)
        st = self.projection.state
        z = st["mean"][None] + p @ st["components"]
        d, i = self.tree.query(p)
        return _Result(z.astype(np.float32), np.exp(-d), np.atleast_1d(i), np.atleast_1d(d))


class _Index:
    def __init__(self, mu):
        self.mu = np.asarray(mu, np.float32)

    def knn(self, query, k):
        q = self.mu[int(query)] if np.ndim(query) == 0 else np.asarray(query)
        d = np.linalg.norm(self.mu - q, axis=1)
        idx = np.argsort(d)[:k]
        return idx, d[idx]


def _kmeans_labels(latents, k, seed=0):
    from sklearn.cluster import KMeans

    return KMeans(k, random_state=seed, n_init=1).fit_predict(np.asarray(latents))


def install() -> None:
    try:
        import latentlab.core.inverse  # noqa: F401
    except ImportError:
        m = types.ModuleType("latentlab.core.inverse")
        m.make_inverse = _PcaInverse
        sys.modules["latentlab.core.inverse"] = m
    try:
        import latentlab.core.neighbours  # noqa: F401
    except ImportError:
        m = types.ModuleType("latentlab.core.neighbours")
        m.LatentIndex, m.kmeans_labels = _Index, _kmeans_labels
        sys.modules["latentlab.core.neighbours"] = m
