"""A k x k lattice over the visible part of the map, and where each decoded tile goes. No Qt here.

The decoded grid (View → Decoded grid) decodes the latent behind every lattice point (the map's
inverse) and draws one frame of it as a tile centred on the point. The lattice points are the centres
of the ``k x k`` cells that split the view, so every tile lies inside the view and the tiles never
overlap; a tile is square in map units (the map keeps its aspect, so square on screen too), a
``fill`` fraction of the smaller cell side, and is narrowed to the frame's own aspect.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from latentlab.core.errors import LatentSpaceError

GRID_SIZES = (4, 6, 8, 10)  # the k the user picks from (View → Decoded grid size)
DEFAULT_GRID = 6
MAX_GRID = 32  # k*k latents are decoded in one batch: keep it a batch a model can take
DEFAULT_FILL = 0.92  # a tile's side as a fraction of the smaller cell side: a thin gap shows the points


@dataclass(frozen=True)
class Lattice:
    """``k x k`` points over a view range, row 0 at the top (largest y), column 0 on the left.

    Attributes
    ----------
    x_range, y_range
        The view range the lattice covers, ``(low, high)`` each.
    k
        Points per side.
    points
        ``(k*k, 2)`` float64 map positions, point ``row * k + col``.
    side
        A tile's side in map units (before it is fitted to the frame's aspect).
    """

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    k: int
    points: np.ndarray
    side: float

    def tile_rects(self, aspect: float = 1.0) -> np.ndarray:
        """``(k*k, 4)`` rectangles ``(x, y, width, height)`` of the tiles in map units (``x, y``: the
        low corner), each centred on its lattice point; ``aspect`` is the frame's width / height."""
        if not (math.isfinite(aspect) and aspect > 0):
            raise LatentSpaceError(f"a tile's aspect (width / height) must be a positive number, not {aspect}")
        w, h = (self.side, self.side / aspect) if aspect >= 1 else (self.side * aspect, self.side)
        rects = np.empty((len(self.points), 4), np.float64)
        rects[:, 0] = self.points[:, 0] - w / 2
        rects[:, 1] = self.points[:, 1] - h / 2
        rects[:, 2], rects[:, 3] = w, h
        return rects


def _range(r, name: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in r)
    except (TypeError, ValueError):
        raise LatentSpaceError(f"the {name} range must be two numbers (low, high), not {r!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise LatentSpaceError(f"the {name} range must be finite with low < high, not ({lo}, {hi})")
    return lo, hi


def view_lattice(x_range, y_range, k: int = DEFAULT_GRID, fill: float = DEFAULT_FILL) -> Lattice:
    """The ``k x k`` lattice of cell centres over ``x_range`` x ``y_range`` (see :class:`Lattice`)."""
    x0, x1 = _range(x_range, "x")
    y0, y1 = _range(y_range, "y")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_GRID:
        raise LatentSpaceError(f"the grid needs a whole number of tiles per side from 1 to {MAX_GRID}, not {k!r}")
    if not (math.isfinite(fill) and 0 < fill <= 1):
        raise LatentSpaceError(f"the tile fill must be in (0, 1], not {fill}")
    k = int(k)
    dx, dy = (x1 - x0) / k, (y1 - y0) / k
    cols = x0 + (np.arange(k) + 0.5) * dx
    rows = y1 - (np.arange(k) + 0.5) * dy  # row 0 at the top, as the grid is read
    px, py = np.meshgrid(cols, rows)  # (k rows, k cols)
    points = np.stack([px.ravel(), py.ravel()], axis=1)
    return Lattice((x0, x1), (y0, y1), k, points, fill * min(dx, dy))
