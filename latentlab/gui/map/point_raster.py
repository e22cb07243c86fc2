"""PointRaster: all the map's points drawn into one screen-sized image with numpy.

pyqtgraph's ``ScatterPlotItem`` draws every point on every repaint, including the small repaints
caused by moving the probe marker, and its pixmap cache does not survive its pixel-mode painting:
at 100k points each probe move cost a full redraw (~50-100 ms on a busy 2-core VM). Here the points
are splatted into an RGBA image only when the view or the points change (pan, zoom, colours,
selection), and a probe move repaints a blit of that image. Every point is drawn: nothing is
sampled away.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer

#: 3x3 dot and the ring around it (selection outline), as (dy, dx) offsets
DOT = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
RING = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3) if max(abs(dy), abs(dx)) == 2]
SELECTED = np.array([255, 255, 255, 235], np.uint8)


class PointRaster(pg.ImageItem):
    """Draws ``coords (N, 2)`` with per-point RGBA colours ``(N, 4)`` uint8 into the view ``vb``."""

    def __init__(self, vb: pg.ViewBox) -> None:
        super().__init__(axisOrder="row-major")
        self.vb = vb
        self.coords = np.zeros((0, 2), np.float32)
        self.colours = np.zeros((0, 4), np.uint8)
        self.order = np.zeros(0, np.int64)  # drawing order: later points on top
        self.selected = np.zeros(0, np.int64)
        self.renders = 0
        self._timer = QTimer(self, singleShot=True, interval=0)  # dies with the item
        self._timer.timeout.connect(self.redraw)
        vb.sigRangeChanged.connect(self.schedule)
        vb.sigResized.connect(self.schedule)

    def set_points(self, coords: np.ndarray, colours: np.ndarray, order: np.ndarray | None = None) -> None:
        self.coords = np.asarray(coords, np.float64)
        self.colours = np.asarray(colours, np.uint8)
        self.order = np.arange(len(self.coords)) if order is None else np.asarray(order, np.int64)
        self.schedule()

    def set_selected(self, indices: np.ndarray) -> None:
        self.selected = np.asarray(indices, np.int64)
        self.schedule()

    def schedule(self, *_args) -> None:
        """Re-render once after the current event.

        New points, a new selection and the range change that often follows them (a pan emits several
        in a row) arrive within one event: they share one render of every point instead of one each.
        """
        if not self._timer.isActive():
            self._timer.start()

    def redraw(self) -> None:
        """Splat every point into an image of the view's size in pixels and place it on the view."""
        self._timer.stop()
        w, h = int(self.vb.width()), int(self.vb.height())
        if w < 2 or h < 2 or len(self.coords) == 0 or not self.isVisible():
            self.setImage(np.zeros((1, 1, 4), np.uint8), autoLevels=False)
            return
        (x0, x1), (y0, y1) = self.vb.viewRange()
        img = np.zeros((h, w, 4), np.uint8)  # row 0 is y0 (the bottom of the view)
        xy = self.coords[self.order]
        px = np.floor((xy[:, 0] - x0) / (x1 - x0) * w).astype(np.int64)
        py = np.floor((xy[:, 1] - y0) / (y1 - y0) * h).astype(np.int64)
        stamp(img, px, py, self.colours[self.order], DOT)
        if self.selected.size:
            sxy = self.coords[self.selected]
            sx = np.floor((sxy[:, 0] - x0) / (x1 - x0) * w).astype(np.int64)
            sy = np.floor((sxy[:, 1] - y0) / (y1 - y0) * h).astype(np.int64)
            stamp(img, sx, sy, SELECTED, RING)
            stamp(img, sx, sy, self.colours[self.selected], DOT)
        self.setImage(img, autoLevels=False, levels=(0, 255))
        self.setRect(x0, y0, x1 - x0, y1 - y0)
        self.renders += 1


def stamp(img: np.ndarray, px: np.ndarray, py: np.ndarray, colours, offsets) -> None:
    """Draw ``offsets`` (a dot or a ring) of ``colours`` around the pixels ``px, py`` of ``img`` (clipped)."""
    h, w = img.shape[:2]
    for dy, dx in offsets:
        x, y = px + dx, py + dy
        ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
        img[y[ok], x[ok]] = colours[ok] if np.ndim(colours) == 2 else colours
