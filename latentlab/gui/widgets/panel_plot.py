"""A small fixed plot for the side panels (KL bars, norm curves): no mouse, no context menu."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QSizePolicy

BACKGROUND = (8, 9, 12)


def panel_plot(left: str, bottom: str, min_height: int) -> pg.PlotWidget:
    """A ``PlotWidget`` labelled ``left`` / ``bottom`` that takes the height its panel has left.

    pyqtgraph's 480 px size hint would make a panel taller than its scroll area, so the vertical
    policy ignores it and ``min_height`` is the only floor.
    """
    plot = pg.PlotWidget(background=BACKGROUND)
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    plot.setMinimumHeight(min_height)
    plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
    return plot
