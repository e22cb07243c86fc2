"""Colouring the map by a per-clip field without per-point brushes.

Clips are put in colour groups, each with one shared colour (the map's legend lists them, and
:class:`~latentlab.gui.map.splat_item.SplatItem` draws every point in its group's colour): one
group per category of a categorical field, or one per bin of a continuous field (16 bins of a
perceptual colour map over its 1st..99th percentile). Every clip belongs to exactly one group (values
that are not finite go to an "n/a" group), so no clip is ever left out of the map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor

from latentlab.core.explorer_state import ClipField

N_BINS = 16
#: Readable on a black background; categories beyond it get colours of their own (category_colour).
PALETTE = [
    (99, 164, 255),
    (255, 138, 101),
    (120, 220, 140),
    (240, 200, 80),
    (196, 140, 255),
    (90, 215, 220),
    (255, 110, 170),
    (180, 200, 120),
    (230, 230, 230),
    (255, 170, 60),
    (140, 150, 255),
    (160, 110, 80),
]
MISSING = (110, 110, 110)


def category_colour(code: int) -> QColor:
    """The colour of category ``code``: the palette first, then hues spread by the golden angle (two
    brightness levels), so 14 source videos get 14 colours instead of the palette's 12 twice."""
    if code < len(PALETTE):
        return QColor(*PALETTE[code])
    k = code - len(PALETTE)
    colour = QColor()
    colour.setHsv(int((20 + k * 137.508) % 360), 150 + 60 * (k % 2), 255 - 45 * ((k // 2) % 2))
    return colour


@dataclass
class ColourGroup:
    """Clips drawn with one colour; ``label`` goes in the legend when ``in_legend``."""

    label: str
    indices: np.ndarray  # (K,) int64
    colour: QColor
    in_legend: bool = True


def colour_groups(clip_field: ClipField | None, n_clips: int, max_legend: int = 16) -> list[ColourGroup]:
    """Split ``n_clips`` into colour groups for ``clip_field`` (one grey group when ``None``)."""
    if clip_field is None:
        return [ColourGroup("clips", np.arange(n_clips), QColor(120, 170, 255))]
    values = np.asarray(clip_field.values)
    if values.shape != (n_clips,):
        raise ValueError(f"field {clip_field.name!r} has {values.shape} values for {n_clips} clips")
    if clip_field.categorical:
        return _categorical(
            values, clip_field.categories or (), max_legend, clip_field.colours, clip_field.missing_label
        )
    return _continuous(values.astype(np.float64))


def _categorical(
    values: np.ndarray,
    names: tuple[str, ...],
    max_legend: int,
    colours: tuple[str, ...] | None = None,
    missing_label: str = "n/a",
) -> list[ColourGroup]:
    codes = np.where(np.isfinite(values.astype(np.float64)), values, -1).astype(np.int64)
    order = np.argsort(codes, kind="stable")
    uniq, starts = np.unique(codes[order], return_index=True)
    groups = []
    for j, (code, lo) in enumerate(zip(uniq, starts)):
        hi = starts[j + 1] if j + 1 < len(starts) else len(order)
        idx = np.sort(order[lo:hi])
        if code < 0:
            groups.append(ColourGroup(missing_label, idx, QColor(*MISSING)))
            continue
        label = names[code] if 0 <= code < len(names) else str(code)
        own = colours is not None and 0 <= code < len(colours)  # e.g. a tag's chosen colour
        colour = QColor(colours[code]) if own else category_colour(int(code))
        groups.append(ColourGroup(label, idx, colour))
    shown = sum(g.in_legend for g in groups)
    if shown > max_legend:  # keep the legend readable; the rest are still drawn
        for g in groups[max_legend - 1 :]:
            g.in_legend = False
        groups[max_legend - 1].label += f"  (+{shown - max_legend} more)"
        groups[max_legend - 1].in_legend = True
    return groups


def _continuous(values: np.ndarray) -> list[ColourGroup]:
    finite = np.isfinite(values)
    groups = []
    if finite.any():
        lo, hi = np.percentile(values[finite], [1, 99])
        if not hi > lo:
            hi = lo + 1e-9
        safe = np.where(finite, values, lo)
        bins = np.clip(((safe - lo) / (hi - lo) * N_BINS).astype(np.int64, copy=False), 0, N_BINS - 1)
        cmap = pg.colormap.get("viridis")
        legend_bins = {0, N_BINS // 4, N_BINS // 2, 3 * N_BINS // 4, N_BINS - 1}
        for b in range(N_BINS):
            idx = np.flatnonzero(finite & (bins == b))
            if not idx.size:
                continue
            centre = lo + (b + 0.5) * (hi - lo) / N_BINS
            colour = cmap.map((b + 0.5) / N_BINS, mode="qcolor")
            groups.append(ColourGroup(f"{centre:.3g}", idx, colour, b in legend_bins))
    missing = np.flatnonzero(~finite)
    if missing.size:
        groups.append(ColourGroup("n/a", missing, QColor(*MISSING)))
    return groups
