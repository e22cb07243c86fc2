"""Regions of the 2-D map: where its clips crowd, found on a smoothed density grid. No Qt here.

The map's coordinates are binned on a square grid (:data:`GRID` cells a side), the counts (capped
where identical clips pile up) smoothed with a Gaussian, and every cell above a background level
climbs to its densest neighbour until it reaches a peak: the cells reaching one peak form its basin
(a grid watershed). Two basins whose saddle is nearly as high as the lower of their peaks are one
region (a dip of less than :data:`MERGE_DIP`); regions with too few clips are dropped and at most
``max_regions`` of the largest kept. Each clip belongs to the region of its grid cell, or to none
(``-1``). All of it is a few array passes over the clips plus work on the grid, so 100 k clips take
milliseconds and 1 M well under a second.

:func:`describe_regions` then names each region from the clips' categorical fields: the majority
category of the label field with its share, the top source video, and what sets the region apart
among the continuous fields (the one whose mean there lies furthest from its mean over all clips, in
standard deviations: "high size", "low vx"), which tells apart regions that share a majority class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from latentlab.core.explorer_state import ClipField

GRID = 256  # cells a side of the density grid
SMOOTH = 2.5  # Gaussian sigma of the smoothing, in cells, for SMOOTH_AT clips or more
SMOOTH_AT = 100_000  # fewer clips are smoothed wider (Scott's rule: sigma ~ n^(-1/6))
BACKGROUND = 0.02  # cells below this fraction of the densest cell belong to no region
PILE_PERCENTILE = 99.0  # cell counts are capped at this percentile of the occupied cells' before smoothing
MERGE_DIP = 0.25  # basins whose saddle dips less than this fraction below the lower peak are merged
MIN_SHARE = 0.01  # a region holds at least this fraction of the clips...
MIN_CLIPS = 5  # ...and at least this many
MAX_REGIONS = 16
SOURCE_FIELD = "source"
CLUSTER_FIELD = "cluster"
LABEL_FIELDS = ("tag", "shape", "digit")  # preferred label fields, before any other categorical one
TRAIT_SD = 1.0  # a continuous field names a region's trait when its mean there is this many SDs off


@dataclass(frozen=True)
class MapRegions:
    """The regions of one map: ``labels (N,)`` each clip's region (``-1``: none), and per region its
    ``centres (R, 2)`` (where its label goes: the cell holding clips nearest to their mean, inside the
    region even where it is curved), ``bounds (R, 4)`` (x0, x1, y0, y1 of its grid cells) and
    ``sizes (R,)`` (clips), regions ordered by size, largest first."""

    labels: np.ndarray
    centres: np.ndarray
    bounds: np.ndarray
    sizes: np.ndarray

    def __len__(self) -> int:
        return len(self.sizes)

    def clips(self, region: int) -> np.ndarray:
        """Indices of the clips in ``region``."""
        return np.flatnonzero(self.labels == region)


@dataclass(frozen=True)
class RegionLabel:
    """What a region is named: ``text`` (e.g. ``"circle 92%"``), the majority ``category`` of the
    label ``field`` and its ``share`` of the region's clips, and the top ``source`` video with its share."""

    text: str
    field: str = ""
    category: str = ""
    share: float = 0.0
    source: str = ""
    source_share: float = 0.0
    trait: str = ""  # what sets the region apart ("high size"), or "" (:func:`traits`)


def find_regions(
    coords: np.ndarray,
    *,
    grid: int = GRID,
    smooth: float = SMOOTH,
    background: float = BACKGROUND,
    merge_dip: float = MERGE_DIP,
    max_regions: int = MAX_REGIONS,
    min_clips: int | None = None,
) -> MapRegions:
    """The dense regions of the map ``coords (N, 2)`` (see the module docstring)."""
    xy = np.asarray(coords)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"map coordinates must be (N, 2), got shape {xy.shape}")
    n = len(xy)
    min_clips = max(MIN_CLIPS, int(MIN_SHARE * n)) if min_clips is None else int(min_clips)
    x, y = np.ascontiguousarray(xy[:, 0], np.float32), np.ascontiguousarray(xy[:, 1], np.float32)
    finite = np.isfinite(x) & np.isfinite(y)
    every = bool(finite.all())
    if not every:  # clips without a position belong to no region
        x, y = np.where(finite, x, np.float32(0)), np.where(finite, y, np.float32(0))
    if not finite.any():
        return _empty(n)
    lo = np.array([x[finite].min(), y[finite].min()] if not every else [x.min(), y.min()], np.float64)
    hi = np.array([x[finite].max(), y[finite].max()] if not every else [x.max(), y.max()], np.float64)
    span = max(float((hi - lo).max()), 1e-9)  # square cells: the map's aspect is locked
    lo = (lo + hi) / 2 - span / 2
    cell = span / grid * (1 + 1e-6)  # the largest coordinate falls in the last cell, not past it
    col = np.clip(((x - lo[0]) / cell).astype(np.int32), 0, grid - 1)
    row = np.clip(((y - lo[1]) / cell).astype(np.int32), 0, grid - 1)
    flat = row * grid + col
    counts = np.bincount(flat if every else flat[finite], minlength=grid * grid).reshape(grid, grid)
    sigma = smooth * max(1.0, (SMOOTH_AT / max(n, 1)) ** (1 / 6))  # fewer clips, a wider kernel
    held = counts[counts > 0]
    cap = max(1.0, float(np.percentile(held, PILE_PERCENTILE))) if held.size else 1.0
    # A pile of identical clips (a static shot) is capped: it must not push every other region under the floor.
    density = ndimage.gaussian_filter(np.minimum(counts, cap).astype(np.float32), sigma, mode="constant")
    basin, peak_cells = _basins(density, background * float(density.max()))
    basin = _merge(density, basin, peak_cells, merge_dip)
    cell_region = basin.ravel()
    per_cell = counts.ravel()
    region_size = np.bincount(cell_region[cell_region >= 0], weights=per_cell[cell_region >= 0])
    keep = np.argsort(-region_size, kind="stable")
    keep = keep[region_size[keep] >= min_clips][:max_regions]
    if not len(keep):
        return _empty(n)
    renumber = np.full(len(region_size), -1, np.int64)
    renumber[keep] = np.arange(len(keep))
    cells = np.where(cell_region >= 0, renumber[np.maximum(cell_region, 0)], -1)
    labels = cells[flat]
    if not every:
        labels[~finite] = -1
    cells = cells.reshape(grid, grid)
    sizes = region_size[keep].astype(np.int64)
    centres, bounds = np.zeros((len(keep), 2)), np.zeros((len(keep), 4))
    for r, found in enumerate(ndimage.find_objects(cells + 1)):  # slices of the label r+1 = region r
        rows, cols = found
        members = np.flatnonzero((cells.ravel() == r) & (per_cell > 0))  # the region's cells holding clips
        at = np.stack([members % grid, members // grid], 1).astype(np.float64)  # (column, row)
        mean = np.average(at, axis=0, weights=per_cell[members])
        centres[r] = lo + (at[np.argmin(((at - mean) ** 2).sum(1))] + 0.5) * cell  # a clip's cell, never a gap
        bounds[r] = (
            lo[0] + cols.start * cell,
            lo[0] + cols.stop * cell,
            lo[1] + rows.start * cell,
            lo[1] + rows.stop * cell,
        )
    return MapRegions(labels, centres, bounds, sizes)


def _empty(n: int) -> MapRegions:
    return MapRegions(np.full(n, -1, np.int64), np.zeros((0, 2)), np.zeros((0, 4)), np.zeros(0, np.int64))


def _basins(density: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's basin ``(G, G)`` (-1 below ``floor``): the peak its steepest climb reaches, numbered
    0..P-1, and the flat index of each peak ``(P,)``."""
    g = density.shape[0]
    padded = np.pad(density, 1, constant_values=-1.0)
    shifts = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]  # (0, 0) included: a peak points at itself
    stack = np.stack([padded[1 + dy : 1 + dy + g, 1 + dx : 1 + dx + g] for dy, dx in shifts])
    best = np.argmax(stack, axis=0)  # ties: the first shift, so a plateau drains one way, never in a cycle
    centre = shifts.index((0, 0))
    best[stack[centre] >= stack.max(axis=0)] = centre  # a cell as high as its highest neighbour is a peak
    dy, dx = np.array(shifts).T
    rows, cols = np.indices((g, g))
    target = (rows + dy[best]).clip(0, g - 1) * g + (cols + dx[best]).clip(0, g - 1)
    target = target.ravel()
    for _ in range(2 * g):  # pointer jumping: every cell reaches its peak in O(log path) passes
        nxt = target[target]
        if np.array_equal(nxt, target):
            break
        target = nxt
    above = density.ravel() >= floor
    peak_cells = np.flatnonzero(above & (target == np.arange(g * g)))
    number = np.full(g * g, -1, np.int64)
    number[peak_cells] = np.arange(len(peak_cells))
    basin = np.where(above, number[target], -1)
    return basin.reshape(g, g), peak_cells


def _merge(density: np.ndarray, basin: np.ndarray, peak_cells: np.ndarray, merge_dip: float) -> np.ndarray:
    """Merge neighbouring basins whose saddle dips less than ``merge_dip`` below the lower peak."""
    if len(peak_cells) < 2:
        return basin
    saddles: dict[tuple[int, int], float] = {}
    for a, b, da, db in (
        (basin[:, :-1], basin[:, 1:], density[:, :-1], density[:, 1:]),
        (basin[:-1, :], basin[1:, :], density[:-1, :], density[1:, :]),
        (basin[:-1, :-1], basin[1:, 1:], density[:-1, :-1], density[1:, 1:]),
        (basin[:-1, 1:], basin[1:, :-1], density[:-1, 1:], density[1:, :-1]),
    ):
        edge = (a != b) & (a >= 0) & (b >= 0)
        if not edge.any():
            continue
        pa, pb, h = a[edge], b[edge], np.minimum(da[edge], db[edge])
        pair = np.minimum(pa, pb) * len(peak_cells) + np.maximum(pa, pb)
        order = np.argsort(pair, kind="stable")
        pair, h = pair[order], h[order]
        starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
        for key, top in zip(pair[starts], np.maximum.reduceat(h, starts)):
            k = (int(key) // len(peak_cells), int(key) % len(peak_cells))
            saddles[k] = max(saddles.get(k, 0.0), float(top))
    height = density.ravel()[peak_cells].astype(np.float64)
    parent = np.arange(len(peak_cells))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return int(i)

    for (a, b), saddle in sorted(saddles.items(), key=lambda kv: -kv[1]):  # highest saddles first
        ra, rb = root(a), root(b)
        if ra != rb and saddle >= (1 - merge_dip) * min(height[ra], height[rb]):
            hi_, lo_ = (ra, rb) if height[ra] >= height[rb] else (rb, ra)
            parent[lo_] = hi_  # the merged region keeps the higher peak
    roots = np.array([root(i) for i in range(len(peak_cells))])
    return np.where(basin >= 0, roots[np.maximum(basin, 0)], -1)


# ------------------------------------------------------------------------------------------- labels
def label_field(fields: Mapping[str, ClipField], preferred: str = "") -> str:
    """The categorical field that names regions: ``preferred`` (the colour field) if categorical, else a
    tag / shape / digit field, else another categorical factor, else the source video, else the k-means
    cluster (a number says little), else ``""``. Fields with no clip in any category do not count."""
    categorical = [k for k, f in fields.items() if f.categorical and _has_values(f)]
    weak = (SOURCE_FIELD, CLUSTER_FIELD)  # the source is every label's second line; clusters are numbers
    strong = [k for k in categorical if k not in weak]
    for name in (preferred, *LABEL_FIELDS, *strong):
        if name in strong:
            return name
    return next((name for name in weak if name in categorical), "")


def _has_values(f: ClipField) -> bool:
    """Has any clip a category of ``f`` (codes -1 or NaN: none)?"""
    v = np.asarray(f.values)
    return bool(len(v)) and bool(np.any(v >= 0))  # NaN >= 0 is False


def majority(f: ClipField, labels: np.ndarray, n_regions: int) -> tuple[np.ndarray, np.ndarray]:
    """The majority category code of ``f`` in each region ``(R,)`` (-1: none) and its share of the
    region's clips ``(R,)``. Clips with no category count in the share's denominator."""
    codes = np.asarray(f.values)
    if not np.issubdtype(codes.dtype, np.integer):  # float codes: NaN is "no category"
        codes = np.nan_to_num(codes.astype(np.float64), nan=-1).astype(np.int64)
    k = len(f.categories or ())
    ok = (labels >= 0) & (codes >= 0) & (codes < k)
    sizes = np.bincount(labels[labels >= 0], minlength=n_regions)[:n_regions]
    table = np.bincount(labels[ok] * k + codes[ok], minlength=n_regions * k).reshape(n_regions, k) if k else None
    if table is None or not table.size:
        return np.full(n_regions, -1, np.int64), np.zeros(n_regions)
    top = table.argmax(axis=1)
    counts = table[np.arange(n_regions), top]
    share = counts / np.maximum(sizes, 1)
    return np.where(counts > 0, top, -1), share


def traits(fields: Mapping[str, ClipField], labels: np.ndarray, n_regions: int) -> list[str]:
    """Each region's most telling continuous field: ``"high NAME"`` / ``"low NAME"`` for the field whose
    mean over the region's clips lies furthest from its mean over all clips, at least :data:`TRAIT_SD`
    standard deviations away; ``""`` where none does. NaN values are left out."""
    best = np.zeros(n_regions)
    names = [""] * n_regions
    inside = labels >= 0
    for name, f in fields.items():
        if f.categorical:
            continue
        v = np.asarray(f.values, np.float64)
        ok = inside & np.isfinite(v)
        if len(v) != len(labels) or not ok.any():
            continue
        sd = float(np.nanstd(v))
        if not sd > 0:
            continue
        n = np.bincount(labels[ok], minlength=n_regions)[:n_regions]
        total = np.bincount(labels[ok], weights=v[ok], minlength=n_regions)[:n_regions]
        z = (total / np.maximum(n, 1) - float(np.nanmean(v))) / sd
        z[n == 0] = 0.0
        for r in np.flatnonzero((np.abs(z) >= TRAIT_SD) & (np.abs(z) > best)):
            best[r] = abs(z[r])
            names[r] = f"{'high' if z[r] > 0 else 'low'} {name}"
    return names


def describe_regions(
    regions: MapRegions, fields: Mapping[str, ClipField], preferred: str = ""
) -> tuple[str, list[RegionLabel]]:
    """The label field chosen (:func:`label_field`) and each region's :class:`RegionLabel`. A region
    none of whose clips has a category of that field (untagged clips) is named by the field chosen
    next, else numbered."""
    name = label_field(fields, preferred)
    r = len(regions)
    chain, rest = [], dict(fields)
    while len(chain) < 2 and (pick := label_field(rest, preferred)):
        chain.append(pick)
        del rest[pick]
    top = {f: majority(fields[f], regions.labels, r) for f in chain}
    src = fields.get(SOURCE_FIELD)
    no_source = (np.full(r, -1), np.zeros(r))
    src_top, src_share = majority(src, regions.labels, r) if src is not None and src.categorical else no_source
    trait = traits(fields, regions.labels, r)
    result = []
    for i in range(r):
        used = next((f for f in chain if top[f][0][i] >= 0), "")
        category = fields[used].categories[top[used][0][i]] if used else ""
        share = float(top[used][1][i]) if used else 0.0
        source = src.categories[src_top[i]] if used != SOURCE_FIELD and src_top[i] >= 0 else ""
        text = f"{category} {share:.0%}" if category else f"region {i + 1}"
        result.append(
            RegionLabel(text, used, category, share, source, float(src_share[i]) if source else 0.0, trait[i])
        )
    return name, result
