"""View → Posterior ellipses: how sure the encoder is about each selected clip, drawn on the map.

Each selected clip's posterior q(z|x) = N(mu, diag(exp(logvar))) is carried into map space
(:func:`~latentlab.core.map_covariance.posterior_ellipses`: exactly on a PCA map, by a local linear
fit on t-SNE, UMAP and user maps) and outlined at :data:`ELLIPSE_SIGMA` sigma, for up to
:data:`MAX_ELLIPSES` clips, as one path above the points. The covariances are computed on the
worker ("ellipses" channel, latest wins; each clip's local fit is kept while the map is shown), and
follow the selection, the map and the dataset. On a non-linear map of 100k clips, 500 new clips take
about 0.5-1 s of the worker (benchmarks/bench_map_covariance.py), mostly the neighbour search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem

from latentlab.core.map_covariance import ELLIPSE_SIGMA, MapEllipses, posterior_ellipses
from latentlab.gui.errors import guarded, listen
from latentlab.gui.shell import ExtensionBase, WindowContext

MAX_ELLIPSES = 500  # selected clips outlined (the first, in index order)
ELLIPSE_COLOUR = (120, 220, 255, 190)
Z_VALUE = 99  # above the points, below the path, current clip and probe (100+)


@dataclass(frozen=True)
class EllipsesFor:
    """What the "ellipses" channel returns: the ellipses and the dataset and map they were made for."""

    dataset: Any
    projection: Any
    ellipses: MapEllipses


def outline_path(outlines: np.ndarray) -> QPainterPath:
    """One path of closed polylines ``(M, S, 2)``, none joined to the next."""
    if outlines.size == 0:
        return QPainterPath()
    m, s, _ = outlines.shape
    connect = np.ones((m, s), np.int32)
    connect[:, -1] = 0
    return pg.arrayToQPath(outlines[..., 0].ravel(), outlines[..., 1].ravel(), connect=connect.ravel())


class PosteriorEllipsesExtension(ExtensionBase):
    """The View menu's "Posterior ellipses" toggle and the outlines it draws on ``ctx.map``."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx)
        self.state = ctx.state
        self.ellipses: MapEllipses | None = None  # what is drawn
        self._cache: tuple[Any, Any, dict] = (None, None, {})  # (dataset, map, clip -> local J): worker-filled
        self.item = QGraphicsPathItem()
        pen = pg.mkPen(ELLIPSE_COLOUR, width=1)
        pen.setCosmetic(True)
        self.item.setPen(pen)
        self.item.setZValue(Z_VALUE)
        self.item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        ctx.map.view.addItem(self.item, ignoreBounds=True)
        self.action = QAction("Posterior &ellipses", ctx.window)
        self.action.setObjectName("action_posterior_ellipses")
        self.action.setCheckable(True)
        self.action.setToolTip(
            f"outline the {ELLIPSE_SIGMA:g}-σ ellipse of each selected clip's posterior q(z|x) on the map "
            f"(up to {MAX_ELLIPSES}): exact on PCA, a local linear estimate on t-SNE / UMAP"
        )
        ctx.add_view_action(ctx.needs_data(self.action))
        self.action.toggled.connect(guarded(lambda *_: self.refresh()))
        self.channel = ctx.worker.channel("ellipses")
        self.channel.ready.connect(self._on_ready)
        for signal in (self.state.selection_changed, self.state.projection_changed, self.state.dataset_changed):
            listen(ctx.window, signal, lambda *_: self.refresh())
        listen(ctx.window, self.state.layout_preview, lambda *_: self._draw(None))  # a map being fitted

    def refresh(self) -> None:
        """Ask for the ellipses of the current selection on the current map (or clear them)."""
        ds, proj, sel = self.state.dataset, self.state.projection, self.state.selection
        if not self.action.isChecked() or ds is None or proj is None or not sel.size:
            self._draw(None)
            return
        if len(proj.coords) != ds.n_clips:
            self._draw(None)
            return
        clips = sel[:MAX_ELLIPSES].copy()
        if self._cache[0] is not ds or self._cache[1] is not proj:
            self._cache = (ds, proj, {})
        cache = self._cache[2]
        self.channel.request(
            lambda: EllipsesFor(ds, proj, posterior_ellipses(proj, ds.mu, ds.logvar, clips, ds.index, cache=cache))
        )

    @guarded
    def _on_ready(self, _rid: int, result: EllipsesFor) -> None:
        if (
            result.dataset is not self.state.dataset
            or result.projection is not self.state.projection
            or not self.action.isChecked()
        ):
            return  # made for a map, dataset or selection no longer shown
        self._draw(result.ellipses)
        e = result.ellipses
        how = "exact on this linear map" if e.exact else "estimated from each clip's neighbours on this map"
        more = (
            f" (the first {MAX_ELLIPSES} of {self.state.selection.size})"
            if self.state.selection.size > len(e.clips)
            else ""
        )
        self.ctx.say(
            f"posterior ellipses: {ELLIPSE_SIGMA:g}-σ outline of q(z|x) for {len(e.clips)} clips{more}, {how}"
            + self._size_note(e)
        )

    def _size_note(self, e: MapEllipses) -> str:
        """ "; most smaller than a pixel..." when the outlines are too small to see at this zoom."""
        if not len(e.clips):
            return ""
        major = float(np.median(np.sqrt(np.clip(np.linalg.eigvalsh(e.covariances)[:, 1], 0, None))))
        px = self.ctx.map.view.viewPixelSize()
        if ELLIPSE_SIGMA * major >= 2 * max(min(px), 1e-300):
            return ""
        return f" — most are under 2 pixels here (median radius {ELLIPSE_SIGMA * major:.2g} map units): zoom in"

    def _draw(self, ellipses: MapEllipses | None) -> None:
        self.ellipses = ellipses
        self.item.setPath(outline_path(ellipses.outlines()) if ellipses is not None else QPainterPath())
        self.item.setVisible(ellipses is not None)
