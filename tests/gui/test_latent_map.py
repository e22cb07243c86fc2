"""LatentMap driven with real mouse events: click, box, lasso, modifiers, hover, colours, density."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from latentlab.gui.map.map_tools import points_in_polygon
from tests.gui import mouse

SHIFT, CTRL = Qt.KeyboardModifier.ShiftModifier, Qt.KeyboardModifier.ControlModifier


def _ready(window, qtbot):
    qtbot.waitUntil(lambda: window.player.index == window.state.current, timeout=5000)
    return window.map, window.state


def test_clicking_a_point_selects_it_and_plays_that_clip(window, qtbot):
    m, s = _ready(window, qtbot)
    i = 17
    with qtbot.waitSignal(window.player.shown, timeout=5000, check_params_cb=lambda idx: idx == i):
        mouse.click(m, *s.coords[i])
    assert s.selection.tolist() == [i] and s.current == i
    np.testing.assert_array_equal(window.player.original.frames, s.dataset.read_clips([i])[0])
    assert window.player.recon.frames.shape == window.player.original.frames.shape
    assert window.player.playing
    frame0 = window.player.scrubber.value()
    qtbot.waitUntil(lambda: window.player.scrubber.value() != frame0, timeout=3000)  # it loops
    assert "clip 17" in window.player.numbers.text() and "PSNR" in window.player.numbers.text()
    shown = [v.tag for v in window.player.strip if v.frames is not None]
    expected, _ = s.dataset.index.knn(i, 9)
    assert shown == [j for j in expected if j != i][:8]


def test_click_modifiers_add_and_toggle(window, qtbot):
    m, s = _ready(window, qtbot)
    mouse.click(m, *s.coords[3])
    mouse.click(m, *s.coords[5], modifiers=SHIFT)
    assert s.selection.tolist() == [3, 5]
    mouse.click(m, *s.coords[3], modifiers=CTRL)
    assert s.selection.tolist() == [5]
    (x0, x1), (y0, y1) = m.view.viewRange()
    empty = next((x, y) for x in np.linspace(x0, x1, 9)[1:-1] for y in np.linspace(y0, y1, 9)[1:-1] if m.pick(x, y) < 0)
    mouse.click(m, *empty)  # empty space: clears
    assert s.selection.size == 0


def test_box_and_lasso_selection_with_add_and_remove(window, qtbot):
    m, s = _ready(window, qtbot)
    c = s.coords
    lo, hi = np.percentile(c, 20, axis=0), np.percentile(c, 70, axis=0)
    m.set_tool("box")
    mouse.drag(m, [tuple(lo), tuple((lo + hi) / 2), tuple(hi)])
    inside = np.flatnonzero(np.all((c >= lo) & (c <= hi), axis=1))
    assert inside.size > 5
    # The drag is mapped through pixels: compare with a tolerance of the clips on the edge.
    assert len(np.setxor1d(s.selection, inside)) <= 3
    m.set_tool("lasso")
    tri = [tuple(c.min(0)), (c[:, 0].max(), c[:, 1].min()), (c[:, 0].min(), c[:, 1].max())]
    before = s.selection.copy()
    mouse.drag(m, tri + [tri[0]], modifiers=SHIFT)
    in_tri = points_in_polygon(c, np.array(tri))
    assert set(before) <= set(s.selection) and len(np.setxor1d(s.selection, np.union1d(before, in_tri))) <= 3
    mouse.drag(m, tri + [tri[0]], modifiers=CTRL)
    assert len(np.setxor1d(s.selection, np.setdiff1d(before, in_tri))) <= 3


def test_points_in_polygon_matches_a_plain_loop(rng):
    xy = rng.uniform(-1, 1, (500, 2))
    poly = np.array([[-0.8, -0.8], [0.9, -0.5], [0.1, 0.2], [0.5, 0.9], [-0.7, 0.6]])
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPolygonF

    qpoly = QPolygonF([QPointF(*p) for p in poly])
    expected = [i for i, p in enumerate(xy) if qpoly.containsPoint(QPointF(*p), Qt.FillRule.OddEvenFill)]
    assert points_in_polygon(xy, poly).tolist() == expected


def test_colour_by_any_field_keeps_every_clip(window, qtbot):
    m, s = _ready(window, qtbot)
    for name in s.dataset.fields:
        window.colour_combo.setCurrentText(name)
        assert s.colour_field == name
        assert sum(len(g.indices) for g in m.groups) == s.dataset.n_clips
        assert np.unique(np.concatenate([g.indices for g in m.groups])).size == s.dataset.n_clips
        drawn = m.raster.image[..., 3] > 0
        assert drawn.sum() >= 0.3 * 9 * s.dataset.n_clips / 4  # dots of 3x3 px, overlapping in clusters
        assert len(m.legend.items) >= 1
    window.colour_combo.setCurrentText("cluster")
    assert [label.text for _, label in m.legend.items] == [f"cluster {i}" for i in range(8)]


def test_hover_shows_an_animated_thumbnail_of_the_clip(window, qtbot):
    m, s = _ready(window, qtbot)
    with qtbot.waitSignal(m.thumb.clip_painted, timeout=5000, check_params_cb=lambda tag: tag == 42):
        mouse.hover(m, *s.coords[42])
    np.testing.assert_array_equal(m.thumb.frames, s.dataset.read_clips([42])[0])
    assert m.thumb.isVisible() and m.thumb.playing


def test_projection_preview_animates_the_layout(window, qtbot):
    m, s = _ready(window, qtbot)
    new = s.coords * 3 + 1
    with qtbot.waitSignal(m.layout_drawn, timeout=3000):
        s.preview_layout(new)
    np.testing.assert_allclose(m.coords, new)


def test_a_crowded_view_shows_density_and_zooming_in_brings_back_the_dots(window, qtbot):
    m, s = _ready(window, qtbot)
    lo, hi = s.coords.min(0).astype(float), s.coords.max(0).astype(float)
    c, span = (lo + hi) / 2, float((hi - lo).max())
    far = 500 * span  # every clip within a few pixels: the view is all density, in the clips' colours
    m.view.setRange(xRange=(c[0] - far, c[0] + far), yRange=(c[1] - far, c[1] + far), padding=0)
    qtbot.waitUntil(lambda: m.raster.density_weight == 1.0, timeout=5000)
    assert (m.raster.image[..., 3] == 255).sum() >= 1
    m.view.setRange(xRange=(lo[0], hi[0]), yRange=(lo[1], hi[1]), padding=0)
    qtbot.waitUntil(lambda: m.raster.density_weight < 1.0, timeout=5000)
    mouse.click(m, *s.coords[9])  # picking works on every clip, whatever the zoom
    assert s.current == 9


@pytest.mark.parametrize("tool", ["zoom"])
def test_unknown_tool_is_refused(window, tool):
    with pytest.raises(ValueError, match="pan"):
        window.map.set_tool(tool)


def test_every_point_is_drawn_in_its_colour_and_selection_is_outlined(window, qtbot):
    from scipy.spatial import cKDTree

    m, s = _ready(window, qtbot)
    window.colour_combo.setCurrentText("cluster")
    c = s.coords.astype(np.float64)
    d, _ = cKDTree(c).query(c, k=2)
    i = int(np.argmax(d[:, 1]))  # the most isolated clip: nothing else drawn over it
    img = m.raster.image
    (x0, x1), (y0, y1) = m.view.viewRange()
    px = int(np.floor((c[i, 0] - x0) / (x1 - x0) * img.shape[1]))
    py = int(np.floor((c[i, 1] - y0) / (y1 - y0) * img.shape[0]))
    group = next(g for g in m.groups if i in g.indices)
    assert tuple(img[py, px, :3]) == (group.colour.red(), group.colour.green(), group.colour.blue())
    qtbot.waitUntil(lambda: not m.raster._timer.isActive(), timeout=5000)
    before = m.raster.renders
    s.select([i])  # selection_changed and current_changed: one render of every point, not two
    qtbot.waitUntil(lambda: tuple(m.raster.image[py + 2, px]) == (255, 255, 255, 235), timeout=5000)  # the ring
    qtbot.wait(20)
    assert m.raster.renders == before + 1
    renders = m.raster.renders
    s.move_probe(*c[(i + 1) % len(c)])
    qtbot.wait(20)
    assert m.raster.renders == renders  # moving the probe does not redraw the points


def test_the_outlining_note_is_rebuilt_not_appended(window, qtbot, monkeypatch):
    from latentlab.gui.map import latent_map

    m, _ = _ready(window, qtbot)
    monkeypatch.setattr(latent_map, "MAX_SELECTION_DRAWN", 1)
    for _ in range(3):
        window.state.select([0, 1])
        window.state.select([1, 2])
    assert m.caption.text().count("outlining") == 1
    window.state.select([0])
    assert "outlining" not in m.caption.text()
    assert m.caption.text().endswith(" · 1 clip selected")  # a count from the first selection, in the singular
    window.state.set_colour_field("KL")  # the points are redrawn: the count stays
    assert m.caption.text().endswith(" · 1 clip selected")
    window.state.select([3, 4])
    assert " · 2 clips selected" in m.caption.text()
    assert window.context.curation.panel.hint.text().startswith("2 clips selected. Create a tag")


def test_picking_reuses_the_inverse_projections_tree(window, qtbot):
    """Building a KD-tree over 100k points at the first hover stalled the GUI thread ~40 ms."""
    m, s = _ready(window, qtbot)
    assert s.inverse is not None
    assert m.picker._tree is s.inverse.map_tree
    i = 7
    px = m.view.viewPixelSize()
    assert m.picker.pick(float(s.coords[i, 0]), float(s.coords[i, 1]), px) == i


def test_the_thumbnail_hides_when_the_mouse_leaves_or_the_points_move(window, qtbot):
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    m, s = _ready(window, qtbot)
    for how in ("leave", "relayout"):
        with qtbot.waitSignal(m.thumb.clip_painted, timeout=5000, check_params_cb=lambda tag: tag == 42):
            mouse.hover(m, *s.coords[42])
        assert m.thumb.isVisible()
        if how == "leave":
            QApplication.sendEvent(m.plot.viewport(), QEvent(QEvent.Type.Leave))
        else:  # t-SNE moves the points away from under the cursor
            s.preview_layout(np.asarray(s.coords)[::-1].copy())
            qtbot.waitUntil(lambda: np.allclose(m.coords, np.asarray(s.coords)[::-1]), timeout=5000)
        assert not m.thumb.isVisible()


def test_more_sources_than_palette_colours_get_colours_of_their_own():
    from latentlab.core.explorer_state import ClipField
    from latentlab.gui.map.map_colours import PALETTE, colour_groups

    n = len(PALETTE) + 2  # 14 source videos
    groups = colour_groups(ClipField("source", np.arange(n), tuple(f"v{i}.mp4" for i in range(n))), n)
    assert len({g.colour.name() for g in groups}) == n
    assert all(g.in_legend for g in groups)


def test_show_only_greys_the_other_clips_and_view_hide_takes_them_off_the_map(window, qtbot):
    m, s = _ready(window, qtbot)
    shown = np.arange(10)
    s.set_shown(shown)
    qtbot.waitUntil(lambda: "showing 10 of" in m.caption.text(), timeout=5000)
    action = next(a for a in window.view_menu.actions() if a.text() == "&Hide dimmed clips")
    hidden = 40  # not in the shown set
    mouse.click(m, *s.coords[hidden])
    assert s.current == hidden  # greyed, still there and pickable
    action.trigger()  # View -> Hide dimmed clips
    qtbot.waitUntil(lambda: "(the others hidden)" in m.caption.text(), timeout=5000)
    s.select([int(shown[0])])
    mouse.click(m, *s.coords[hidden])
    assert s.current != hidden  # not drawn, not picked
    lo, hi = s.coords.min(0), s.coords.max(0)
    m._on_shape(
        np.array([[lo[0] - 1, lo[1] - 1], [hi[0] + 1, lo[1] - 1], [hi[0] + 1, hi[1] + 1], [lo[0] - 1, hi[1] + 1]]), 0
    )
    assert set(s.selection.tolist()) <= set(shown.tolist())  # a box over the whole map takes only what is drawn
    action.trigger()
    qtbot.waitUntil(lambda: "(the others hidden)" not in m.caption.text(), timeout=5000)
