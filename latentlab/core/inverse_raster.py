"""A precomputed raster of the inverse projection, so that one mouse move costs a table lookup.

The exact local inverse of one map point needs a KD-tree query and a small weighted fit (about
0.1 ms in numpy, most of it per-call overhead). Evaluated in batches it costs 0.004-0.007 ms a
point, so :class:`InverseRaster` evaluates it once, in a background job, on a regular grid whose
cells are about half the typical neighbour spacing of the map, and a single query then:

1. bilinearly interpolates the latent ``z`` and the latent-spread part of the reliability from the
   four grid nodes around the point;
2. finds the nearest clip exactly among the clips listed for the query's grid cell: every clip
   within ``d1 + 2h`` of the cell's centre, where ``d1`` is the centre's nearest-clip distance and
   ``h`` the cell's half diagonal. Any point of the cell has a clip within ``d1 + h``, so its nearest
   clip lies within ``d1 + 2h`` of the centre (triangle inequality): the answer is exact, and a
   cell lists about ten clips (measured: mean 10, p99 27 on a 100k t-SNE map; a cell whose list
   reaches ``MAX_CANDIDATES`` asks the KD-tree instead);
3. pulls ``z`` towards that clip's latent with a Gaussian of the map distance (``snap``, a fraction
   of the neighbour spacing), which restores what the grid blurs: on top of a clip the inverse *is*
   that clip, as the exact local-linear fit is;
4. computes the map part of the reliability and the latent distance to the nearest clip exactly.

Outside the grid (the probe dragged far off the map) the caller falls back to the exact path. The
raster only ever serves single queries; batched inversions stay exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Grid cell size as a fraction of the map's neighbour spacing (the radius holding ``k`` clips).
CELL_FRACTION = 0.5
#: Gaussian width of the pull towards the nearest clip, as a fraction of that spacing.
SNAP_FRACTION = 0.03
#: Longest candidate list per cell (measured on a 100k t-SNE map: mean 10, p99 27, max 57).
MAX_CANDIDATES = 32
#: Most grid nodes (a 100k-clip t-SNE map needs about 0.4 M at the default cell size).
MAX_NODES = 1_000_000
_CHUNK = 16_384


@dataclass
class RasterHit:
    """One looked-up point: what :class:`~latentlab.core.inverse.InverseResult` holds, as scalars."""

    z: np.ndarray  # (D,) float64
    reliability: float
    nearest: int
    map_distance: float
    latent_distance: float


class InverseRaster:
    """The inverse of one map, tabulated on a grid.

    Build it with :meth:`build` from an :class:`~latentlab.core.inverse.InverseProjection` (whose
    exact batched path fills the grid), then call :meth:`lookup_one` per mouse move.
    """

    def __init__(
        self,
        origin,
        cell: float,
        z: np.ndarray | None,
        spread_rel: np.ndarray,
        cell_start: np.ndarray,
        cell_clips: np.ndarray,
        cell_full: np.ndarray,
        coords: np.ndarray,
        latents: np.ndarray,
        map_scale: float,
        linear_axes: np.ndarray | None,
        snap: float,
        tree,
    ) -> None:
        self.x0, self.y0 = float(origin[0]), float(origin[1])
        self.cell = float(cell)
        self.z = z  # (GY, GX, D) float32, or None for PCA/identity maps (z is exact there)
        self.spread_rel = spread_rel  # (GY, GX) float32: the latent-spread factor of the reliability
        self.gy, self.gx = spread_rel.shape
        # Candidate nearest clips per cell (cells (GY-1, GX-1) in C order), as CSR: the clips of cell
        # c are cell_clips[cell_start[c]:cell_start[c + 1]].
        self.cell_start, self.cell_clips = cell_start, cell_clips
        # Cells whose list hit MAX_CANDIDATES (rare: a dense spot) may miss a clip; their lookups ask
        # the map's KD-tree instead.
        self.cell_full, self.tree = cell_full, tree
        self.coords, self.latents = coords, latents  # (N, 2), (N, D) float64
        self.map_scale = float(map_scale)
        self.axes = linear_axes  # (2, D) for PCA / identity maps, else None
        self.snap = float(snap)

    @property
    def nbytes(self) -> int:
        return sum(
            a.nbytes
            for a in (self.z, self.spread_rel, self.cell_start, self.cell_clips, self.cell_full)
            if a is not None
        )

    @classmethod
    def build(
        cls,
        inverse,
        *,
        cell_fraction: float = CELL_FRACTION,
        snap_fraction: float = SNAP_FRACTION,
        max_nodes: int = MAX_NODES,
        progress: Callable[[float], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> InverseRaster | None:
        """Tabulate ``inverse`` (an ``InverseProjection``); ``None`` when cancelled or degenerate.

        The grid covers the map's bounding box plus one neighbour spacing on each side. When the
        cell size would need more than ``max_nodes`` nodes, cells grow until it fits.
        """
        coords = inverse.coords
        if len(coords) < 2:
            return None
        scale = float(inverse._map_scale)
        lo, hi = coords.min(axis=0) - scale, coords.max(axis=0) + scale
        cell = max(scale * cell_fraction, 1e-12)
        extent = hi - lo
        while (math.ceil(extent[0] / cell) + 2) * (math.ceil(extent[1] / cell) + 2) > max_nodes:
            cell *= 1.1
        gx, gy = int(math.ceil(extent[0] / cell)) + 2, int(math.ceil(extent[1] / cell)) + 2
        xs, ys = lo[0] + cell * np.arange(gx), lo[1] + cell * np.arange(gy)
        linear = inverse._linear
        d = inverse.latents.shape[1]
        z = None if linear else np.empty((gy * gx, d), np.float32)
        spread_rel = np.empty(gy * gx, np.float32)
        nodes = np.empty((gy * gx, 2))
        nodes[:, 0] = np.tile(xs, gy)
        nodes[:, 1] = np.repeat(ys, gx)
        for a in range(0, len(nodes), _CHUNK):
            if cancelled is not None and cancelled():
                return None
            res = inverse.invert(nodes[a : a + _CHUNK])
            if z is not None:
                z[a : a + _CHUNK] = res.z
            r_map = np.exp(-0.5 * (res.map_distance.astype(np.float64) / scale) ** 2)
            # reliability = r_map * r_lat; keep r_lat (smooth), recompute r_map per query (sharp at clips)
            spread_rel[a : a + _CHUNK] = res.reliability / np.maximum(r_map, 1e-300)
            if progress is not None:
                progress(0.7 * min(1.0, (a + _CHUNK) / len(nodes)))
        np.clip(spread_rel, 0.0, 1.0, out=spread_rel)
        centres = nodes.reshape(gy, gx, 2)[:-1, :-1].reshape(-1, 2) + 0.5 * cell  # ((GY-1)(GX-1), 2)
        # Candidate lists with numpy only: query_ball_point would build one Python list per cell
        # (0.4 M at 100k clips), and the garbage collector then stalls the GUI thread for ~140 ms.
        kk = min(MAX_CANDIDATES, len(coords))
        starts, clips, full = [np.zeros(1, np.int64)], [], []
        for a in range(0, len(centres), _CHUNK):
            if cancelled is not None and cancelled():
                return None
            dist, idx = inverse.map_tree.query(centres[a : a + _CHUNK], k=kk)
            dist, idx = dist.reshape(-1, kk), idx.reshape(-1, kk)
            reach = dist[:, :1] * (1 + 1e-9) + cell * math.sqrt(2) * (1 + 1e-9)  # d1 + 2h
            keep = dist <= reach
            starts.append(starts[-1][-1] + np.cumsum(keep.sum(axis=1)))
            clips.append(idx[keep].astype(np.int32))  # row by row: each cell's clips stay together
            full.append(keep[:, -1] & (kk < len(coords)))  # a full list may miss a clip: ask the tree
            if progress is not None:
                progress(0.7 + 0.3 * min(1.0, (a + _CHUNK) / len(centres)))
        return cls(
            lo,
            cell,
            None if z is None else z.reshape(gy, gx, d),
            spread_rel.reshape(gy, gx),
            np.concatenate(starts),
            np.concatenate(clips),
            np.concatenate(full),
            coords,
            inverse.latents,
            scale,
            inverse._axes if linear else None,
            snap_fraction * scale,
            inverse.map_tree,
        )

    def lookup_one(self, x: float, y: float, anchor: int | None = None) -> RasterHit | None:
        """The inverse at ``(x, y)``, or ``None`` outside the grid (use the exact path there)."""
        fx, fy = (x - self.x0) / self.cell, (y - self.y0) / self.cell
        if not (0.0 <= fx < self.gx - 1 and 0.0 <= fy < self.gy - 1):
            return None
        i, j = int(fx), int(fy)
        tx, ty = fx - i, fy - j
        w = ((1 - tx) * (1 - ty), tx * (1 - ty), (1 - tx) * ty, tx * ty)  # bilinear, nodes in C order
        s = self.spread_rel[j : j + 2, i : i + 2].ravel().tolist()
        r_lat = w[0] * s[0] + w[1] * s[1] + w[2] * s[2] + w[3] * s[3]
        # One numpy call for the candidates' coordinates, then plain floats (a dozen tiny numpy ops
        # would cost more than the arithmetic on ~10 candidates).
        cell = j * (self.gx - 1) + i
        cand = self.cell_clips[self.cell_start[cell] : self.cell_start[cell + 1]]
        best, best_d2 = -1, math.inf
        for clip, (cx, cy) in zip(cand.tolist(), self.coords[cand].tolist()):
            d2 = (cx - x) * (cx - x) + (cy - y) * (cy - y)
            if d2 < best_d2:
                best, best_d2 = clip, d2
        dist = math.sqrt(best_d2)
        if self.cell_full[cell]:
            d_t, i_t = self.tree.query((x, y), k=1)
            best, dist = int(i_t), float(d_t)
        near_z = self.latents[best]
        if self.axes is not None:  # PCA / identity: exact move in the plane, keeping a clip's residual
            a = best if anchor is None else int(anchor)
            ax, ay = self.coords[a].tolist()
            z = self.latents[a] + np.dot((x - ax, y - ay), self.axes)
        else:
            z = np.dot(w, self.z[j : j + 2, i : i + 2].reshape(4, -1)).astype(np.float64)  # (D,)
            pull = math.exp(-0.5 * (dist / self.snap) ** 2) if self.snap > 0 else 0.0
            if pull > 1e-6:
                z += pull * (near_z - z)
        diff = z - near_z
        r_map = math.exp(-0.5 * (dist / self.map_scale) ** 2)
        return RasterHit(z, float(r_map * r_lat), best, dist, math.sqrt(float(diff @ diff)))

    def lookup(self, points) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`lookup_one` over ``points`` ``(Q, 2)``: ``z`` ``(Q, D)`` and ``ok`` ``(Q,)`` (False
        outside the grid, where ``z`` is NaN). For benchmarks and tests."""
        p = np.asarray(points, np.float64).reshape(-1, 2)
        out = np.full((len(p), self.latents.shape[1]), np.nan)
        ok = np.zeros(len(p), bool)
        for q, (x, y) in enumerate(p.tolist()):
            hit = self.lookup_one(x, y)
            if hit is not None:
                out[q], ok[q] = hit.z, True
        return out, ok
