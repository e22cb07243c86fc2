"""Inverse projection: a 2-D map position -> a latent vector, fast enough for every mouse move.

* PCA (and the identity map of <= 2-D latents) are inverted exactly, *keeping the rest of a clip's
  latent*: ``z' = z_anchor + (p - c_anchor) @ W`` with ``W`` the PCA axes ``(2, D)``. The result
  projects back to ``p`` exactly, and the anchor's residual (the part of its latent outside the PCA
  plane) is untouched. Reconstructing from the 2 components alone would throw most of it away.
* t-SNE, UMAP and user coordinates have no inverse; we interpolate between the latents of the
  clips nearest in the map. The default ``"local-linear"`` fits ``z ~ a + B (x - p)`` by
  weighted ridge least squares on the ``k`` nearest clips and returns ``a`` (it passes through a
  clip the cursor is on, and its slope term corrects the bias of a plain weighted mean); ``"idw"``
  (inverse-distance kNN), ``"ilamp"`` (Amorim et al. 2012) and ``"snap"`` (nearest clip) are
  kept for comparison. Chosen by measurement (benchmarks/bench_inverse.py, BENCHMARKS.md): held-out
  NMSE on a 10k t-SNE map 0.0171 vs 0.0186 for kNN and 0.0244 for snapping, at 1.4x kNN's latency.

Every answer carries a ``reliability`` in [0, 1]: 1 on top of real data whose map neighbours agree
in latent space; it falls with the distance to the nearest clip in the map (relative to the typical
neighbour spacing) and with the latent spread of the neighbours (relative to its typical value:
a large spread means the map tore apart clips that differ, so a blend of them is a guess).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from latentlab.core.arrays import as_latents, as_points, check_index
from latentlab.core.errors import LatentSpaceError
from latentlab.core.inverse_raster import InverseRaster
from latentlab.core.inverse_weights import WEIGHTS, ilamp, local_linear_weights, one_weights
from latentlab.core.projection import Projection

LOCAL_METHODS = ("local-linear", "idw", "ilamp", "snap")
DEFAULT_METHOD = "local-linear"
DEFAULT_K = {"local-linear": 10, "idw": 10, "ilamp": 12, "snap": 1}
DEFAULT_RIDGE = 0.02  # in units of the squared neighbourhood radius
DEFAULT_BANDWIDTH = 0.5  # Gaussian width as a fraction of the k-th neighbour distance
MAX_CORRECTION = 2.0  # cap on the local-linear correction, see inverse_weights
_CALIBRATION_SAMPLE = 2000


@dataclass
class InverseResult:
    """Latents for ``Q`` map points.

    Attributes
    ----------
    z
        ``(Q, D)`` float32 latents.
    reliability
        ``(Q,)`` in [0, 1]: 1 = on top of real data, 0 = far from anything.
    nearest
        ``(Q,)`` int, the nearest clip in the map.
    map_distance
        ``(Q,)`` distance to that clip, in map units.
    latent_distance
        ``(Q,)`` latent distance from ``z`` to that clip's latent.
    """

    z: np.ndarray
    reliability: np.ndarray
    nearest: np.ndarray
    map_distance: np.ndarray
    latent_distance: np.ndarray


class InverseProjection:
    """Map -> latent for one projection; build it once with :func:`make_inverse`, then call :meth:`invert`."""

    def __init__(
        self,
        latents: np.ndarray,
        projection: Projection,
        method: str,
        k: int,
        ridge: float = DEFAULT_RIDGE,
        bandwidth: float = DEFAULT_BANDWIDTH,
        residual: str = "nearest",
    ) -> None:
        self.latents = latents.astype(np.float64)  # (N, D)
        self.coords = projection.coords.astype(np.float64)  # (N, 2)
        self.projection = projection
        self.method = method
        n = len(latents)
        self.k = max(1, min(int(k), n))
        self.ridge, self.bandwidth, self.max_correction = ridge, bandwidth, MAX_CORRECTION
        self.residual = residual
        self._tree = cKDTree(self.coords)
        self._linear = projection.is_linear
        if projection.method == "pca":
            self._axes = np.asarray(projection.state["components"], np.float64)  # (2, D)
        elif projection.method == "identity":
            self._axes = np.eye(2, latents.shape[1])  # (2, D): the map is the first <= 2 dims
        self._map_scale, self._spread_scale = 1.0, 1.0
        self._calibrate()
        self.raster: InverseRaster | None = None  # set by build_raster(); serves single queries

    def build_raster(self, progress=None, cancelled=None, **options) -> bool:
        """Tabulate this inverse on a grid (:mod:`latentlab.core.inverse_raster`) so that each single
        query (a mouse move) becomes a lookup. Run it off the GUI thread: 100k clips take ~1-2 s.
        Returns False when cancelled or not applicable (``snap`` needs no raster, ``blend`` residuals
        are not tabulated). Safe while another thread calls :meth:`invert`: the raster is attached
        only when complete."""
        if self.method == "snap" or (self._linear and self.residual == "blend"):
            return False
        raster = InverseRaster.build(self, progress=progress, cancelled=cancelled, **options)
        if raster is not None:
            self.raster = raster
        return raster is not None

    # ------------------------------------------------------------------------------------ public
    @property
    def map_tree(self) -> cKDTree:
        """The KD-tree over the map coordinates ``(N, 2)``, built once here (off the GUI thread by the
        caller's job) and reusable by views that pick points on the same map."""
        return self._tree

    def invert(self, points, anchor: int | None = None) -> InverseResult:
        """Latents for map ``points`` ``(Q, 2)`` (or one ``(2,)``).

        ``anchor`` (PCA and identity maps): the clip whose latent is moved within the map plane,
        keeping its residual; default: the nearest clip in the map to each point. Ignored by the
        local methods (they have no plane to move in).
        """
        p = as_points(points)
        blend = self._linear and self.residual == "blend" and anchor is None
        if len(p) == 1 and self.raster is not None:
            hit = self.raster.lookup_one(
                float(p[0, 0]), float(p[0, 1]), None if anchor is None else check_index(anchor, len(self.latents))
            )
            if hit is not None:
                return InverseResult(
                    hit.z.astype(np.float32)[None],
                    np.array([hit.reliability], np.float32),
                    np.array([hit.nearest], np.int64),
                    np.array([hit.map_distance], np.float32),
                    np.array([hit.latent_distance], np.float32),
                )
        if len(p) == 1 and self.method != "ilamp" and not blend:
            return self._invert_one(p, anchor)
        dist, idx = self._tree.query(p, k=self.k)  # 2-D input: scipy's 1-D path is slower
        if self.k == 1:
            dist, idx = dist[:, None], idx[:, None]
        if self._linear and (anchor is not None or self.residual == "nearest"):
            a = idx[:, 0] if anchor is None else np.full(len(p), check_index(anchor, len(self.latents)))
            z = self.latents[a] + (p - self.coords[a]) @ self._axes
        elif self._linear:  # "blend": exact in the plane, residual averaged over the map neighbours
            w = local_linear_weights(self, p, dist, idx)
            z = np.einsum("qk,qkd->qd", w, self.latents[idx])
            z += (p - np.einsum("qk,qkc->qc", w, self.coords[idx])) @ self._axes
        elif self.method == "ilamp":
            z = ilamp(self, p, dist, idx)
        else:
            z = np.einsum("qk,qkd->qd", WEIGHTS[self.method](self, p, dist, idx), self.latents[idx])
        return self._result(p, z, dist, idx)

    # ---------------------------------------------------------------------------------- internals
    def _invert_one(self, p: np.ndarray, anchor) -> InverseResult:
        """One point (a mouse move): the same numbers as the batched path, in Python scalars.

        A dozen small numpy calls cost more than the arithmetic on ``k`` neighbours, so the weights
        and the reliability are computed on floats; numpy does the two ``(k, D)`` operations.
        """
        dist, idx = self._tree.query(p, k=self.k)
        d = np.ravel(dist).tolist()
        ix = np.ravel(idx)
        nb = self.latents[ix]  # (k, D)
        if self._linear:
            a = int(ix[0]) if anchor is None else check_index(anchor, len(self.latents))
            z = self.latents[a] + (p[0] - self.coords[a]) @ self._axes
        else:
            z = np.dot(one_weights(self, p[0], d, ix), nb)
        diff = nb - z
        lat_d2 = np.einsum("kd,kd->k", diff, diff).tolist()
        spread = math.sqrt(sum(lat_d2) / len(lat_d2))
        r_map = math.exp(-0.5 * (d[0] / self._map_scale) ** 2)
        r_lat = min(1.0, self._spread_scale / max(spread, 1e-12))
        return InverseResult(
            z.astype(np.float32)[None],
            np.array([r_map * r_lat], np.float32),
            np.array([ix[0]], np.int64),
            np.array([d[0]], np.float32),
            np.array([math.sqrt(lat_d2[0])], np.float32),
        )

    def _result(self, p, z, dist, idx) -> InverseResult:
        nb = self.latents[idx]  # (Q, k, D)
        # mean squared latent distance of the neighbours to z, without a (Q, k, D) temporary
        k = idx.shape[1]
        ss = (
            self._sq[idx].sum(axis=1) - 2.0 * np.einsum("qd,qd->q", z, nb.sum(axis=1)) + k * np.einsum("qd,qd->q", z, z)
        )
        spread = np.sqrt(np.maximum(ss, 0.0) / k)
        near = nb[:, 0, :] - z
        lat_d = np.sqrt(np.einsum("qd,qd->q", near, near))
        r_map = np.exp(-0.5 * (dist[:, 0] / self._map_scale) ** 2)
        r_lat = np.minimum(1.0, self._spread_scale / np.maximum(spread, 1e-12))
        return InverseResult(
            z.astype(np.float32),
            (r_map * r_lat).astype(np.float32),
            idx[:, 0].astype(np.int64),
            dist[:, 0].astype(np.float32),
            lat_d.astype(np.float32),
        )

    def _calibrate(self) -> None:
        """Typical map spacing and neighbour spread, measured at the clips' own positions."""
        self._sq = np.einsum("nd,nd->n", self.latents, self.latents)  # (N,) squared norms
        n = len(self.coords)
        if n < 2:
            return
        sample = np.random.default_rng(0).choice(n, min(n, _CALIBRATION_SAMPLE), replace=False)
        d, _ = self._tree.query(self.coords[sample], k=min(self.k, n - 1) + 1)
        spacing = float(np.median(d[:, -1]))  # radius that holds ~k neighbours around a typical clip
        extent = float(np.ptp(self.coords, axis=0).max())
        self._map_scale = spacing if spacing > 0 else (extent / np.sqrt(n) if extent > 0 else 1.0)
        self._spread_scale = np.inf  # reliability is not needed for the calibration itself
        res = self.invert(self.coords[sample])
        # spread = rms latent distance of the neighbours to z; recover it from r_lat's inputs
        dist, idx = self._tree.query(self.coords[sample], k=self.k)
        idx = idx.reshape(len(sample), -1)
        diff = self.latents[idx] - res.z.astype(np.float64)[:, None, :]
        med = float(np.median(np.sqrt(np.einsum("qkd,qkd->q", diff, diff) / idx.shape[1])))
        self._spread_scale = med if med > 0 else 1.0


def make_inverse(
    latents,
    projection: Projection,
    *,
    method: str | None = None,
    k: int | None = None,
    ridge: float = DEFAULT_RIDGE,
    bandwidth: float = DEFAULT_BANDWIDTH,
    residual: str = "nearest",
) -> InverseProjection:
    """Build the inverse of ``projection`` (the KD-tree is built here, once).

    Parameters
    ----------
    latents
        ``(N, D)`` latents the projection was fitted on.
    projection
        The map; PCA and identity maps are inverted exactly, others locally.
    method, k
        Local method (``"local-linear"`` default, ``"idw"``, ``"ilamp"``, ``"snap"``) and its number of
        neighbours; for PCA and identity maps they only shape the reliability estimate.
    ridge, bandwidth
        ``"local-linear"`` only: ridge on the local slope (units of the squared neighbourhood
        radius) and the Gaussian weight width (fraction of the k-th neighbour distance).
    residual
        PCA / identity maps without an ``anchor``: ``"nearest"`` keeps the nearest clip's residual
        (what is decoded stays close to the clip beside the cursor; it jumps where the nearest clip
        changes), ``"blend"`` keeps a local-linear blend of the neighbours' residuals (smooth, and
        a better guess of an unseen clip's latent). Both map back to the point exactly.
    """
    lat = as_latents(latents)
    if not isinstance(projection, Projection):
        raise LatentSpaceError("make_inverse needs a Projection (from fit_projection)")
    if lat.shape[0] == 0:
        raise LatentSpaceError("there are no clips, so no map position can be turned into a latent")
    if projection.coords.shape[0] != lat.shape[0]:
        raise LatentSpaceError(f"the map has {projection.coords.shape[0]} clips but {lat.shape[0]} latents were given")
    if projection.method == "pca" and projection.state["components"].shape[1] != lat.shape[1]:
        raise LatentSpaceError("the latents do not match the PCA map they were given with")
    method = method or DEFAULT_METHOD
    if method not in LOCAL_METHODS:
        raise LatentSpaceError(f"unknown inverse method {method!r}; choose one of {', '.join(LOCAL_METHODS)}")
    if residual not in ("nearest", "blend"):
        raise LatentSpaceError(f"residual must be 'nearest' or 'blend', not {residual!r}")
    if not (ridge > 0 and bandwidth > 0):
        raise LatentSpaceError("ridge and bandwidth must be positive numbers")
    return InverseProjection(lat, projection, method, DEFAULT_K[method] if k is None else k, ridge, bandwidth, residual)
