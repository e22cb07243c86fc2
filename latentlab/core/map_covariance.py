"""How sure the encoder is, seen on the map: a clip's posterior q(z|x) = N(mu, diag(exp(logvar)))
pushed into map space as a 2x2 covariance, and the ellipse that outlines it.

A linear map (PCA, identity) ``x = J z + b`` carries the covariance exactly: ``J diag(var) J^T``.
t-SNE, UMAP and user coordinates have no such ``J``; around each clip it is estimated by a
ridge-regularised least-squares fit to its ``k`` nearest neighbours in latent space (their latents ->
their map positions), a first-order picture of how the map stretches latent space there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from latentlab.core.errors import LatentSpaceError
from latentlab.core.protocols import NeighbourIndex

JACOBIAN_K = 30  # neighbours a local linear map is fitted to (at least D + 1 are used)
RIDGE_GRID = (0.0, 1e-3, 1e-2, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # ridge strengths tried, x mean variance
STRETCH_SLACK = 3.0  # a local map may stretch at most this much more than its steepest neighbour pair
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
    """Linear maps ``(M, 2, D)`` from latent to map space, one per row of ``neighbours (M, k)``:
    ``coords[n] - mean ~ J (latents[n] - mean)``, fitted by ridge regression whose strength is chosen
    per clip by generalised cross-validation from :data:`RIDGE_GRID` (times the neighbours' mean
    variance per dimension). Where the map is linear in the latent the unregularised fit wins and ``J``
    is exact; on t-SNE it damps the wild slopes a plain least-squares fit gives along directions the
    few neighbours hardly span (on the 16-D demo, ellipses 30x smaller and held-out neighbours
    predicted better: see benchmarks/bench_map_covariance.py). Where the neighbours sit on two islands
    of a torn map, even the damped fit can be steeper than any pair of them: ``J`` is scaled down to at
    most :data:`STRETCH_SLACK` times the steepest map/latent distance ratio among the neighbours."""
    lat = np.asarray(latents, np.float64)
    xy = np.asarray(coords, np.float64)
    nb = np.asarray(neighbours, np.int64)
    if nb.ndim != 2:
        raise LatentSpaceError(f"neighbours must be a (clips, k) table, got shape {nb.shape}")
    x, y = lat[nb], xy[nb]  # (M, k, D), (M, k, 2)
    j = np.swapaxes(ridge_gcv(x - x.mean(axis=1, keepdims=True), y - y.mean(axis=1, keepdims=True)), 1, 2)
    dz, dxy = _pair_distances(x), _pair_distances(y)  # (M, k, k)
    steepest = np.max(np.divide(dxy, dz, out=np.zeros_like(dxy), where=dz > 0), axis=(1, 2))
    norm = np.linalg.norm(j, ord=2, axis=(1, 2))
    cap = STRETCH_SLACK * steepest
    shrink = np.divide(cap, norm, out=np.ones_like(norm), where=norm > cap)
    return j * shrink[:, None, None]


def _pair_distances(p: np.ndarray) -> np.ndarray:
    """Distances ``(M, k, k)`` between the points of each set ``p (M, k, D)`` (via the Gram matrix)."""
    sq = np.einsum("mkd,mkd->mk", p, p)
    d2 = sq[:, :, None] + sq[:, None, :] - 2 * np.einsum("mkd,mld->mkl", p, p)
    return np.sqrt(np.clip(d2, 0.0, None))


def ridge_gcv(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``B (M, D, 2)`` minimising ``|y - x B|^2 + lam |B|^2`` for each of the ``M`` problems
    ``x (M, k, D)``, ``y (M, k, 2)``, with ``lam`` chosen from :data:`RIDGE_GRID` by GCV."""
    m, k, d = x.shape
    u, s, vt = np.linalg.svd(x, full_matrices=False)  # (M, k, r), (M, r), (M, r, D)
    scale = np.sum(s**2, axis=1, keepdims=True) / d  # (M, 1) mean variance per dimension, times k
    uy = np.einsum("mkr,mkc->mrc", u, y)
    best = np.full(m, np.inf)
    best_f = s**2 / (s**2 + RIDGE_GRID[-1] * scale + 1e-300)  # too few neighbours to choose: strongest
    for lam in RIDGE_GRID:
        if lam > 0:
            f = s**2 / (s**2 + lam * scale + 1e-300)
        else:
            f = (s > s[:, :1] * 1e-10).astype(np.float64)
        dof = f.sum(axis=1)
        resid = np.sum((y - np.einsum("mkr,mrc->mkc", u, f[:, :, None] * uy)) ** 2, axis=(1, 2))
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(dof < k - 1e-9, resid / (1 - dof / k) ** 2, np.inf)
        better = score < best * (1 - 1e-9)
        best = np.where(better, score, best)
        best_f = np.where(better[:, None], f, best_f)
    coef = np.divide(best_f, s, out=np.zeros_like(s), where=s > 0)
    return np.einsum("mrd,mrc->mdc", vt, coef[:, :, None] * uy)


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
    projection: Any,
    mu,
    logvar,
    clips,
    index: NeighbourIndex | None = None,
    k: int = JACOBIAN_K,
    cache: dict[int, np.ndarray] | None = None,
) -> MapEllipses:
    """The map-space posterior covariance of each of ``clips`` on ``projection``'s map.

    Exact for a linear map; otherwise each clip's local linear map is fitted on its
    ``max(k, D + 1)`` nearest clips (itself included) from ``index``. ``cache`` (clip -> ``J``),
    kept by the caller for one map and one dataset, spares refitting the clips already seen
    (a selection grown by a few clips refits only those).
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
        cache = {} if cache is None else cache
        new = np.array([i for i in idx.tolist() if i not in cache], np.int64)
        if new.size:
            nb, _ = index.knn(mu[new].astype(np.float64), min(max(k, d + 1), n))
            for i, ji in zip(new.tolist(), local_jacobians(mu, coords, np.asarray(nb).reshape(new.size, -1))):
                cache[i] = ji
        j = np.array([cache[i] for i in idx.tolist()]).reshape(idx.size, 2, d)
    return MapEllipses(idx, coords[idx], push_covariance(j, var), exact=j.ndim == 2)
