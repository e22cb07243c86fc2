"""PosterLayer: zoomed in far enough, the latent map draws each clip as its poster instead of a dot.

When the clips in view are few and far enough apart on screen that their posters do not overlap
(:func:`~latentlab.core.poster_layout.plan_posters`), each is drawn as its poster (the clip's middle
frame, a fixed size in screen pixels) centred on its point, in one screen-sized image above the
points and below the current-clip ring, the path and the probe. Selected clips get a white frame,
the current clip a yellow one; clips "show only" dims are drawn dimmed.

Posters are read on the decode worker's ``posters`` channel (a batch at a time, latest wins) and kept
in a :class:`~latentlab.core.poster_cache.PosterCache` per dataset, which the hover card shares (on
the zoomed-out map, hovering a clip reads the posters of its neighbours for the card). The
layer redraws, debounced, when the view moves or is resized and when the map redraws its points (a
new dataset, projection, colours or filter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from latentlab.core.point_splat import Viewport
from latentlab.core.poster_cache import Poster, PosterCache
from latentlab.core.poster_layout import PosterPlan, compose_posters, plan_posters
from latentlab.gui.errors import guarded, listen

if TYPE_CHECKING:
    from latentlab.gui.map.latent_map import LatentMap

#: Above the points (z 0), below the path, current-clip ring and probe (z 100 and up).
POSTER_Z = 50
#: Wait this long after the last view change before redrawing (a wheel zoom sends many).
REFRESH_MS = 40
#: Posters read per request (the first ones show while the rest are read).
POSTER_BATCH = 64
#: Hovering a clip on the zoomed-out map reads the posters of this many clips nearest to it.
PREFETCH_NEAR = 24
SELECTED_BORDER = (255, 255, 255, 255)
CURRENT_BORDER = (255, 220, 80, 255)  # the map's current-clip ring


class PosterLayer(QObject):
    """The posters of ``latent_map``'s clips when zoomed in; ``cache`` holds the posters read so far."""

    drawn = Signal()  # the posters were redrawn (or taken off the map)

    def __init__(self, latent_map: LatentMap) -> None:
        super().__init__(latent_map)
        self.map, self.state = latent_map, latent_map.state
        self.cache = PosterCache()
        self.enabled = True
        self.plan: PosterPlan | None = None  # the posters on the map now; None: dots only
        self._viewport: Viewport | None = None  # the view the plan was made for
        self.item = pg.ImageItem(axisOrder="row-major")
        self.item.setZValue(POSTER_Z)
        self.item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.item.hide()
        latent_map.view.addItem(self.item, ignoreBounds=True)
        self._timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        latent_map.view.sigRangeChanged.connect(self.schedule)
        latent_map.view.sigResized.connect(self.schedule)
        latent_map.layout_drawn.connect(self.schedule)
        self.channel = latent_map.worker.channel("posters")
        self.channel.ready.connect(self._on_read)
        listen(self, self.state.dataset_changed, self._on_dataset_changed)
        listen(self, self.state.selection_changed, self._draw)
        listen(self, self.state.current_changed, self._draw)

    def set_enabled(self, on: bool) -> None:
        """View → Thumbnails when zoomed in: off, the map shows dots at every zoom."""
        self.enabled = bool(on)
        self.refresh()

    def poster(self, index: int) -> Poster | None:
        """Clip ``index``'s poster if it has been read (of the dataset shown), else ``None``."""
        return self.cache.get(index)

    def keep(self, index: int, clip: np.ndarray) -> Poster:
        """Keep the poster of clip ``index`` (``(T, H, W, C)`` of the dataset shown, read elsewhere)."""
        poster = self.cache.get(index)
        if poster is None:
            poster = Poster.of_clip(clip)
            self.cache.put(index, poster)
        return poster

    def prefetch_around(self, index: int) -> None:
        """Read the posters of the clips nearest to clip ``index`` (the mouse is among them), so that
        the hover card shows theirs at once too. Nothing to do while the map shows posters: those in
        view are read already."""
        if self.plan is not None or not 0 <= index < len(self.map.coords):
            return
        x, y = self.map.coords[index]
        missing = self.cache.missing(self.map.picker.nearest(float(x), float(y), PREFETCH_NEAR))
        if len(missing):
            self._read(missing)

    def schedule(self, *_args) -> None:
        """Refresh once the view has stopped changing for a moment (each change restarts the wait)."""
        self._timer.start()

    # ------------------------------------------------------------------------------- drawing
    @guarded
    def refresh(self, *_args) -> None:
        """Decide whether the view shows posters, ask for those not read yet and draw the others."""
        self._timer.stop()
        self.plan, self._viewport = None, None
        view = self._current_viewport()
        if view is not None:
            self.plan = plan_posters(self.map.coords, view, hidden=self.map.picker.hidden)
            self._viewport = view if self.plan is not None else None
        if self.plan is not None:
            missing = self.cache.missing(self.plan.indices)
            if len(missing):
                self._read(missing[:POSTER_BATCH])
        self._draw()

    def _current_viewport(self) -> Viewport | None:
        ds, vb = self.state.dataset, self.map.view
        w, h = int(vb.width()), int(vb.height())
        if not self.enabled or ds is None or len(self.map.coords) != ds.n_clips or w < 2 or h < 2:
            return None
        (x0, x1), (y0, y1) = vb.viewRange()
        return Viewport(float(x0), float(x1), float(y0), float(y1), w, h)

    def _draw(self, *_args) -> None:
        plan, view = self.plan, self._viewport
        if plan is None or view is None:
            self.item.hide()
            self.drawn.emit()
            return
        dimmed = None
        if self.map.shown is not None:
            dimmed = np.ones(len(self.map.coords), bool)
            dimmed[self.map.shown[self.map.shown < len(dimmed)]] = False
        posters = []
        for i in plan.indices:
            poster = self.cache.get(int(i))
            small = None if poster is None else poster.small
            if small is not None and dimmed is not None and dimmed[i]:
                small = small // 4
            posters.append(small)
        self.item.setImage(compose_posters(plan, posters, self._borders(plan.indices)), autoLevels=False)
        self.item.setRect(view.x0, view.y0, view.x1 - view.x0, view.y1 - view.y0)
        self.item.show()
        self.drawn.emit()

    def _borders(self, indices: np.ndarray) -> np.ndarray:
        borders = np.zeros((len(indices), 4), np.uint8)
        borders[np.isin(indices, self.state.selection)] = SELECTED_BORDER
        borders[indices == self.state.current] = CURRENT_BORDER
        return borders

    # ------------------------------------------------------------------------------- reading
    def _read(self, indices: np.ndarray) -> None:
        ds, idx = self.state.dataset, np.sort(np.asarray(indices, np.int64))

        def read():
            return ds, idx, [Poster.of_clip(clip) for clip in ds.read_clips(idx)]

        self.channel.request(read)

    @guarded
    def _on_read(self, _rid: int, result) -> None:
        ds, idx, posters = result
        if ds is not self.state.dataset:  # read for a dataset no longer shown
            return
        for i, poster in zip(idx, posters):
            self.cache.put(int(i), poster)
        self.refresh()  # draws them, and asks for the next batch if some are still missing

    def _on_dataset_changed(self, _dataset=None) -> None:
        self.cache.clear()
        self.plan, self._viewport = None, None
        self._draw()
