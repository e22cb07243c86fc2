"""Where the map draws clips as posters (a small still of each clip) instead of dots, Qt-free.

Zoomed in far enough that no two visible clips' posters would overlap, the map shows each clip's
poster at its point, a fixed size in screen pixels; zoomed out it shows dots and density. "Far
enough" is decided on the clips in view only: at most :data:`MAX_POSTERS` of them (beyond that the
view is crowded anyway, and reading their posters would take long), and every pair at least
:data:`POSTER_PX` apart on screen along x or y (square posters that far apart do not overlap).

:func:`plan_posters` makes that decision and places the posters; :func:`compose_posters` draws them
into one screen-sized RGBA image laid out like :class:`~latentlab.core.point_splat.Viewport` (row 0
at the bottom of the view); :func:`poster_frame` makes a clip's poster (its middle frame, shrunk).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from latentlab.core.point_splat import Viewport

#: The posters' size on the map, in screen pixels (their longer side).
POSTER_PX = 48
#: The most clips in view for which the map draws posters.
MAX_POSTERS = 300
#: A poster kept for the hover card is at most this many pixels on its longer side.
CARD_PX = 128
#: Border of a selected clip's poster, in pixels.
BORDER_PX = 2


@dataclass(frozen=True)
class PosterPlan:
    """The clips to draw as posters: ``indices (K,)`` and the screen pixel ``centres (K, 2)`` (x from the
    left, y from the bottom) of each, in a view ``width x height``."""

    indices: np.ndarray
    centres: np.ndarray
    width: int
    height: int


def visible_clips(coords: np.ndarray, view: Viewport, margin_px: float = 0.0, hidden: np.ndarray | None = None):
    """Indices of the clips within ``margin_px`` of the view (and not ``hidden``)."""
    xy = np.asarray(coords)
    if len(xy) == 0 or view.width < 1 or view.height < 1:
        return np.zeros(0, np.int64)
    mx = margin_px * (view.x1 - view.x0) / view.width
    my = margin_px * (view.y1 - view.y0) / view.height
    inside = (xy[:, 0] >= view.x0 - mx) & (xy[:, 0] <= view.x1 + mx)
    inside &= (xy[:, 1] >= view.y0 - my) & (xy[:, 1] <= view.y1 + my)
    if hidden is not None and len(hidden) == len(xy):
        inside &= ~hidden
    return np.flatnonzero(inside)


def to_pixels(coords: np.ndarray, view: Viewport) -> np.ndarray:
    """Screen pixel positions ``(N, 2)`` float64 (x from the left, y from the bottom) of map ``coords``."""
    xy = np.asarray(coords, np.float64).reshape(-1, 2)
    sx = (xy[:, 0] - view.x0) / max(view.x1 - view.x0, 1e-300) * view.width
    sy = (xy[:, 1] - view.y0) / max(view.y1 - view.y0, 1e-300) * view.height
    return np.stack([sx, sy], axis=1)


def min_spacing(pixels: np.ndarray) -> float:
    """The smallest distance between two of ``pixels (K, 2)`` along x or y, whichever is larger (the
    Chebyshev distance: square posters that far apart just touch); ``inf`` for fewer than two."""
    if len(pixels) < 2:
        return float("inf")
    d, _ = cKDTree(pixels).query(pixels, k=2, p=np.inf)
    return float(d[:, 1].min())


def plan_posters(
    coords: np.ndarray,
    view: Viewport,
    size_px: int = POSTER_PX,
    max_posters: int = MAX_POSTERS,
    hidden: np.ndarray | None = None,
) -> PosterPlan | None:
    """The posters to draw in ``view``, or ``None`` while the view is too crowded for them (more
    than ``max_posters`` clips in it, or two closer than ``size_px`` on screen). Clips up to half a
    poster outside the view count: their posters reach into it."""
    idx = visible_clips(coords, view, size_px / 2, hidden)
    if len(idx) == 0 or len(idx) > max_posters:
        return None
    pixels = to_pixels(np.asarray(coords)[idx], view)
    if min_spacing(pixels) < size_px:
        return None
    return PosterPlan(idx, pixels, view.width, view.height)


def _shrink_index(n: int, to: int) -> np.ndarray:
    """Source rows (or columns) sampled for ``to`` output pixels from ``n`` (nearest, centred)."""
    return np.minimum(((np.arange(to) + 0.5) * n / to).astype(np.int64), n - 1)


def fit_image(image: np.ndarray, size_px: int) -> np.ndarray:
    """``image (H, W, C)`` scaled (nearest pixel) so that its longer side is ``size_px``, aspect kept."""
    h, w = image.shape[:2]
    scale = size_px / max(h, w)
    oh, ow = max(1, round(h * scale)), max(1, round(w * scale))
    if (oh, ow) == (h, w):
        return image
    return image[_shrink_index(h, oh)][:, _shrink_index(w, ow)]


def poster_frame(clip: np.ndarray, size_px: int = CARD_PX) -> np.ndarray:
    """A clip's poster: its middle frame ``(H, W, 3)`` uint8 of ``clip (T, H, W, C)``, shrunk to at
    most ``size_px`` on its longer side (never enlarged)."""
    frame = np.asarray(clip)[len(clip) // 2]
    if frame.shape[-1] == 1:
        frame = np.repeat(frame, 3, axis=-1)
    if max(frame.shape[:2]) > size_px:
        frame = fit_image(frame, size_px)
    return np.ascontiguousarray(frame[..., :3], dtype=np.uint8)


def compose_posters(
    plan: PosterPlan,
    posters: list[np.ndarray | None],
    borders: np.ndarray | None = None,
    border_px: int = BORDER_PX,
) -> np.ndarray:
    """One ``(height, width, 4)`` uint8 RGBA image of the view, transparent but for the posters:
    ``posters[k] (h, w, 3)`` (already at map size; ``None``: not read yet, nothing drawn) centred on
    ``plan.centres[k]``, upright on screen (row 0 of the image is the bottom of the view). ``borders
    (K, 4)`` RGBA frames each poster whose alpha is non-zero (a selected clip)."""
    out = np.zeros((plan.height, plan.width, 4), np.uint8)
    for k, poster in enumerate(posters):
        if poster is None:
            continue
        flipped = poster[::-1]  # the poster's top row goes at the top of the screen: the image's last rows
        if borders is not None and borders[k, 3]:
            h, w = flipped.shape[:2]
            framed = np.empty((h + 2 * border_px, w + 2 * border_px, 4), np.uint8)
            framed[:] = borders[k]
            framed[border_px:-border_px, border_px:-border_px, :3] = flipped
            framed[border_px:-border_px, border_px:-border_px, 3] = 255
            _paste(out, framed, plan.centres[k])
        else:
            _paste(out, flipped, plan.centres[k])
    return out


def _paste(out: np.ndarray, image: np.ndarray, centre: np.ndarray) -> None:
    """Paste ``image (h, w, 3|4)`` into ``out`` centred on pixel ``centre (x, y)``, clipped to ``out``."""
    h, w = image.shape[:2]
    top, left = int(np.floor(centre[1])) - h // 2, int(np.floor(centre[0])) - w // 2
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + h, out.shape[0]), min(left + w, out.shape[1])
    if r0 >= r1 or c0 >= c1:
        return
    part = image[r0 - top : r1 - top, c0 - left : c1 - left]
    out[r0:r1, c0:c1, :3] = part[..., :3]
    out[r0:r1, c0:c1, 3] = part[..., 3] if part.shape[-1] == 4 else 255
