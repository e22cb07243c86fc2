"""View → Decoded grid, the way the user takes it: the real QActions, real mouse drags, the tiles drawn."""

from __future__ import annotations

import threading

import numpy as np
import pyqtgraph as pg
import pytest

from latentlab.core.view_lattice import DEFAULT_GRID, view_lattice
from latentlab.gui.map.decoded_grid import TILE_Z, DecodedGridExtension
from tests.gui import mouse
from tests.gui.fakes import FakeCodec, tiny_loaded


def grid_of(window) -> DecodedGridExtension:
    return next(e for e in window.context.extensions if isinstance(e, DecodedGridExtension))


def view_action(window, text: str):
    menus = [window.view_menu] + [a.menu() for a in window.view_menu.actions() if a.menu() is not None]
    return next(a for m in menus for a in m.actions() if a.text().replace("&", "") == text)


def tiles_on_map(window) -> list[pg.ImageItem]:
    return [i for i in window.map.view.childGroup.childItems() if isinstance(i, pg.ImageItem) and i.zValue() == TILE_Z]


def tile_rect(item: pg.ImageItem) -> tuple[float, float, float, float]:
    r = item.mapRectToView(item.boundingRect())
    return r.x(), r.y(), r.width(), r.height()


def switch_on(window, qtbot) -> DecodedGridExtension:
    grid = grid_of(window)
    with qtbot.waitSignal(grid.drawn, timeout=5000):
        view_action(window, "Decoded grid").trigger()
    return grid


def assert_tiles_show_the_view(window, codec: FakeCodec, k: int) -> None:
    """k*k tiles over the view's range now, each centred on its lattice point and showing the middle
    frame of what the codec decodes at the inverse of that point."""
    x, y = window.context.view_range()
    lattice = view_lattice(x, y, k)
    z = window.state.inverse.invert(lattice.points).z
    clips = codec.decode(z)
    tiles = tiles_on_map(window)
    assert len(tiles) == k * k and all(t.isVisible() for t in tiles)
    for i, tile in enumerate(tiles):
        tx, ty, tw, th = tile_rect(tile)
        assert (tx + tw / 2, ty + th / 2) == pytest.approx(tuple(lattice.points[i]), abs=1e-6 * (x[1] - x[0]))
        assert x[0] <= tx and tx + tw <= x[1] and y[0] <= ty and ty + th <= y[1]
        np.testing.assert_array_equal(tile.image[::-1], clips[i, codec.frames // 2])  # top row at the top
        assert 0 < tile.opacity() < 1  # the points stay visible underneath


def test_the_action_lays_k_by_k_decoded_tiles_over_the_view(window, qtbot, codec):
    grid = switch_on(window, qtbot)
    assert view_action(window, "Decoded grid").isChecked()
    assert_tiles_show_the_view(window, codec, DEFAULT_GRID)
    # an independent check of the inverse: each tile's latent maps back onto its lattice point (PCA)
    lattice = grid.shown.lattice
    np.testing.assert_allclose(window.state.projection.transform(grid.shown.z), lattice.points, atol=1e-4)


def test_panning_with_the_mouse_and_zooming_redraw_the_grid_over_the_new_range(window, qtbot, codec):
    grid = switch_on(window, qtbot)
    before = grid.requests
    (x0, x1), (y0, y1) = window.context.view_range()
    cx, cy, w = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0
    shown = grid.shown
    mouse.drag(window.map, [(cx, cy), (cx - 0.1 * w, cy), (cx - 0.3 * w, cy - 0.1 * w)])  # over the tiles
    moved = window.context.view_range()
    assert moved[0][0] > x0 + 0.2 * w  # the drag reached the map through the tiles
    qtbot.waitUntil(lambda: grid.shown is not shown and grid.shown.lattice.x_range == moved[0], timeout=5000)
    assert grid.requests == before + 1  # the drag's many range changes asked once, when it settled
    assert_tiles_show_the_view(window, codec, DEFAULT_GRID)
    shown = grid.shown
    window.map.view.scaleBy((0.5, 0.5))  # zoom in
    zoomed = window.context.view_range()
    qtbot.waitUntil(lambda: grid.shown is not shown and grid.shown.lattice.x_range == zoomed[0], timeout=5000)
    assert_tiles_show_the_view(window, codec, DEFAULT_GRID)


def test_quick_range_changes_draw_only_the_last_result(window, qtbot, codec):
    grid = switch_on(window, qtbot)
    drawn: list = []
    grid.drawn.connect(drawn.append)
    codec.gate = threading.Event()  # the next decode waits: newer requests pile up behind it
    decodes = codec.decodes
    (x0, x1), (y0, y1) = window.context.view_range()
    ranges = [((x0 + d, x1 + d), (y0, y1)) for d in (0.3, 0.6, 0.9)]
    for n, (x, y) in enumerate(ranges, start=1):
        requests = grid.requests
        window.context.set_view_range(x, y)
        qtbot.waitUntil(lambda r=requests: grid.requests == r + 1, timeout=5000)
        if n == 1:
            qtbot.waitUntil(lambda: window.worker.pending == 1 and not window.worker._mailbox, timeout=5000)
    codec.gate.set()
    last = window.context.view_range()
    qtbot.waitUntil(lambda: len(drawn) == 1, timeout=5000)
    qtbot.waitUntil(lambda: window.worker.pending == 0, timeout=5000)
    assert len(drawn) == 1 and drawn[0].lattice.x_range == last[0]
    assert codec.decodes == decodes + 2  # the held one, then the last; the one between was never run
    assert_tiles_show_the_view(window, codec, DEFAULT_GRID)


def test_unchecking_removes_the_tiles_and_a_late_result_is_not_drawn(window, qtbot, codec):
    grid = switch_on(window, qtbot)
    codec.gate = threading.Event()
    window.context.set_view_range((0.0, 1.0), (0.0, 1.0))
    qtbot.waitUntil(lambda: window.worker.pending == 1, timeout=5000)
    view_action(window, "Decoded grid").trigger()
    assert not view_action(window, "Decoded grid").isChecked()
    assert tiles_on_map(window) == [] and grid.shown is None
    delivered = window.worker.stats["delivered"]
    codec.gate.set()
    qtbot.waitUntil(lambda: window.worker.stats["delivered"] == delivered + 1, timeout=5000)  # it came back...
    assert tiles_on_map(window) == [] and grid.shown is None  # ...and was not drawn


def test_the_size_submenu_picks_k_and_is_remembered(window, qtbot, codec, settings):
    grid = switch_on(window, qtbot)
    with qtbot.waitSignal(grid.drawn, timeout=5000):
        view_action(window, "8 × 8").trigger()
    assert view_action(window, "8 × 8").isChecked() and not view_action(window, "6 × 6").isChecked()
    assert_tiles_show_the_view(window, codec, 8)
    with qtbot.waitSignal(grid.drawn, timeout=5000):
        view_action(window, "4 × 4").trigger()
    assert_tiles_show_the_view(window, codec, 4)
    assert int(settings.value("decoded_grid/k")) == 4


def test_without_a_model_it_says_so_in_one_line_and_stays_off(open_window, qtbot):
    loaded = tiny_loaded(codec=FakeCodec(latent_dim=6))
    loaded.dataset.codec = None
    window = open_window(loaded)
    grid = grid_of(window)
    view_action(window, "Decoded grid").trigger()
    message = window.statusBar().currentMessage()
    assert "needs a model" in message and "\n" not in message
    assert not view_action(window, "Decoded grid").isChecked()
    assert tiles_on_map(window) == [] and grid.requests == 0


def test_without_an_inverse_it_says_so_and_stays_off(window, qtbot):
    window.state.inverse = None
    view_action(window, "Decoded grid").trigger()
    assert "no inverse" in window.statusBar().currentMessage()
    assert not view_action(window, "Decoded grid").isChecked() and tiles_on_map(window) == []


def test_a_new_dataset_clears_the_grid_and_its_map_redraws_it(window, qtbot):
    grid = switch_on(window, qtbot)
    codec = FakeCodec(latent_dim=5)
    other = tiny_loaded(n=90, d=5, codec=codec)
    cleared: list = []
    window.state.dataset_changed.connect(lambda *_: cleared.append(len(tiles_on_map(window))))
    with qtbot.waitSignal(grid.drawn, timeout=5000):
        window.show_loaded(other)
    assert cleared == [0]
    assert grid.shown.z.shape == (DEFAULT_GRID**2, 5)
    assert_tiles_show_the_view(window, codec, DEFAULT_GRID)
