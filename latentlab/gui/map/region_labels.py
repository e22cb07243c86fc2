"""RegionLabels: the names of the map's regions, drawn as text at their densest points.

Each label is a ``pg.TextItem`` with a dark fill (readable over bright and dark points alike),
centred on the region's peak, in screen pixels (it keeps its size when the map zooms) and above the
points. The second line names the region's top source video where it is not the label itself.
"""

from __future__ import annotations

import pyqtgraph as pg

from latentlab.core.map_regions import MapRegions, RegionLabel

TEXT = (235, 237, 242)
FILL = (12, 14, 19, 215)
BORDER = (120, 126, 140, 200)
Z = 90  # above the points, below the current clip, the path and the probe (100+)
MAX_SOURCE_CHARS = 24


def label_lines(label: RegionLabel) -> str:
    """The text drawn: the label, and the top source video on a second line (shortened)."""
    if not label.source or label.source == label.category:
        return label.text
    source = label.source if len(label.source) <= MAX_SOURCE_CHARS else label.source[: MAX_SOURCE_CHARS - 1] + "…"
    return f"{label.text}\n{source} {label.source_share:.0%}"


class RegionLabels:
    """The region labels on ``view`` (a pyqtgraph ViewBox)."""

    def __init__(self, view: pg.ViewBox) -> None:
        self.view = view
        self.items: list[pg.TextItem] = []

    def show(self, regions: MapRegions, labels: list[RegionLabel]) -> None:
        """Draw one label per region (replacing those drawn)."""
        self.clear()
        for (x, y), label in zip(regions.peaks, labels):
            item = pg.TextItem(
                label_lines(label), color=TEXT, fill=pg.mkBrush(*FILL), border=pg.mkPen(*BORDER), anchor=(0.5, 0.5)
            )
            item.setZValue(Z)
            item.setPos(float(x), float(y))
            item.setToolTip(label.text)
            self.view.addItem(item, ignoreBounds=True)
            self.items.append(item)

    def clear(self) -> None:
        for item in self.items:
            self.view.removeItem(item)
        self.items = []

    @property
    def texts(self) -> list[str]:
        """The texts drawn, in region order (largest region first)."""
        return [item.textItem.toPlainText() for item in self.items]
