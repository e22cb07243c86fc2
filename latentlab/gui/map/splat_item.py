"""SplatItem: the map's points as one image of the view, drawn by :mod:`latentlab.core.point_splat`.

Like the previous :class:`~latentlab.gui.map.point_raster.PointRaster` (kept as the benchmark's
baseline), it renders every point into a screen-sized image when the view or the points change (a
probe move only repaints the image), but with the dilated-rank dots and the density level of detail of
``point_splat``: a crowded view shows the mean colour and the count of the clips under each pixel, and
zooming in cross-fades it into the clips' dots. Picking stays on the map's KD-tree at every zoom.

The image is made in the painter's own pixel format (premultiplied ARGB32, top row first) and drawn
one image pixel to one screen pixel, so Qt copies it without a conversion or a resampling (an RGBA
image flipped and scaled onto the view cost a fifth of a 100 k-point frame).
"""

from __future__ import annotations

import sys

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QTimer
from PySide6.QtGui import QImage

from latentlab.core.point_splat import PointSplatter, Viewport
from latentlab.gui.map.point_raster import DOT, RING, SELECTED, stamp

#: QImage.Format_ARGB32_Premultiplied holds B, G, R, A bytes on a little-endian machine.
_FORMAT, _BYTES = (
    (QImage.Format.Format_ARGB32_Premultiplied, [2, 1, 0, 3])
    if sys.byteorder == "little"
    else (QImage.Format.Format_RGBA8888_Premultiplied, [0, 1, 2, 3])
)


def premultiplied(rgba: np.ndarray) -> np.ndarray:
    """``(N, 4)`` uint8 RGBA -> the bytes of :data:`_FORMAT` (colour scaled by alpha, channels reordered)."""
    rgba = np.asarray(rgba, np.uint8).reshape(-1, 4)
    out = rgba[:, _BYTES].copy()
    alpha = rgba[:, 3:4].astype(np.uint16)
    out[:, :3] = (out[:, :3] * alpha + 127) // 255
    return out


class SplatItem(pg.GraphicsObject):
    """Draws ``coords (N, 2)`` with RGBA colours ``(N, 4)`` uint8 into the view ``vb``; selected clips get
    a white ring on top."""

    def __init__(self, vb: pg.ViewBox, radius: int = 1) -> None:
        super().__init__()
        self.vb, self.radius = vb, radius
        self.splatter: PointSplatter | None = None
        self.coords = np.zeros((0, 2), np.float32)
        self.colours = np.zeros((0, 4), np.uint8)
        self._drawn_colours = np.zeros((0, 4), np.uint8)  # the colours in the image's byte format
        self.selected = np.zeros(0, np.int64)
        self.density_weight = 0.0  # of the last render: 0 dots only .. 1 density only
        self.renders = 0
        self._pixels: np.ndarray | None = None  # (h, w, 4) uint8 in _FORMAT, top row first
        self._qimage: QImage | None = None  # a view of _pixels
        self._rect = QRectF()  # the data rectangle the image covers
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.redraw)
        vb.sigRangeChanged.connect(self.schedule)
        vb.sigResized.connect(self.schedule)

    @property
    def image(self) -> np.ndarray:
        """The last render as ``(h, w, 4)`` uint8 RGBA, row 0 at the bottom of the view (for tests and tools)."""
        if self._qimage is None:
            return np.zeros((1, 1, 4), np.uint8)
        q = self._qimage.convertToFormat(QImage.Format.Format_RGBA8888)  # Qt undoes the premultiplication
        h, w = q.height(), q.width()
        rows = np.frombuffer(q.constBits(), np.uint8).reshape(h, q.bytesPerLine())
        return rows[::-1, : 4 * w].reshape(h, w, 4).copy()

    def set_points(self, coords: np.ndarray, colours: np.ndarray, order: np.ndarray | None = None) -> None:
        """``order``: the drawing order (later on top), all of ``0..N-1``; ``None``: index order."""
        self.coords = np.asarray(coords, np.float32)
        self.colours = np.asarray(colours, np.uint8)
        self._drawn_colours = premultiplied(self.colours)
        order = np.arange(len(self.coords)) if order is None else np.asarray(order, np.int64)
        self.splatter = PointSplatter(self.coords[order], self._drawn_colours[order])
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
        width, height = self.vb.width(), self.vb.height()
        w, h = int(width), int(height)
        if w < 2 or h < 2 or self.splatter is None or len(self.splatter) == 0:
            self._show(None, QRectF())
            return
        (x0, x1), (y0, y1) = self.vb.viewRange()
        x1 = x0 + (x1 - x0) * w / width  # whole pixels: the image lands on the screen one to one
        y0 = y1 - (y1 - y0) * h / height
        img, self.density_weight = self.splatter.render(Viewport(x0, x1, y1, y0, w, h), self.radius)
        if self.selected.size:  # a ring and the clip's own dot on top of everything else
            sxy = self.coords[self.selected]
            sx = np.floor((sxy[:, 0] - x0) / (x1 - x0) * w).astype(np.int64)
            sy = np.floor((y1 - sxy[:, 1]) / (y1 - y0) * h).astype(np.int64)
            stamp(img, sx, sy, premultiplied(SELECTED)[0], RING)
            stamp(img, sx, sy, self._drawn_colours[self.selected], DOT)
        self._show(img, QRectF(x0, y0, x1 - x0, y1 - y0))
        self.renders += 1

    def _show(self, img: np.ndarray | None, rect: QRectF) -> None:
        if img is None:
            self._pixels = self._qimage = None
        else:
            self._pixels = np.ascontiguousarray(img)
            h, w = self._pixels.shape[:2]
            self._qimage = QImage(self._pixels.data, w, h, 4 * w, _FORMAT)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, painter, *_args) -> None:
        if self._qimage is None:
            return
        target = painter.transform().mapRect(self._rect)  # where the image lies on the screen
        painter.save()
        painter.resetTransform()
        if abs(target.width() - self._qimage.width()) < 1 and abs(target.height() - self._qimage.height()) < 1:
            painter.drawImage(QPointF(round(target.left()), round(target.top())), self._qimage)  # a plain copy
        else:  # the view changed and the new render has not run yet: stretch the last one
            painter.drawImage(target, self._qimage)
        painter.restore()
