"""RegionLabels: the names of the map's regions, drawn as text at their densest points.

Each label is a ``pg.TextItem`` with a dark fill (readable over bright and dark points alike),
centred on the region's centre, in screen pixels (it keeps its size when the map zooms) and above the
points. The second line names the region's top source video where the dataset has several. Where
labels would overlap at the current zoom, the larger region's label is drawn and the other hidden
until the user zooms in (every region stays listed in the Regions dock).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF

from latentlab.core.map_regions import MapRegions, RegionLabel

TEXT = (235, 237, 242)
FILL = (12, 14, 19, 190)  # the clips under a label show through, dimmed
BORDER = (120, 126, 140, 200)
Z = 90  # above the points, below the current clip, the path and the probe (100+)
MAX_SOURCE_CHARS = 24


def label_lines(label: RegionLabel, sources: bool = True) -> str:
    """The text drawn: the label with its trait, and the top source video on a second line (shortened)
    if ``sources``."""
    lines = [f"{label.text} · {label.trait}" if label.trait else label.text]
    if sources and label.source and label.source != label.category:
        source = label.source if len(label.source) <= MAX_SOURCE_CHARS else label.source[: MAX_SOURCE_CHARS - 1] + "…"
        lines.append(f"{source} {label.source_share:.0%}")
    return "\n".join(lines)


class RegionLabels:
    """The region labels on ``view`` (a pyqtgraph ViewBox)."""

    def __init__(self, view: pg.ViewBox) -> None:
        self.view = view
        self.items: list[pg.TextItem] = []
        self.suspended = False  # hidden while the map shows another layout (a map being fitted)
        view.sigRangeChanged.connect(self.declutter)
        view.sigResized.connect(self.declutter)

    def show(self, regions: MapRegions, labels: list[RegionLabel], sources: bool = True) -> None:
        """Draw one label per region (replacing those drawn); ``sources``: name the top source video."""
        self.clear()
        self.suspended = False
        for (x, y), label in zip(regions.centres, labels):
            item = pg.TextItem(
                label_lines(label, sources),
                color=TEXT,
                fill=pg.mkBrush(*FILL),
                border=pg.mkPen(*BORDER),
                anchor=(0.5, 0.5),
            )
            item.setZValue(Z)
            item.setPos(float(x), float(y))
            item.setToolTip(label.text)
            self.view.addItem(item, ignoreBounds=True)
            self.items.append(item)
        self.declutter()

    def suspend(self, on: bool) -> None:
        """Hide the labels (``on``: the map shows a layout they do not belong to) or show them again."""
        self.suspended = bool(on)
        self.declutter()

    def declutter(self, *_args) -> None:
        """Hide each label that would overlap a larger region's label at the current zoom."""
        kept: list[QRectF] = []
        for item in self.items:  # largest region first
            if self.suspended:
                item.setVisible(False)
                continue
            centre = self.view.mapViewToScene(item.pos())
            size = item.textItem.boundingRect().size()
            rect = QRectF(centre.x() - size.width() / 2, centre.y() - size.height() / 2, size.width(), size.height())
            free = not any(rect.intersects(other) for other in kept)
            item.setVisible(free)
            if free:
                kept.append(rect)

    def clear(self) -> None:
        for item in self.items:
            self.view.removeItem(item)
        self.items = []

    @property
    def texts(self) -> list[str]:
        """The texts of the labels, in region order (largest region first), hidden ones included."""
        return [item.textItem.toPlainText() for item in self.items]

    @property
    def shown(self) -> list[str]:
        """The texts of the labels visible at the current zoom."""
        return [item.textItem.toPlainText() for item in self.items if item.isVisible()]
