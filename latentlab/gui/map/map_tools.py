"""Mouse tools of the latent map: click/box/lasso selection, point picking, the context menu hook.

``MapViewBox`` is a pyqtgraph ``ViewBox`` that pans and zooms as usual in the "pan" tool and draws
a rubber-band rectangle or a free-hand lasso in the "box" and "lasso" tools. It does not know
about clips: it reports shapes and clicks in data coordinates through callbacks, and
:class:`PointPicker` turns a position into the nearest clip with a KD-tree built once per layout.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from scipy.spatial import cKDTree

TOOLS = ("pan", "box", "lasso")
PICK_RADIUS_PX = 8.0


def modifiers_to_mode(modifiers, click: bool = False) -> str:
    """Shift adds to the selection, Ctrl removes from it (toggles, for a click)."""
    if modifiers & Qt.KeyboardModifier.ShiftModifier:
        return "add"
    if modifiers & Qt.KeyboardModifier.ControlModifier:
        return "toggle" if click else "remove"
    return "replace"


def points_in_polygon(xy: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Indices of the points ``xy (N, 2)`` inside ``polygon (M, 2)`` (even-odd rule), vectorised."""
    poly = np.asarray(polygon, np.float64)
    if len(poly) < 3 or len(xy) == 0:
        return np.zeros(0, np.int64)
    lo, hi = poly.min(0), poly.max(0)
    cand = np.flatnonzero(np.all((xy >= lo) & (xy <= hi), axis=1))  # cheap bounding-box cut first
    x, y = xy[cand, 0].astype(np.float64), xy[cand, 1].astype(np.float64)
    inside = np.zeros(len(cand), bool)
    x0, y0 = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    for a, b, c, d in zip(x0, y0, x1, y1):  # one pass per edge, over all candidate points
        crosses = (b > y) != (d > y)
        if not crosses.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            xc = a + (y - b) * (c - a) / (d - b)
        inside ^= crosses & (x < xc)
    return cand[inside]


class PointPicker:
    """Nearest clip to a map position, within a radius in screen pixels."""

    def __init__(self) -> None:
        self._coords: np.ndarray | None = None
        self._tree: cKDTree | None = None
        self.hidden: np.ndarray | None = None  # (N,) bool: clips not drawn, so not picked

    def set_coords(self, coords: np.ndarray | None, tree: cKDTree | None = None) -> None:
        """New map positions; ``tree``, a KD-tree over the same points already built elsewhere (the
        inverse projection's, built in a job), saves building one on the GUI thread at the first pick."""
        self._coords = None if coords is None else np.asarray(coords, np.float64)
        if tree is not None and (self._coords is None or tree.n != len(self._coords)):
            tree = None  # not over these points
        self._tree = tree  # else built on first use: a projection being animated never needs it

    def nearest(self, x: float, y: float, k: int) -> np.ndarray:
        """The ``k`` clips nearest to map position ``(x, y)`` (all of them if fewer), nearest first."""
        if self._coords is None or len(self._coords) == 0:
            return np.zeros(0, np.int64)
        if self._tree is None:
            self._tree = cKDTree(self._coords)
        _, idx = self._tree.query([x, y], k=min(k, len(self._coords)))
        return np.atleast_1d(idx).astype(np.int64)

    def pick(self, x: float, y: float, pixel_size: tuple[float, float], radius_px: float = PICK_RADIUS_PX) -> int:
        """Index of the clip nearest to ``(x, y)`` if within ``radius_px`` pixels, else -1."""
        if self._coords is None or len(self._coords) == 0:
            return -1
        if self._tree is None:
            self._tree = cKDTree(self._coords)
        hidden = self.hidden if self.hidden is not None and len(self.hidden) == len(self._coords) else None
        k = min(8 if hidden is None else 64, len(self._coords))
        _, idx = self._tree.query([x, y], k=k)
        idx = np.atleast_1d(idx)
        if hidden is not None:
            idx = idx[~hidden[idx]]
            if not len(idx):
                return -1
        px = np.maximum(np.asarray(pixel_size, np.float64), 1e-12)
        d = np.hypot((self._coords[idx, 0] - x) / px[0], (self._coords[idx, 1] - y) / px[1])
        best = int(np.argmin(d))
        return int(idx[best]) if d[best] <= radius_px else -1


class MapViewBox(pg.ViewBox):
    """A ViewBox with pan / box / lasso tools. Callbacks get data coordinates and modifiers."""

    def __init__(self, on_click: Callable, on_shape: Callable, on_context: Callable, **kw) -> None:
        super().__init__(**kw)
        self.tool = "pan"
        self._on_click, self._on_shape, self._on_context = on_click, on_shape, on_context
        self._lasso: list[QPointF] = []
        self._outline = pg.PlotCurveItem(pen=pg.mkPen((255, 255, 255, 200), width=1, style=Qt.PenStyle.DashLine))
        self._outline.setZValue(1000)
        self.addItem(self._outline, ignoreBounds=True)
        self._outline.hide()
        # Takes a left-button drag before the tool does (``hook(ev) -> bool``, True: handled): dragging
        # a clip's point (point_drag.py). A click without movement never reaches it.
        self.drag_hook: Callable | None = None

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"map tool must be one of {TOOLS}, got {tool!r}")
        self.tool = tool

    def mouseClickEvent(self, ev) -> None:
        pos = self.mapSceneToView(ev.scenePos())
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._on_click(pos.x(), pos.y(), ev.modifiers())
        elif ev.button() == Qt.MouseButton.RightButton and self._on_context(pos.x(), pos.y(), ev.screenPos()):
            ev.accept()
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if self.drag_hook is not None and ev.button() == Qt.MouseButton.LeftButton and self.drag_hook(ev):
            return
        if self.tool == "pan" or ev.button() != Qt.MouseButton.LeftButton:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        if ev.isStart():
            self._lasso = [self.mapSceneToView(ev.buttonDownScenePos())]
        self._lasso.append(p)
        if self.tool == "box":
            a = self._lasso[0]
            poly = np.array([[a.x(), a.y()], [p.x(), a.y()], [p.x(), p.y()], [a.x(), p.y()]])
        else:
            poly = np.array([[q.x(), q.y()] for q in self._lasso])
        closed = np.vstack([poly, poly[:1]])
        self._outline.setData(closed[:, 0], closed[:, 1])
        self._outline.show()
        if ev.isFinish():
            self._outline.hide()
            self._lasso = []
            self._on_shape(poly, ev.modifiers())
