"""SplatItem: the map's points as one image of the view, drawn by :mod:`latentlab.core.point_splat`.

Like :class:`~latentlab.gui.map.point_raster.PointRaster`, it renders every point into a screen-sized
image when the view or the points change (a probe move only repaints the image), but with the
dilated-rank dots and the density level of detail of ``point_splat``: a crowded view shows the mean
colour and the count of the clips under each pixel, and zooming in cross-fades it into the clips' dots.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer

from latentlab.core.point_splat import PointSplatter, Viewport


class SplatItem(pg.ImageItem):
    """Draws ``coords (N, 2)`` with RGBA colours ``(N, 4)`` uint8 (in drawing order) into the view ``vb``."""

    def __init__(self, vb: pg.ViewBox, radius: int = 1) -> None:
        super().__init__(axisOrder="row-major")
        self.vb, self.radius = vb, radius
        self.splatter: PointSplatter | None = None
        self.density_weight = 0.0  # of the last render: 0 dots only .. 1 density only
        self.renders = 0
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.redraw)
        vb.sigRangeChanged.connect(self.schedule)
        vb.sigResized.connect(self.schedule)

    def set_points(self, coords: np.ndarray, colours: np.ndarray) -> None:
        self.splatter = PointSplatter(coords, colours)
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
        self.setImage(img, autoLevels=False)  # uint8 RGBA without levels: pyqtgraph's direct path
        self.setRect(x0, y0, x1 - x0, y1 - y0)
        self.renders += 1
