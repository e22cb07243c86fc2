"""The splat map item draws every point of the view into one image, and again after a zoom."""

import numpy as np
import pyqtgraph as pg

from latentlab.gui.map.splat_item import SplatItem


def test_points_are_drawn_after_the_view_changes(qtbot):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(300, 300)
    widget.show()
    vb = widget.getViewBox()
    vb.setRange(xRange=(0.0, 10.0), yRange=(0.0, 10.0), padding=0)
    item = SplatItem(vb)
    vb.addItem(item, ignoreBounds=True)
    coords = np.array([[2.0, 2.0], [8.0, 8.0]], np.float32)
    item.set_points(coords, np.array([[255, 0, 0, 255], [0, 0, 255, 255]], np.uint8))
    qtbot.waitUntil(lambda: item.renders >= 1)
    img = item.image
    assert (img[..., 3] > 0).sum() >= 2 * 9  # two 3x3 dots
    red = np.argwhere(img[..., 0] == 255)
    assert red[:, 1].mean() < img.shape[1] / 2  # x = 2 lies in the left half (columns are x)
    before = item.renders
    vb.setRange(xRange=(7.0, 9.0), yRange=(7.0, 9.0), padding=0)  # zoom onto the blue point
    qtbot.waitUntil(lambda: item.renders > before)
    assert (item.image[..., 0] == 255).sum() == 0 and (item.image[..., 2] == 255).sum() > 0
    assert item.density_weight == 0.0
