"""RegionPanel: the Regions dock: one row per region of the map (name, share, clips, top video).

Clicking a row (or Enter on it) emits :attr:`RegionPanel.chosen` with the region's number; the
extension zooms the map to it and selects its clips.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from latentlab.core.map_regions import MapRegions, RegionLabel
from latentlab.gui.errors import guarded
from latentlab.gui.wording import count

OFF = "View → Region labels names the dense regions of the map and lists them here."


def row_text(label: RegionLabel, size: int, sources: bool = True) -> str:
    """``circle 92% · high size · 1,234 clips · a.mp4 (61%)`` (the source video only if ``sources``)."""
    parts = [f"{label.text} · {label.trait}" if label.trait else label.text, count(size, "clip")]
    if sources and label.source and label.source != label.category:
        parts.append(f"{label.source} ({label.source_share:.0%})")
    return " · ".join(parts)


class RegionPanel(QWidget):
    """The list of regions; :attr:`chosen` is emitted with the region clicked."""

    chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLabel(OFF)
        self.note.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("region_list")
        self.list.itemClicked.connect(guarded(self._on_item))
        self.list.itemActivated.connect(guarded(self._on_item))
        lay = QVBoxLayout(self)
        lay.addWidget(self.note)
        lay.addWidget(self.list, 1)

    def show_regions(self, regions: MapRegions, labels: list[RegionLabel], field: str, sources: bool = True) -> None:
        self.list.clear()
        for r, label in enumerate(labels):
            item = QListWidgetItem(row_text(label, int(regions.sizes[r]), sources))
            item.setToolTip("click: zoom the map to this region and select its clips")
            self.list.addItem(item)
        if not len(regions):
            self.note.setText("No dense region on this map: its clips are spread evenly.")
        else:
            fields = {label.field for label in labels if label.field}
            used = " and ".join(
                f for f in dict.fromkeys([field, *sorted(fields)]) if f in fields
            )  # the chosen one first
            named = f", named by {used}" if used else " (no categorical field names them)"
            share = regions.sizes.sum() / max(len(regions.labels), 1)
            self.note.setText(f"{count(len(regions), 'region')}{named}, holding {share:.0%} of the clips.")

    def show_note(self, text: str) -> None:
        """No regions, only ``text`` (labels off, computing, no map)."""
        self.list.clear()
        self.note.setText(text)

    def _on_item(self, item: QListWidgetItem) -> None:
        self.chosen.emit(self.list.row(item))
