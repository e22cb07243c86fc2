"""SplatItem: the map's points as one image of the view, drawn by :mod:`latentlab.core.point_splat`.

Like the previous :class:`~latentlab.gui.map.point_raster.PointRaster` (kept as the benchmark's
baseline), it renders every point into a screen-sized image when the view or the points change (a
probe move only repaints the image), but with the dilated-rank dots and the density level of detail of
``point_splat``: a crowded view shows the mean colour and the count of the clips under each pixel, and
zooming in cross-fades it into the clips' dots. Picking stays on the map's KD-tree at every zoom.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer

from latentlab.core.point_splat import PointSplatter, Viewport
from latentlab.gui.map.point_raster import DOT, RING, SELECTED, stamp


class SplatItem(pg.ImageItem):
    """Draws ``coords (N, 2)`` with RGBA colours ``(N, 4)`` uint8 into the view ``vb``; selected clips get
    a white ring on top."""

    def __init__(self, vb: pg.ViewBox, radius: int = 1) -> None:
        super().__init__(axisOrder="row-major")
        self.vb, self.radius = vb, radius
        self.splatter: PointSplatter | None = None
        self.coords = np.zeros((0, 2), np.float32)
        self.colours = np.zeros((0, 4), np.uint8)
        self.selected = np.zeros(0, np.int64)
        self.density_weight = 0.0  # of the last render: 0 dots only .. 1 density only
        self.renders = 0
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.redraw)
        vb.sigRangeChanged.connect(self.schedule)
        vb.sigResized.connect(self.schedule)

    def set_points(self, coords: np.ndarray, colours: np.ndarray, order: np.ndarray | None = None) -> None:
        """``order``: the drawing order (later on top), all of ``0..N-1``; ``None``: index order."""
        self.coords = np.asarray(coords, np.float32)
        self.colours = np.asarray(colours, np.uint8)
        order = np.arange(len(self.coords)) if order is None else np.asarray(order, np.int64)
        self.splatter = PointSplatter(self.coords[order], self.colours[order])
        self.schedule()

    def set_selected(self, indices: np.ndarray) -> None:
        self.selected = np.asarray(indices, np.int64)
        self.schedule()

    def schedule(self, *_args) -> None:
        """Render once after the current event (a pan emits several range changes in a row)."""
        if not self._timer.isActive():
            self._timer.start()

    def redraw(self) -> None:
        self._timer.stop()
        w, h = int(self.vb.width()), int(self.vb.height())
        if w < 2 or h < 2 or self.splatter is None or len(self.splatter) == 0:
            self.setImage(np.zeros((1, 1, 4), np.uint8), autoLevels=False)
            return
        (x0, x1), (y0, y1) = self.vb.viewRange()
        img, self.density_weight = self.splatter.render(Viewport(x0, x1, y0, y1, w, h), self.radius)
        if self.selected.size:  # a ring and the clip's own dot on top of everything else
            sxy = self.coords[self.selected]
            sx = np.floor((sxy[:, 0] - x0) / (x1 - x0) * w).astype(np.int64)
            sy = np.floor((sxy[:, 1] - y0) / (y1 - y0) * h).astype(np.int64)
            stamp(img, sx, sy, SELECTED, RING)
            stamp(img, sx, sy, self.colours[self.selected], DOT)
        self.setImage(img, autoLevels=False)  # uint8 RGBA without levels: pyqtgraph's direct path
        self.setRect(x0, y0, x1 - x0, y1 - y0)
        self.renders += 1
