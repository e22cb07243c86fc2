"""How sure the encoder is, seen on the map: a clip's posterior q(z|x) = N(mu, diag(exp(logvar)))
pushed into map space as a 2x2 covariance, and the ellipse that outlines it.

A linear map (PCA, identity) ``x = J z + b`` carries the covariance exactly: ``J diag(var) J^T``.
t-SNE, UMAP and user coordinates have no such ``J``; around each clip it is estimated by least
squares from its ``k`` nearest neighbours in latent space (their latents -> their map positions),
a first-order picture of how the map stretches latent space there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from latentlab.core.errors import LatentSpaceError
from latentlab.core.protocols import NeighbourIndex

JACOBIAN_K = 30  # neighbours a local linear map is fitted to (at least D + 1 are used)
ELLIPSE_SIGMA = 1.0  # outline drawn: the 1-sigma contour (39 % of the posterior mass in 2-D)
ELLIPSE_SEGMENTS = 32


@dataclass(frozen=True)
class MapEllipses:
    """Posterior ellipses of some clips: ``clips (M,)``, ``centres (M, 2)`` map positions,
    ``covariances (M, 2, 2)`` in map units, and whether the map was ``exact`` (linear) or estimated."""

    clips: np.ndarray
    centres: np.ndarray
    covariances: np.ndarray
    exact: bool

    def outlines(self, n_sigma: float = ELLIPSE_SIGMA, segments: int = ELLIPSE_SEGMENTS) -> np.ndarray:
        """Closed polylines ``(M, segments + 1, 2)``: see :func:`ellipse_outlines`."""
        return ellipse_outlines(self.centres, self.covariances, n_sigma, segments)


def linear_jacobian(projection: Any, dim: int) -> np.ndarray | None:
    """``J (2, D)`` of a linear map (PCA's axes, the identity's first two dimensions), else None."""
    method = getattr(projection, "method", "")
    if method == "pca":
        comps = np.asarray(getattr(projection, "state", {}).get("components", np.zeros((0, 0))), np.float64)
        return comps if comps.shape == (2, dim) else None
    if method == "identity":
        return np.eye(2, dim)
    return None


def local_jacobians(latents, coords, neighbours) -> np.ndarray:
    """Least-squares linear maps ``(M, 2, D)`` from latent to map space, one per row of
    ``neighbours (M, k)``: ``coords[n] - mean ~ J (latents[n] - mean)``. With fewer neighbours than
    dimensions the smallest-norm ``J`` is returned (no stretch along directions the neighbours do
    not span)."""
    lat = np.asarray(latents, np.float64)
    xy = np.asarray(coords, np.float64)
    nb = np.asarray(neighbours, np.int64)
    if nb.ndim != 2:
        raise LatentSpaceError(f"neighbours must be a (clips, k) table, got shape {nb.shape}")
    out = np.zeros((len(nb), 2, lat.shape[1]))
    for r, row in enumerate(nb):
        x = lat[row] - lat[row].mean(axis=0)
        y = xy[row] - xy[row].mean(axis=0)
        out[r] = np.linalg.lstsq(x, y, rcond=None)[0].T
    return out


def push_covariance(jacobians, variances) -> np.ndarray:
    """``J diag(var) J^T`` for each clip: ``jacobians (2, D)`` (one map) or ``(M, 2, D)``,
    ``variances (M, D)`` -> ``(M, 2, 2)``."""
    var = np.asarray(variances, np.float64)
    j = np.asarray(jacobians, np.float64)
    if j.ndim == 2:
        return np.einsum("id,md,jd->mij", j, var, j)
    return np.einsum("mid,md,mjd->mij", j, var, j)


def ellipse_outlines(centres, covariances, n_sigma: float = ELLIPSE_SIGMA, segments: int = ELLIPSE_SEGMENTS):
    """Closed polylines ``(M, segments + 1, 2)``: the ``n_sigma`` contour of each Gaussian
    ``N(centre, cov)``, i.e. the points ``x`` with ``(x - c)^T cov^-1 (x - c) = n_sigma^2``."""
    c = np.asarray(centres, np.float64)
    cov = np.asarray(covariances, np.float64)
    lam, vec = np.linalg.eigh(cov)  # (M, 2), (M, 2, 2) columns = axes
    radii = n_sigma * np.sqrt(np.clip(lam, 0.0, None))
    t = np.linspace(0.0, 2 * np.pi, segments + 1)
    circle = np.stack([np.cos(t), np.sin(t)], axis=1)  # (S, 2)
    circle[-1] = circle[0]  # exactly closed
    return c[:, None, :] + np.einsum("mij,mj,sj->msi", vec, radii, circle)


def posterior_ellipses(
    projection: Any, mu, logvar, clips, index: NeighbourIndex | None = None, k: int = JACOBIAN_K
) -> MapEllipses:
    """The map-space posterior covariance of each of ``clips`` on ``projection``'s map.

    Exact for a linear map; otherwise each clip's local linear map is fitted on its
    ``max(k, D + 1)`` nearest clips (itself included) from ``index``.
    """
    mu = np.asarray(mu)
    coords = np.asarray(projection.coords, np.float64)
    idx = np.asarray(clips, np.int64).ravel()
    n, d = mu.shape
    if len(coords) != n:
        raise LatentSpaceError(f"the map has {len(coords)} clips, the latents {n}")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise LatentSpaceError(f"clip indices must lie in [0, {n})")
    var = np.exp(np.asarray(logvar, np.float64)[idx])
    j = linear_jacobian(projection, d)
    if j is None:
        if index is None:
            raise LatentSpaceError("a map without a linear transform needs the latent index to estimate ellipses")
        kk = min(max(k, d + 1), n)
        if idx.size:
            nb, _ = index.knn(mu[idx].astype(np.float64), kk)
            j = local_jacobians(mu, coords, np.asarray(nb).reshape(idx.size, -1))
        else:
            j = np.zeros((0, 2, d))
    return MapEllipses(idx, coords[idx], push_covariance(j, var), exact=j.ndim == 2)
