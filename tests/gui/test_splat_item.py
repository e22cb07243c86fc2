"""The splat map item draws every point of the view into one image, and again after a zoom."""

import numpy as np
import pyqtgraph as pg

from latentlab.gui.map.splat_item import SplatItem


def splat_on_plot(qtbot, width: int, height: int, **plot_args) -> tuple[pg.PlotWidget, pg.ViewBox, SplatItem]:
    """A shown plot of ``width x height`` over data 0..10 x 0..10 with a SplatItem on it."""
    widget = pg.PlotWidget(**plot_args)
    qtbot.addWidget(widget)
    widget.resize(width, height)
    widget.show()
    vb = widget.getViewBox()
    vb.setRange(xRange=(0.0, 10.0), yRange=(0.0, 10.0), padding=0)
    item = SplatItem(vb)
    vb.addItem(item, ignoreBounds=True)
    return widget, vb, item


def test_points_are_drawn_after_the_view_changes(qtbot):
    widget, vb, item = splat_on_plot(qtbot, 300, 300)
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


def test_the_image_lands_on_the_screen_where_its_points_are(qtbot):
    """The image is copied one pixel to one screen pixel: a point's dot is painted at its place on screen."""
    widget, vb, item = splat_on_plot(qtbot, 300, 240, background=(0, 0, 0))
    widget.hideAxis("left")
    widget.hideAxis("bottom")
    vb.setRange(xRange=(0.0, 10.0), yRange=(0.0, 10.0), padding=0)  # again: the axes' room is the view's now
    item.set_points(np.array([[2.0, 7.0]], np.float32), np.array([[255, 0, 0, 255]], np.uint8))
    qtbot.waitUntil(lambda: item.renders >= 1)
    shot = widget.grab().toImage()
    where = widget.mapFromScene(vb.mapViewToScene(pg.Point(2.0, 7.0)))
    red = [
        (x, y)
        for y in range(shot.height())
        for x in range(shot.width())
        if shot.pixelColor(x, y).red() > 200 and shot.pixelColor(x, y).blue() < 50
    ]
    assert 4 <= len(red) <= 16  # one dot of about 3 x 3 pixels
    xs, ys = zip(*red)
    assert abs(np.mean(xs) - where.x()) <= 1.5 and abs(np.mean(ys) - where.y()) <= 1.5
