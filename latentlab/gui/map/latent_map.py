"""LatentMap: every clip a point on the 2-D projection, coloured by a per-clip field.

Draws the :class:`~latentlab.core.explorer_state.ExplorerState`: the projection (or the preview of
one being fitted), the colour field with its legend, the shared selection, the current clip, the
probe marker (drag it: the state's probe moves) and the interpolation path. Hovering shows the
poster of the clip under the cursor, then the clip playing (read on the decode worker); zoomed in,
clips are drawn as their posters (:class:`~latentlab.gui.map.poster_layer.PosterLayer`). The mouse
and the probe are handled by :class:`~latentlab.gui.map.map_interaction.MapInteraction`. The points
are drawn by :class:`~latentlab.gui.map.splat_item.SplatItem`: where they crowd it shows their
density in the mean colour of the clips under each pixel, fading into the clips' own dots as the
user zooms in.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QMenu, QVBoxLayout, QWidget

from latentlab.core.explorer_state import ExplorerState
from latentlab.gui.errors import guarded, listen
from latentlab.gui.map.map_colours import colour_groups
from latentlab.gui.map.map_interaction import MapInteraction
from latentlab.gui.map.map_tools import MapViewBox, PointPicker
from latentlab.gui.map.poster_layer import PosterLayer
from latentlab.gui.map.splat_item import SplatItem
from latentlab.gui.widgets.frame_view import FrameView
from latentlab.gui.wording import count
from latentlab.gui.workers import DecodeWorker

MAX_SELECTION_DRAWN = 200_000
PREVIEW_INTERVAL_MS = 150


class _Points(pg.ScatterPlotItem):
    """A scatter that leaves clicks to the view box: picking uses our KD-tree, not ``pointsAt``."""

    def mouseClickEvent(self, ev) -> None:
        ev.ignore()


class LatentMap(QWidget, MapInteraction):
    """The latent map view of ``state``; hover thumbnails are read through ``worker``."""

    hovered = Signal(int)  # clip under the cursor, -1 for none
    layout_drawn = Signal()  # points redrawn (new projection, preview or colours)

    def __init__(self, state: ExplorerState, worker: DecodeWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state, self.worker = state, worker
        self.view = MapViewBox(self._on_click, self._on_shape, self._on_context)
        self.plot = pg.PlotWidget(viewBox=self.view, background=(8, 9, 12))
        self.plot.setAspectLocked(True)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")
        self.legend = self.plot.addLegend(offset=(8, 8), labelTextColor=(215, 218, 224), brush=(20, 22, 28, 200))
        self.picker = PointPicker()
        self.groups: list = []  # ColourGroup of the colour field shown
        self._legend_samples: list[pg.ScatterPlotItem] = []  # legend swatches, not in the scene
        self.coords = np.zeros((0, 2), np.float32)
        self.shown: np.ndarray | None = None  # "show only" these clips (others dimmed); None = all
        self.hide_dimmed = False  # View → Hide dimmed clips: the others are not drawn (nor picked) at all
        self.raster = SplatItem(self.view)
        self.view.addItem(self.raster, ignoreBounds=True)
        self._cur = _Points(size=14, pen=pg.mkPen(255, 220, 80, width=2), brush=None, pxMode=True)
        self._path = pg.PlotDataItem(
            pen=pg.mkPen(255, 160, 60, width=2), symbol="o", symbolSize=5, symbolBrush=(255, 160, 60), symbolPen=None
        )
        self.probe = pg.TargetItem(
            pos=(0, 0),
            size=16,
            movable=True,
            pen=pg.mkPen(255, 90, 90, width=2),
            label="probe",
            labelOpts={"color": (255, 120, 120), "offset": (10, -10)},
        )
        for z, item in enumerate((self._path, self._cur, self.probe)):
            item.setZValue(100 + z)
            if item is not self.probe:
                item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self.view.addItem(item, ignoreBounds=True)
        self.probe.hide()
        self.probe.sigPositionChanged.connect(self._on_probe_dragged)
        self.caption = QLabel(self)
        self._caption = ""  # the caption without the selection note (see _set_caption)
        self.caption.setObjectName("numbers")
        self.thumb = FrameView(self.plot, min_size=96)
        self.thumb.resize(112, 112)
        self.thumb.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.thumb.hide()
        self._hover = -1
        self._init_hover_card()
        self._moving_probe = False
        self.context_entries: list[Callable[[QMenu, int], None]] = []  # features add to a clip's context menu
        self._pending_preview: np.ndarray | None = None
        self._preview_timer = QTimer(self, singleShot=True, interval=PREVIEW_INTERVAL_MS)
        self._preview_timer.timeout.connect(self._flush_preview)
        self._last_preview = 0.0
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.caption)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.viewport().installEventFilter(self)  # the mouse leaving the map hides the thumbnail
        self.hover_channel = worker.channel("hover")
        self.hover_channel.ready.connect(self._on_result)
        self.posters = PosterLayer(self)  # clips drawn as their posters when zoomed in
        for signal, slot in (
            (state.dataset_changed, self._on_dataset_changed),
            (state.projection_changed, self._on_projection_changed),
            (state.layout_preview, self._on_layout_preview),
            (state.colour_field_changed, self._redraw_points),
            (state.selection_changed, self._draw_selection),
            (state.current_changed, self._draw_selection),
            (state.probe_moved, self._on_probe_moved),
            (state.path_changed, self._on_path_changed),
            (state.shown_changed, self._on_shown_changed),
        ):
            listen(self, signal, slot)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Leave and watched is self.plot.viewport():
            self._set_hover(-1)
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------------------- drawing
    def set_tool(self, tool: str) -> None:
        """``pan`` (drag pans, wheel zooms), ``box`` or ``lasso`` selection."""
        self.view.set_tool(tool)

    def set_hide_dimmed(self, on: bool) -> None:
        """Hide the clips "show only" dims, instead of drawing them greyed underneath."""
        self.hide_dimmed = bool(on)
        self._redraw_points()

    def _on_shown_changed(self, indices: np.ndarray | None) -> None:
        """Show only clips ``indices`` (the others are dimmed, still pickable); ``None`` shows all."""
        self.shown = indices
        self._redraw_points()

    def _on_dataset_changed(self, _dataset=None) -> None:
        self.coords = np.zeros((0, 2), np.float32)
        self.shown = None
        self.picker.set_coords(None)
        self._set_hover(-1)  # the hovered index belonged to the previous dataset
        self._on_path_changed(None)
        self.probe.hide()
        self._redraw_points()

    def _on_projection_changed(self, projection) -> None:
        self._preview_timer.stop()
        self._pending_preview = None
        inverse = self.state.inverse
        tree = inverse.map_tree if inverse is not None else None  # built with the inverse, in its job
        self._set_coords(np.asarray(projection.coords, np.float32), autorange=True, tree=tree)

    def show_projection(self) -> None:
        """Draw the state's projection again (after a fit that previewed layouts was cancelled)."""
        if self.state.projection is not None:
            self._on_projection_changed(self.state.projection)

    def _on_layout_preview(self, coords: np.ndarray) -> None:
        # Fitting reports layouts faster than 100k points can be redrawn: keep only the latest.
        self._pending_preview = coords
        if not self._preview_timer.isActive():
            wait = PREVIEW_INTERVAL_MS - (time.perf_counter() - self._last_preview) * 1000
            self._preview_timer.start(max(0, int(wait)))

    @guarded
    def _flush_preview(self) -> None:
        if self._pending_preview is not None:
            coords, self._pending_preview = self._pending_preview, None
            self._last_preview = time.perf_counter()
            self._set_coords(coords, autorange=True)

    def _set_coords(self, coords: np.ndarray, autorange: bool, tree=None) -> None:
        self._set_hover(-1)  # the points moved away from under the cursor
        self.coords = coords
        self.picker.set_coords(coords, tree)
        self._redraw_points()
        self._draw_selection()
        if autorange and len(coords):
            lo, hi = (
                coords.min(0).astype(np.float64),
                coords.max(0).astype(np.float64),
            )  # float32 overflows pyqtgraph's limits
            pad = 0.05 * np.maximum(hi - lo, 1e-6)
            self.view.setRange(
                xRange=(float(lo[0] - pad[0]), float(hi[0] + pad[0])),
                yRange=(float(lo[1] - pad[1]), float(hi[1] + pad[1])),
                padding=0,
            )

    def _set_caption(self, text: str) -> None:
        self._caption = text
        self.caption.setText(text + self._selection_note())

    def _selection_note(self) -> str:
        """ " · 1 clip selected" (empty without a selection), the count the user asks about first."""
        sel = self.state.selection
        if not sel.size or len(self.coords) == 0:
            return ""
        extra = f" (outlining {MAX_SELECTION_DRAWN:,})" if sel.size > MAX_SELECTION_DRAWN else ""
        return f" · {count(sel.size, 'clip')} selected{extra}"

    def _redraw_points(self, *_args) -> None:
        self.legend.clear()
        self._legend_samples, self.groups = [], []
        ds, n = self.state.dataset, len(self.coords)
        if ds is None or n == 0 or n != ds.n_clips:
            self.raster.hide()
            self._set_caption("no clips loaded" if ds is None else f"{ds.n_clips:,} clips: projecting…")
            self.layout_drawn.emit()
            return
        field = ds.fields.get(self.state.colour_field)
        method = self.state.projection.method if self.state.projection is not None else "…"
        self.raster.show()
        self.groups = colour_groups(field, n)
        colours = np.zeros((n, 4), np.uint8)
        for group in self.groups:
            c = group.colour
            colours[group.indices] = (c.red(), c.green(), c.blue(), 255)
            if group.in_legend:  # a swatch for the legend; the points themselves are the raster
                sample = pg.ScatterPlotItem(size=8, pen=None, brush=pg.mkBrush(c))
                self._legend_samples.append(sample)
                self.legend.addItem(sample, group.label)
        order = np.concatenate([g.indices for g in self.groups]) if self.groups else np.arange(n)
        note = f"{n:,} clips"
        self.picker.hidden = None
        if self.shown is not None:  # the others dimmed and drawn underneath: context stays visible
            dim = np.ones(n, bool)
            dim[self.shown[self.shown < n]] = False
            colours[dim, :3] //= 4
            order = np.concatenate([order[dim[order]], order[~dim[order]]])
            note = f"showing {n - int(dim.sum()):,} of {n:,} clips"
            if self.hide_dimmed:
                order, self.picker.hidden = order[~dim[order]], dim
                note += " (the others hidden)"
        self.raster.set_points(self.coords, colours, order)
        model = f" · {ds.message}" if ds.message else ""  # a model from elsewhere: its latent and reduction
        self._set_caption(f"{note} · {method} · colour: {self.state.colour_field or 'none'}{model}")
        self.layout_drawn.emit()

    def _draw_selection(self, *_args) -> None:
        sel = self.state.selection
        if len(self.coords) == 0 or (sel.size and sel[-1] >= len(self.coords)):
            self.raster.set_selected(np.zeros(0, np.int64))
            self._cur.setData([], [])
            return
        drawn = sel[:MAX_SELECTION_DRAWN]
        self.raster.set_selected(drawn)
        self.caption.setText(self._caption + self._selection_note())  # rebuilt from the base, never appended to
        cur = self.state.current
        if 0 <= cur < len(self.coords):
            self._cur.setData([self.coords[cur, 0]], [self.coords[cur, 1]])
        else:
            self._cur.setData([], [])

    def _on_path_changed(self, path_xy) -> None:
        if path_xy is None or len(path_xy) == 0:
            self._path.setData([], [])
        else:
            self._path.setData(np.asarray(path_xy)[:, 0], np.asarray(path_xy)[:, 1])
