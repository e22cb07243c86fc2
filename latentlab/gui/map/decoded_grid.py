"""View → Decoded grid: what every region of the map decodes to, as a k x k lattice of tiles over the view.

Each lattice point (:func:`latentlab.core.view_lattice.view_lattice`) is turned into a latent by the
map's inverse and decoded (:func:`latentlab.app.grid_render.render_grid`, all ``k*k`` in one batch on
the decode worker's ``"grid"`` channel); the middle frame of each clip is drawn as a semi-transparent
tile centred on its point, fainter where the inverse is guessing (far from any clip), and blended so
that a tile's dark pixels leave the points underneath visible. Panning or
zooming asks again once the view has settled (latest wins: only the answer to the newest request is
drawn). View → Decoded grid size picks k. A new dataset clears the tiles and a new map redraws them;
without a model or an inverse the action says so and stays off.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QPainter

from latentlab.app.grid_render import GridTiles, render_grid
from latentlab.core.view_lattice import DEFAULT_GRID, GRID_SIZES, view_lattice
from latentlab.gui.errors import guarded, listen
from latentlab.gui.shell import ExtensionBase, WindowContext

CHANNEL = "grid"
SETTLE_MS = 120  # a pan or zoom emits many range changes: ask once the view has been still this long
TILE_OPACITY = 0.85  # on top of real data; fades towards half of it where the inverse is unreliable
TILE_Z = 90  # above the clips, below the posterior cloud (95), path, current clip and probe (100+)
SETTING = "decoded_grid/k"


class DecodedGridExtension(ExtensionBase):
    """The View menu's *Decoded grid* toggle and *Decoded grid size* submenu, and the tiles on the map.

    ``drawn(GridTiles)`` when a lattice's tiles are on the map; ``tiles`` holds the image items on the map
    (one per lattice point, in the lattice's order) and ``shown`` the :class:`GridTiles` they show.
    """

    drawn = Signal(object)

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx)
        self.view = ctx.map.view
        self.k = self._saved_k()
        self.tiles: list[pg.ImageItem] = []
        self.shown: GridTiles | None = None
        self.requests = 0  # how many renders were asked for (the tests count them)
        self._asked: tuple[int, object, object] | None = None  # (request id, dataset, inverse) of the newest
        self.channel = ctx.worker.channel(CHANNEL)
        self.channel.ready.connect(self._on_ready)
        self.channel.failed.connect(self._on_failed)  # the window's error strip says what failed
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS)
        self._settle.timeout.connect(guarded(self.refresh))
        self.view.sigRangeChanged.connect(self._on_range_changed)

        v = ctx.view_menu
        v.addSeparator()
        self.action = QAction("&Decoded grid", ctx.window)
        self.action.setCheckable(True)
        self.action.setToolTip("Lay a grid of decoded clips over the visible map: what each region generates")
        self.action.toggled.connect(guarded(self._on_toggled))
        ctx.add_view_action(ctx.needs_data(self.action))
        self.size_menu = v.addMenu("Decoded grid si&ze")
        group = QActionGroup(self.size_menu)
        self.size_actions: dict[int, QAction] = {}
        for k in GRID_SIZES:
            act = self.size_menu.addAction(f"{k} × {k}")
            act.setCheckable(True)
            act.setChecked(k == self.k)
            group.addAction(act)
            act.triggered.connect(guarded(lambda _checked=False, k=k: self.set_k(k)))
            self.size_actions[k] = act
        listen(self, ctx.state.dataset_changed, self._on_dataset_changed)
        listen(self, ctx.state.projection_changed, self._on_map_changed)
        listen(self, ctx.state.codec_changed, self._on_map_changed)

    # ------------------------------------------------------------------------------ the user
    @property
    def active(self) -> bool:
        return self.action.isChecked()

    def set_k(self, k: int) -> None:
        """Use ``k x k`` tiles (one of :data:`GRID_SIZES`), remembered for the next session."""
        if k not in GRID_SIZES:
            raise ValueError(f"the decoded grid is {', '.join(map(str, GRID_SIZES))} tiles a side, not {k}")
        self.k = int(k)
        self.size_actions[self.k].setChecked(True)
        self.ctx.settings.setValue(SETTING, self.k)
        if self.active:
            self.refresh()

    def _saved_k(self) -> int:
        try:
            k = int(self.ctx.settings.value(SETTING, DEFAULT_GRID))
        except (TypeError, ValueError):
            return DEFAULT_GRID
        return k if k in GRID_SIZES else DEFAULT_GRID

    def _missing(self) -> str:
        """Why no grid can be decoded now ("" when it can)."""
        ds = self.ctx.state.dataset
        if ds is None:
            return "Decoded grid: open a dataset first"
        if ds.codec is None:
            return "Decoded grid needs a model: this dataset has none loaded, so nothing can be decoded"
        if self.ctx.state.inverse is None:
            return "Decoded grid needs a map that can be turned back into latents; this one has no inverse"
        return ""

    def _on_toggled(self, on: bool) -> None:
        if not on:
            self.clear()
            return
        self.refresh()

    def _on_range_changed(self, *_args) -> None:
        if self.active:
            self._settle.start()  # restarts: the range the view settles on is the one asked for

    # ------------------------------------------------------------------------------ rendering
    def refresh(self) -> int | None:
        """Ask for the tiles of the view as it is now; returns the request id (``None``: nothing asked,
        and the action is switched off with a one-line message when no grid can be decoded)."""
        self._settle.stop()
        if not self.active:
            return None
        why = self._missing()
        if why:
            self.clear()
            self.action.setChecked(False)
            self.ctx.say(why)
            return None
        ds, inverse = self.ctx.state.dataset, self.ctx.state.inverse
        codec = ds.codec
        x, y = self.ctx.view_range()
        lattice = view_lattice(x, y, self.k)
        rid = self.channel.request(lambda: render_grid(inverse, codec, lattice))
        self._asked = (rid, ds, inverse)
        self.requests += 1
        return rid

    @guarded
    def _on_ready(self, rid: int, tiles: GridTiles) -> None:
        asked = self._asked
        if not self.active or asked is None or rid != asked[0]:
            return  # a newer request is on its way (latest wins), or the grid was switched off
        if asked[1] is not self.ctx.state.dataset or asked[2] is not self.ctx.state.inverse:
            return  # decoded for a dataset or map no longer shown
        self._draw(tiles)

    @guarded
    def _on_failed(self, rid: int, _message: str) -> None:
        if self._asked is not None and rid == self._asked[0]:
            self.clear()

    def _draw(self, tiles: GridTiles) -> None:
        n, (h, w) = len(tiles.frames), tiles.frames.shape[1:3]
        rects = tiles.lattice.tile_rects(aspect=w / h)
        while len(self.tiles) < n:
            item = pg.ImageItem(axisOrder="row-major")
            item.setZValue(TILE_Z)
            item.setCompositionMode(QPainter.CompositionMode.CompositionMode_Screen)  # dark pixels hide no point
            item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks and drags go to the map
            self.view.addItem(item, ignoreBounds=True)
            self.tiles.append(item)
        for item in self.tiles[n:]:  # a smaller grid than the last one
            self.view.removeItem(item)
        del self.tiles[n:]
        for i, item in enumerate(self.tiles):
            frame = tiles.frames[i]
            if frame.shape[-1] == 1:
                frame = np.repeat(frame, 3, axis=-1)
            # the map's y grows upwards, an image's rows downwards: row 0 (the top) goes to the top
            item.setImage(np.ascontiguousarray(frame[::-1]), autoLevels=False, levels=(0, 255))
            item.setRect(*(float(v) for v in rects[i]))
            item.setOpacity(TILE_OPACITY * (0.5 + 0.5 * float(np.clip(tiles.reliability[i], 0, 1))))
        self.shown = tiles
        self.drawn.emit(tiles)

    def clear(self) -> None:
        """Remove the tiles from the map (the action stays as it is)."""
        self._settle.stop()
        self._asked = None
        self.shown = None
        for item in self.tiles:
            self.view.removeItem(item)
        self.tiles = []

    # ------------------------------------------------------------------------------ the data
    def _on_dataset_changed(self, _dataset=None) -> None:
        self.clear()  # its map (and inverse) follows; the grid is asked for then

    def _on_map_changed(self, *_args) -> None:
        self.clear()
        if self.active:
            self.refresh()

    def shutdown(self) -> None:
        self._settle.stop()
