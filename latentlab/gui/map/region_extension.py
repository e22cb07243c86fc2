"""Region labels: the map's dense regions named on the map and listed in a Regions dock.

View → "Region labels" (checkable) finds the regions of the map shown
(:func:`~latentlab.core.map_regions.find_regions`) and names each by the majority category of the
colour field, else of the tags or the sample's class, with its share and top source video
(:func:`~latentlab.core.map_regions.describe_regions`). The work runs on the decode worker's
"regions" channel (latest wins: tens of ms at 100 k clips, longer at millions, never on the GUI
thread) and again whenever the projection, the colour field or a field (the tags) changes; while a
new map is being fitted they are hidden. The Regions dock lists them; clicking one zooms the map to
it and selects its clips.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget

from latentlab.core.map_regions import SOURCE_FIELD, MapRegions, RegionLabel, describe_regions, find_regions
from latentlab.gui.errors import guarded, listen
from latentlab.gui.map.region_labels import RegionLabels
from latentlab.gui.map.region_panel import OFF, RegionPanel
from latentlab.gui.shell import ExtensionBase, WindowContext

ZOOM_PAD = 0.15  # the zoomed view shows this fraction of the region's size around it


@dataclass(frozen=True)
class RegionsFound:
    """The regions of ``projection`` of ``dataset``, named by ``field``."""

    dataset: Any
    projection: Any
    regions: MapRegions
    field: str
    labels: list[RegionLabel]


def regions_of(dataset, projection, fields: dict, colour_field: str) -> RegionsFound:
    """Find and name the regions (on the worker thread: plain arrays in, a result out)."""
    regions = find_regions(np.asarray(projection.coords))
    field, labels = describe_regions(regions, fields, colour_field)
    return RegionsFound(dataset, projection, regions, field, labels)


class RegionExtension(ExtensionBase):
    """View → Region labels and the Regions dock of one window.

    Attributes
    ----------
    action
        The checkable View → "Region labels" action.
    found
        The regions shown (:class:`RegionsFound`), or None.
    labels, panel, dock
        The labels drawn on the map, the list of regions and its dock.
    """

    def __init__(self, ctx: WindowContext) -> None:
        super().__init__(ctx)
        self.found: RegionsFound | None = None
        self.labels = RegionLabels(ctx.map.view)
        self.panel = RegionPanel()
        self.panel.chosen.connect(guarded(self.zoom_to))
        self.dock = QDockWidget("Regions", ctx.window)
        self.dock.setObjectName("dock_regions")
        self.dock.setWidget(self.panel)
        ctx.add_dock(self.dock)
        self.dock.hide()  # shown with the labels
        self.action = QAction("Region &labels", ctx.window, checkable=True)
        self.action.setToolTip("name the dense regions of the map and list them in the Regions panel")
        self.action.toggled.connect(guarded(self.set_active))
        ctx.needs_data(ctx.add_view_action(self.action))
        self.channel = ctx.worker.channel("regions")
        self.channel.ready.connect(guarded(self._on_found))
        self.channel.failed.connect(guarded(lambda _rid, message: self._show_note(f"no regions: {message}")))
        st = ctx.state
        for signal in (st.projection_changed, st.colour_field_changed, st.field_added):
            listen(self, signal, self.refresh)
        listen(self, st.dataset_changed, lambda _ds: self.refresh())
        listen(self, st.layout_preview, lambda _coords: self.labels.suspend(True))  # not this layout's regions
        ctx.map.layout_drawn.connect(guarded(self._on_map_drawn))

    @property
    def active(self) -> bool:
        return self.action.isChecked()

    def set_active(self, on: bool) -> None:
        """Show (and keep up to date) or hide the region labels and their panel."""
        if on:
            self.dock.show()
            self.dock.raise_()
        self.refresh()

    def refresh(self, *_args) -> None:
        """Find the regions of the map shown again (on the worker), or clear them when off."""
        st = self.ctx.state
        if not self.active:
            self._show_note(OFF)
            return
        if st.dataset is None or st.projection is None:
            self._show_note("No map yet: the regions follow once it is drawn.")
            return
        ds, projection, fields, colour = st.dataset, st.projection, dict(st.dataset.fields), st.colour_field
        self.channel.request(lambda: regions_of(ds, projection, fields, colour))

    def _on_found(self, rid: int, found: RegionsFound) -> None:
        st = self.ctx.state
        if rid != self.channel.latest or not self.active:
            return  # a newer request is on its way, or the labels were turned off meanwhile
        if found.dataset is not st.dataset or found.projection is not st.projection:
            return
        self.found = found
        source = self.ctx.state.dataset.fields.get(SOURCE_FIELD)
        several = source is not None and len(source.categories or ()) > 1  # one video: no need to name it
        self.labels.show(found.regions, found.labels, sources=several)
        self.panel.show_regions(found.regions, found.labels, found.field, several)

    def _on_map_drawn(self) -> None:
        """The map shows the state's projection again (a fit was cancelled): its labels come back."""
        if self.labels.suspended and not self.ctx.window.fitting():
            found, st = self.found, self.ctx.state
            self.labels.suspend(found is None or found.projection is not st.projection)

    def _show_note(self, text: str) -> None:
        self.found = None
        self.labels.clear()
        self.panel.show_note(text)

    def zoom_to(self, region: int) -> None:
        """Zoom the map to ``region`` (its cells with a margin) and select its clips."""
        if self.found is None or not 0 <= region < len(self.found.regions):
            return
        x0, x1, y0, y1 = self.found.regions.bounds[region]
        pad = ZOOM_PAD * max(x1 - x0, y1 - y0)
        self.ctx.set_view_range((float(x0 - pad), float(x1 + pad)), (float(y0 - pad), float(y1 + pad)))
        self.ctx.state.select(self.found.regions.clips(region))
        label = self.found.labels[region]
        self.ctx.say(f"{label.text}: {self.found.regions.sizes[region]:,} clips selected")
