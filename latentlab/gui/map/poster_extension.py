"""View → Thumbnails when zoomed in: the map's posters on or off, remembered in the settings.

On by default: zoomed in far enough, the map draws each clip as its poster
(:class:`~latentlab.gui.map.poster_layer.PosterLayer`); off, it draws dots at every zoom.
"""

from __future__ import annotations

from PySide6.QtGui import QAction

from latentlab.gui.errors import guarded
from latentlab.gui.shell import ExtensionBase, WindowContext

SETTING = "map/thumbnails"


class PosterExtension(ExtensionBase):
    """The checkable View action that turns the map's posters on and off."""

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx)
        on = bool(ctx.settings.value(SETTING, True, type=bool))
        self.action = QAction("&Thumbnails when zoomed in", ctx.window, checkable=True, checked=on)
        self.action.setObjectName("action_thumbnails")
        self.action.setToolTip("Zoomed in far enough, draw each clip as its poster (its middle frame)")
        self.action.toggled.connect(guarded(self._set))
        ctx.add_view_action(self.action)
        ctx.map.posters.set_enabled(on)

    def _set(self, on: bool) -> None:
        self.ctx.map.posters.set_enabled(on)
        self.ctx.settings.setValue(SETTING, bool(on))
