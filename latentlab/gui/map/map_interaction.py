"""The latent map's mouse and probe: picking, clicks, box and lasso selection, the context menu,
the hover card (the clip's poster at once, the clip playing once the mouse rests on it) and the
draggable probe marker.

:class:`MapInteraction` is a base class of :class:`~latentlab.gui.map.latent_map.LatentMap`; it uses
what the map builds: ``state``, ``view``, ``plot``, ``picker``, ``coords``, ``probe``, ``thumb``,
``hover_channel``, ``posters`` (the :class:`~latentlab.gui.map.poster_layer.PosterLayer`) and the
``hovered`` signal; the map calls :meth:`MapInteraction._init_hover_card` once.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QMenu

from latentlab.core.video_paths import clip_caption
from latentlab.gui.errors import guarded
from latentlab.gui.map.map_tools import modifiers_to_mode, points_in_polygon
from latentlab.gui.workers import ClipFrames

#: How long the mouse rests on a clip before its hover card plays it (till then: its poster).
HOVER_DWELL_MS = 250


class MapInteraction:
    """Mouse and probe handlers of the latent map (the hovered clip is ``_hover``, -1 for none)."""

    # ------------------------------------------------------------------------------- probe
    def _on_probe_moved(self, x: float, y: float) -> None:
        self.probe.show()
        if not self._moving_probe:
            self._moving_probe = True
            try:
                self.probe.setPos(x, y)
            finally:
                self._moving_probe = False

    @guarded
    def _on_probe_dragged(self, *_args) -> None:
        if not self._moving_probe:
            pos = self.probe.pos()
            self._moving_probe = True
            try:
                self.state.move_probe(pos.x(), pos.y())
            finally:
                self._moving_probe = False

    # ------------------------------------------------------------------------------- mouse
    def pick(self, x: float, y: float) -> int:
        """The clip drawn at data position ``(x, y)`` (within a few pixels), or -1."""
        px = self.view.viewPixelSize()
        return self.picker.pick(x, y, (px[0], px[1]))

    @guarded
    def _on_click(self, x: float, y: float, modifiers) -> None:
        i = self.pick(x, y)
        mode = modifiers_to_mode(modifiers, click=True)
        if i >= 0:
            self.state.select([i], mode)
        elif mode == "replace":
            self.state.select([], "replace")

    @guarded
    def _on_shape(self, polygon: np.ndarray, modifiers) -> None:
        inside = points_in_polygon(self.coords, polygon)
        if self.picker.hidden is not None:  # hidden clips are not drawn: a shape does not take them
            inside = inside[~self.picker.hidden[inside]]
        self.state.select(inside, modifiers_to_mode(modifiers))

    @guarded
    def _on_context(self, x: float, y: float, screen_pos) -> bool:
        i = self.pick(x, y)
        if i < 0:
            return False
        menu = QMenu(self)
        menu.addAction(f"Play clip {i}", lambda: self.state.select([i]))
        menu.addAction("Interpolate from here (A)", lambda: self.state.set_interpolation(a=i))
        menu.addAction("Interpolate to here (B)", lambda: self.state.set_interpolation(b=i))
        menu.addAction("Put the probe here", lambda: self.state.move_probe(x, y))
        for add_entries in self.context_entries:  # what extensions offer for clip i
            add_entries(menu, i)
        menu.popup(QPoint(int(screen_pos.x()), int(screen_pos.y())))
        return True

    @guarded
    def _on_mouse_moved(self, scene_pos) -> None:
        if getattr(self.probe, "moving", False):  # dragging the probe: its panel shows the clip
            self._set_hover(-1)
            return
        if len(self.coords) == 0 or not self.view.sceneBoundingRect().contains(scene_pos):
            self._set_hover(-1)
            return
        p = self.view.mapSceneToView(scene_pos)
        self._set_hover(self.pick(p.x(), p.y()))
        if self._hover >= 0:
            local = self.plot.mapFromScene(scene_pos)
            x = min(local.x() + 16, self.plot.width() - self.thumb.width() - 4)
            y = min(local.y() + 16, self.plot.height() - self.thumb.height() - 4)
            self.thumb.move(int(max(0, x)), int(max(0, y)))

    def _init_hover_card(self) -> None:
        """The hover card: the clip's poster at once, the clip playing after :data:`HOVER_DWELL_MS`."""
        self._hover_clip: ClipFrames | None = None  # the hovered clip, once read
        self._dwell = QTimer(self, singleShot=True, interval=HOVER_DWELL_MS)
        self._dwell.timeout.connect(self._on_dwell)

    def _set_hover(self, index: int) -> None:
        if index == self._hover:
            return
        self._hover, self._hover_clip = index, None
        self._dwell.stop()
        self.hovered.emit(index)
        ds = self.state.dataset
        if index < 0 or ds is None:
            self.thumb.hide()
            return
        poster = self.posters.poster(index)
        if poster is not None:
            self._show_card(poster.card, ("poster", index), index)
        else:  # not read yet: the card shows once the clip is (never the previous clip's card)
            self.thumb.hide()
        self._dwell.start()  # read now, played once the mouse has rested on the clip
        self.hover_channel.request(lambda: ClipFrames(index, ds.read_clips(np.array([index]))[0], ds))
        self.posters.prefetch_around(index)  # the clips the mouse will pass next

    @guarded
    def _on_result(self, _rid: int, result: ClipFrames) -> None:
        ds, index, clip = result.dataset, result.index, result.frames
        if ds is not self.state.dataset or index != self._hover:  # stale: another clip or dataset
            return
        self._hover_clip = result
        poster = self.posters.keep(index, clip)
        if self._dwell.isActive():  # still passing by: the poster only
            if self.thumb.isHidden():
                self._show_card(poster.card, ("poster", index), index)
        else:
            self._on_dwell()

    @guarded
    def _on_dwell(self) -> None:
        """The mouse has rested on the clip: play it (once it has been read)."""
        result = self._hover_clip
        if result is None or result.index != self._hover or result.dataset is not self.state.dataset:
            return
        self.thumb.set_fps(result.dataset.fps)
        self._show_card(result.frames, result.index, result.index)

    def _show_card(self, frames: np.ndarray, tag, index: int) -> None:
        self.thumb.set_frames(frames, tag=tag)
        ds = self.state.dataset
        self.thumb.set_caption(clip_caption(None if ds is None else ds.store, index))
        self.thumb.show()
        self.thumb.raise_()
