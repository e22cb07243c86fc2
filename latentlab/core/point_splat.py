"""The map's points drawn into a screen-sized RGBA image with numpy: dots up close, density far out.

Two layers, both computed from the points that fall in the view, both of every point (nothing is
sampled away):

* **dots**: each pixel holds the *draw rank* of the topmost point on it (later points on top), the
  ranks are dilated to the dot's size with ``np.maximum`` over shifted views (a 3x3 dot costs eight
  maxima of the screen image, independent of the number of points, where stamping it costs nine
  scatters of every point), and one gather of the colours turns ranks into pixels;
* **density**: per pixel, the number of points and the mean of their colours (``np.bincount`` with
  weights), its brightness on a log scale of the count, so a crowded region keeps the colour of the
  groups in it (a black-hot heat map would lose the colour-by).

:attr:`Splat.crowding` (points per occupied pixel) sets how much of each the view shows: one point per
pixel shows dots only; past :data:`CROWD_DENSITY` the density only; in between the two cross-fade,
so zooming into a dense region turns its density into the clips' dots. The GUI keeps hover and
click on a spatial index, so every clip can be picked at any zoom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Points per occupied pixel at which the dots start to fade into density, and where only density shows.
CROWD_DOTS, CROWD_DENSITY = 1.3, 4.0
#: Density weights this close to 0 or 1 show one layer alone.
FADE_EDGE = 0.1
#: Transparent: what a pixel with no point gets (the palette's extra last row, picked by rank -1).
_CLEAR = np.zeros(4, np.uint8)


@dataclass(frozen=True)
class Viewport:
    """The part of the map on screen: data ``x0..x1``, ``y0..y1`` onto ``width x height`` pixels, row 0 at
    ``y0`` (the bottom of the view, as pyqtgraph's row-major images lie; give ``y0 > y1`` for row 0 at the top,
    as a screen image lies)."""

    x0: float
    x1: float
    y0: float
    y1: float
    width: int
    height: int


@dataclass
class Splat:
    """What :meth:`PointSplatter.splat` found: the pixel of every visible point and the crowding."""

    pixel: np.ndarray  # (M,) int32 flat pixel index of each visible point
    rank: np.ndarray | None  # (M,) draw rank of each visible point; None: every point is visible
    occupied: int  # pixels holding at least one point

    @property
    def crowding(self) -> float:
        """Visible points per occupied pixel (1.0: no two points share a pixel)."""
        return len(self.pixel) / self.occupied if self.occupied else 0.0


def density_weight(crowd: float) -> float:
    """How much of the density layer a view of this crowding shows, 0 (dots) .. 1 (density)."""
    return float(np.clip((crowd - CROWD_DOTS) / (CROWD_DENSITY - CROWD_DOTS), 0.0, 1.0))


class PointSplatter:
    """Points and their colours, kept in the layouts the renderer reads fastest; :meth:`render` per view.

    ``coords`` ``(N, 2)`` and ``colours`` ``(N, 4)`` uint8 RGBA are in drawing order (later on top).
    The screen-sized arrays of a render are kept from one render to the next (fresh ones cost a page
    fault every 4 KiB: about 1 ms of a 100 k-point frame), so an image or ranks returned are valid
    until the next call: copy them to keep them.
    """

    def __init__(self, coords: np.ndarray, colours: np.ndarray) -> None:
        coords = np.asarray(coords, np.float32)
        self.x = np.ascontiguousarray(coords[:, 0])
        self.y = np.ascontiguousarray(coords[:, 1])
        rgba = np.ascontiguousarray(colours, np.uint8)
        self.channels = [np.ascontiguousarray(rgba[:, ch], np.float32) for ch in range(3)]
        self.palette = np.concatenate([rgba, _CLEAR[None]]).view(np.uint32).ravel()  # rank -1: clear
        self._ranks = np.arange(len(self.x), dtype=np.int32)  # the draw ranks of a view showing every point
        self._box = (self.x.min(), self.x.max(), self.y.min(), self.y.max()) if len(self.x) else None
        self._buffers: dict[str, np.ndarray] = {}

    def _buffer(self, name: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        """The work array ``name`` of this shape and type, kept between renders (contents undefined)."""
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = self._buffers[name] = np.empty(shape, dtype)
        return buf

    def __len__(self) -> int:
        return len(self.x)

    def splat(self, view: Viewport) -> Splat:
        """Pixels of the points that fall in ``view``."""
        w, h = view.width, view.height
        sx, sy = np.float32(w / (view.x1 - view.x0)), np.float32(h / (view.y1 - view.y0))
        px = (self.x - np.float32(view.x0)) * sx
        py = (self.y - np.float32(view.y0)) * sy
        rank = None
        if not self._holds_every_point(view):  # else no point can fall outside: skip eight passes
            inside = (px >= 0) & (px < w) & (py >= 0) & (py < h)
            if not inside.all():
                rank = np.flatnonzero(inside).astype(np.int32)
                px, py = px[rank], py[rank]
        pixel = py.astype(np.int32)
        pixel *= np.int32(w)
        pixel += px.astype(np.int32)
        occupancy = self._buffer("occupancy", (w * h,), np.uint8)  # a byte a pixel, not an int64 count
        occupancy.fill(0)
        occupancy[pixel] = 1
        return Splat(pixel, rank, int(np.count_nonzero(occupancy)))

    def _holds_every_point(self, view: Viewport) -> bool:
        """Whether every point lies strictly inside ``view`` (a margin keeps float rounding off the edges)."""
        if self._box is None:
            return True
        (xa, xb), (ya, yb) = sorted((view.x0, view.x1)), sorted((view.y0, view.y1))
        mx, my = 1e-3 * (xb - xa), 1e-3 * (yb - ya)
        x_lo, x_hi, y_lo, y_hi = self._box
        return xa + mx < x_lo and x_hi < xb - mx and ya + my < y_lo and y_hi < yb - my

    def dot_ranks(self, s: Splat, view: Viewport, radius: int = 1) -> np.ndarray:
        """``(height, width)`` int32: the draw rank of the topmost point whose dot covers each pixel, -1 none."""
        w, h = view.width, view.height
        top = self._buffer("top", (h, w), np.int32)
        top.fill(-1)
        top.ravel()[s.pixel] = self._ranks if s.rank is None else s.rank  # the last point drawn on a pixel stays
        if radius <= 0:
            return top
        # Separable: a (2r+1) square of maxima is a row pass then a column pass.
        rows = self._buffer("rows", (h, w), np.int32)
        _dilate(top.T, radius, rows.T)
        return _dilate(rows, radius, self._buffer("ranks", (h, w), np.int32))

    def paint_dots(self, ranks: np.ndarray) -> np.ndarray:
        """RGBA ``(h, w, 4)`` uint8 of :meth:`dot_ranks`."""
        flat = self._buffer("dots", (ranks.size,), np.uint32)
        np.take(self.palette, ranks.ravel(), mode="wrap", out=flat)  # -1 wraps to the clear row; no bounds check
        return flat.view(np.uint8).reshape(*ranks.shape, 4)

    def paint_density(self, s: Splat, view: Viewport) -> np.ndarray:
        """RGBA ``(h, w, 4)`` uint8: per 2 x 2 pixel cell, the mean colour of its points, brighter with
        more of them (log scale up to the view's fullest cell), transparent where there is none. Half
        the resolution of the dots: an overview, at a quarter of the cost (three weighted bincounts
        over the screen were 6 of the 11 ms of a 100 k-point frame)."""
        w, h = view.width, view.height
        cw, ch = (w + 1) // 2, (h + 1) // 2
        cell = (s.pixel // w // 2) * cw + (s.pixel % w) // 2
        n = cw * ch
        counts = np.bincount(cell, minlength=n)
        out = np.zeros(n, np.uint32)
        occ = np.flatnonzero(counts)
        if len(occ):
            count = counts[occ].astype(np.float32)
            top = np.float32(np.log1p(count.max()))
            light = np.float32(0.35) + np.float32(0.65) * np.log1p(count) / top  # a lone point still shows
            scale = light / count
            packed = np.full(len(occ), 0xFF000000, np.uint32)  # alpha 255 (little-endian RGBA)
            for c, values in enumerate(self.channels):
                weights = values if s.rank is None else values[s.rank]
                mean = np.bincount(cell, weights=weights, minlength=n)[occ] * scale
                packed |= np.minimum(mean, 255).astype(np.uint32) << np.uint32(8 * c)
            out[occ] = packed
        full = out.reshape(ch, cw).repeat(2, axis=0).repeat(2, axis=1)[:h, :w]
        return np.ascontiguousarray(full).view(np.uint8).reshape(h, w, 4)

    def render(self, view: Viewport, radius: int = 1) -> tuple[np.ndarray, float]:
        """The view's image ``(h, w, 4)`` uint8 and its density weight (0 dots only .. 1 density only)."""
        s = self.splat(view)
        t = density_weight(s.crowding)
        t = 0.0 if t < FADE_EDGE else 1.0 if t > 1.0 - FADE_EDGE else t  # a faint layer is not worth a blend
        if t >= 1.0:
            return self.paint_density(s, view), t
        dots = self.paint_dots(self.dot_ranks(s, view, radius))
        if t <= 0.0:
            return dots, t
        dense = self.paint_density(s, view)
        k = np.uint16(round(256 * t))  # integer cross-fade: (a * (256 - k) + b * k) >> 8
        blend = (dots.astype(np.uint16) * (np.uint16(256) - k) + dense.astype(np.uint16) * k) >> 8
        return blend.astype(np.uint8), t


def _dilate(a: np.ndarray, radius: int, out: np.ndarray) -> np.ndarray:
    """Maximum of ``a`` over rows ``i - radius .. i + radius`` (clipped at the edges), into ``out``.

    The first step writes the maximum of each row and the next one straight into the result, so no
    full-size copy of ``a`` is made (two of them were a fifth of the dots' cost)."""
    if len(a) < 2:
        out[...] = a
        return out
    np.maximum(a[:-1], a[1:], out=out[:-1])
    out[-1] = a[-1]
    np.maximum(out[1:], a[:-1], out=out[1:])
    for d in range(2, radius + 1):
        np.maximum(out[d:], a[:-d], out=out[d:])
        np.maximum(out[:-d], a[d:], out=out[:-d])
    return out
